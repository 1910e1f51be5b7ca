const fs = require('fs')
const path = require('path')
const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded, recording, replay } = require('../helpers/recorded')
const { t } = require('../../i18n/index')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  // Signed in and bound to a real name, as the backend answers the binding.
  require('../../utils/session').save(recorded('auth.sso-complete'))
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


// Every page below is fed the backend's recorded answers (tests/helpers/recorded.js).

test('apply: a draft continued, its progress bar, every error at once, subscriptions before submit', async () => {
  const { render, texts } = require('../helpers/render')
  let current = recorded('declaration.create')
  replay(fake, 'declarations.drafts')
  fake.route('GET', `/api/v1/declarations/${current.id}`, () => current)
  fake.route('PATCH', `/api/v1/declarations/${current.id}`, (req) => {
    current = { ...current, formData: req.data.formData }
    return current
  })
  const page = render('pages/apply/index')
  // The open draft of the same item is continued (matched on the list's itemCode).
  await page.instance.onLoad({ code: current.itemCode })
  await settle()
  expect(fake.calls.request.map((r) => `${r.method} ${r.path}`)).toEqual([
    'GET /api/v1/declarations',
    `GET /api/v1/declarations/${current.id}`,
  ])
  const { prefill } = current
  expect(texts(page, '.muted')[0]).toBe(t('apply.applicant', { name: prefill.name, idNumber: prefill.idNumber }))
  const labels = texts(page, '.field .text').filter(Boolean) // (the inputs carry .text too)
  expect(labels.map((x) => x.replace(/\*$/, ''))).toEqual(current.form.map((f) => f.label))

  // Nothing filled: every problem listed, no call to submit, no popup.
  await page.instance.submit()
  await settle()
  expect(texts(page, '.messages .error')).toEqual(['请填写领证派出所', '请填写申请事由', '请填写结果领取方式', '请上传“户籍证明”'])
  expect(fake.calls.subscribe).toHaveLength(0)

  // Upload with progress: the bar is there while it runs and shows the percentage.
  const material = current.materials[0]
  let release
  // An upload held at 40% until released. (miniprogram-simulate copies wx into its own
  // object: patch the global one.)
  global.wx.uploadFile = (opts) => {
    const listeners = []
    release = () => {
      current = { ...recorded('declaration.draft'), formData: current.formData }
      listeners.forEach((fn) => fn({ progress: 100, totalBytesSent: 100, totalBytesExpectedToSend: 100 }))
      opts.success({ statusCode: 200, data: JSON.stringify(recorded('material.upload')) })
    }
    setTimeout(() => listeners.forEach((fn) => fn({ progress: 40, totalBytesSent: 40, totalBytesExpectedToSend: 100 })), 0)
    return { onProgressUpdate: (fn) => listeners.push(fn) }
  }
  fake.answers.file = { path: '/tmp/hukou.pdf', name: 'hukou.pdf', size: 2048 }
  const uploading = page.instance.upload({ currentTarget: { dataset: { code: material.code } } })
  await settle()
  const bar = page.querySelector('.progress')
  expect(texts(bar, '.label')).toEqual(['上传中 40%'])
  const fill = bar.querySelector('.fill')
  expect(fill.dom.getAttribute('style')).toMatch(/width:\s*40%/)
  release()
  await uploading
  await settle()
  expect(page.querySelectorAll('.progress')).toHaveLength(0)
  const uploaded = current.materials[0].file.displayName
  expect(texts(page, '.status')).toEqual([t('apply.uploaded', { name: uploaded })])

  // A file of the wrong type is refused before any upload.
  fake.answers.file = { path: '/tmp/x.png', name: 'x.png', size: 10 }
  await page.instance.upload({ currentTarget: { dataset: { code: material.code } } })
  await settle()
  expect(texts(page, '.section.error')).toEqual(['“户籍证明”仅支持 pdf 格式'])

  const field = (key, type, value) => page.instance.onField({ currentTarget: { dataset: { key, type } }, detail: { value } })
  field('pickupStation', 'text', '城关派出所')
  field('reason', 'textarea', '身份证丢失，临时乘车')
  field('deliveryMethod', 'select', '0')
  const keys = []
  replay(fake, 'push.subscriptions')
  const submitted = recorded('declaration.submit')
  fake.route('POST', `/api/v1/declarations/${current.id}/submit`, (req) => {
    keys.push(req.header['Idempotency-Key'])
    return keys.length === 1 ? { status: 503, body: { code: 'PLATFORM_UNAVAILABLE', title: '暂不可用' } } : submitted
  })
  expect(await page.instance.submit()).toBe(false)
  expect(await page.instance.submit()).toBe(true)
  expect(fake.calls.subscribe[0]).toEqual(['TPL_PROGRESS', 'TPL_RESULT'])
  expect(keys[0]).toBe(keys[1]) // the retry of the tap is the same submission
  const order = fake.calls.request.map((r) => `${r.method} ${r.path}`)
  expect(order.indexOf('POST /api/v1/push/subscriptions')).toBeLessThan(order.indexOf(`POST /api/v1/declarations/${current.id}/submit`))
  expect(current.formData).toEqual({ pickupStation: '城关派出所', reason: '身份证丢失，临时乘车', deliveryMethod: '窗口领取' })
  expect(fake.calls.navigate).toContain(`/pages/declaration/index?id=${submitted.id}`)
})

test('declaration: the supplement notice lists each material by name with its problem', async () => {
  const { render, texts } = require('../helpers/render')
  const d = replay(fake, 'declaration.needs_supplement')
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: d.id })
  await settle()
  expect(texts(page, '.supplement .text')).toEqual([
    d.supplement.notice,
    '· 本人银行卡或社会保障卡（金融账户）：银行卡照片模糊，请重新上传清晰照片',
    '· 房屋租赁合同：租房合同缺少出租人签字页',
  ])
  // Newest first; the platform's reasons shown.
  const timeline = page.querySelector('.timeline')
  expect(texts(timeline, '.state')).toEqual(['待补正', '已提交', '已提交', '草稿'])
  expect(texts(timeline, '.reason')).toEqual(d.timeline.filter((e) => e.reason).map((e) => e.reason).reverse())
  expect(texts(page, '.muted')[0]).toBe(t('declarations.caseNumber', { number: d.caseNumber }))
  page.querySelector('.supplement.btn').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/apply/index?id=${d.id}`])
})

test('declaration: a supplement answered is no longer shown as one to answer', async () => {
  const { render } = require('../helpers/render')
  // The backend keeps the notice on the declaration once answered (its history).
  const d = { ...recorded('declaration.needs_supplement'), state: 'submitted' }
  fake.route('GET', `/api/v1/declarations/${d.id}`, d)
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: d.id })
  await settle()
  expect(d.supplement).toBeTruthy()
  expect(page.querySelectorAll('.section.supplement')).toHaveLength(0)
  expect(page.querySelectorAll('.btn.supplement')).toHaveLength(0)
})

test.each([
  ['declaration.submitted', '已提交', ['withdraw']],
  ['declaration.accepted', '已受理', ['pay']],
  ['declaration.processing', '审批中', ['pay']],
  ['declaration.completed', '已办结', ['pay', 'rate']],
  ['declaration.withdraw', '已撤回', []],
])('declaration: %s shows its state, case number, due date and the actions it allows', async (name, state, actions) => {
  const { render, texts } = require('../helpers/render')
  const d = recorded(name)
  fake.route('GET', `/api/v1/declarations/${d.id}`, d)
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: d.id })
  await settle()
  expect(texts(page, '.state')[0]).toBe(state)
  expect(texts(page, '.title')[0]).toBe(d.itemName)
  const muted = texts(page, '.muted')
  if (d.caseNumber) expect(muted).toContain(t('declarations.caseNumber', { number: d.caseNumber }))
  // A deadline in a year whose official calendar is not out yet is shown as provisional.
  const due = d.promisedDueProvisional ? 'declarations.dueProvisional' : 'declarations.due'
  if (d.promisedDue) expect(muted).toContain(t(due, { date: d.promisedDue }))
  expect(page.querySelectorAll('.supplement')).toHaveLength(0)
  const shown = ['supplement', 'pay', 'rate', 'withdraw'].filter((a) => page.querySelectorAll(`.btn.${a}`).length)
  expect(shown).toEqual(actions)
})

test('declarations: every declaration with its name, state and case number; a tap opens it', async () => {
  const { render, texts } = require('../helpers/render')
  const list = replay(fake, 'declarations.list')
  const page = render('pages/declarations/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.declaration .text')).toEqual(list.items.map((d) => d.itemName))
  expect(texts(page, '.declaration .state')).toEqual(list.items.map((d) => t(`state.${d.state}`)))
  expect(texts(page, '.declaration .state')).toEqual(['已撤回', '已受理', '待补正', '已办结', '已办结'])
  const cases = texts(page, '.declaration .muted')
  list.items.forEach((d, i) => {
    if (d.caseNumber) expect(cases[i]).toContain(t('declarations.caseNumber', { number: d.caseNumber }))
  })
  page.querySelectorAll('.declaration')[1].dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/declaration/index?id=${list.items[1].id}`])
})

test('inbox: messages with their text and the unread count; opening one marks it read and follows its link', async () => {
  const { render, texts } = require('../helpers/render')
  const box = replay(fake, 'inbox')
  const read = recording('inbox.read')
  const marked = []
  fake.route('POST', /^\/api\/v1\/inbox\/[^/]+\/read$/, (req) => {
    marked.push(req.path)
    return { status: read.status, body: read.body }
  })
  const page = render('pages/inbox/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.message .title')).toEqual(box.items.map((m) => m.title))
  expect(texts(page, '.message .text')).toEqual(box.items.map((m) => m.body))
  expect(texts(page, '.unread')).toEqual([t('inbox.unread', { n: box.unread })])
  expect(texts(page, '.message .title')).toContain('请补正材料')
  const index = box.items.findIndex((m) => m.link && m.link.startsWith('/pages/declaration/'))
  const linked = box.items[index]
  page.querySelectorAll('.message')[index].dispatchEvent('tap')
  await settle()
  expect(marked).toEqual([`/api/v1/inbox/${linked.id}/read`])
  expect(fake.calls.navigate).toEqual([linked.link])
})

test('item: the guide with its materials, limits and fee; apply opens the form', async () => {
  const { render, texts } = require('../helpers/render')
  const item = replay(fake, 'item.detail')
  const page = render('pages/item/index')
  await page.instance.onLoad({ code: item.code })
  await settle()
  expect(texts(page, '.title')[0]).toBe('临时居民身份证申领')
  expect(texts(page, '.tag').slice(0, 3)).toEqual(['承诺件', '网上预审', t('item.visits', { n: item.guide.visitsRequired })])
  expect(texts(page, '.materials .material > .text')).toEqual(['户籍证明'])
  expect(texts(page, '.fee')).toEqual(['临时居民身份证工本费：10.00 元'])
  expect(page.querySelectorAll('.suspended')).toHaveLength(0)
  page.querySelector('.apply').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/apply/index?code=${encodeURIComponent(item.code)}`])
})

test('declaration: a promised date counted before the holiday notice is marked provisional', async () => {
  const { render } = require('../helpers/render')
  fake.route('GET', '/api/v1/declarations/d1', {
    ...recorded('declaration.draft'),
    id: 'd1', state: 'accepted', caseNumber: 'XL1', promisedDue: '2027-01-04', promisedDueProvisional: true,
  })
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: 'd1' })
  await settle()
  expect(page.instance.data.due).toMatch(/2027.*（暂定）$/)
  fake.route('GET', '/api/v1/declarations/d1', {
    ...recorded('declaration.draft'),
    id: 'd1', state: 'accepted', caseNumber: 'XL1', promisedDue: '2027-01-04', promisedDueProvisional: false,
  })
  await page.instance.load()
  await settle()
  expect(page.instance.data.due).not.toMatch(/暂定/)
})

test('pay: the notice of the case, the popup, then the cashier with the API parameters', async () => {
  const { render, texts } = require('../helpers/render')
  const unpaid = recorded('payments.notices')
  const settled = recorded('payments.notices-paid')
  const declarationId = unpaid.items[0].declarationId
  let paid = false
  fake.route('GET', '/api/v1/payments/notices', (req) => {
    const q = new URL(req.url).searchParams
    expect([q.get('status'), q.get('declarationId')]).toEqual(['all', declarationId])
    return paid ? settled : unpaid
  })
  const created = replay(fake, 'payments.order-created')
  fake.route('GET', `/api/v1/payments/orders/${created.id}`, () => {
    paid = true
    return recorded('payments.order-paid')
  })
  replay(fake, 'push.subscriptions')
  fake.answers.subscribe = { TPL_RESULT: 'accept' }
  const page = render('pages/pay/index')
  await page.instance.onLoad({ declarationId })
  await settle()
  expect(texts(page, '.notice .text')[0]).toBe(unpaid.items[0].itemName)
  expect(texts(page, '.amount')).toEqual(['金额：10.00 元'])
  expect(texts(page, '.notice .muted')[0]).toBe(t('pay.noticeNumber', { number: unpaid.items[0].noticeNumber }))
  await page.instance.pay({ currentTarget: { dataset: { id: unpaid.items[0].id } } })
  await settle()
  expect(fake.calls.subscribe).toEqual([['TPL_RESULT']])
  expect(fake.calls.payment[0].package).toBe(created.payParams.package)
  expect(texts(page, '.message')).toEqual(['支付成功'])
  expect(texts(page, '.receipt')).toEqual([`电子票据 ${t('pay.receiptNumber', { number: settled.items[0].receipt.receiptNumber })}`])
  expect(page.querySelectorAll('.pay')).toHaveLength(0)
})

test('rate: five levels, indicators start at the level, bad tags for a bad level', async () => {
  const { render, texts } = require('../helpers/render')
  const catalogue = replay(fake, 'reviews.tags')
  const open = replay(fake, 'reviews.open')
  const create = recording('reviews.create')
  let sent
  fake.route(create.method, create.path, (req) => {
    sent = req.data
    return create.body
  })
  const page = render('pages/rate/index')
  await page.instance.onLoad({ id: open.declarationId })
  await settle()
  expect(texts(page, '.level')).toEqual(['非常满意', '满意', '基本满意', '不满意', '非常不满意'])
  expect(await page.instance.submit()).toBe(false)
  expect(texts(page, '.error')).toEqual(['请选择满意程度'])

  page.instance.chooseLevel({ currentTarget: { dataset: { level: 2 } } })
  await settle()
  expect(texts(page, '.tag-choice')).toEqual(catalogue.tags.filter((x) => x.sentiment === 'bad').map((x) => x.label))
  expect(texts(page, '.tag-choice')).toContain('无故超期办理')
  page.instance.score({ currentTarget: { dataset: { key: 'efficiency', n: 1 } } })
  page.instance.toggleTag({ currentTarget: { dataset: { code: 'overdue_without_reason' } } })
  page.instance.onText({ detail: { value: '等了很久' } })
  expect(await page.instance.submit()).toBe(true)
  expect(sent).toEqual({
    level: 2,
    scores: { overall: 2, efficiency: 1, guideAccuracy: 2, convenience: 2, easeOfUse: 2 },
    tags: ['overdue_without_reason'],
    text: '等了很久',
  })
  await settle()
  expect(texts(page, '.done')).toEqual(['感谢您的评价'])
})

test('wallet and 亮证: licences, use log, a QR image drawn by the backend that expires, who checked it', async () => {
  const { render, texts } = require('../helpers/render')
  const [licence] = replay(fake, 'licences.list')
  replay(fake, 'licences.uses')
  const wallet = render('pages/wallet/index')
  await wallet.instance.onLoad()
  await settle()
  expect(texts(wallet, '.licence .text')).toEqual(['居民身份证'])
  expect(texts(wallet, '.licence .tag')).toEqual(['有效'])
  expect(texts(wallet, '.use .text')).toEqual(['居民身份证 · 公安网厅 · 办理户籍业务'])
  wallet.querySelector('.licence').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/licence/index?id=${licence.id}`])

  replay(fake, 'licences.detail')
  replay(fake, 'licences.verifications')
  // The code lives a minute from now (the recording's own time is long past).
  const code = replay(fake, 'licences.display', (b) => ({ ...b, expiresAt: new Date(Date.now() + 60000).toISOString() }))
  const page = render('pages/licence/index')
  await page.instance.onLoad({ id: licence.id })
  await settle()
  expect(texts(page, '.verification .text')).toEqual(['某酒店前台 核验通过'])
  await page.instance.show()
  await settle()
  // The symbol is an image the backend draws: its URL, made absolute, is the <image> source.
  const { baseUrl } = require('../../config')
  expect(page.instance.data.qrUrl).toBe(`${baseUrl}${code.qrUrl}`)
  expect(page.querySelectorAll('.qr')).toHaveLength(1)
  // (the simulator keeps no attributes of built-in <image>: the template binds the source)
  const wxml = fs.readFileSync(path.join(__dirname, '../../pages/licence/index.wxml'), 'utf8')
  expect(wxml).toMatch(/<image wx:if="\{\{qrUrl\}\}" class="qr" aria-label="\{\{L.wallet_qrLabel\}\}" src="\{\{qrUrl\}\}"/)
  expect(texts(page, '.countdown')[0]).toMatch(/^出示码（(59|60) 秒后失效）$/)
  page.instance.expiresAt = Date.now() - 1
  page.instance.tick()
  await settle()
  expect(texts(page, '.countdown')).toEqual(['出示码已失效，请刷新'])
  expect(page.querySelectorAll('.qr')).toHaveLength(0)
  // An image that fails to load leaves no broken symbol, and says why.
  await page.instance.show()
  await settle()
  page.instance.qrFailed()
  await settle()
  expect(page.querySelectorAll('.qr')).toHaveLength(0)
  expect(texts(page, '.error')).toEqual(['网络不给力，请稍后再试'])
  page.detach()
})
