// Accessibility of every page, checked on its rendered tree (miniprogram-simulate) with the
// backend's recorded answers, in normal and in elderly mode (适老化):
// - every interactive element (a tap, input or change handler, or a form control) and every
//   image carries aria-role and aria-label (WeChat's screen reader reads them);
// - tap targets are at least 88rpx high (120rpx in elderly mode);
// - text contrasts with what is behind it by 4.5:1 at least (7:1 in elderly mode);
// - in elderly mode no text, muted text and tags included, is smaller than 36rpx.
// miniprogram-simulate writes rpx as px into the document: 1px here is 1rpx.
const { settle } = require('./helpers/fake-wx')
const { APP, SETUP, WEB_VIEWS, open, recording } = require('./helpers/pages')
const { problems, nodes, interactive, textElements } = require('./helpers/a11y')

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
