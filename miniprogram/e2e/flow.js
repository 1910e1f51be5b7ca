#!/usr/bin/env node
// End to end: the mini-program's own API module (utils/api.js) drives a running backend over
// real HTTP through login → real-name binding → apply with upload → pay → rate.
//
// What a phone's WeChat client does (wx.login, the web-view of the platform's login page,
// the cashier, the subscribe popup) is played against the stand-ins; the department's
// decisions are played through the platform stand-in's control API.
//
// Environment:
//   HANDHELD_API_URL           the backend, e.g. http://127.0.0.1:8000
//   HANDHELD_WECHAT_URL        WeChat stand-in (mints wx.login codes)
//   HANDHELD_PROVINCIAL_URL    platform stand-in (unified identity page, case control)
//   HANDHELD_WECHATPAY_URL     WeChat Pay stand-in; without it the pay and rate steps are skipped
//   E2E_WECHAT_USER            the WeChat user (default wx-e2e)
//   E2E_PLATFORM_USER / E2E_PLATFORM_PASSWORD   the citizen's platform account
//   E2E_ITEM_NAME              the service item to apply for (default 临时居民身份证申领)
//   E2E_STEPS                  comma list out of login,apply,pay,rate (default: all possible)
// Prints one JSON line per step; the last line is `E2E OK {...}`; exits non-zero on failure.
const {
  endpoints,
  check,
  eventually,
  wechatCode,
  platformSignIn,
  advanceCase,
  cashier,
  sampleValue,
  sampleFile,
} = require('./standins')
const { createWx } = require('./wx-node')

const env = process.env
const urls = endpoints(env)
const API = need('HANDHELD_API_URL')
const WECHAT = need('HANDHELD_WECHAT_URL')
const PROVINCIAL = need('HANDHELD_PROVINCIAL_URL')
const WECHATPAY = urls.wechatpay
const STEPS = (env.E2E_STEPS || (WECHATPAY ? 'login,apply,pay,rate' : 'login,apply')).split(',')

function need(name) {
  if (!env[name]) {
    console.error(`missing environment variable ${name}`)
    process.exit(2)
  }
  return env[name].replace(/\/$/, '')
}

function log(step, details) {
  console.log(JSON.stringify({ step, ...details }))
}

// The WeChat client: a wx.login code for this user comes from the stand-in.
let order = null
const wx = createWx({
  login: () => wechatCode(WECHAT, env.E2E_WECHAT_USER || 'wx-e2e'),
  // The cashier: the citizen confirms, WeChat Pay settles and notifies the backend.
  requestPayment: async (params) => {
    check((await cashier(WECHATPAY, params)) === order.outTradeNo, 'the cashier pays the order created')
  },
  subscribe: (tmplIds) => Object.fromEntries(tmplIds.map((id) => [id, 'accept'])),
  contentTypeOf: (name) => require('../utils/api').contentTypeOf(name),
})
global.wx = wx

const config = require('../config')

config.baseUrl = API
const api = require('../utils/api')
const session = require('../utils/session')
const validate = require('../utils/validate')
const subscribe = require('../utils/subscribe')

const citizen = { username: env.E2E_PLATFORM_USER, password: env.E2E_PLATFORM_PASSWORD }

const state = {}

async function login() {
  const signedIn = await api.loginWithWechat()
  check(signedIn.accessToken, 'an access token')
  check(!signedIn.citizen.realNameBound, 'a new WeChat user is not yet real-name bound')
  const { authorizeUrl, state: sso } = await api.startBinding()
  const back = await platformSignIn(PROVINCIAL, authorizeUrl, citizen)
  check(back.state === sso, 'the platform returns our state')
  const bound = await api.completeBinding(back.code, back.state)
  check(bound.citizen.realNameBound, 'real name bound')
  const me = await api.me()
  check(me.realNameBound && me.wechatBound, 'profile shows both bindings')
  log('login', { citizen: me.id, assuranceLevel: bound.assuranceLevel, name: me.name })
}

async function apply() {
  const name = env.E2E_ITEM_NAME || '临时居民身份证申领'
  const found = await api.searchItems(name)
  const item = found.items.find((i) => i.name === name)
  check(item, `item ${name} found by search`)
  const guide = await api.itemDetail(item.code)
  check(guide.acceptingApplications, 'item accepts applications')

  let detail = await api.createDeclaration(item.code)
  check(detail.state === 'draft', 'a draft')
  const formData = { ...detail.formData }
  detail.form.forEach((field) => {
    if (field.required && (formData[field.key] === undefined || formData[field.key] === '')) {
      formData[field.key] = sampleValue(field)
    }
  })
  check(Object.keys(validate.validateForm(detail.form, formData)).length === 0, 'form valid')
  detail = await api.saveForm(detail.id, formData)

  const uploads = []
  for (const material of validate.missingMaterials(detail.materials)) {
    if (material.licenceSuggestions.length) {
      detail = await api.useLicence(detail.id, material.code, material.licenceSuggestions[0])
      uploads.push({ code: material.code, licence: material.licenceSuggestions[0] })
      continue
    }
    const file = sampleFile(material)
    check(validate.validateFile(material, file) === null, 'file passes the guide checks')
    const progress = []
    const entry = await api.uploadMaterial(detail.id, material.code, file, (percent) => progress.push(percent))
    check(entry.id && entry.size === file.size, 'the library entry of the upload')
    // The last attempt's events (a POST refused with 405 is followed by a PUT from 0).
    const last = progress.slice(progress.lastIndexOf(0) === -1 ? 0 : progress.lastIndexOf(0))
    check(last.length >= 2 && last[last.length - 1] === 100, `progress reaches 100: ${progress}`)
    for (let i = 1; i < last.length; i += 1) check(last[i] >= last[i - 1], 'progress never goes back')
    uploads.push({
      code: material.code,
      size: file.size,
      sha256: entry.sha256,
      transport: api.uploadTransport(),
      progressEvents: last.length,
    })
  }
  detail = await api.declaration(detail.id)
  const ready = validate.checkDeclaration(detail, detail.formData)
  check(ready.ok, `ready to submit: ${ready.messages}`)

  const quotas = await subscribe.askAndReport(['progress', 'result'], api.reportSubscriptions)
  check(quotas && quotas.length === 2 && quotas.every((q) => q.quota >= 1), 'subscriptions reported')

  const key = require('../utils/http').uuid4()
  const submitted = await api.submit(detail.id, key)
  check(submitted.state === 'submitted', 'submitted')
  const again = await api.submit(detail.id, key)
  check(again.id === submitted.id && again.state === 'submitted', 'a repeated tap is the same submission')

  const delivered = await eventually('delivery to the platform', async () => {
    const d = await api.declaration(detail.id)
    return d.delivery === 'delivered' && d.caseNumber ? d : null
  })
  const mine = await api.listDeclarations()
  check(mine.items.some((d) => d.id === detail.id), 'listed in my declarations')
  Object.assign(state, { declarationId: detail.id, caseNumber: delivered.caseNumber })
  log('apply', { declaration: detail.id, caseNumber: delivered.caseNumber, uploads, quotas })
}

async function advance(to) {
  await advanceCase(PROVINCIAL, state.caseNumber, to)
  await eventually(`state ${to}`, async () => (await api.declaration(state.declarationId)).state === to)
}

async function pay() {
  await advance('accepted')
  const notice = await eventually('a payment notice', async () => {
    const notices = await api.paymentNotices({ declarationId: state.declarationId })
    return notices.items.find((n) => n.status === 'unpaid')
  })
  const key = require('../utils/http').uuid4()
  const paid = await api.pay(notice.id, key, {
    onOrder: (created) => {
      order = created
    },
  })
  check(order && order.payParams, 'the order carries wx.requestPayment parameters')
  check(paid.status === 'paid', `order paid (${paid.status})`)
  check(paid.amountFen === notice.amountFen, 'paid the notice amount')
  const receipt = await eventually('the receipt', async () => {
    try {
      return await api.receipt(paid.id)
    } catch (e) {
      if (e.status === 404 || e.status === 409) return null
      throw e
    }
  })
  const unpaid = await api.paymentNotices({ declarationId: state.declarationId })
  check(!unpaid.items.some((n) => n.id === notice.id), 'no longer due')
  const paidNotices = await api.paymentNotices({ status: 'paid', declarationId: state.declarationId })
  check(paidNotices.items.some((n) => n.id === notice.id && n.receipt), 'listed as paid, with its receipt')
  log('pay', { order: paid.id, outTradeNo: paid.outTradeNo, amountFen: paid.amountFen, receipt })
}

async function rate() {
  await advance('processing')
  await advance('completed')
  const tags = await api.reviewTags()
  const scores = { overall: 5, efficiency: 5, guideAccuracy: 4, convenience: 5, easeOfUse: 5 }
  const review = await api.rate(state.declarationId, { level: 5, scores, tags: [], text: '办理很快' })
  const listed = await api.reviews(state.declarationId)
  check(listed.canRate === false, "one rating per channel")
  const items = listed.reviews
  check(items.some((r) => r.id === review.id && r.level === 5), 'my review is listed')
  log("rate", { review: review.id, tags: tags.tags.length, levels: tags.levels.length })
}

async function main() {
  const steps = { login, apply, pay, rate }
  for (const step of STEPS) {
    if (!steps[step]) throw new Error(`unknown step ${step}`)
    await steps[step]()
  }
  check(session.isSignedIn(), 'still signed in at the end')
  console.log(`E2E OK ${JSON.stringify({ steps: STEPS, ...state })}`)
}

main().catch((err) => {
  console.error(`E2E FAILED: ${err.stack || err}`)
  if (err.problem) console.error(JSON.stringify(err.problem))
  process.exit(1)
})
