const { createFakeWx, settle } = require('./helpers/fake-wx')
const { recorded, recording, replay } = require('./helpers/recorded')

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

// The token pair the backend answers a sign-in with (a new WeChat user: not yet bound).
const pair = () => recorded('auth.wechat-login')

test('wx.login code signs in and the session is kept for later calls', async () => {
  const signedIn = recorded('auth.wechat-login')
  fake.route('POST', '/api/v1/auth/wechat/login', (req) => {
    expect(req.data).toEqual({ code: 'code-from-wechat' })
    expect(req.header.Authorization).toBeUndefined()
    return signedIn
  })
  replay(fake, 'me')
  await api.loginWithWechat()
  expect(session.get().citizen.realNameBound).toBe(false)
  const me = await api.me()
  expect(me.realNameBound).toBe(true)
  expect(fake.calls.request[1].header.Authorization).toBe(`Bearer ${signedIn.accessToken}`)
  expect(session.get().citizen.realNameBound).toBe(true)
  expect(session.get().citizen.name).toBe('张*')
})

test('an expired access token is refreshed once and the call repeated', async () => {
  const old = pair()
  const fresh = recorded('auth.refresh')
  session.save(old)
  let refreshes = 0
  fake.route('POST', '/api/v1/auth/refresh', (req) => {
    refreshes += 1
    expect(req.data).toEqual({ refreshToken: old.refreshToken })
    return fresh
  })
  const box = recorded('inbox')
  fake.route('GET', '/api/v1/inbox', (req) =>
    req.header.Authorization === `Bearer ${fresh.accessToken}`
      ? box
      : { status: 401, body: { code: 'TOKEN_EXPIRED', title: '登录已过期' } },
  )
  const [a, b] = await Promise.all([api.inbox(), api.inbox()])
  expect(a.total).toBe(box.total)
  expect(b.total).toBe(box.total)
  expect(refreshes).toBe(1) // two calls, one refresh
  expect(session.get().accessToken).toBe(fresh.accessToken)
})

test('problem details become ApiError with the Chinese text and the stable code', async () => {
  session.save(pair())
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
  session.save(pair())
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
  const signedIn = pair()
  session.save(signedIn)
  const upload = recording('material.upload')
  expect(upload.method).toBe('POST')
  const [, id, code] = upload.path.match(/^\/api\/v1\/declarations\/([^/]+)\/materials\/([^/]+)$/)
  replay(fake, 'material.upload')
  const seen = []
  const entry = await api.uploadMaterial(id, code, { path: '/tmp/a.pdf', name: 'a.pdf' }, (p) => seen.push(p))
  expect(entry).toEqual(upload.body)
  expect(entry.displayName).toBe('scan.pdf')
  expect(seen).toEqual([25, 50, 100])
  expect(fake.calls.upload[0]).toMatchObject({ name: 'file', filePath: '/tmp/a.pdf' })
  expect(fake.calls.upload[0].header.Authorization).toBe(`Bearer ${signedIn.accessToken}`)
  expect(api.uploadTransport()).toBe('uploadFile')
})

test('a 405 on the POST upload falls back to a multipart PUT, and later uploads go straight to it', async () => {
  session.save(pair())
  fake.files.set('/tmp/b.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
  let body
  fake.route('PUT', '/api/v1/declarations/d1/materials/M2', (req) => {
    const type = req.header['content-type']
    const boundary = type.match(/boundary=(.+)$/)[1]
    body = Buffer.from(req.data).toString('latin1')
    expect(body.startsWith(`--${boundary}\r\n`)).toBe(true)
    expect(body.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true)
    return recorded('material.upload')
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
  session.save(pair())
  const created = recorded('payments.order-created')
  fake.route('POST', '/api/v1/payments/orders', (req) => {
    expect(req.data).toEqual({ noticeId: created.noticeId, channel: 'jsapi' })
    expect(req.header['Idempotency-Key']).toBe('k-12345678')
    return created
  })
  let reads = 0
  fake.route('GET', `/api/v1/payments/orders/${created.id}`, () => {
    reads += 1
    return reads < 2 ? created : recorded('payments.order-paid')
  })
  const order = await api.pay(created.noticeId, 'k-12345678', { interval: 1 })
  expect(order.status).toBe('paid')
  expect(reads).toBe(2)
  const { success, fail, ...given } = fake.calls.payment[0]
  const { appId, ...params } = created.payParams
  expect(given).toEqual(params)
})

test('a cancelled cashier is reported as cancelled', async () => {
  session.save(pair())
  fake.answers.payment = 'requestPayment:fail cancel'
  const created = replay(fake, 'payments.order-created')
  await expect(api.pay(created.noticeId, 'k-12345678')).rejects.toMatchObject({ cancelled: true })
})

test('subscribe answers are reported to the backend, at most three templates', async () => {
  session.save(pair())
  const subscribe = require('../utils/subscribe')
  fake.answers.subscribe = { TPL_PROGRESS: 'accept', TPL_RESULT: 'reject' }
  fake.route('POST', '/api/v1/push/subscriptions', (req) => {
    expect(req.data).toEqual({ results: { TPL_PROGRESS: 'accept', TPL_RESULT: 'reject' } })
    return recorded('push.subscriptions').filter((q) => q.templateId === 'TPL_PROGRESS')
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
  const display = recording('licences.display')
  const { code, qrUrl: relative } = replay(fake, 'licences.display')
  expect(relative).toBe(`${endpoints.licenceQr.path}?code=${encodeURIComponent(code)}`)
  const shown = await api.displayLicence(display.path.split('/')[4])
  expect(shown.qrUrl).toBe(`${baseUrl}${relative}`)
  expect(shown.code).toBe(code)
  expect(endpoints.licenceQr.auth).toBe(false) // an <image> sends no bearer token

  fake.route('POST', '/api/v1/licences/l2/display', { code, qrUrl: 'https://cdn.example/qr.svg?code=x', expiresAt: '2026-01-01T00:01:00Z' })
  expect((await api.displayLicence('l2')).qrUrl).toBe('https://cdn.example/qr.svg?code=x')

  fake.route('POST', '/api/v1/licences/l3/display', { code, qrSvg: '<svg/>', expiresAt: '2026-01-01T00:01:00Z' })
  expect((await api.displayLicence('l3')).qrUrl).toBe('data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E')
})
