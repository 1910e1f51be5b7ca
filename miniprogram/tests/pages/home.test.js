const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded, replay } = require('../helpers/recorded')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
})

test('home shows hot items and finds items by keyword', async () => {
  const { render, texts } = require('../helpers/render')
  const hot = replay(fake, 'items.hot')
  const found = recorded('items.search')
  fake.route('GET', '/api/v1/items', (req) => {
    expect(new URL(req.url).searchParams.get('q')).toBe('临时居民身份证申领')
    return found
  })
  const page = render('pages/home/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.hot-item .text')).toEqual(hot.map((i) => i.name))
  expect(texts(page, '.hot-item .muted')).toEqual(hot.map((i) => i.department.name))

  page.instance.onInput({ detail: { value: '临时居民身份证申领' } })
  await page.instance.onSearch()
  await settle()
  expect(texts(page, '.results .title')).toEqual([`搜索结果（${found.total}）`])
  expect(texts(page, '.result .text')).toEqual(['临时居民身份证申领'])
  expect(texts(page, '.result .muted')).toEqual(['金城市公安局'])
  page.querySelector('.result').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/item/index?code=${encodeURIComponent(found.items[0].code)}`])
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
