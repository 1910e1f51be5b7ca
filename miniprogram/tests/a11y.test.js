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

const ROOT = path.resolve(__dirname, '..')
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

const CONTROLS = ['button', 'input', 'textarea', 'switch', 'checkbox', 'picker', 'slider', 'radio', 'navigator']
const HANDLERS = ['tap', 'longpress', 'input', 'change', 'confirm', 'getphonenumber']
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

// Every node of the rendered tree, inside custom components too (their shadow trees).
function nodes(root) {
  const out = []
  const visit = (node) => {
    if (!node) return
    out.push(node)
    if (node.shadowRoot) visit(node.shadowRoot)
    ;(node.childNodes || []).forEach(visit)
  }
  visit(root)
  return out
}

// j-component keeps a node's attributes on its virtual node, but a re-render (setData) leaves
// only the changed ones there: every update is merged into the node's own record instead.
function trackAttributes() {
  const render = require('j-component/src/render/render')
  const update = render.updateAttrs
  render.updateAttrs = (node, attrs) => {
    if (!node.__allAttrs) {
      node.__allAttrs = {}
      ;((node._vt && node._vt.attrs) || []).forEach((a) => {
        node.__allAttrs[a.name] = a.value
      })
    }
    attrs.forEach((a) => {
      node.__allAttrs[a.name] = a.value
    })
    return update(node, attrs)
  }
}

// (The official template compiler hands attributes over camel-cased: aria-label → ariaLabel.)
function attr(node, name) {
  const camel = name.replace(/-(\w)/g, (all, c) => c.toUpperCase())
  if (node.__allAttrs) return node.__allAttrs[camel] !== undefined ? node.__allAttrs[camel] : node.__allAttrs[name]
  const found = ((node._vt && node._vt.attrs) || []).find((a) => a.name === name || a.name === camel)
  return found ? found.value : undefined
}

function tagOf(node) {
  return (node._vt && node._vt.tagName) || ''
}

function interactive(node) {
  const events = Object.keys((node._vt && node._vt.event) || {})
  return CONTROLS.includes(tagOf(node)) || events.some((e) => HANDLERS.includes(e))
}

// The value of a property on the element or the nearest ancestor that sets it.
function inherited(el, prop, skip) {
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    const value = getComputedStyle(e)[prop]
    if (value && !(skip && skip(value))) return value
  }
  return ''
}

function rgb(value) {
  const m = String(value).match(/rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)/)
  if (m) return { c: [Number(m[1]), Number(m[2]), Number(m[3])], a: m[4] === undefined ? 1 : Number(m[4]) }
  const h = String(value).match(/^#([0-9a-f]{6})$/i)
  if (h) return { c: h[1].match(/../g).map((x) => parseInt(x, 16)), a: 1 }
  return null
}

function luminance([r, g, b]) {
  const lin = [r, g, b].map((v) => {
    const c = v / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

const transparent = (v) => !rgb(v) || rgb(v).a === 0

function textElements(all) {
  return all.filter((n) => n.$$ && n.$$.nodeType === 1 && Array.from(n.$$.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim()))
}

function label(node) {
  return `${tagOf(node)}.${(attr(node, 'class') || '').trim().replace(/\s+/g, '.')} "${(node.$$ && node.$$.textContent.trim().slice(0, 20)) || ''}"`
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

function problems(page, elderly) {
  const out = []
  const all = nodes(page._exparserNode)
  for (const node of all) {
    if (!node._vt) continue
    const tag = tagOf(node)
    if (interactive(node) || tag === 'image') {
      if (!attr(node, 'aria-label') && attr(node, 'aria-hidden') !== true && attr(node, 'aria-hidden') !== 'true') {
        out.push(`${label(node)}: no aria-label`)
      }
      if (tag !== 'image' && !attr(node, 'aria-role')) out.push(`${label(node)}: no aria-role`)
    }
    if (interactive(node) && node.$$) {
      const style = getComputedStyle(node.$$)
      const height = Math.max(parseFloat(style.minHeight) || 0, parseFloat(style.height) || 0)
      const floor = elderly ? 120 : 88
      if (height < floor) out.push(`${label(node)}: tap target ${height}rpx < ${floor}rpx`)
    }
  }
  for (const node of textElements(all)) {
    const el = node.$$
    if (attr(node, 'aria-hidden') === 'true' || attr(node, 'aria-hidden') === true) continue
    const fg = rgb(inherited(el, 'color'))
    const bg = rgb(inherited(el, 'backgroundColor', transparent)) || { c: [255, 255, 255] }
    const floor = elderly ? 7 : 4.5
    if (fg && contrast(fg.c, bg.c) < floor) {
      out.push(`${label(node)}: contrast ${contrast(fg.c, bg.c).toFixed(2)} < ${floor}`)
    }
    if (elderly) {
      const size = parseFloat(inherited(el, 'fontSize')) || 0
      if (size < 36) out.push(`${label(node)}: ${size}rpx text in elderly mode`)
    }
  }
  return out
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

test('the check sees a missing label, a small target, low contrast and small elderly text', async () => {
  // A page of the app with its stylesheet, broken on purpose in a copy.
  const dir = path.join(ROOT, 'pages', '__a11y_probe__')
  fs.mkdirSync(dir, { recursive: true })
  try {
    fs.writeFileSync(path.join(dir, 'index.js'), "Component({ data: { elderly: true }, methods: { onLoad() {}, noop() {} } })\n")
    fs.writeFileSync(path.join(dir, 'index.json'), '{ "usingComponents": {} }\n')
    fs.writeFileSync(path.join(dir, 'index.wxss'), '@import "../../styles/theme.wxss";\n.pale { color: #999999; }\n.small { font-size: 24rpx; }\n')
    fs.writeFileSync(
      path.join(dir, 'index.wxml'),
      '<view class="page elderly"><view class="x" bindtap="noop">a</view><text class="pale">b</text><text class="small">c</text><image src="x.png" /></view>\n',
    )
    jest.resetModules()
    trackAttributes()
    global.wx = createFakeWx().wx
    const { render } = require('./helpers/render')
    const page = render('pages/__a11y_probe__/index')
    await settle()
    const found = problems(page, true).join('\n')
    expect(found).toMatch(/view\.x "a": no aria-label/)
    expect(found).toMatch(/view\.x "a": no aria-role/)
    expect(found).toMatch(/view\.x "a": tap target/)
    expect(found).toMatch(/text\.pale "b": contrast/)
    expect(found).toMatch(/text\.small "c": 24rpx text in elderly mode/)
    expect(found).toMatch(/image\. "": no aria-label/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
