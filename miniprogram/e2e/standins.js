// The outside world of an end-to-end run, shared by the API-module flow (flow.js) and the
// page-driven one (pages.test.js): what a phone's WeChat client does (a wx.login code, the
// platform's sign-in page in a web-view, the cashier, the sample files a citizen picks) and what
// the departments do (a case advanced, a 12345 ticket answered) through the stand-ins' control
// APIs.
const crypto = require('crypto')
const fs = require('fs')
const os = require('os')
const path = require('path')

const trim = (url) => String(url || '').replace(/\/$/, '')

// The addresses of the running system, from the environment (see flow.js and README.md).
function endpoints(env = process.env) {
  return {
    api: trim(env.HANDHELD_API_URL),
    wechat: trim(env.HANDHELD_WECHAT_URL),
    provincial: trim(env.HANDHELD_PROVINCIAL_URL),
    wechatpay: trim(env.HANDHELD_WECHATPAY_URL),
    hotline: trim(env.HANDHELD_HOTLINE_URL),
  }
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`)
}

async function answer(url, resp) {
  const text = await resp.text()
  if (resp.status >= 300) throw new Error(`${url}: ${resp.status} ${text}`)
  return text ? JSON.parse(text) : null
}

async function getJson(url) {
  return answer(url, await fetch(String(url)))
}

async function postJson(url, body) {
  const resp = await fetch(String(url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body === undefined ? {} : body),
  })
  return answer(url, resp)
}

async function eventually(what, probe, { timeoutMs = 30000, intervalMs = 200 } = {}) {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

// WeChat: a wx.login code for this WeChat user.
async function wechatCode(wechat, user) {
  return (await postJson(`${wechat}/_control/codes`, { user })).code
}

// The web-view page of the platform's unified identity: the citizen signs in there and the
// platform redirects to our return page with code and state.
async function platformSignIn(provincial, authorizeUrl, { username, password }) {
  const url = new URL(authorizeUrl)
  const page = await fetch(url.toString())
  check(page.status === 200, `authorize page ${page.status}`)
  const form = new URLSearchParams()
  url.searchParams.forEach((value, key) => form.set(key, value))
  form.set('username', username)
  form.set('password', password)
  const resp = await fetch(`${provincial}/oauth2/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  })
  check(resp.status === 302, `platform login answered ${resp.status}`)
  const back = new URL(resp.headers.get('location'))
  return { code: back.searchParams.get('code'), state: back.searchParams.get('state') }
}

// The department moves the case on the platform (accepted, needs_supplement with its items…).
async function advanceCase(provincial, caseNumber, to, extra = {}) {
  return postJson(`${provincial}/_control/cases/${caseNumber}/advance`, { to, ...extra })
}

// WeChat's cashier for wx.requestPayment: the transaction of the prepay id in `package` is paid
// (the citizen confirms), and WeChat Pay notifies the backend.
async function cashier(wechatpay, params) {
  check(params.package && params.package.startsWith('prepay_id='), 'payParams.package')
  check(params.paySign && params.signType === 'RSA', 'payParams signed with RSA')
  const prepayId = params.package.slice('prepay_id='.length)
  const { transactions } = await getJson(`${wechatpay}/_control/transactions`)
  const trade = transactions.find((t) => t.prepayId === prepayId)
  check(trade, `a WeChat Pay transaction for ${prepayId}`)
  await postJson(`${wechatpay}/_control/transactions/${trade.out_trade_no}/pay`, {})
  return trade.out_trade_no
}

// 12345's operators: a ticket accepted and answered.
async function answerTicket(hotline, ticketNumber, reply) {
  const control = `${hotline}/_control/tickets/${ticketNumber}`
  await postJson(`${control}/accept`, {})
  await postJson(`${control}/reply`, { text: reply })
}

const SAMPLE = {
  pdf: () => {
    // A real one-page PDF (uploads must open in a PDF parser), its page content padded with a
    // comment so the upload takes several progress events.
    const content = Buffer.concat([Buffer.from('BT (e2e) Tj ET\n%'), Buffer.alloc(200 * 1024, 0x20)])
    const objects = [
      Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
      Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
      Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>'),
      Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]),
    ]
    const parts = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
    let length = parts[0].length
    const offsets = objects.map((body, i) => {
      const object = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')])
      parts.push(object)
      length += object.length
      return length - object.length
    })
    const xref = ['xref', `0 ${objects.length + 1}`, '0000000000 65535 f ']
      .concat(offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `))
      .join('\n')
    parts.push(Buffer.from(`${xref}\ntrailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`))
    return Buffer.concat(parts)
  },
  png: () => Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'latin1'), crypto.randomBytes(64 * 1024)]),
  jpg: () => Buffer.concat([Buffer.from('\xff\xd8\xff\xe0\x00\x10JFIF\x00', 'latin1'), crypto.randomBytes(64 * 1024)]),
}

// A value a citizen would enter for a form field of the guide.
function sampleValue(field) {
  if (field.type === 'select') return field.options[field.options.length - 1]
  if (field.type === 'date') return '2026-11-01'
  if (field.type === 'number') return 1
  return '城关派出所'
}

let scratch = null

// A file on disk in a format the material takes, as WeChat's file picker hands it over.
function sampleFile(material) {
  const format = material.formats.map((f) => f.toLowerCase()).find((f) => SAMPLE[f])
  check(format, `a sample file for ${material.formats}`)
  scratch = scratch || fs.mkdtempSync(path.join(os.tmpdir(), 'handheld-e2e-'))
  const filePath = path.join(scratch, `${material.code}-${crypto.randomBytes(4).toString('hex')}.${format}`)
  fs.writeFileSync(filePath, SAMPLE[format]())
  return { path: filePath, name: path.basename(filePath), size: fs.statSync(filePath).size }
}

module.exports = {
  endpoints,
  check,
  getJson,
  postJson,
  eventually,
  wechatCode,
  platformSignIn,
  advanceCase,
  cashier,
  answerTicket,
  SAMPLE,
  sampleValue,
  sampleFile,
}
