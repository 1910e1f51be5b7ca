// Screenshots of every page of app.json, in Chinese and Mongolian, in normal and elderly mode,
// for a person to look at, and a layout check on each in a real browser: nothing reaches past
// the phone's width, no text is cut by a box that hides its overflow, and the screen reader
// meets the interactive elements in the order they are drawn. Each page is opened as
// in tests/a11y.test.js (recorded backend answers), turned into a standalone HTML document with
// WeChat's component styles and the page's WXSS at 375px (helpers/screens.js), and shot in
// headless Chromium at 375x812, device scale 2 (helpers/shoot.js, one browser for the file).
// The PNGs, <page>-<zh|mn>-<normal|elderly>.png, go to $HANDHELD_SCREENSHOTS (default: a
// directory under the OS temp dir, printed when the file runs).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFile } = require('child_process')
const { APP, WEB_VIEWS, open } = require('./helpers/pages')
const { pageDocument } = require('./helpers/screens')

const OUT = process.env.HANDHELD_SCREENSHOTS || path.join(os.tmpdir(), 'handheld-screens')
// Selectors where a page means to cut a title with an ellipsis (e.g. a list row's title);
// none so far. Keep them few and say why beside each.
const ELLIPSIS_ALLOWED = []
// Pages that show a message and nothing to tap in the state they are shot in.
const NOTHING_TO_TAP = ['pages/bind-return/index', 'pages/figures/index']

// A page with each fault the check looks for, and a box that scrolls on purpose.
const PROBE = `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<div class="wide" style="width:500px">wider than the phone</div>
<div class="cut-x" style="width:60px;overflow:hidden;white-space:nowrap">a label longer than its box</div>
<div class="cut-y" style="height:20px;overflow:hidden;line-height:20px;width:80px">lines that do not fit in the height</div>
<div class="ellipsis" style="width:60px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis">a title cut with dots</div>
<div class="scrolls" style="width:60px;overflow-x:auto;white-space:nowrap">a strip that scrolls sideways on purpose</div>
<div style="display:flex;flex-direction:column-reverse"><div aria-role="button" class="first">first</div><div aria-role="button" class="second">second</div></div>
<div style="display:flex;flex-direction:row-reverse;width:200px"><div aria-role="button" class="left">one</div><div aria-role="button" class="right">two</div></div>
</body></html>`

const STATES = APP.pages.flatMap((pagePath) =>
  ['zh-CN', 'mn'].flatMap((lang) =>
    [false, true].map((elderly) => {
      const name = `${pagePath.split('/')[1]}-${lang === 'mn' ? 'mn' : 'zh'}-${elderly ? 'elderly' : 'normal'}`
      return { name, pagePath, lang, elderly, png: path.join(OUT, `${name}.png`) }
    }),
  ),
)

let results = {}
beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true })
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'handheld-screens-html-'))
  const jobs = []
  for (const state of STATES) {
    const page = await open(state.pagePath, undefined, { lang: state.lang, elderly: state.elderly })
    const html = path.join(work, `${state.name}.html`)
    fs.writeFileSync(html, pageDocument(page, state.pagePath, { lang: state.lang }))
    page.detach()
    jobs.push({ name: state.name, html, png: state.png })
  }
  // The check proved on a page broken on purpose, in the same browser run.
  const probe = path.join(work, 'probe.html')
  fs.writeFileSync(probe, PROBE)
  jobs.push({ name: 'probe', html: probe, png: path.join(work, 'probe.png') })
  const jobsFile = path.join(work, 'jobs.json')
  const resultsFile = path.join(work, 'results.json')
  fs.writeFileSync(jobsFile, JSON.stringify({ jobs, allowed: ELLIPSIS_ALLOWED }))
  await new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'helpers/shoot.js'), jobsFile, resultsFile], (err, stdout, stderr) =>
      err ? reject(new Error(`shooting the pages failed: ${stderr || err.message}`)) : resolve(),
    )
  })
  results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
  fs.rmSync(work, { recursive: true, force: true })
  console.log(`screenshots of ${STATES.length} page states: ${OUT}`)
}, 600000)

test('every page of app.json is shot in both languages and both modes', () => {
  expect(STATES).toHaveLength(APP.pages.length * 4)
  const missing = STATES.filter((s) => !fs.existsSync(s.png) || fs.statSync(s.png).size === 0).map((s) => s.name)
  expect(missing).toEqual([])
})

test('the check finds a page wider than the phone and text cut, not a box that scrolls', () => {
  const found = results.probe.problems.join('\n')
  expect(found).toMatch(/scrolls sideways/)
  expect(found).toMatch(/div\.wide "wider than the phone": right edge at 500px/)
  expect(found).toMatch(/div\.cut-x .*text cut/)
  expect(found).toMatch(/div\.cut-y .*text cut/)
  expect(found).toMatch(/div\.ellipsis .*text cut/)
  expect(found).not.toMatch(/scrolls sideways on purpose/)
  expect(found).toMatch(/div\.second "second": reached after div\.first "first" but drawn above it/)
  expect(found).toMatch(/div\.right "two": reached after div\.left "one" but drawn left of it/)
})

test('the reading-order check sees every page’s interactive elements (their roles are in the documents)', () => {
  // The guide: its templates, sample, phones, halls, apply and 12345 buttons.
  expect(results['item-zh-normal'].focusable).toBeGreaterThanOrEqual(8)
  const without = STATES.filter((s) => !WEB_VIEWS.includes(s.pagePath) && results[s.name].focusable === 0)
  expect(without.map((s) => s.name)).toEqual(without.filter((s) => NOTHING_TO_TAP.includes(s.pagePath)).map((s) => s.name))
})

test.each(STATES.map((s) => [s.name, s]))('%s: shows text, nothing past the edge, no text cut, read in the order drawn', (name, state) => {
  expect(results[name]).toBeDefined()
  // Something is on screen: the setup answered what the page asks (a web-view page shows
  // another site's page, drawn as a box naming its address).
  if (!WEB_VIEWS.includes(state.pagePath)) expect(results[name].text).toBeGreaterThan(0)
  expect(results[name].problems).toEqual([])
})
