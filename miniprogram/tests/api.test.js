const { createFakeWx, settle } = require('./helpers/fake-wx')

let fake
let api
let session
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  api = require('../utils/api')
  session = require('../utils/session')
})

const pair = (token) => ({
  accessToken: token,
  refreshToken: `r-${token}`,
  expiresIn: 600,
  citizen: { id: 'c1', realNameBound: false },
})

test('wx.login code signs in and the session is kept for later calls', async () => {
  fake.route('POST', '/api/v1/auth/wechat/login', (req) => {
    expect(req.data).toEqual({ code: 'code-from-wechat' })
    expect(req.header.Authorization).toBeUndefined()
    return pair('a1')
  })
  fake.route('GET', '/api/v1/me', { id: 'c1', realNameBound: true })
  await api.loginWithWechat()
  const me = await api.me()
  expect(me.realNameBound).toBe(true)
  expect(fake.calls.request[1].header.Authorization).toBe('Bearer a1')
  expect(session.get().citizen.realNameBound).toBe(true)
})

test('an expired access token is refreshed once and the call repeated', async () => {
  session.save(pair('old'))
  let refreshes = 0
  fake.route('POST', '/api/v1/auth/refresh', (req) => {
    refreshes += 1
    expect(req.data).toEqual({ refreshToken: 'r-old' })
    return pair('new')
  })
  fake.route('GET', '/api/v1/inbox', (req) =>
    req.header.Authorization === 'Bearer new'
      ? { items: [], total: 0, unread: 0 }
      : { status: 401, body: { code: 'TOKEN_EXPIRED', title: '登录已过期' } },
  )
  const [a, b] = await Promise.all([api.inbox(), api.inbox()])
  expect(a.total).toBe(0)
  expect(b.total).toBe(0)
  expect(refreshes).toBe(1) // two calls, one refresh
})

test('problem details become ApiError with the Chinese text and the stable code', async () => {
  session.save(pair('a'))
  fake.route('POST', /\/submit$/, {
    status: 409,
    body: { code: 'DECLARATION_INCOMPLETE', title: 'Incomplete', status: 409, errors: [] },
  })
  const err = await api.submit('d1', 'key-12345678').catch((e) => e)
  expect(err.name).toBe('ApiError')
  expect(err.status).toBe(409)
  expect(err.code).toBe('DECLARATION_INCOMPLETE')
  expect(err.message).toBe('申请信息不完整')
  expect(fake.calls.request[0].header['Idempotency-Key']).toBe('key-12345678')
})

test('a revoked session is forgotten', async () => {
  session.save(pair('a'))
  fake.route('GET', '/api/v1/me', { status: 401, body: { code: 'TOKEN_REVOKED' } })
  await expect(api.me()).rejects.toMatchObject({ code: 'TOKEN_REVOKED' })
  expect(session.isSignedIn()).toBe(false)
})

test('undeclared body members and query parameters are refused before any call', () => {
  expect(() => api.call('createDeclaration', { body: { itemcode: 'x' } })).toThrow(/undeclared body/)
  expect(() => api.call('inbox', { query: { size: 3 } })).toThrow(/undeclared query/)
  expect(fake.calls.request).toHaveLength(0)
})

test('upload goes through wx.uploadFile with progress when the backend takes POST', async () => {
  session.save(pair('a'))
  fake.route('POST', '/api/v1/declarations/d1/materials/M1', { id: 'f1', size: 3 })
  const seen = []
  const entry = await api.uploadMaterial('d1', 'M1', { path: '/tmp/a.pdf', name: 'a.pdf' }, (p) => seen.push(p))
  expect(entry.id).toBe('f1')
  expect(seen).toEqual([25, 50, 100])
  expect(fake.calls.upload[0]).toMatchObject({ name: 'file', filePath: '/tmp/a.pdf' })
  expect(fake.calls.upload[0].header.Authorization).toBe('Bearer a')
  expect(api.uploadTransport()).toBe('uploadFile')
})

test('a 405 on the POST upload falls back to a multipart PUT, and later uploads go straight to it', async () => {
  session.save(pair('a'))
  fake.files.set('/tmp/b.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
  let body
  fake.route('PUT', '/api/v1/declarations/d1/materials/M2', (req) => {
    const type = req.header['content-type']
    const boundary = type.match(/boundary=(.+)$/)[1]
    body = Buffer.from(req.data).toString('latin1')
    expect(body.startsWith(`--${boundary}\r\n`)).toBe(true)
    expect(body.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true)
    return { id: 'f2' }
  })
  const seen = []
  await api.uploadMaterial('d1', 'M2', { path: '/tmp/b.png', name: 'b.png' }, (p) => seen.push(p))
  expect(body).toContain('name="file"; filename="b.png"')
  expect(body).toContain('Content-Type: image/png')
  expect(body).toContain('\x89PNG')
  expect(seen.slice(-2)).toEqual([0, 100])
  await api.uploadMaterial('d1', 'M2', { path: '/tmp/b.png', name: 'b.png' })
  expect(fake.calls.upload).toHaveLength(1) // the second one did not try POST again
  expect(api.uploadTransport()).toBe('request')
})

test('pay opens the cashier with the order parameters and waits for the backend to see the payment', async () => {
  session.save(pair('a'))
  const payParams = { appId: 'wx1', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=p', signType: 'RSA', paySign: 's' }
  fake.route('POST', '/api/v1/payments/orders', (req) => {
    expect(req.data).toEqual({ noticeId: 'n1', channel: 'jsapi' })
    expect(req.header['Idempotency-Key']).toBe('k-12345678')
    return { id: 'o1', status: 'pending', amountFen: 1000, payParams }
  })
  let reads = 0
  fake.route('GET', '/api/v1/payments/orders/o1', () => {
    reads += 1
    return { id: 'o1', status: reads < 2 ? 'pending' : 'paid', amountFen: 1000 }
  })
  const order = await api.pay('n1', 'k-12345678', { interval: 1 })
  expect(order.status).toBe('paid')
  const { success, fail, ...given } = fake.calls.payment[0]
  expect(given).toEqual({ timeStamp: '1', nonceStr: 'n', package: 'prepay_id=p', signType: 'RSA', paySign: 's' })
})

test('a cancelled cashier is reported as cancelled', async () => {
  session.save(pair('a'))
  fake.answers.payment = 'requestPayment:fail cancel'
  fake.route('POST', '/api/v1/payments/orders', { id: 'o1', status: 'pending', payParams: {} })
  await expect(api.pay('n1', 'k-12345678')).rejects.toMatchObject({ cancelled: true })
})

test('subscribe answers are reported to the backend, at most three templates', async () => {
  session.save(pair('a'))
  const subscribe = require('../utils/subscribe')
  fake.answers.subscribe = { TPL_PROGRESS: 'accept', TPL_RESULT: 'reject' }
  fake.route('POST', '/api/v1/push/subscriptions', (req) => {
    expect(req.data).toEqual({ results: { TPL_PROGRESS: 'accept', TPL_RESULT: 'reject' } })
    return [{ templateId: 'TPL_PROGRESS', quota: 1, longTerm: false }]
  })
  const quotas = await subscribe.askAndReport(['progress', 'result'], api.reportSubscriptions)
  expect(quotas[0].quota).toBe(1)
  expect(fake.calls.subscribe[0]).toEqual(['TPL_PROGRESS', 'TPL_RESULT'])
  expect(subscribe.templatesFor(['progress', 'result', 'notice', 'progress'])).toHaveLength(3)
  await settle()
})

test('亮证: the QR image URL the backend answers is made absolute for <image>; an old backend\'s SVG still shows', async () => {
  const { baseUrl } = require('../config')
  const endpoints = require('../utils/endpoints')
  const code = 'HL1.payload.signature'
  const relative = `${endpoints.licenceQr.path}?code=${encodeURIComponent(code)}`
  fake.route('POST', '/api/v1/licences/l1/display', { code, qrUrl: relative, expiresAt: '2026-01-01T00:01:00Z' })
  const shown = await api.displayLicence('l1')
  expect(shown.qrUrl).toBe(`${baseUrl}${relative}`)
  expect(shown.code).toBe(code)
  expect(endpoints.licenceQr.auth).toBe(false) // an <image> sends no bearer token

  fake.route('POST', '/api/v1/licences/l2/display', { code, qrUrl: 'https://cdn.example/qr.svg?code=x', expiresAt: '2026-01-01T00:01:00Z' })
  expect((await api.displayLicence('l2')).qrUrl).toBe('https://cdn.example/qr.svg?code=x')

  fake.route('POST', '/api/v1/licences/l3/display', { code, qrSvg: '<svg/>', expiresAt: '2026-01-01T00:01:00Z' })
  expect((await api.displayLicence('l3')).qrUrl).toBe('data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E')
})
