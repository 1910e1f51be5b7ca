// The queue page: a number taken by the hall's QR code or by location, followed live (server-
// sent events read as chunks of one wx.request), the call shown, the visit rated afterwards.
const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded } = require('../helpers/recorded')
const { t } = require('../../i18n/index')

const TICKET = {
  id: '6d1c7f52-8f0e-4d8a-9a53-2f3c1d6b9a10',
  appointmentId: 'a7f8f7b8-4b0a-4c69-9d43-5f0c7c6f5e11',
  hallCode: 'H620100001',
  hallName: '金城市政务服务中心',
  itemCode: '11620100013900112A-GG-00101-001',
  itemName: '居民身份证换领',
  declarationId: null,
  slotStart: '2026-06-16T01:00:00Z',
  slotEnd: '2026-06-16T01:30:00Z',
  state: 'requested',
  number: null,
  position: null,
  estimatedWaitS: null,
  window: null,
  takenAt: '2026-06-16T00:45:00Z',
  calledAt: null,
  finishedAt: null,
  canRate: false,
}

let fake
let stream
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  require('../../utils/session').save(recorded('auth.sso-complete'))
  // The live stream: a task whose chunks the test sends, as the backend would.
  stream = null
  const plain = fake.wx.request
  global.wx.request = (opts) => {
    if (!/\/live$/.test(new URL(opts.url).pathname)) return plain(opts)
    fake.calls.request.push({ method: 'GET', path: new URL(opts.url).pathname, header: opts.header, chunked: opts.enableChunked })
    const listeners = []
    stream = {
      opts,
      aborted: false,
      send(event, data) {
        const bytes = Buffer.from(`event: ${event}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`, 'utf8')
        // Split inside a Chinese character: the page must put it back together.
        const cut = bytes.indexOf(0xe9) + 1 || 3
        for (const part of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
          const copy = new Uint8Array(part).buffer
          listeners.forEach((fn) => fn({ data: copy }))
        }
      },
    }
    return {
      onChunkReceived: (fn) => listeners.push(fn),
      abort: () => {
        stream.aborted = true
      },
    }
  }
})

test('the number taken by scanning the hall QR, followed live to the call and the rating', async () => {
  const { render, texts } = require('../helpers/render')
  global.wx.scanCode = (o) => o.success({ result: 'HQ1.H620100001.signature' })
  fake.route('POST', '/api/v1/queue/tickets', (req) => ({ status: 201, body: { ...TICKET, _body: req.data } }))
  const page = render('pages/queue/index')
  await page.instance.onLoad({ appointment: TICKET.appointmentId })
  await settle()
  expect(texts(page, '.scan')).toEqual([t('queue.scan')])

  expect(await page.instance.byQr()).toBe(true)
  await settle()
  const taken = fake.calls.request.find((r) => r.method === 'POST')
  expect(taken.data).toEqual({ appointmentId: TICKET.appointmentId, qr: 'HQ1.H620100001.signature' })
  expect(texts(page, '.status')).toEqual([t('queue.requested')])
  // The live stream is opened with the session and chunked transfer.
  expect(stream.opts.enableChunked).toBe(true)
  expect(stream.opts.header.Authorization).toMatch(/^Bearer /)

  stream.send('ticket', { ...TICKET, state: 'waiting', number: 'A002', position: 1, estimatedWaitS: 1200 })
  await settle()
  expect(texts(page, '.number')).toEqual(['A002'])
  expect(texts(page, '.status')).toEqual([t('queue.ahead', { n: 1 })])
  expect(texts(page, '.wait')).toEqual([t('queue.wait', { minutes: 20 })])
  expect(texts(page, '.hall')).toEqual([`${TICKET.hallName} · ${TICKET.itemName}`])

  stream.send('ticket', { ...TICKET, state: 'waiting', number: 'A002', position: 0, estimatedWaitS: 600 })
  await settle()
  expect(texts(page, '.status')).toEqual([t('queue.next')])

  stream.send('ticket', { ...TICKET, state: 'called', number: 'A002', window: 'A01' })
  await settle()
  expect(texts(page, '.status')).toEqual([t('queue.called', { window: 'A01' })])
  expect(texts(page, '.wait')).toEqual([])
  expect(texts(page, '.rate')).toEqual([])

  stream.send('ticket', { ...TICKET, state: 'completed', number: 'A002', window: 'A01', canRate: true })
  await settle()
  expect(texts(page, '.status')).toEqual([t('queue.completed')])
  expect(stream.aborted).toBe(true) // nothing more to follow
  page.instance.rate()
  expect(fake.calls.navigate).toEqual([`/pages/rate/index?ticket=${TICKET.id}`])
})

test('by location: the GCJ-02 position is sent; a refusal is shown in Chinese', async () => {
  const { render, texts } = require('../helpers/render')
  let asked
  global.wx.getLocation = (o) => {
    asked = o.type
    o.success({ latitude: 36.0792, longitude: 103.8344 })
  }
  fake.route('POST', '/api/v1/queue/tickets', () => ({
    status: 409,
    body: { code: 'QUEUE_TOO_FAR', title: '您当前不在大厅附近', distanceMetres: 2000 },
  }))
  const page = render('pages/queue/index')
  await page.instance.onLoad({ appointment: TICKET.appointmentId })
  expect(await page.instance.byLocation()).toBe(false)
  await settle()
  expect(asked).toBe('gcj02')
  const taken = fake.calls.request.find((r) => r.method === 'POST')
  expect(taken.data).toEqual({ appointmentId: TICKET.appointmentId, location: { latitude: 36.0792, longitude: 103.8344 } })
  expect(texts(page, '.error')).toEqual([t('error.QUEUE_TOO_FAR')])
  expect(texts(page, '.scan')).toEqual([t('queue.scan')]) // still there to try the QR

  // Location refused by the citizen: the QR is suggested.
  global.wx.getLocation = (o) => o.fail({ errMsg: 'getLocation:fail auth deny' })
  expect(await page.instance.byLocation()).toBe(false)
  await settle()
  expect(texts(page, '.error')).toEqual([t('queue.locationDenied')])
})

test('opened from the inbox: the ticket is read, and polled where chunks do not arrive', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] })
  try {
    const { render, texts } = require('../helpers/render')
    let state = { ...TICKET, state: 'waiting', number: 'A002', position: 2, estimatedWaitS: 900 }
    fake.route('GET', `/api/v1/queue/tickets/${TICKET.id}`, () => state)
    // An older base library: the request task has no onChunkReceived.
    const plain = fake.wx.request
    global.wx.request = (opts) => (/\/live$/.test(opts.url) ? {} : plain(opts))
    const page = render('pages/queue/index')
    const loading = page.instance.onLoad({ id: TICKET.id })
    await jest.advanceTimersByTimeAsync(10)
    await loading
    await jest.advanceTimersByTimeAsync(10)
    expect(texts(page, '.status')).toEqual([t('queue.ahead', { n: 2 })])
    state = { ...state, state: 'called', position: null, window: 'A03' }
    await jest.advanceTimersByTimeAsync(5100)
    expect(texts(page, '.status')).toEqual([t('queue.called', { window: 'A03' })])
    page.instance.onUnload()
  } finally {
    jest.useRealTimers()
  }
})

test('the live parser joins events split across chunks and characters', () => {
  const { parser, decoder } = require('../../utils/live')
  const seen = []
  const feed = parser((event, data) => seen.push([event, data]))
  const decode = decoder()
  const bytes = Buffer.from('event: ticket\ndata: {"hallName":"金城"}\n\nevent: ready\ndata: {}\n\n', 'utf8')
  for (let i = 0; i < bytes.length; i += 5) feed(decode(new Uint8Array(bytes.subarray(i, i + 5)).buffer))
  expect(seen).toEqual([
    ['ticket', '{"hallName":"金城"}'],
    ['ready', '{}'],
  ])
})

test('the rate page rates a hall visit through its queue number (channel "hall booked online")', async () => {
  const { render } = require('../helpers/render')
  fake.route('GET', '/api/v1/reviews/tags', () => ({
    levels: [5, 4, 3, 2, 1].map((level) => ({ level, label: t(`rate.level.${level}`), bad: level <= 2 })),
    tags: [{ code: 'friendly_staff', label: '服务态度好', sentiment: 'good' }],
  }))
  fake.route('GET', `/api/v1/queue/tickets/${TICKET.id}`, () => ({ ...TICKET, state: 'completed', canRate: true }))
  fake.route('POST', `/api/v1/queue/tickets/${TICKET.id}/rating`, (req) => ({ id: 'r1', channel: 'hall', level: req.data.level }))
  const page = render('pages/rate/index')
  await page.instance.onLoad({ ticket: TICKET.id })
  await settle()
  expect(page.instance.data.canRate).toBe(true)
  page.instance.chooseLevel({ currentTarget: { dataset: { level: 5 } } })
  expect(await page.instance.submit()).toBe(true)
  await settle()
  const posted = fake.calls.request.filter((r) => r.method === 'POST').map((r) => r.path)
  expect(posted).toEqual([`/api/v1/queue/tickets/${TICKET.id}/rating`])
  expect(fake.calls.request.some((r) => /\/declarations\//.test(r.path))).toBe(false)
})

test('opened from my bookings: the number already taken for the booking is shown and followed', async () => {
  const { render, texts } = require('../helpers/render')
  const mine = { ...TICKET, state: 'waiting', number: 'A002', position: 3, estimatedWaitS: 1800 }
  const other = { ...mine, id: 'f1e2d3c4-0000-4000-8000-000000000001', appointmentId: 'another', number: 'A001' }
  fake.route('GET', '/api/v1/queue/tickets', () => ({ tickets: [other, mine] }))
  const page = render('pages/queue/index')
  await page.instance.onLoad({ appointment: TICKET.appointmentId })
  await settle()
  expect(texts(page, '.number')).toEqual(['A002'])
  expect(texts(page, '.status')).toEqual([t('queue.ahead', { n: 3 })])
  expect(texts(page, '.scan')).toEqual([])
  expect(stream.opts.url).toContain(`/api/v1/queue/tickets/${TICKET.id}/live`)
  page.instance.stop()
})

test('opened from my bookings before arrival: the ways to take a number', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/queue/tickets', () => ({ tickets: [] }))
  const page = render('pages/queue/index')
  await page.instance.onLoad({ appointment: TICKET.appointmentId })
  await settle()
  expect(texts(page, '.scan')).toEqual([t('queue.scan')])
  expect(texts(page, '.locate')).toEqual([t('queue.locate')])
  expect(page.instance.data.error).toBe('')
})
