// The pages of app.json opened in a representative state with the backend's recorded answers,
// for the checks that walk every page (tests/a11y.test.js, tests/screens.test.js).
const fs = require('fs')
const path = require('path')
const { createFakeWx, settle } = require('./fake-wx')
const { recorded, recording, replay } = require('./recorded')
const { trackAttributes } = require('./a11y')

const ROOT = path.resolve(__dirname, '../..')
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
  // The web-view pages show another site's page; opened with an address they are given.
  'pages/bind/index': { query: () => ({ url: encodeURIComponent('https://tyrz.example.gov.cn/bind?state=s') }) },
  'pages/web/index': { query: () => ({ url: encodeURIComponent('https://www.example.gov.cn/service'), title: encodeURIComponent('部门服务') }) },
}

// The official WXML compiler compiles every WXML file of the mini-program each time a fresh
// module registry loads miniprogram-simulate (about 2 s): its output, a function of the files
// alone, is kept for the run.
const compiled = new Map()
function compilerKeepingOutput() {
  const real = jest.requireActual('miniprogram-compiler')
  return {
    ...real,
    wxmlToJs(rootPath, options) {
      const key = JSON.stringify([rootPath, options || {}])
      if (!compiled.has(key)) compiled.set(key, real.wxmlToJs(rootPath, options))
      return compiled.get(key)
    },
  }
}

// The style libraries miniprogram-simulate loads (less, postcss, csso: no state of the page's
// in them) are kept for the run too rather than loaded again in each fresh registry.
const kept = new Map()
const keep = (name) => () => {
  if (!kept.has(name)) kept.set(name, jest.requireActual(name))
  return kept.get(name)
}

// Opens the page with its setup (or the one given), in a fresh module registry and a fresh
// fake `wx`; `lang` and `elderly` are chosen before it opens, as a citizen's settings would be.
async function open(pagePath, setup = SETUP[pagePath] || {}, { lang, elderly } = {}) {
  jest.resetModules()
  jest.doMock('miniprogram-compiler', compilerKeepingOutput)
  ;['less', 'postcss', 'csso'].forEach((name) => jest.doMock(name, keep(name)))
  trackAttributes()
  const fake = createFakeWx()
  global.wx = fake.wx
  if (lang) require('../../utils/language').set(lang)
  if (elderly) require('../../utils/prefs').setElderly(true)
  if (!setup.signedOut) require('../../utils/session').save(recorded('auth.sso-complete'))
  ;(setup.replay || []).forEach((name) => replay(fake, name))
  if (setup.routes) setup.routes(fake)
  const { render } = require('./render')
  const page = render(pagePath)
  await page.instance.onLoad(setup.query ? setup.query() : {})
  await settle()
  if (setup.after) {
    await setup.after(page)
    await settle()
  }
  return page
}

module.exports = { APP, SETUP, WEB_VIEWS, open, recording }
