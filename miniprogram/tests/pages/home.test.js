const { createFakeWx, settle } = require('../helpers/fake-wx')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
})

const item = (code, name) => ({ code, name, department: { code: 'd', name: '公安局' } })

test('home shows hot items and finds items by keyword', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/items/hot', [item('A', '居民身份证补领'), item('B', '住房公积金提取')])
  fake.route('GET', '/api/v1/items', (req) => {
    expect(new URL(req.url).searchParams.get('q')).toBe('sfz')
    return { items: [item('A', '居民身份证补领')], total: 1, page: 1, pageSize: 20 }
  })
  const page = render('pages/home/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.hot-item .text')).toEqual(['居民身份证补领', '住房公积金提取'])

  page.instance.onInput({ detail: { value: 'sfz' } })
  await page.instance.onSearch()
  await settle()
  expect(texts(page, '.results .title')).toEqual(['搜索结果（1）'])
  page.querySelector('.result').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual(['/pages/item/index?code=A'])
})

test('signed-in citizens see the latest notices from their inbox', async () => {
  const { render, texts } = require('../helpers/render')
  fake.wx.setStorageSync('handheld.session', { accessToken: 'tok', citizen: { id: 'c' } })
  fake.route('GET', '/api/v1/items/hot', [])
  fake.route('GET', '/api/v1/inbox', {
    items: [
      { id: '1', eventType: 'notice', title: '春节假期办事安排' },
      { id: '2', eventType: 'declaration.accepted', title: '申请已受理' },
    ],
    total: 2,
    unread: 2,
    page: 1,
    pageSize: 20,
  })
  const page = render('pages/home/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.notice .text')).toEqual(['春节假期办事安排'])
  expect(fake.calls.request.find((r) => r.path === '/api/v1/inbox').header.Authorization).toBe('Bearer tok')
})
