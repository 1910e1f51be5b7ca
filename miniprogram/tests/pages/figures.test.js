const { createFakeWx, settle } = require('../helpers/fake-wx')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
})

// As GET /api/v1/figures/monthly answers (docs/public-figures.md), oldest month first.
const ANSWER = {
  from: '2027-01',
  to: '2027-03',
  months: [
    { month: '2027-01', applications: 40, completed: 30, onlineRate: 0.5, reviews: 10, satisfaction: 0.9, averageAcceptanceDays: 1.5, averageCompletionDays: 3.25 },
    { month: '2027-02', applications: 80, completed: 64, onlineRate: 0.625, reviews: 20, satisfaction: 0.85, averageAcceptanceDays: 2, averageCompletionDays: 4.1 },
    { month: '2027-03', applications: 0, completed: 0, onlineRate: null, reviews: 0, satisfaction: null, averageAcceptanceDays: null, averageCompletionDays: null },
  ],
}

test('办事数据 shows the province’s monthly figures without signing in, newest month first', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/figures/monthly', ANSWER)
  const page = render('pages/figures/index')
  await page.instance.onLoad({})
  await settle()
  const request = fake.calls.request[0]
  expect(`${request.method} ${request.path}`).toBe('GET /api/v1/figures/monthly')
  expect(request.header && request.header.Authorization).toBeUndefined()
  expect(texts(page, '.month .title')).toEqual(['2027年3月', '2027年2月', '2027年1月'])
  expect(texts(page, '.month .text.figure')).toEqual([
    '申请 0 件', '办结 0 件', '申请 80 件', '办结 64 件', '申请 40 件', '办结 30 件',
  ])
  expect(texts(page, '.month .muted.figure')).toEqual([
    '全程网办率 —', '好评率 —', '平均办理 —',
    '全程网办率 62.5%', '好评率 85.0%', '平均办理 4.1 个工作日',
    '全程网办率 50.0%', '好评率 90.0%', '平均办理 3.25 个工作日',
  ])
  // The bars compare applications with the busiest month.
  expect(page.instance.data.months.map((m) => m.bar)).toEqual([0, 100, 50])
})

test('办事数据 says so when the figures cannot be loaded', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('GET', '/api/v1/figures/monthly', {
    status: 400,
    body: { code: 'INVALID_PARAMETER', title: '参数有误', status: 400 },
  })
  const page = render('pages/figures/index')
  await page.instance.onLoad({})
  await settle()
  expect(texts(page, '.error')).toHaveLength(1)
  expect(texts(page, '.month')).toEqual([])
})
