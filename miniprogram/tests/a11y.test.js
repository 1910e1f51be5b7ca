// Accessibility of every page, checked on its rendered tree (miniprogram-simulate) with the
// backend's recorded answers, in normal and in elderly mode (适老化):
// - every interactive element (a tap, input or change handler, or a form control) and every
//   image carries aria-role and aria-label (WeChat's screen reader reads them);
// - tap targets are at least 88rpx high (120rpx in elderly mode);
// - text contrasts with what is behind it by 4.5:1 at least (7:1 in elderly mode);
// - in elderly mode no text, muted text and tags included, is smaller than 36rpx.
// miniprogram-simulate writes rpx as px into the document: 1px here is 1rpx.
const fs = require('fs')
const path = require('path')
const { createFakeWx, settle } = require('./helpers/fake-wx')
const { recorded, recording, replay } = require('./helpers/recorded')
const { trackAttributes, problems, nodes, interactive, textElements } = require('./helpers/a11y')

const ROOT = path.resolve(__dirname, '..')
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

// Pages that are a web-view only: the page inside is the platform's or the department's.
const WEB_VIEWS = ['pages/bind/index', 'pages/web/index']

// What each page is opened with (the recorded answers it reads, its query), so that its lists,
// buttons and states are on screen when checked.
const d = (name) => recorded(name).id
const SETUP = {
  'pages/home/index': { replay: ['items.hot', 'inbox'] },
  'pages/services/index': { replay: ['catalog.facets'] },
  'pages/items/index': { replay: ['items.browse'], query: () => ({ theme: '户籍办理', title: '户籍办理' }) },
  'pages/item/index': { replay: ['item.detail'], query: () => ({ code: recorded('item.detail').code }) },
  'pages/login/index': { signedOut: true },
  'pages/bind-return/index': { query: () => ({ code: 'c', state: 's' }) },
  'pages/apply/index': { replay: ['declaration.draft'], query: () => ({ id: d('declaration.draft') }) },
  'pages/declarations/index': { replay: ['declarations.list'] },
  'pages/declaration/index': { replay: ['declaration.tolerated'], query: () => ({ id: d('declaration.tolerated') }) },
  'pages/pay/index': { replay: ['payments.notices'] },
  'pages/rate/index': {
    replay: ['reviews.tags', 'reviews.follow-up'],
    query: () => ({ id: recorded('reviews.follow-up').declarationId }),
    after: (page) => page.instance.chooseLevel({ currentTarget: { dataset: { level: 2 } } }),
  },
  'pages/queue/index': {},
  'pages/wallet/index': { replay: ['licences.list', 'licences.uses'] },
  'pages/licence/index': {
    replay: ['licences.detail', 'licences.verifications', 'licences.display'],
    query: () => ({ id: recorded('licences.detail').id }),
    after: (page) => page.instance.show(),
  },
  'pages/inbox/index': { replay: ['inbox'] },
  'pages/settings/index': { replay: ['push.preferences'] },
  'pages/halls/index': { replay: ['halls.list'] },
  'pages/hall/index': { replay: ['halls.detail'], query: () => ({ code: recorded('halls.detail').code, item: 'x' }) },
  'pages/book/index': {
    replay: ['halls.slots'],
    query: () => ({ hall: recorded('halls.slots').hall.code, item: recorded('halls.slots').item.code, declaration: 'd' }),
  },
  'pages/appointments/index': { replay: ['appointments.list'] },
  'pages/figures/index': {},
  'pages/hotline/index': { query: () => ({ itemCode: 'x', name: '临时居民身份证申领' }) },
  'pages/hotline-tickets/index': { replay: ['hotline.detail'], query: () => ({ id: recorded('hotline.detail').id }) },
  'pages/mine/index': { replay: ['me'] },
  'pages/materials/index': { replay: ['materials.list'] },
  'pages/consents/index': { replay: ['consents.list'] },
  'pages/dept-services/index': {},
  'pages/addresses/index': { replay: ['addresses.list'] },
  'pages/delivery/index': {
    replay: ['delivery.tracking'],
    query: () => ({ declarationId: recorded('delivery.tracking').declarationId }),
  },
  'pages/bundle-guide/index': { replay: ['bundle.plan'], query: () => ({ code: recorded('bundle.plan').bundleCode }) },
  'pages/bundle/index': { replay: ['bundle.detail'], query: () => ({ id: d('bundle.detail') }) },
  // No recording of the proxies' answers yet: the page shows its title, its error and the
  // button that opens the grant form.
  'pages/proxies/index': {},
  'pages/proxy-grant/index': { query: () => ({ itemCode: 'x', itemName: '临时居民身份证申领' }) },
}

async function open(pagePath, setup = SETUP[pagePath] || {}) {
  jest.resetModules()
  trackAttributes()
  const fake = createFakeWx()
  global.wx = fake.wx
  if (!setup.signedOut) require('../utils/session').save(recorded('auth.sso-complete'))
  ;(setup.replay || []).forEach((name) => replay(fake, name))
  if (setup.routes) setup.routes(fake)
  const { render } = require('./helpers/render')
  const page = render(pagePath)
  await page.instance.onLoad(setup.query ? setup.query() : {})
  await settle()
  if (setup.after) {
    await setup.after(page)
    await settle()
  }
  return page
}

const PAGES = APP.pages.filter((p) => !WEB_VIEWS.includes(p))

test('every page of app.json is checked here', () => {
  expect(APP.pages.filter((p) => !WEB_VIEWS.includes(p) && !(p in SETUP))).toEqual([])
})

// One rendering per page: checked as it opens, then again once elderly mode is switched on
// (pages follow the switch live, as when the citizen turns it on in 设置).
test.each(PAGES)('%s: labels, tap targets, contrast, text size — normal and elderly', async (pagePath) => {
  const page = await open(pagePath)
  // Something is on screen (the setup answered what the page asks).
  expect(nodes(page._exparserNode).filter(interactive).length + textElements(nodes(page._exparserNode)).length).toBeGreaterThan(0)
  expect(problems(page, false)).toEqual([])
  require('../utils/prefs').setElderly(true)
  await settle()
  expect(page.querySelector('.page') ? page.querySelector('.page').dom.className : 'elderly').toMatch(/elderly/)
  expect(problems(page, true)).toEqual([])
})

// The bundle's recorded detail is submitted (members, lanes, results); its draft (the one form,
// the materials, save and submit) is checked from the recorded answer to a form save.
test('pages/bundle/index as a draft: labels, tap targets, contrast, text size — normal and elderly', async () => {
  const draft = recording('bundle.save-form')
  const page = await open('pages/bundle/index', {
    routes: (fake) => fake.route('GET', draft.path, () => ({ status: 200, body: draft.body })),
    query: () => ({ id: draft.body.id }),
  })
  expect(page.querySelector('.form')).toBeTruthy()
  expect(page.querySelectorAll('.upload').length).toBeGreaterThan(0)
  expect(problems(page, false)).toEqual([])
  require('../utils/prefs').setElderly(true)
  await settle()
  expect(problems(page, true)).toEqual([])
})
