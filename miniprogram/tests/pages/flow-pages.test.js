const fs = require('fs')
const path = require('path')
const { createFakeWx, settle } = require('../helpers/fake-wx')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  fake.wx.setStorageSync('handheld.session', { accessToken: 'tok', citizen: { id: 'c', realNameBound: true } })
})

const material = (extra) => ({
  code: 'M1', name: '户籍证明', required: true, tolerance: false, formats: ['pdf'], maxSizeKb: 1024,
  licenceTypes: [], suggestions: [], licenceSuggestions: [], file: null, licenceNumber: null, ...extra,
})
const draft = (extra) => ({
  id: 'd1', itemCode: 'X', itemName: '临时居民身份证申领', state: 'draft', delivery: 'none',
  form: [{ key: 'station', label: '领证派出所', type: 'text', required: true, maxLength: 50 }],
  formData: {}, prefill: { name: '张*', idNumber: '1101**********1234' }, materials: [material()],
  timeline: [], supervision: 'none', ...extra,
})

test('every page in app.json is a Component() with its four files', () => {
  const root = path.resolve(__dirname, '../..')
  const app = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'))
  for (const page of app.pages) {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(fs.existsSync(path.join(root, `${page}.${ext}`))).toBe(true)
    const src = fs.readFileSync(path.join(root, `${page}.js`), 'utf8')
    expect([page, /\bComponent\(\{/.test(src), /\bPage\(/.test(src)]).toEqual([page, true, false])
  }
})

test('apply: the upload shows its progress bar, errors come all at once, submit asks for subscriptions first', async () => {
  const { render, texts } = require('../helpers/render')
  let current = draft()
  fake.route('GET', '/api/v1/declarations', { items: [], total: 0 })
  fake.route('POST', '/api/v1/declarations', () => current)
  fake.route('GET', '/api/v1/declarations/d1', () => current)
  fake.route('PATCH', '/api/v1/declarations/d1', (req) => {
    current = { ...current, formData: req.data.formData }
    return current
  })
  const page = render('pages/apply/index')
  await page.instance.onLoad({ code: 'X' })
  await settle()
  expect(texts(page, '.muted')[0]).toBe('申请人：张*（1101**********1234）')

  // Nothing filled: every problem listed, no call to submit, no popup.
  await page.instance.submit()
  await settle()
  expect(texts(page, '.messages .error')).toEqual(['请填写领证派出所', '请上传“户籍证明”'])
  expect(fake.calls.subscribe).toHaveLength(0)

  // Upload with progress: the bar is there while it runs and shows the percentage.
  let release
  // An upload held at 40% until released.
  // (miniprogram-simulate copies wx into its own object: patch the global one.)
  global.wx.uploadFile = (opts) => {
    const listeners = []
    release = () => {
      current = { ...current, materials: [material({ file: { id: 'f1', displayName: 'hukou.pdf' } })] }
      listeners.forEach((fn) => fn({ progress: 100, totalBytesSent: 100, totalBytesExpectedToSend: 100 }))
      opts.success({ statusCode: 200, data: JSON.stringify({ id: 'f1' }) })
    }
    setTimeout(() => listeners.forEach((fn) => fn({ progress: 40, totalBytesSent: 40, totalBytesExpectedToSend: 100 })), 0)
    return { onProgressUpdate: (fn) => listeners.push(fn) }
  }
  fake.answers.file = { path: '/tmp/hukou.pdf', name: 'hukou.pdf', size: 2048 }
  const uploading = page.instance.upload({ currentTarget: { dataset: { code: 'M1' } } })
  await settle()
  const bar = page.querySelector('.progress')
  expect(texts(bar, '.label')).toEqual(['上传中 40%'])
  const fill = bar.querySelector('.fill')
  expect(fill.dom.getAttribute('style')).toMatch(/width:\s*40%/)
  release()
  await uploading
  await settle()
  expect(page.querySelectorAll('.progress')).toHaveLength(0)
  expect(texts(page, '.status')).toEqual(['已上传：hukou.pdf'])

  // A file of the wrong type is refused before any upload.
  fake.answers.file = { path: '/tmp/x.png', name: 'x.png', size: 10 }
  await page.instance.upload({ currentTarget: { dataset: { code: 'M1' } } })
  await settle()
  expect(texts(page, '.section.error')).toEqual(['“户籍证明”仅支持 pdf 格式'])

  page.instance.onField({ currentTarget: { dataset: { key: 'station', type: 'text' } }, detail: { value: '城关派出所' } })
  const keys = []
  fake.route('POST', '/api/v1/push/subscriptions', [{ templateId: 'TPL_PROGRESS', quota: 1 }])
  fake.route('POST', '/api/v1/declarations/d1/submit', (req) => {
    keys.push(req.header['Idempotency-Key'])
    return keys.length === 1 ? { status: 503, body: { code: 'PLATFORM_UNAVAILABLE', title: '暂不可用' } } : { ...current, state: 'submitted' }
  })
  expect(await page.instance.submit()).toBe(false)
  expect(await page.instance.submit()).toBe(true)
  expect(fake.calls.subscribe[0]).toEqual(['TPL_PROGRESS', 'TPL_RESULT'])
  expect(keys[0]).toBe(keys[1]) // the retry of the tap is the same submission
  const order = fake.calls.request.map((r) => `${r.method} ${r.path}`)
  expect(order.indexOf('POST /api/v1/push/subscriptions')).toBeLessThan(order.indexOf('POST /api/v1/declarations/d1/submit'))
  expect(current.formData).toEqual({ station: '城关派出所' })
  expect(fake.calls.navigate).toContain('/pages/declaration/index?id=d1')
})

test('declaration: timeline newest first, supplement notice and its action', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/declarations/d1', draft({
    state: 'needs_supplement', caseNumber: 'XL1',
    supplement: { notice: '请补正户籍证明', items: [{ code: 'M1', name: '户籍证明', problem: '不清晰' }] },
    timeline: [
      { state: 'submitted', previousState: 'draft', actor: 'citizen', reason: null, at: '2026-11-20T08:00:00Z' },
      { state: 'needs_supplement', previousState: 'submitted', actor: 'platform', reason: '材料不清晰', at: '2026-11-21T08:00:00Z' },
    ],
  }))
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: 'd1' })
  await settle()
  const timeline = page.querySelector('.timeline')
  expect(texts(timeline, '.state')).toEqual(['待补正', '已提交'])
  expect(texts(timeline, '.reason')).toEqual(['材料不清晰'])
  expect(texts(page, '.supplement .text')).toEqual(['请补正户籍证明', '· 户籍证明：不清晰'])
  page.querySelector('.supplement.btn').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual(['/pages/apply/index?id=d1'])
})

test('declaration: a promised date counted before the holiday notice is marked provisional', async () => {
  const { render } = require('../helpers/render')
  fake.route('GET', '/api/v1/declarations/d1', draft({
    state: 'accepted', caseNumber: 'XL1', promisedDue: '2027-01-04', promisedDueProvisional: true,
  }))
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: 'd1' })
  await settle()
  expect(page.instance.data.due).toMatch(/2027.*（暂定）$/)
  fake.route('GET', '/api/v1/declarations/d1', draft({
    state: 'accepted', caseNumber: 'XL1', promisedDue: '2027-01-04', promisedDueProvisional: false,
  }))
  await page.instance.load()
  await settle()
  expect(page.instance.data.due).not.toMatch(/暂定/)
})

test('pay: the notice of the case, the popup, then the cashier with the API parameters', async () => {
  const { render, texts } = require('../helpers/render')
  const notice = { id: 'n1', itemName: '临时居民身份证申领', amountFen: 1000, noticeNumber: 'N1', payee: '公安局', expiresAt: '2026-12-01T00:00:00Z', status: 'unpaid', declarationId: 'd1' }
  let paid = false
  fake.route('GET', '/api/v1/payments/notices', (req) => {
    const q = new URL(req.url).searchParams
    expect([q.get('status'), q.get('declarationId')]).toEqual(['all', 'd1'])
    return { items: [paid ? { ...notice, status: 'paid', receipt: { receiptNumber: 'R1' } } : notice] }
  })
  const payParams = { appId: 'wx', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=1', signType: 'RSA', paySign: 's' }
  fake.route('POST', '/api/v1/payments/orders', { id: 'o1', status: 'pending', payParams })
  fake.route('GET', '/api/v1/payments/orders/o1', () => {
    paid = true
    return { id: 'o1', status: 'paid' }
  })
  fake.route('POST', '/api/v1/push/subscriptions', [])
  fake.answers.subscribe = { TPL_RESULT: 'accept' }
  const page = render('pages/pay/index')
  await page.instance.onLoad({ declarationId: 'd1' })
  await settle()
  expect(texts(page, '.amount')).toEqual(['金额：10.00 元'])
  await page.instance.pay({ currentTarget: { dataset: { id: 'n1' } } })
  await settle()
  expect(fake.calls.subscribe).toEqual([['TPL_RESULT']])
  expect(fake.calls.payment[0].package).toBe('prepay_id=1')
  expect(texts(page, '.message')).toEqual(['支付成功'])
  expect(texts(page, '.receipt')).toEqual(['电子票据 票据号：R1'])
  expect(page.querySelectorAll('.pay')).toHaveLength(0)
})

test('rate: five levels, indicators start at the level, bad tags for a bad level', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/reviews/tags', {
    levels: [5, 4, 3, 2, 1].map((level) => ({ level, label: `L${level}`, bad: level <= 2 })),
    tags: [
      { code: 'fast', label: '办理快', sentiment: 'good' },
      { code: 'overdue', label: '超期未办结', sentiment: 'bad' },
    ],
  })
  fake.route('GET', '/api/v1/declarations/d1/reviews', { reviews: [], canRate: true })
  let sent
  fake.route('POST', '/api/v1/declarations/d1/reviews', (req) => {
    sent = req.data
    return { id: 'r1' }
  })
  const page = render('pages/rate/index')
  await page.instance.onLoad({ id: 'd1' })
  await settle()
  expect(texts(page, '.level')).toEqual(['L5', 'L4', 'L3', 'L2', 'L1'])
  expect(await page.instance.submit()).toBe(false)
  expect(texts(page, '.error')).toEqual(['请选择满意程度'])

  page.instance.chooseLevel({ currentTarget: { dataset: { level: 2 } } })
  await settle()
  expect(texts(page, '.tag-choice')).toEqual(['超期未办结'])
  page.instance.score({ currentTarget: { dataset: { key: 'efficiency', n: 1 } } })
  page.instance.toggleTag({ currentTarget: { dataset: { code: 'overdue' } } })
  page.instance.onText({ detail: { value: '等了很久' } })
  expect(await page.instance.submit()).toBe(true)
  expect(sent).toEqual({
    level: 2,
    scores: { overall: 2, efficiency: 1, guideAccuracy: 2, convenience: 2, easeOfUse: 2 },
    tags: ['overdue'],
    text: '等了很久',
  })
  await settle()
  expect(texts(page, '.done')).toEqual(['感谢您的评价'])
})

test('wallet and 亮证: licences, use log, a QR image drawn by the backend that expires', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/licences', [{ id: 'l1', licenceNumber: 'N', name: '居民身份证', statusText: '有效', usable: true, issuedAt: '2026-01-02T00:00:00Z' }])
  fake.route('GET', '/api/v1/licences/uses', { items: [{ id: 'u1', licenceName: '居民身份证', user: { name: '公积金中心' }, purpose: '提取', usedAt: '2026-11-01T08:00:00Z' }] })
  const wallet = render('pages/wallet/index')
  await wallet.instance.onLoad()
  await settle()
  expect(texts(wallet, '.licence .text')).toEqual(['居民身份证'])
  expect(texts(wallet, '.use .text')).toEqual(['居民身份证 · 公积金中心 · 提取'])

  fake.route('GET', '/api/v1/licences/l1', { id: 'l1', name: '居民身份证', statusText: '有效', usable: true })
  fake.route('GET', '/api/v1/licences/l1/verifications', [])
  const qrUrl = '/api/v1/licences/display-qr.svg?code=HL1.p.s'
  fake.route('POST', '/api/v1/licences/l1/display', { code: 'HL1.p.s', qrUrl, expiresAt: new Date(Date.now() + 60000).toISOString() })
  const licence = render('pages/licence/index')
  await licence.instance.onLoad({ id: 'l1' })
  await licence.instance.show()
  await settle()
  // The symbol is an image the backend draws: its URL, made absolute, is the <image> source.
  const { baseUrl } = require('../../config')
  expect(licence.instance.data.qrUrl).toBe(`${baseUrl}${qrUrl}`)
  const images = licence.querySelectorAll('.qr')
  expect(images).toHaveLength(1)
  // (the simulator keeps no attributes of built-in <image>: the template binds the source)
  const wxml = fs.readFileSync(path.join(__dirname, '../../pages/licence/index.wxml'), 'utf8')
  expect(wxml).toMatch(/<image wx:if="\{\{qrUrl\}\}" class="qr" src="\{\{qrUrl\}\}"/)
  expect(texts(licence, '.countdown')[0]).toMatch(/^出示码（(59|60) 秒后失效）$/)
  licence.instance.expiresAt = Date.now() - 1
  licence.instance.tick()
  await settle()
  expect(texts(licence, '.countdown')).toEqual(['出示码已失效，请刷新'])
  expect(licence.querySelectorAll('.qr')).toHaveLength(0)
  // An image that fails to load leaves no broken symbol, and says why.
  await licence.instance.show()
  await settle()
  licence.instance.qrFailed()
  await settle()
  expect(licence.querySelectorAll('.qr')).toHaveLength(0)
  expect(texts(licence, '.error')).toEqual(['网络不给力，请稍后再试'])
  licence.detach()
})
