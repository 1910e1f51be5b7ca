// The shape of the mini-program: four tabs (首页 / 办事 / 消息 / 我的), and every page reachable
// from a tab in at most 3 taps. The graph is read from the sources: each page's links are the
// `/pages/…` paths in its template (data-url) and its code (navigateTo, redirectTo, nav.open),
// those of the components it uses, and — for 消息 — the pages the backend links its messages to
// (a tap on a message opens its link).
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const REPO = path.resolve(ROOT, '..')
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
const LINK = /\/(pages\/[a-z0-9_-]+\/index)/g
// Reached from outside the mini-program, not by a tap: the platform's sign-in redirects there.
const ARRIVALS = { 'pages/bind-return/index': 'the platform redirects the binding web-view here' }
const MAX_TAPS = 3

function read(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
}

function linksIn(text) {
  return [...text.matchAll(LINK)].map((m) => m[1])
}

function pageLinks(page) {
  const base = path.join(ROOT, page)
  const json = JSON.parse(read(`${base}.json`) || '{}')
  const components = Object.values(json.usingComponents || {}).map((c) => path.join(ROOT, c.replace(/^\//, '')))
  return new Set(
    [base, ...components].flatMap((file) => linksIn(read(`${file}.wxml`) + read(`${file}.js`))),
  )
}

// The pages the backend's messages (inbox, subscribe messages) link to.
function backendLinks() {
  const out = new Set()
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name)
      if (fs.statSync(full).isDirectory()) walk(full)
      else if (full.endsWith('.py')) linksIn(read(full)).forEach((l) => out.add(l))
    }
  }
  ;['api', 'push', 'payments', 'core'].forEach((p) => fs.existsSync(path.join(REPO, p)) && walk(path.join(REPO, p)))
  return out
}

function graph() {
  const edges = {}
  APP.pages.forEach((p) => {
    edges[p] = pageLinks(p)
  })
  backendLinks().forEach((l) => edges['pages/inbox/index'].add(l))
  return edges
}

function taps(edges) {
  const depth = {}
  const queue = []
  APP.tabBar.list.forEach((tab) => {
    depth[tab.pagePath] = 0
    queue.push(tab.pagePath)
  })
  while (queue.length) {
    const page = queue.shift()
    for (const next of edges[page] || []) {
      if (depth[next] === undefined && APP.pages.includes(next)) {
        depth[next] = depth[page] + 1
        queue.push(next)
      }
    }
  }
  return depth
}

test('the tab bar has 首页, 办事, 消息 and 我的, each a page of the app', () => {
  expect(APP.tabBar.list.map((t) => t.text)).toEqual(['首页', '办事', '消息', '我的'])
  APP.tabBar.list.forEach((t) => expect(APP.pages).toContain(t.pagePath))
  // The tab texts follow the locale at run time, from the same keys.
  const nav = require('../utils/nav')
  expect(nav.TABS.map((t) => t.page)).toEqual(APP.tabBar.list.map((t) => t.pagePath))
})

test(`every page is reachable from a tab in at most ${MAX_TAPS} taps`, () => {
  const depth = taps(graph())
  const far = APP.pages
    .filter((p) => !(p in ARRIVALS))
    .filter((p) => depth[p] === undefined || depth[p] > MAX_TAPS)
    .map((p) => `${p}: ${depth[p] === undefined ? 'unreachable' : `${depth[p]} taps`}`)
  expect(far).toEqual([])
})

test('every link in the pages points at a page of app.json', () => {
  const edges = graph()
  const missing = []
  Object.entries(edges).forEach(([page, links]) =>
    links.forEach((l) => {
      if (!APP.pages.includes(l)) missing.push(`${page} → ${l}`)
    }),
  )
  expect(missing).toEqual([])
})

test('the walk notices a page nothing links to', () => {
  const edges = graph()
  const orphan = 'pages/materials/index'
  Object.values(edges).forEach((links) => links.delete(orphan))
  expect(taps(edges)[orphan]).toBeUndefined()
})

test('tab pages are opened with wx.switchTab, other pages with wx.navigateTo', () => {
  const calls = []
  global.wx = { switchTab: (o) => calls.push(['switchTab', o.url]), navigateTo: (o) => calls.push(['navigateTo', o.url]) }
  jest.resetModules()
  const nav = require('../utils/nav')
  nav.open('/pages/services/index')
  nav.open('/pages/mine/index?x=1')
  nav.open('/pages/items/index?theme=a')
  expect(calls).toEqual([
    ['switchTab', '/pages/services/index'],
    ['switchTab', '/pages/mine/index'],
    ['navigateTo', '/pages/items/index?theme=a'],
  ])
  delete global.wx
})

test('every list page refreshes on pull-down', () => {
  const lists = APP.pages.filter((p) => /<list-state /.test(read(path.join(ROOT, `${p}.wxml`))))
  expect(lists.length).toBeGreaterThan(8)
  const missing = lists.filter((p) => {
    const json = JSON.parse(read(path.join(ROOT, `${p}.json`)))
    return !json.enablePullDownRefresh || !/onPullDownRefresh|list\(/.test(read(path.join(ROOT, `${p}.js`)))
  })
  expect(missing).toEqual([])
})
