// A submission the platform refused: the reason shown, and back to a draft to correct it.
const { createFakeWx, settle } = require('../helpers/fake-wx')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  fake.wx.setStorageSync('handheld.session', { accessToken: 'tok', citizen: { id: 'c', realNameBound: true } })
})

const refused = (extra) => ({
  id: 'd1', itemCode: 'X', itemName: '住房公积金提取（租房）', state: 'platform_refused', delivery: 'refused',
  caseNumber: null, form: [], formData: {}, prefill: {}, materials: [], supervision: 'none',
  refusal: { kind: 'submission', code: 'ITEM_NOT_ACCEPTING', reason: '事项已暂停受理：系统升级维护', at: '2026-11-20T08:00:00Z', materials: [] },
  timeline: [
    { state: 'submitted', previousState: 'draft', actor: 'citizen', reason: null, at: '2026-11-20T07:59:00Z' },
    { state: 'platform_refused', previousState: 'submitted', actor: 'platform', reason: '事项已暂停受理：系统升级维护', at: '2026-11-20T08:00:00Z' },
  ],
  ...extra,
})

test('declaration refused by the platform: the reason, then redraft opens the draft', async () => {
  const { render, texts } = require('../helpers/render')
  let current = refused()
  fake.route('GET', '/api/v1/declarations/d1', () => current)
  fake.route('POST', '/api/v1/declarations/d1/redraft', () => {
    current = refused({ state: 'draft', delivery: 'none' })
    return current
  })
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: 'd1' })
  await settle()
  expect(texts(page, '.tag')).toEqual(['平台退回', '未被平台接收'])
  expect(texts(page, '.refusal .text')).toEqual(['平台未受理：事项已暂停受理：系统升级维护'])
  expect(page.querySelector('.supplement.btn')).toBeFalsy()
  expect(page.querySelector('.withdraw.btn')).toBeTruthy()
  page.querySelector('.redraft.btn').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual(['/pages/apply/index?id=d1'])
})
