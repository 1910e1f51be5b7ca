// 身份切换 and 委托代办: the switcher lists me, my companies and the people I act for and makes
// every call that acts carry X-Acting-As (and no other call); the pages to authorise a person
// and to see and revoke who acts for me.
const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded } = require('../helpers/recorded')
const { t } = require('../../i18n/index')

const PARENT = '7d4c2a9e-0a51-4d2b-9f7e-3c1d1f1a0b01'
const COMPANY = '2b1f7a40-88c2-4c55-a0d2-5f6e7b8c9d02'
const PARTIES = {
  parties: [
    { id: 'me-0000', kind: 'natural', name: '李*', role: 'self' },
    { id: COMPANY, kind: 'legal', name: '西岭云帆科技有限公司', role: 'agent', uscc: '91620100********1X' },
    { id: PARENT, kind: 'natural', name: '王*', role: 'family', mandateId: 'm-1', items: ['GG-01101-001'] },
  ],
  platformChecked: true,
}

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  require('../../utils/session').save(recorded('auth.sso-complete'))
})

test('the switcher: me, my companies, people I act for; the choice goes with acting calls only', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/parties', PARTIES)
  fake.route('GET', '/api/v1/declarations', { items: [], total: 0, page: 1, pageSize: 20 })
  fake.route('GET', '/api/v1/me', recorded('auth.sso-complete').citizen)
  const switcher = render('components/identity-switcher/index')
  await settle()
  expect(texts(switcher, '.label')).toEqual([t('switcher.self')])
  await switcher.instance.toggle()
  await settle()
  expect(texts(switcher, '.group-title')).toEqual([
    t('switcher.groupSelf'),
    t('switcher.groupCompanies'),
    t('switcher.groupPeople'),
  ])
  expect(texts(switcher, '.choice')).toEqual([
    t('switcher.self'),
    t('switcher.company', { name: '西岭云帆科技有限公司' }),
    t('switcher.person', { name: '王*' }),
  ])
  const changes = []
  switcher.instance.triggerEvent = (name, detail) => changes.push([name, detail])
  switcher.instance.choose({ currentTarget: { dataset: { id: PARENT } } })
  await settle()
  expect(texts(switcher, '.label')).toEqual([t('switcher.person', { name: '王*' })])
  expect(changes).toEqual([['acting', { party: { id: PARENT, name: '王*', kind: 'natural' } }]])

  const api = require('../../utils/api')
  await api.listDeclarations()
  await api.me()
  const [list, me] = fake.calls.request.slice(-2)
  expect(list.header['X-Acting-As']).toBe(PARENT)
  expect(me.header['X-Acting-As']).toBeUndefined() // my own account is never another's

  // Back to myself: nothing sent.
  await switcher.instance.toggle()
  await settle()
  switcher.instance.choose({ currentTarget: { dataset: { id: 'me-0000' } } })
  await api.listDeclarations()
  expect(fake.calls.request.slice(-1)[0].header['X-Acting-As']).toBeUndefined()
})

test('the switcher forgets a party that no longer lists me (revoked)', async () => {
  const { render, texts } = require('../helpers/render')
  require('../../utils/acting').set({ id: PARENT, name: '王*', kind: 'natural', role: 'family' })
  fake.route('GET', '/api/v1/parties', { parties: [PARTIES.parties[0]], platformChecked: true })
  const switcher = render('components/identity-switcher/index')
  await settle()
  expect(texts(switcher, '.label')).toEqual([t('switcher.person', { name: '王*' })])
  await switcher.instance.toggle()
  await settle()
  expect(texts(switcher, '.label')).toEqual([t('switcher.self')])
  expect(require('../../utils/acting').current()).toBeNull()
})

test('my own account and my authorisations are never sent as another party', async () => {
  fake.route('GET', '/api/v1/proxies', { items: [] })
  fake.route('GET', '/api/v1/declarations', { items: [], total: 0, page: 1, pageSize: 20 })
  require('../../utils/acting').set({ id: PARENT, name: '王*', kind: 'natural', role: 'family' })
  const api = require('../../utils/api')
  await api.proxies()
  await api.listDeclarations()
  const [own, acted] = fake.calls.request.slice(-2)
  expect(own.header['X-Acting-As']).toBeUndefined()
  expect(acted.header['X-Acting-As']).toBe(PARENT)
})

test('pages that act show the switcher', () => {
  const fs = require('fs')
  const path = require('path')
  for (const name of ['apply', 'declarations', 'declaration', 'pay', 'rate']) {
    const dir = path.join(__dirname, '../../pages', name)
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'))
    expect([name, json.usingComponents['identity-switcher']]).toEqual([name, '/components/identity-switcher/index'])
    expect([name, fs.readFileSync(path.join(dir, 'index.wxml'), 'utf8').includes('<identity-switcher')]).toEqual([name, true])
  }
})

test('authorise a person: checked here first, then sent with the item and the day it ends', async () => {
  const { render, texts } = require('../helpers/render')
  const sent = []
  fake.route('POST', '/api/v1/proxies', (req) => {
    sent.push(req.data)
    return sent.length === 1
      ? { status: 400, body: { code: 'PROXY_AGENT_UNKNOWN', title: '未找到该实名用户' } }
      : { id: 'm-2', agentKind: 'person', agentName: '李*', items: [{ code: 'GG-01101-001', name: '城乡居民基本医疗保险参保登记' }], validFrom: '2026-12-03T10:00:00Z', validUntil: '2027-01-02T15:59:59Z', status: 'active' }
  })
  const page = render('pages/proxy-grant/index')
  page.instance.onLoad({ itemCode: 'GG-01101-001', itemName: encodeURIComponent('城乡居民基本医疗保险参保登记') })
  await settle()
  expect(await page.instance.submit()).toBe(false)
  await settle()
  expect(texts(page, '.error')).toEqual([t('proxy.badIdNumber')])
  page.instance.onIdNumber({ detail: { value: '62010219800101001x' } })
  expect(await page.instance.submit()).toBe(false)
  expect(page.instance.data.error).toBe(t('proxy.badIdNumber')) // the check character is wrong
  page.instance.onIdNumber({ detail: { value: '620102198001010017' } })
  expect(await page.instance.submit()).toBe(false)
  expect(page.instance.data.error).toBe(t('proxy.needName'))
  page.instance.onName({ detail: { value: '李四' } })
  page.instance.onUntil({ detail: { value: '2027-01-02' } })
  expect(sent).toHaveLength(0)
  expect(await page.instance.submit()).toBe(false) // the backend's refusal is shown
  expect(await page.instance.submit()).toBe(true)
  expect(sent[1]).toEqual({
    agentIdNumber: '620102198001010017',
    agentName: '李四',
    items: ['GG-01101-001'],
    validUntil: '2027-01-02T23:59:59+08:00',
  })
  expect(fake.calls.navigate).toEqual(['/pages/proxies/index'])
  // Every item when the switch is off.
  page.instance.toggleItem({ detail: { value: false } })
  await page.instance.submit()
  expect(sent[2].items).toEqual([])
})

test('who acts for me: each grant with its scope and status, revoked at once after a confirm', async () => {
  const { render, texts } = require('../helpers/render')
  let revoked = false
  const grants = () => ({
    items: [
      { id: 'm-1', agentKind: 'person', agentName: '李*', items: [{ code: 'GG-01101-001', name: '城乡居民基本医疗保险参保登记' }], validFrom: '2026-12-03T10:00:00Z', validUntil: '2027-01-02T15:59:59Z', status: revoked ? 'revoked' : 'active' },
      { id: 'm-0', agentKind: 'staff', agentName: '窗口工作人员 clerk', items: [], validFrom: '2026-11-03T10:00:00Z', validUntil: '2026-11-03T12:00:00Z', status: 'expired' },
    ],
  })
  fake.route('GET', '/api/v1/proxies', () => grants())
  fake.route('GET', '/api/v1/proxies/log', { items: [{ id: 'l-1', mandateId: 'm-1', event: 'acted', label: '提交申请', agentName: '李*', action: 'declaration.submit', target: 'd-1', at: '2026-12-03T11:00:00Z' }] })
  fake.route('DELETE', /^\/api\/v1\/proxies\/m-1$/, () => {
    revoked = true
    return { status: 204, body: undefined }
  })
  const page = render('pages/proxies/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.scope')).toEqual(['城乡居民基本医疗保险参保登记', t('proxy.allItems')])
  expect(texts(page, '.revoke')).toEqual([t('proxy.revoke')]) // only the live one
  expect(texts(page, '.log-entry')[0]).toContain('提交申请')
  expect(await page.instance.revoke({ currentTarget: { dataset: { id: 'm-1' } } })).toBe(true)
  await settle()
  expect(fake.calls.modal).toEqual([t('proxy.revokeConfirm', { name: '李*' })])
  expect(texts(page, '.revoke')).toEqual([])
  expect(fake.calls.toast).toContain(t('proxy.revoked'))
})
