// Acting as a party (docs/acting-as.md): X-Acting-As goes with the routes that act, never with
// the citizen's own account; a revoked authorisation puts the citizen back to themselves.
const { createFakeWx } = require('./helpers/fake-wx')
const { recorded } = require('./helpers/recorded')

let fake
let api
let session
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  api = require('../utils/api')
  session = require('../utils/session')
  session.save(recorded('auth.wechat-login'))
})

const COMPANY = { id: '7f0c6d5e-1111-4a2b-9c3d-000000000001', name: '西岭金城启航科技有限公司', kind: 'legal' }

test('the party goes with the routes that act, not with my own account', async () => {
  fake.route('GET', '/api/v1/parties', { parties: [COMPANY], platformChecked: true })
  fake.route('GET', '/api/v1/declarations', { items: [], total: 0, page: 1, pageSize: 20 })
  fake.route('GET', '/api/v1/inbox', { items: [], total: 0, unread: 0 })
  fake.route('GET', '/api/v1/me', recorded('me'))
  const { parties } = await api.parties()
  api.actAs(parties[0])
  await api.listDeclarations()
  await api.inbox()
  await api.me()
  const [listed, declarations, inbox, me] = fake.calls.request
  expect(listed.header['X-Acting-As']).toBeUndefined()
  expect(declarations.header['X-Acting-As']).toBe(COMPANY.id)
  expect(inbox.header['X-Acting-As']).toBe(COMPANY.id)
  expect(me.header['X-Acting-As']).toBeUndefined()
  expect(me.header.Authorization).toMatch(/^Bearer /)
})

test('acting as myself sends nothing; my own id is myself', async () => {
  fake.route('GET', '/api/v1/declarations', { items: [], total: 0, page: 1, pageSize: 20 })
  api.actAs({ id: session.get().citizen.id, name: '我' })
  expect(session.actingAs()).toBeNull()
  await api.listDeclarations()
  expect(fake.calls.request[0].header['X-Acting-As']).toBeUndefined()
})

test('a revoked authorisation puts me back to myself, with the Chinese text', async () => {
  api.actAs(COMPANY)
  fake.route('GET', '/api/v1/declarations', {
    status: 403,
    body: { code: 'MANDATE_REVOKED', title: '您的办理授权已被撤销，请联系授权人' },
  })
  await expect(api.listDeclarations()).rejects.toMatchObject({ status: 403, code: 'MANDATE_REVOKED' })
  expect(session.actingAs()).toBeNull()
  fake.route('GET', '/api/v1/declarations', { items: [], total: 0, page: 1, pageSize: 20 })
  await api.listDeclarations()
  expect(fake.calls.request[1].header['X-Acting-As']).toBeUndefined()
})

test('an authorisation limited to items keeps me acting when the wallet is refused', async () => {
  api.actAs(COMPANY)
  fake.route('GET', '/api/v1/licences', {
    status: 403,
    body: { code: 'MANDATE_ITEMS_ONLY', title: '该授权仅限指定事项，不能查看或使用委托人的其他资料' },
  })
  await expect(api.licences()).rejects.toMatchObject({
    status: 403,
    code: 'MANDATE_ITEMS_ONLY',
    message: '该授权仅限指定事项，不能查看或使用委托人的其他资料',
  })
  // The mandate stands (its items are applied for through the declarations): still acting.
  expect(session.actingAs()).toMatchObject({ id: COMPANY.id })
  fake.route('GET', '/api/v1/declarations', { items: [], total: 0, page: 1, pageSize: 20 })
  await api.listDeclarations()
  expect(fake.calls.request[1].header['X-Acting-As']).toBe(COMPANY.id)
})

test('signing out forgets the party', () => {
  api.actAs(COMPANY)
  session.clear()
  expect(session.actingAs()).toBeNull()
})
