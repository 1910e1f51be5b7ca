// End to end through the PAGES: the mini-program's real pages, rendered by miniprogram-simulate,
// tapped and typed into through their WXML bindings, against a running backend and its
// stand-ins over real HTTP (wx = e2e/wx-node.js). Each step checks what the page shows.
//
//   search → guide → login + real-name binding → apply (form, uploads) → subscribe → submit →
//   supplement asked by the department → supplement page uploads → pay → rate → wallet → 亮证
//   an in-hall item → its hall → a slot booked → my bookings; a 12345 complaint → my tickets
//
// Run by tests/miniprogram/test_e2e.py (which starts everything); by hand:
//   HANDHELD_API_URL=… HANDHELD_WECHAT_URL=… HANDHELD_PROVINCIAL_URL=… HANDHELD_WECHATPAY_URL=…
//   HANDHELD_HOTLINE_URL=… E2E_PLATFORM_USER=… E2E_PLATFORM_PASSWORD=… npx jest -c e2e/jest.config.js
// E2E_REPORT names a file for a JSON account of the run. Without HANDHELD_API_URL every step is
// skipped (and says so).
const crypto = require('crypto')
const fs = require('fs')
const standins = require('./standins')
const { createWx } = require('./wx-node')

const env = process.env
const urls = standins.endpoints(env)
const LIVE = Boolean(urls.api)
const APPLY_ITEM = env.E2E_PAGES_ITEM || '居民身份证补领（丢失补领）' // charged, issues an SFZ e-licence
const HALL_ITEM = env.E2E_HALL_ITEM || '居民身份证换领' // in_hall: finished at a hall
const REVIEW = '办理很快，网上就办好了'
const citizen = { username: env.E2E_PLATFORM_USER, password: env.E2E_PLATFORM_PASSWORD }

if (!LIVE) {
  console.warn(
    'e2e/pages.test.js: HANDHELD_API_URL is not set, so the page-driven end-to-end run is skipped. ' +
      'It needs a running backend and stand-ins: run `pytest tests/miniprogram/test_e2e.py` (starts them) ' +
      'or set the variables listed at the top of this file.',
  )
}

// What WeChat itself does on the phone, and the phone's page stack.
let phone
let nextFile = null
const report = { uploads: [], subscribed: [], paid: [], toasts: [] }
const hooks = {
  login: () => standins.wechatCode(urls.wechat, env.E2E_WECHAT_USER || `wx-${crypto.randomBytes(6).toString('hex')}`),
  subscribe: (tmplIds) => {
    report.subscribed.push(tmplIds)
    return Object.fromEntries(tmplIds.map((id) => [id, 'accept']))
  },
  requestPayment: async (params) => report.paid.push(await standins.cashier(urls.wechatpay, params)),
  chooseFile: () => {
    const file = nextFile
    nextFile = null
    return file
  },
  toast: (title) => report.toasts.push(title),
  navigate: (kind, options) => phone.navigate(kind, options),
  contentTypeOf: (name) => require('../utils/api').contentTypeOf(name),
}

const describeLive = LIVE ? describe : describe.skip

describeLive('the mini-program pages against the live backend', () => {
  let t
  let yuan
  let session
  const state = {}

  beforeAll(() => {
    global.wx = createWx(hooks)
    require('../config').baseUrl = urls.api
    // (miniprogram-simulate copies wx into its own object when a page is first rendered.)
    const { Phone } = require('./phone')
    phone = new Phone()
    t = require('../i18n/index').t
    yuan = require('../utils/format').yuan
    session = require('../utils/session')
  })

  afterAll(() => {
    if (phone) phone.shut()
  })

  afterEach(() => {
    expect(phone.errors).toEqual([])
  })

  // Home: type the query, tap 搜索, tap the result: the item's guide.
  async function findItem(name) {
    await phone.launch('/pages/home/index')
    phone.type(phone.node('.search .input'), name)
    phone.tap('#search')
    await phone.arrive('pages/items/index')
    expect(phone.text('.heading .title')).toBe(t('items.searchTitle', { q: name }))
    await phone.until(`the result ${name}`, () => phone.texts('.result .text').includes(name))
    phone.tap('.result', phone.texts('.result .text').indexOf(name))
    await phone.arrive('pages/item/index')
    await phone.until('the guide', () => phone.texts('.title')[0] === name)
  }

  // A material row: the file the picker hands over, the tap on 上传, the row saying so.
  async function upload(code) {
    const row = phone.page.comp.data.materials.find((m) => m.code === code)
    nextFile = standins.sampleFile({ code, formats: row.formats.split('、') })
    const index = phone.page.comp.data.materials.indexOf(row)
    const file = nextFile
    phone.tap('.material .upload', index)
    await phone.until(`${row.name} uploaded`, () => {
      const now = phone.page.comp.data.materials.find((m) => m.code === code)
      return now.done && !now.uploading && !now.problem
    })
    // The row names the file picked, as the backend now holds it.
    expect(phone.texts('.material')[index]).toContain(t('apply.uploaded', { name: file.name }))
    expect(phone.texts('.section.error')).toEqual([])
    report.uploads.push({ code, name: file.name, size: file.size })
  }

  async function stateShown(label) {
    await phone.refreshUntil(`state ${label}`, () => phone.texts('.tag.state')[0] === label)
  }

  test('search → guide: the query typed on home, the result tapped, the guide shown', async () => {
    await findItem(APPLY_ITEM)
    const item = phone.page.comp.data.item
    state.itemCode = item.code
    expect(phone.texts('.materials .material .text').length).toBe(item.guide.materials.length)
    expect(phone.texts('.materials .material .text')).toEqual(item.guide.materials.map((m) => m.name))
    const fee = item.guide.fee.items[0]
    expect(phone.texts('.fee')).toContain(`${fee.name}：${t('common.yuan', { amount: yuan(fee.amountFen) })}`)
    expect(phone.texts('.apply')).toEqual([t('item.apply')])
  })

  test('apply while signed out: WeChat login, real-name binding in the web-view, back to apply', async () => {
    phone.tap('.apply')
    await phone.arrive('pages/login/index')
    phone.tap('.login')
    await phone.until('the binding step', () => phone.nodes('.bind').length === 1)
    expect(phone.text('.title')).toBe(t('login.bindTitle'))
    phone.tap('.bind')
    await phone.arrive('pages/bind/index')
    // The web-view: the platform's sign-in page; its redirect lands on our H5 return page,
    // which hands code and state back with wx.miniProgram.redirectTo.
    const authorizeUrl = decodeURIComponent(phone.page.query.url)
    expect(phone.page.comp.data.url).toBe(authorizeUrl)
    const back = await standins.platformSignIn(urls.provincial, authorizeUrl, citizen)
    const code = encodeURIComponent(back.code)
    const sso = encodeURIComponent(back.state)
    await phone.navigate('redirectTo', { url: `/pages/bind-return/index?code=${code}&state=${sso}` })
    // bind-return finishes the binding and goes where the citizen was going: the application.
    await phone.arrive('pages/apply/index')
    expect(session.get().citizen.realNameBound).toBe(true)
    expect(phone.visited.slice(-5)).toEqual([
      'pages/item/index',
      'pages/login/index',
      'pages/bind/index',
      'pages/bind-return/index',
      'pages/apply/index',
    ])
  })

  test('apply: the form filled through its inputs and pickers, every material uploaded, submitted', async () => {
    await phone.until('the draft', () => phone.texts('.section .title')[0] === APPLY_ITEM)
    const detail = phone.page.comp.data.detail
    expect(detail.state).toBe('draft')
    state.declarationId = detail.id
    expect(phone.text('.muted')).toContain(detail.prefill.name)

    // Each field's control (input, textarea, picker) by the data-key its binding reads.
    const controls = {}
    phone.nodes('.field > .input').concat(phone.nodes('.field > .tap')).forEach((n) => {
      controls[n.dom.getAttribute('data-key')] = n
    })
    phone.page.comp.data.fields.forEach((field) => {
      if (!field.required || field.value) return
      const value = standins.sampleValue(field)
      const control = controls[field.key]
      if (field.type === 'select') phone.pick(control, String(field.options.indexOf(value)))
      else if (field.type === 'date') phone.pick(control, value)
      else phone.type(control, String(value))
    })
    // (Events reach their handlers a tick later, as in WeChat.)
    const unfilled = () => phone.page.comp.data.fields.filter((f) => f.required && f.value === '')
    await phone.until('the form filled', () => unfilled().length === 0)
    expect(phone.texts('.field-error')).toEqual([])

    for (const m of phone.page.comp.data.materials) await upload(m.code)

    phone.tap('.submit')
    await phone.arrive('pages/declaration/index')
    // The subscribe popup came first, inside the tap, for both templates.
    expect(report.subscribed).toEqual([['TPL_PROGRESS', 'TPL_RESULT']])
    expect(phone.texts('.title')[0]).toBe(APPLY_ITEM)
    await stateShown(t('state.submitted'))
    await phone.refreshUntil('the case number', () => Boolean(phone.page.comp.data.detail.caseNumber))
    state.caseNumber = phone.page.comp.data.detail.caseNumber
    expect(phone.texts('.muted')).toContain(t('declarations.caseNumber', { number: state.caseNumber }))
  })

  test('supplement: the department asks for one material again; the supplement page uploads it', async () => {
    const photo = phone.page.comp.data.detail.materials[phone.page.comp.data.detail.materials.length - 1]
    const problem = '照片背景不是白色，请重新上传'
    await standins.advanceCase(urls.provincial, state.caseNumber, 'needs_supplement', {
      supplementItems: [{ materialCode: photo.code, problem }],
    })
    await stateShown(t('state.needs_supplement'))
    expect(phone.texts('.supplement-item')).toEqual([`· ${photo.name}：${problem}`])

    phone.tap('.btn.supplement')
    await phone.arrive('pages/apply/index')
    await phone.until('the supplement page', () => phone.page.comp.data.supplementMode)
    expect(phone.nodes('.section.form')).toHaveLength(0) // only the materials, not the form
    const index = phone.page.comp.data.materials.findIndex((m) => m.code === photo.code)
    expect(phone.texts('.material')[index]).toContain(t('apply.needsReplacement', { problem }))
    expect(phone.texts('.submit')).toEqual([t('declarations.resubmit')])
    await upload(photo.code)

    phone.tap('.submit')
    await phone.arrive('pages/declaration/index')
    await stateShown(t('state.submitted'))
    expect(phone.nodes('.btn.supplement')).toHaveLength(0)
    state.supplemented = photo.code
  })

  test('pay: the fee notice paid in the WeChat Pay cashier; the page says paid, with a receipt', async () => {
    await standins.advanceCase(urls.provincial, state.caseNumber, 'accepted')
    await stateShown(t('state.accepted'))
    phone.tap('.btn.pay')
    await phone.arrive('pages/pay/index')
    await phone.refreshUntil('the fee notice', () => phone.nodes('.notice .pay').length === 1)
    const notice = phone.page.comp.data.notices[0]
    expect(phone.texts('.notice .text')[0]).toBe(APPLY_ITEM)
    expect(phone.texts('.amount')).toEqual([notice.amount])
    expect(notice.amount).toBe(t('pay.amount', { amount: yuan(4000) }))

    phone.tap('.notice .pay')
    await phone.until('paid', () => phone.text('.message') === t('pay.paid'), { timeoutMs: 60000 })
    expect(report.paid).toHaveLength(1)
    await phone.refreshUntil('the receipt', () => phone.nodes('.receipt').length === 1)
    expect(phone.texts('.notice .tag')).toEqual([t('pay.notice.paid')])
    expect(phone.nodes('.notice .pay')).toHaveLength(0)
  })

  test('rate: the finished case rated on the rate page; my review listed', async () => {
    await standins.advanceCase(urls.provincial, state.caseNumber, 'processing')
    await standins.advanceCase(urls.provincial, state.caseNumber, 'completed')
    await phone.navigate('navigateBack', {})
    expect(phone.route).toBe('pages/declaration/index')
    await stateShown(t('state.completed'))
    phone.tap('.btn.rate')
    await phone.arrive('pages/rate/index')
    await phone.until('the levels', () => phone.nodes('.level').length === 5)
    phone.tap('.level', 0) // the best level comes first
    await phone.until('the indicators', () => phone.nodes('.star').length === 25)
    if (phone.nodes('.tag-choice').length) phone.tap('.tag-choice', 0)
    phone.type(phone.node('.section .input'), REVIEW)
    phone.tap('.submit')
    await phone.until('thanks', () => phone.text('.done') === t('rate.done'))
    // Opened again: one rating per channel, mine in the history.
    await phone.navigate('redirectTo', { url: `/pages/rate/index?id=${state.declarationId}` })
    await phone.until('my review', () => phone.nodes('.review').length === 1)
    expect(phone.text('.review')).toContain(REVIEW)
    expect(phone.nodes('.level')).toHaveLength(0)
  })

  test('wallet shows the e-licence the case issued; 亮证 shows a code with its countdown', async () => {
    await phone.launch('/pages/home/index')
    phone.tap('.shortcut.wallet')
    await phone.arrive('pages/wallet/index')
    const name = '居民身份证'
    await phone.refreshUntil('the e-licence', () =>
      phone.page.comp.data.licences.some((l) => l.name === name && l.usable && l.status),
    )
    const index = phone.page.comp.data.licences.findIndex((l) => l.name === name && l.usable)
    expect(phone.texts('.licence .text')[index]).toBe(name)
    phone.tap('.licence', index)
    await phone.arrive('pages/licence/index')
    await phone.until('the licence', () => phone.texts('.title')[0] === name)
    expect(phone.nodes('.qr')).toHaveLength(0)
    phone.tap('.show')
    await phone.until('the code', () => phone.nodes('.qr').length === 1)
    const qr = phone.node('.qr')
    expect(qr.dom.getAttribute('src') || phone.page.comp.data.qrUrl).toBeTruthy()
    expect(phone.page.comp.data.qrUrl).toMatch(/^(data:image\/svg\+xml|https?:)/)
    const [before, after] = t('wallet.code', { seconds: '\u0000' }).split('\u0000')
    const countdown = phone.text('.countdown')
    expect(countdown.startsWith(before) && countdown.endsWith(after)).toBe(true)
    expect(Number(countdown.slice(before.length, countdown.length - after.length))).toBeGreaterThan(0)
    expect(phone.texts('.show')).toEqual([t('wallet.refresh')])
  })

  test('in hall: the item’s hall opened from its guide, a slot booked, listed in my bookings', async () => {
    await findItem(HALL_ITEM)
    await phone.until('the halls of the item', () => phone.nodes('.halls .hall').length > 0)
    const hallName = phone.texts('.halls .hall .text')[0]
    phone.tap('.halls .hall', 0)
    await phone.arrive('pages/hall/index')
    await phone.until('the hall', () => phone.texts('.title')[0] === hallName)
    phone.tap('.btn.book')
    await phone.arrive('pages/book/index')
    await phone.until('the slots', () => phone.page.comp.data.slots.some((s) => !s.full))
    expect(phone.texts('.section .title')[0]).toBe(HALL_ITEM)
    const { slots, days, day } = phone.page.comp.data
    const slot = slots.findIndex((s) => !s.full)
    phone.tap('.slot', slot)
    await phone.until('the slot chosen', () => phone.page.comp.data.chosen === slots[slot].start)
    phone.tap('.confirm')
    await phone.arrive('pages/appointments/index')
    await phone.until('my booking', () => phone.nodes('.appointment').length > 0)
    const when = `${days[day].date} ${slots[slot].start}-${slots[slot].end}`
    const booked = phone.page.comp.data.items.findIndex((a) => a.when === when)
    expect(booked).toBeGreaterThanOrEqual(0)
    state.booking = { id: phone.page.comp.data.items[booked].id, date: days[day].date, start: slots[slot].start }
    expect(phone.texts('.appointment .title')[booked]).toBe(HALL_ITEM)
    expect(phone.texts('.appointment .hall')[booked]).toBe(hallName)
    expect(phone.texts('.appointment .status')[booked]).toBe(t('appointments.status.booked'))
    // My bookings from home lists it too.
    await phone.launch('/pages/home/index')
    phone.tap('.shortcut.appointments')
    await phone.arrive('pages/appointments/index')
    await phone.until('my bookings', () => phone.texts('.appointment .when').includes(when))
  })

  test('12345: a complaint about the item filed from its guide; answered; my tickets show it', async () => {
    await findItem(HALL_ITEM)
    phone.tap('.btn.hotline')
    await phone.arrive('pages/hotline/index')
    expect(phone.text('.about')).toBe(t('hotline.about', { name: HALL_ITEM }))
    const kinds = phone.page.comp.data.kinds.map((k) => k.kind)
    phone.tap('.kind', kinds.indexOf('complaint'))
    const title = `预约后窗口不受理 ${crypto.randomBytes(3).toString('hex')}`
    phone.type(phone.node('.title-input'), title)
    phone.type(phone.node('.content-input'), '按预约时间到大厅，窗口称系统未收到预约。')
    phone.tap('.submit')
    await phone.arrive('pages/hotline-tickets/index')
    await phone.until('the ticket', () => phone.texts('.detail .title')[0] === title)
    expect(phone.page.comp.data.ticket.kind).toBe(t('hotline.kind.complaint'))
    // 12345 takes it (a ticket number), its operators answer; the page shows the reply.
    await phone.refreshUntil('the ticket number', () => Boolean(phone.text('.number')))
    const number = phone.page.comp.data.ticket.number.replace(t('tickets.number', { number: '' }), '')
    state.ticket = { id: phone.page.comp.data.ticket.id, title, number: number.trim() }
    await standins.answerTicket(urls.hotline, number.trim(), '已联系大厅核实，已为您重新安排受理。')
    await phone.refreshUntil('the reply', () => phone.text('.reply-text') === '已联系大厅核实，已为您重新安排受理。')

    await phone.launch('/pages/home/index')
    phone.tap('.shortcut.hotline')
    await phone.arrive('pages/hotline-tickets/index')
    await phone.until('my tickets', () => phone.texts('.ticket-row .title').includes(title))
    const row = phone.texts('.ticket-row .title').indexOf(title)
    expect(phone.texts('.ticket-row')[row]).toContain(t('hotline.kind.complaint'))
  })

  afterAll(() => {
    // For the pytest wrapper: what the run did, for its checks of the database.
    if (env.E2E_REPORT) fs.writeFileSync(env.E2E_REPORT, JSON.stringify({ ...state, ...report, visited: phone.visited }))
  })
})

if (!LIVE) {
  test.skip('page-driven end to end (HANDHELD_API_URL unset: no live backend)', () => {})
}
