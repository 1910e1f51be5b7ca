// Real-name binding through the platform's unified identity page: the web-view opens the
// platform's address; its return page finishes the binding and goes where the citizen was
// going, or home; a refusal is told, with the platform's reason.
const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded, replay } = require('../helpers/recorded')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  fake.wx.setStorageSync('handheld.session', { accessToken: 'tok', citizen: { id: 'c', realNameBound: false } })
})

test('bind: the platform sign-in page opens in the web-view at the address given', async () => {
  const { render } = require('../helpers/render')
  const address = 'https://tyrz.example.gov.cn/oauth2/authorize?state=s&redirect_uri=https%3A%2F%2Fh5%2Freturn'
  const page = render('pages/bind/index')
  await page.instance.onLoad({ url: encodeURIComponent(address) })
  await settle()
  const view = page.querySelector('web-view') || page.dom.querySelector('wx-web-view')
  expect(view).toBeTruthy()
  expect(page.instance.data.url).toBe(address)
})

test('bind: no address, no web-view (nothing opened on a bare link)', async () => {
  const { render } = require('../helpers/render')
  const page = render('pages/bind/index')
  await page.instance.onLoad({})
  await settle()
  expect(page.dom.querySelector('wx-web-view')).toBeFalsy()
})

test('bind-return: the code and state go to the backend, then on to where the citizen was going', async () => {
  const { render, texts } = require('../helpers/render')
  replay(fake, 'auth.sso-complete')
  fake.wx.setStorageSync('handheld.afterBinding', '/pages/apply/index?code=X')
  const page = render('pages/bind-return/index')
  await page.instance.onLoad({ code: encodeURIComponent('c 1'), state: encodeURIComponent('s/1') })
  await settle()
  const sent = fake.calls.request.find((r) => r.path === '/api/v1/auth/sso/complete')
  expect(sent.data).toEqual({ code: 'c 1', state: 's/1' })
  expect(texts(page, '.text')).toEqual(['实名认证成功'])
  expect(fake.calls.navigate).toEqual(['/pages/apply/index?code=X'])
  expect(fake.wx.getStorageSync('handheld.afterBinding')).toBe('')
  // The session is the new pair: the citizen is now real-named.
  const saved = fake.wx.getStorageSync('handheld.session')
  expect(saved.accessToken).toBe(recorded('auth.sso-complete').accessToken)
})

test('bind-return: with nowhere to go back to, home', async () => {
  const { render } = require('../helpers/render')
  replay(fake, 'auth.sso-complete')
  const page = render('pages/bind-return/index')
  await page.instance.onLoad({ code: 'c', state: 's' })
  await settle()
  expect(fake.calls.navigate).toEqual(['/pages/home/index'])
})

test('bind-return: a refusal is told with the reason, and nothing is navigated', async () => {
  const { render, texts } = require('../helpers/render')
  fake.route('POST', '/api/v1/auth/sso/complete', {
    status: 400, body: { code: 'SSO_STATE_INVALID', title: '登录状态已失效，请重新发起', status: 400 },
  })
  const page = render('pages/bind-return/index')
  await page.instance.onLoad({ code: 'c', state: 'stale' })
  await settle()
  expect(texts(page, '.error')).toEqual(['实名认证未完成，请重试（登录状态已失效，请重新发起）'])
  expect(fake.calls.navigate).toEqual([])
})
