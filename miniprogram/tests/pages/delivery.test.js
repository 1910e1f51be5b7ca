// Delivery of paper results (邮寄送达): my address book (masked, checked before any call, the
// chooser of a declaration's postal delivery), a declaration's pickup at a hall with its hours
// or postal delivery, and the waybill with its tracking. Fed the backend's recorded answers.
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

test('address book: masked entries, every problem named before any call, the saved body', async () => {
  const { render, texts } = require('../helpers/render')
  const book = replay(fake, 'addresses.list')
  const created = recorded('addresses.create')
  const sent = []
  fake.route('POST', '/api/v1/addresses', (req) => {
    sent.push(req.data)
    return created
  })
  const page = render('pages/addresses/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.address .who')[0]).toContain(book.items[0].recipient)
  expect(texts(page, '.address .who')[0]).toContain(book.items[0].phone)
  expect(texts(page, '.address .where')).toEqual(book.items.map((a) => `${a.regionName} ${a.detail}`))
  expect(texts(page, '.count')).toEqual([t('addresses.count', { total: book.total, limit: book.limit })])
  expect(page.querySelectorAll('.use')).toHaveLength(0)

  page.instance.startAdding()
  const problems = []
  const steps = [
    ['recipient', '张三', t('addresses.needRecipient')],
    ['phone', '13800138000', t('addresses.needPhone')],
    [null, null, t('addresses.needRegion')],
    ['detail', '民主东路 88 号 3 单元 501 室', t('addresses.needDetail')],
  ]
  for (const [field, value, expected] of steps) {
    expect(await page.instance.save()).toBe(false)
    problems.push(page.instance.data.error === expected)
    if (field) page.instance.onInput({ currentTarget: { dataset: { field } }, detail: { value } })
    else page.instance.onRegion({ detail: { value: ['西岭省', '金城市', '城关区'], code: ['620000', '620100', '620102'] } })
  }
  expect(problems).toEqual([true, true, true, true])
  expect(sent).toHaveLength(0)
  page.instance.onDefault({ detail: { value: true } })
  expect(await page.instance.save()).toBe(true)
  expect(sent).toEqual([
    {
      recipient: '张三',
      phone: '13800138000',
      regionCode: '620102',
      regionName: '西岭省 金城市 城关区',
      detail: '民主东路 88 号 3 单元 501 室',
      isDefault: true,
    },
  ])
  expect(fake.calls.toast).toContain(t('addresses.saved'))
})

test('address book: delete only after the confirmation', async () => {
  const { render } = require('../helpers/render')
  const book = replay(fake, 'addresses.list')
  const removed = []
  fake.route('DELETE', `/api/v1/addresses/${book.items[0].id}`, (req) => {
    removed.push(req.path)
    return { status: 204, body: undefined }
  })
  const page = render('pages/addresses/index')
  await page.instance.onLoad({})
  await settle()
  fake.answers.modal = false
  expect(await page.instance.remove({ currentTarget: { dataset: { id: book.items[0].id } } })).toBe(false)
  fake.answers.modal = true
  expect(await page.instance.remove({ currentTarget: { dataset: { id: book.items[0].id } } })).toBe(true)
  expect(removed).toHaveLength(1)
  expect(fake.calls.modal).toEqual([t('addresses.removeConfirm'), t('addresses.removeConfirm')])
})

test('address book as the chooser: the address tapped goes to the declaration by post', async () => {
  const { render } = require('../helpers/render')
  const book = replay(fake, 'addresses.list')
  const chosen = recording('delivery.postal')
  const sent = []
  fake.route('PUT', chosen.path, (req) => {
    sent.push(req.data)
    return chosen.body
  })
  const page = render('pages/addresses/index')
  await page.instance.onLoad({ declarationId: chosen.body.declarationId, pick: '1' })
  await settle()
  expect(page.querySelectorAll('.use')).toHaveLength(book.items.length)
  expect(await page.instance.use({ currentTarget: { dataset: { id: book.items[0].id } } })).toBe(true)
  expect(sent).toEqual([{ method: 'postal', addressId: book.items[0].id }])
  expect(fake.calls.toast).toContain(t('delivery.saved'))
})

test('delivery: the halls with their hours, pickup chosen, postage shown, post leads to the book', async () => {
  const { render, texts } = require('../helpers/render')
  const options = replay(fake, 'delivery.options')
  const picked = recording('delivery.pickup')
  const sent = []
  fake.route('PUT', picked.path, (req) => {
    sent.push(req.data)
    fake.route('GET', picked.path, () => picked.body)
    return picked.body
  })
  const page = render('pages/delivery/index')
  await page.instance.onLoad({ declarationId: options.declarationId })
  await settle()
  expect(texts(page, '.hall-name')).toEqual(options.halls.map((h) => h.name))
  const first = options.halls[0]
  const hours = first.hours.map((s) => `${s.from}-${s.to}`).join('，')
  expect(texts(page, '.hall-hours')[0]).toBe(t('delivery.hours', { hours }))
  expect(texts(page, '.postage')).toEqual([t('delivery.postalFee', { amount: '12.00 元' })])

  expect(await page.instance.pickHall({ currentTarget: { dataset: { code: first.hallCode } } })).toBe(true)
  await settle()
  expect(sent).toEqual([{ method: 'pickup', hallCode: first.hallCode }])
  expect(texts(page, '.chosen')).toEqual([t('delivery.chosenPickup', { name: picked.body.pickup.name })])
  expect(texts(page, '.pickup-hours')).toEqual([t('delivery.hours', { hours })])

  page.instance.pickAddress()
  expect(fake.calls.navigate).toEqual([`/pages/addresses/index?declarationId=${options.declarationId}&pick=1`])
})

test('delivery: posted, the waybill and the tracking newest first, the choice fixed', async () => {
  const { render, texts } = require('../helpers/render')
  const tracking = replay(fake, 'delivery.tracking')
  const page = render('pages/delivery/index')
  await page.instance.onLoad({ declarationId: tracking.declarationId })
  await settle()
  expect(texts(page, '.waybill')).toEqual([
    t('delivery.waybill', { carrier: tracking.carrier, number: tracking.waybillNumber }),
  ])
  expect(texts(page, '.status')).toEqual([tracking.statusLabel])
  expect(texts(page, '.tracking .step')).toEqual(tracking.timeline.map((e) => e.label).reverse())
  expect(texts(page, '.locked')).toEqual([t('delivery.locked')])
  expect(page.querySelectorAll('.choose')).toHaveLength(0)
  expect(texts(page, '.chosen')[0]).toContain(tracking.address.detail)
})

test('delivery: an electronic result says there is nothing to collect', async () => {
  const { render, texts } = require('../helpers/render')
  const options = replay(fake, 'delivery.options', (body) => {
    body.paperResult = false
    body.halls = []
  })
  const one = render('pages/delivery/index')
  await one.instance.onLoad({ declarationId: options.declarationId })
  await settle()
  expect(texts(one, '.electronic')).toEqual([t('delivery.electronic')])
  expect(one.querySelectorAll('.choose')).toHaveLength(0)
})

test('delivery: my posted results, each opening its tracking', async () => {
  const { render, texts } = require('../helpers/render')
  const mine = replay(fake, 'deliveries.list')
  const list = render('pages/delivery/index')
  await list.instance.onLoad({})
  await settle()
  expect(texts(list, '.row .title')).toEqual(mine.items.map((d) => d.itemName))
  list.querySelector('.row').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/delivery/index?declarationId=${mine.items[0].declarationId}`])
})
