// Halls and appointments: an item's halls, a hall with its map and phone, the slot picker,
// my bookings with a confirmed cancel. Fed the backend's recorded answers.
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

test('item: the guide lists the halls that serve it, each linking to the hall', async () => {
  const { render, texts } = require('../helpers/render')
  const item = replay(fake, 'item.detail')
  const page = render('pages/item/index')
  await page.instance.onLoad({ code: item.code })
  await settle()
  expect(texts(page, '.halls .title')).toEqual([t('item.halls')])
  expect(texts(page, '.hall .text')).toEqual(item.halls.map((h) => h.name))
  page.instance.go({ currentTarget: { dataset: { url: page.instance.data.halls[0].url } } })
  expect(fake.calls.navigate).toEqual([
    `/pages/hall/index?code=${item.halls[0].code}&item=${encodeURIComponent(item.code)}`,
  ])
})

test('halls: the halls of an item, asked by its code', async () => {
  const { render, texts } = require('../helpers/render')
  const exchange = recording('halls.list')
  const halls = replay(fake, 'halls.list')
  const page = render('pages/halls/index')
  await page.instance.onLoad({ item: exchange.query.itemCode })
  await settle()
  expect(fake.calls.request[0].url).toContain(`itemCode=${exchange.query.itemCode}`)
  expect(texts(page, '.hall .title')).toEqual(halls.map((h) => h.name))
  expect(texts(page, '.hall .address')).toEqual(halls.map((h) => h.address))
})

test('hall: address on the map (wx.openLocation), tap to call, hours, windows, book an item', async () => {
  const { render, texts } = require('../helpers/render')
  const exchange = recording('halls.detail')
  const hall = replay(fake, 'halls.detail')
  const item = hall.windows[0].items[0].code
  const page = render('pages/hall/index')
  await page.instance.onLoad({ code: hall.code, item })
  await settle()
  expect(exchange.path).toBe(`/api/v1/halls/${hall.code}`)
  expect(texts(page, '.section .title')[0]).toBe(hall.name)
  expect(texts(page, '.hours .text')[0]).toBe(`${t('hall.workdays')} 09:00-12:00，13:30-17:30`)
  expect(texts(page, '.hours .text')).toContain(t('hall.holidays'))
  page.instance.navigate()
  expect(fake.calls.location).toEqual([
    { latitude: hall.latitude, longitude: hall.longitude, name: hall.name, address: hall.address, scale: 16 },
  ])
  page.instance.call()
  expect(fake.calls.phone).toEqual([hall.phone])
  expect(texts(page, '.window .chosen')).toEqual([hall.windows[0].items[0].name])
  page.instance.book()
  expect(fake.calls.navigate).toEqual([`/pages/book/index?hall=${hall.code}&item=${encodeURIComponent(item)}`])
})

test('book: closed days say why, full half hours cannot be chosen, the booking opens my list', async () => {
  const { render, texts } = require('../helpers/render')
  const exchange = recording('halls.slots')
  const slots = replay(fake, 'halls.slots', (body) => {
    // One half hour taken by others meanwhile.
    const open = body.days.find((d) => d.slots.length)
    open.slots[0].remaining = 0
    return body
  })
  const booked = recorded('appointments.book')
  let sent
  fake.route('POST', '/api/v1/appointments', (req) => {
    sent = req.data
    return { status: 201, body: booked }
  })
  const page = render('pages/book/index')
  await page.instance.onLoad({ hall: slots.hall.code, item: exchange.query.itemCode })
  await settle()
  const closed = slots.days.find((d) => !d.open)
  expect(texts(page, '.day')).toContain(`${closed.date} ${closed.closedReason}`)
  const day = slots.days[page.instance.data.day]
  expect(texts(page, '.slot')[0]).toBe(`${day.slots[0].start}-${day.slots[0].end} ${t('book.full')}`)
  page.instance.chooseSlot({ currentTarget: { dataset: { start: day.slots[0].start } } })
  expect(page.instance.data.chosen).toBe('')
  expect(await page.instance.confirm()).toBeNull()
  expect(page.instance.data.error).toBe(t('book.chooseSlot'))

  page.instance.chooseSlot({ currentTarget: { dataset: { start: day.slots[1].start } } })
  const result = await page.instance.confirm()
  expect(result.id).toBe(booked.id)
  expect(sent).toEqual({ hallCode: slots.hall.code, itemCode: slots.item.code, date: day.date, start: day.slots[1].start })
  expect(fake.calls.toast).toEqual([t('book.done')])
  expect(fake.calls.navigate).toEqual([`/pages/appointments/index?id=${booked.id}`])
})

test('book: the last place taken by someone else says so and shows the slots anew', async () => {
  const { render } = require('../helpers/render')
  const exchange = recording('halls.slots')
  const slots = replay(fake, 'halls.slots')
  fake.route('POST', '/api/v1/appointments', () => ({
    status: 409,
    body: { code: 'APPOINTMENT_SLOT_FULL', title: '该时段已约满，请选择其他时段', status: 409 },
  }))
  const page = render('pages/book/index')
  await page.instance.onLoad({ hall: slots.hall.code, item: exchange.query.itemCode })
  await settle()
  const day = slots.days[page.instance.data.day]
  page.instance.chooseSlot({ currentTarget: { dataset: { start: day.slots[0].start } } })
  expect(await page.instance.confirm()).toBeNull()
  expect(page.instance.data.error).toBe('该时段已约满，请选择其他时段')
  const gets = fake.calls.request.filter((r) => r.method === 'GET')
  expect(gets).toHaveLength(2) // the slots read again
})

test('appointments: my bookings, cancel only after the confirmation, navigate to the hall', async () => {
  const { render, texts } = require('../helpers/render')
  const mine = replay(fake, 'appointments.list')
  const open = mine.items.find((a) => a.cancellableUntil)
  const cancelled = recorded('appointments.cancel')
  let cancels = 0
  fake.route('POST', `/api/v1/appointments/${open.id}/cancel`, () => {
    cancels += 1
    return cancelled
  })
  const page = render('pages/appointments/index')
  await page.instance.onLoad({ id: open.id })
  await settle()
  expect(texts(page, '.status')).toEqual(mine.items.map((a) => t(`appointments.status.${a.status}`)))
  expect(texts(page, '.summary')).toEqual([t('appointments.openCount', { n: mine.openCount, max: mine.maxOpen })])
  expect(page.querySelectorAll('.cancel')).toHaveLength(mine.items.filter((a) => a.cancellableUntil).length)

  // Declined: nothing sent.
  fake.answers.modal = false
  expect(await page.instance.cancel({ currentTarget: { dataset: { id: open.id } } })).toBe(false)
  expect(cancels).toBe(0)
  expect(fake.calls.modal).toEqual([t('appointments.cancelConfirm', { date: open.date, start: open.start })])
  // Confirmed: cancelled, told, the list read again.
  fake.answers.modal = true
  expect(await page.instance.cancel({ currentTarget: { dataset: { id: open.id } } })).toBe(true)
  expect(cancels).toBe(1)
  expect(fake.calls.toast).toEqual([t('appointments.cancelled')])

  page.instance.navigate({ currentTarget: { dataset: { id: open.id } } })
  expect(fake.calls.location[0]).toMatchObject({ latitude: open.hall.latitude, name: open.hall.name })
})

test('appointments: a pause after no-shows is shown with its end', async () => {
  const { render, texts } = require('../helpers/render')
  replay(fake, 'appointments.list', (body) => ({ ...body, pausedUntil: '2026-12-01' }))
  const page = render('pages/appointments/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.paused')).toEqual([t('appointments.paused', { until: '2026-12-01' })])
})

test('appointments: a booking of today leads to the queue page, to take a number or follow it', async () => {
  const { render, texts } = require('../helpers/render')
  // 10:00 in Beijing (02:00 UTC) on the day of the recorded open booking: the recording's day
  // follows the journey's clock, so it is read, not written here.
  const day = recorded('appointments.list').items.find((a) => a.status === 'booked').date
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86400000).toISOString().slice(0, 10)
  const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse(`${day}T02:00:00Z`))
  try {
    const mine = replay(fake, 'appointments.list', (body) => {
      const [first, second] = body.items.filter((a) => a.status === 'booked')
      if (second) second.status = 'arrived'
      // One more booking, on another day: no way to the queue from it.
      body.items.push({ ...first, id: 'b7f5c0de-0000-4000-8000-00000000000a', date: next })
    })
    const page = render('pages/appointments/index')
    await page.instance.onLoad({})
    await settle()
    const today = mine.items.filter((a) => a.date === day && ['booked', 'arrived'].includes(a.status))
    expect(today.length).toBeGreaterThan(0)
    const expected = today.map((a) => t(a.status === 'booked' ? 'appointments.takeNumber' : 'appointments.followNumber'))
    expect(texts(page, '.queue')).toEqual(expected)
    page.instance.queue({ currentTarget: { dataset: { id: today[0].id } } })
    expect(fake.calls.navigate).toEqual([`/pages/queue/index?appointment=${today[0].id}`])
  } finally {
    now.mockRestore()
  }
})

test('appointments: the day is China’s, whatever the phone’s clock zone says', () => {
  const { chinaToday } = require('../../utils/format')
  // 23:30 UTC on 8 November is 07:30 on 9 November in Beijing.
  expect(chinaToday(Date.parse('2026-11-08T23:30:00Z'))).toBe('2026-11-09')
  expect(chinaToday(Date.parse('2026-11-09T15:59:00Z'))).toBe('2026-11-09')
})
