// The 12345 pages: ask/complain (the form), my tickets (list, one ticket's reply and timeline,
// rating the reply), fed the backend's recorded answers.
const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded, recording, replay } = require('../helpers/recorded')
const { t } = require('../../i18n/index')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  require('../../utils/session').save(recorded('auth.sso-complete'))
})

test('ask/complain: every problem before any call, one key per tap, the ticket opened after', async () => {
  const { render, texts } = require('../helpers/render')
  const created = recorded('hotline.create')
  const sent = []
  fake.route('POST', '/api/v1/hotline/tickets', (req) => {
    sent.push(req)
    return sent.length === 1 ? { status: 503, body: { code: 'SERVICE_UNAVAILABLE', title: '服务暂不可用，请稍后再试' } } : created
  })
  const page = render('pages/hotline/index')
  page.instance.onLoad({ itemCode: encodeURIComponent(created.itemCode), name: encodeURIComponent(created.itemName), kind: 'complaint' })
  await settle()
  expect(texts(page, '.kind')).toEqual(['咨询', '投诉', '建议'])
  expect(page.querySelectorAll('.kind.btn-primary').map((n) => n.dom.textContent.trim())).toEqual(['投诉'])
  expect(texts(page, '.about')).toEqual([t('hotline.about', { name: created.itemName })])

  // Nothing written: refused here, nothing sent.
  expect(await page.instance.submit()).toBe(false)
  await settle()
  expect(texts(page, '.error')).toEqual([t('hotline.needTitle')])
  page.instance.onTitle({ detail: { value: created.title } })
  expect(await page.instance.submit()).toBe(false)
  await settle()
  expect(texts(page, '.error')).toEqual([t('hotline.needContent')])
  expect(sent).toHaveLength(0)

  // The first try fails (503), the retry of the same tap carries the same key.
  page.instance.onContent({ detail: { value: created.content } })
  expect(await page.instance.submit()).toBe(false)
  expect(await page.instance.submit()).toBe(true)
  expect(sent).toHaveLength(2)
  expect(sent[0].header['Idempotency-Key']).toBe(sent[1].header['Idempotency-Key'])
  expect(sent[1].data).toEqual({ kind: 'complaint', title: created.title, content: created.content, itemCode: created.itemCode })
  expect(fake.calls.navigate).toEqual([`/pages/hotline-tickets/index?id=${created.id}`])
  expect(fake.calls.toast).toContain(t('hotline.submitted'))
})

test('ask/complain: a complaint about a rectification stays a complaint and says so', async () => {
  const { render, texts } = require('../helpers/render')
  const sent = []
  fake.route('POST', '/api/v1/hotline/tickets', (req) => {
    sent.push(req.data)
    return recorded('hotline.create')
  })
  const page = render('pages/hotline/index')
  page.instance.onLoad({ declarationId: 'd-1', rectification: '1' })
  page.instance.chooseKind({ currentTarget: { dataset: { kind: 'suggestion' } } })
  await settle()
  expect(page.querySelectorAll('.kind.btn-primary').map((n) => n.dom.textContent.trim())).toEqual(['投诉'])
  expect(texts(page, '.rectification')).toEqual([t('hotline.aboutRectification')])
  page.instance.onTitle({ detail: { value: '整改不到位' } })
  page.instance.onContent({ detail: { value: '无人回访' } })
  await page.instance.submit()
  expect(sent).toEqual([{ kind: 'complaint', title: '整改不到位', content: '无人回访', declarationId: 'd-1', aboutRectification: true }])
})

test('my tickets: the list opens a ticket', async () => {
  const { render, texts } = require('../helpers/render')
  const list = replay(fake, 'hotline.list')
  const page = render('pages/hotline-tickets/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.ticket-row .title')).toEqual(list.items.map((x) => x.title))
  expect(texts(page, '.ticket-row .state')).toEqual(list.items.map((x) => x.stateLabel))
  page.querySelector('.ticket-row').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/hotline-tickets/index?id=${list.items[0].id}`])
})

test('my tickets: a ticket with its reply, timeline newest first, rated once', async () => {
  const { render, texts } = require('../helpers/render')
  let current = recording('hotline.detail').body
  const rated = recorded('hotline.rate')
  fake.route('GET', recording('hotline.detail').path, () => current)
  const ratings = []
  fake.route('POST', recording('hotline.rate').path, (req) => {
    ratings.push(req.data)
    current = rated
    return rated
  })
  const one = render('pages/hotline-tickets/index')
  await one.instance.onLoad({ id: current.id })
  await settle()
  expect(texts(one, '.reply-text')).toEqual([current.reply])
  expect(texts(one, '.timeline .step')).toEqual(current.timeline.map((e) => e.label).reverse())
  expect(texts(one, '.number')).toEqual([t('tickets.number', { number: current.ticketNumber })])
  expect(texts(one, '.result')).toEqual(['满意', '基本满意', '不满意'])
  expect(one.querySelectorAll('.overdue')).toHaveLength(0)

  one.instance.onComment({ detail: { value: ' 处理及时 ' } })
  expect(await one.instance.rate({ currentTarget: { dataset: { result: 'satisfied' } } })).toBe(true)
  await settle()
  expect(ratings).toEqual([{ result: 'satisfied', comment: '处理及时' }])
  expect(one.querySelectorAll('.rate')).toHaveLength(0)
  expect(texts(one, '.rated')).toEqual([t('tickets.rated', { label: rated.satisfactionLabel })])
})

test('my tickets: an overdue ticket is marked, and nothing yet says so', async () => {
  const { render, texts } = require('../helpers/render')
  replay(fake, 'hotline.list', (body) => {
    body.items[0].overdue = true
  })
  const page = render('pages/hotline-tickets/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.overdue')).toEqual([t('tickets.overdue')])
  fake.route('GET', '/api/v1/hotline/tickets', () => ({ items: [], total: 0 }))
  await page.instance.load()
  await settle()
  expect(texts(page.querySelector('.list-state'), '.state-empty .text')).toEqual([t('tickets.empty')])
})

test('entry points: a declaration asks about itself; a rectification can be complained about', async () => {
  const { render, texts } = require('../helpers/render')
  const d = replay(fake, 'declaration.completed')
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: d.id })
  await settle()
  page.querySelector('.hotline').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/hotline/index?declarationId=${d.id}&name=${encodeURIComponent(d.itemName)}`])

  replay(fake, 'reviews.tags')
  const open = replay(fake, 'reviews.open', (body) => {
    body.ticket = { status: 'resolved', outcome: 'rectified', note: '已整改', dueOn: '2026-11-05', dueProvisional: false, resolvedAt: '2026-11-04T02:00:00Z' }
  })
  const rate = render('pages/rate/index')
  await rate.instance.onLoad({ id: open.declarationId })
  await settle()
  expect(texts(rate, '.complain')).toEqual([t('rate.rectificationComplaint')])
  rate.querySelector('.complain').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate[1]).toBe(`/pages/hotline/index?declarationId=${open.declarationId}&rectification=1`)
})
