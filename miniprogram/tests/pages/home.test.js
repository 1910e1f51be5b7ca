const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded, replay } = require('../helpers/recorded')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
})

test('home shows hot items; a search opens its paged results page', async () => {
  const { render, texts } = require('../helpers/render')
  const hot = replay(fake, 'items.hot')
  const page = render('pages/home/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.hot-item .text')).toEqual(hot.map((i) => i.name))
  expect(texts(page, '.hot-item .muted')).toEqual(hot.map((i) => i.department.name))

  page.instance.onInput({ detail: { value: '临时居民身份证申领' } })
  page.instance.onSearch()
  page.querySelector('.hot-item').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([
    `/pages/items/index?q=${encodeURIComponent('临时居民身份证申领')}`,
    `/pages/item/index?code=${encodeURIComponent(hot[0].code)}`,
  ])
  // The shortcuts: 我的办件, 待缴费, … as buttons to their pages.
  page.querySelectorAll('.shortcut')[1].dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate.pop()).toBe('/pages/pay/index')
})

test('home: hot items that fail to load say so and retry; pulling down reloads', async () => {
  const { render, texts } = require('../helpers/render')
  let fail = true
  const hot = recorded('items.hot')
  fake.route('GET', '/api/v1/items/hot', () => (fail ? { status: 503, body: { code: 'UNAVAILABLE', title: '服务暂不可用' } } : hot))
  const page = render('pages/home/index')
  await page.instance.onLoad({})
  await settle()
  const state = page.querySelector('.list-state')
  expect(texts(state, '.state-error .error')).toEqual(['服务暂不可用'])
  fail = false
  state.querySelector('.retry').dispatchEvent('tap')
  await settle()
  expect(texts(state, '.state-error')).toEqual([])
  expect(texts(page, '.hot-item .text')).toEqual(hot.map((i) => i.name))
  await page.instance.onPullDownRefresh()
  expect(fake.calls.stopRefresh).toBe(1)
})

test('signed-in citizens see the latest notices from their inbox', async () => {
  const { render, texts } = require('../helpers/render')
  const pair = recorded('auth.sso-complete')
  require('../../utils/session').save(pair)
  fake.route('GET', '/api/v1/items/hot', [])
  replay(fake, 'inbox')
  const page = render('pages/home/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.notice .text')).toEqual(['春节假期办事安排'])
  expect(fake.calls.request.find((r) => r.path === '/api/v1/inbox').header.Authorization).toBe(`Bearer ${pair.accessToken}`)
})
