// The second language: Mongolian (traditional script) has every text the Chinese table has,
// with the same placeholders; it is chosen in settings (WeChat's language by default), every
// open page follows, and every backend call asks for it.
const { createFakeWx, settle } = require('./helpers/fake-wx')
const zh = require('../i18n/zh-CN')
const mn = require('../i18n/mn')

const MONGOLIAN = /[\u1800-\u18af]/
const CJK = /[\u3400-\u9fff\uff00-\uffef]/
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
})

test('every Chinese text has a Mongolian translation, and no other key exists', () => {
  const missing = Object.keys(zh).filter((key) => typeof mn[key] !== 'string' || !mn[key].trim())
  const extra = Object.keys(mn).filter((key) => !(key in zh))
  expect(missing).toEqual([])
  expect(extra).toEqual([])
})

test('the translations are Mongolian script, never Chinese left in place', () => {
  const problems = []
  for (const key of Object.keys(zh)) {
    const text = mn[key] || ''
    // Texts that are only placeholders and signs ('{hall} · {item}', '—') carry no words.
    const words = text.replace(/\{\w+\}/g, '').replace(/[\s\d.,:;·—%/()“”…?!-]/g, '')
    if (CJK.test(text)) problems.push(`${key}: Chinese in the Mongolian text`)
    else if (words && !MONGOLIAN.test(words.replace(/sfz|App/g, ''))) problems.push(`${key}: not Mongolian script`)
  }
  expect(problems).toEqual([])
})

test('placeholders are the same in both languages', () => {
  const mismatched = Object.keys(zh).filter(
    (key) => JSON.stringify(placeholders(zh[key])) !== JSON.stringify(placeholders(mn[key] || '')),
  )
  expect(mismatched).toEqual([])
})

test('the default follows WeChat, then the choice made in settings', () => {
  fake.wx.getAppBaseInfo = () => ({ language: 'mn' })
  let language = require('../utils/language')
  expect(language.init()).toBe('mn')
  expect(require('../i18n/index').t('settings.title')).toBe(mn['settings.title'])

  for (const [tag, expected] of [['zh_CN', 'zh-CN'], ['en', 'zh-CN'], ['mn_CN', 'mn'], ['mn_MN', 'zh-CN'], ['mn-Cyrl', 'zh-CN']]) {
    expect(language.fromTag(tag)).toBe(expected)
  }
  // Base libraries before getAppBaseInfo: the system info's WeChat language.
  jest.resetModules()
  delete fake.wx.getAppBaseInfo
  fake.wx.getSystemInfoSync = () => ({ language: 'zh_CN' })
  language = require('../utils/language')
  expect(language.current()).toBe('zh-CN')
  // A choice made in settings wins over WeChat's language.
  language.set('mn')
  jest.resetModules()
  expect(require('../utils/language').init()).toBe('mn')
  expect(() => require('../utils/language').set('fr')).toThrow()
})

test('switching to Mongolian in settings changes every open page, its title and its face', async () => {
  const titles = []
  const fonts = []
  fake.wx.setNavigationBarTitle = (o) => titles.push(o.title)
  fake.wx.loadFontFace = (o) => fonts.push(o)
  require('../utils/language').init()
  const { render, texts } = require('./helpers/render')
  fake.route('GET', '/api/v1/items/hot', [])
  const home = render('pages/home/index')
  await home.instance.onLoad({})
  const settings = render('pages/settings/index')
  await settings.instance.onLoad({})
  await settle()
  expect(texts(settings, '.title')[0]).toBe(zh['settings.language'])
  expect(settings.instance.data.lang).toBe('zh-CN')
  // Each language is offered by its own name.
  expect(texts(settings, '.language .text')).toEqual(['中文', 'ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ'])

  settings.querySelector('.language').dispatchEvent('change', { detail: { value: 'mn' } })
  await settle()
  expect(texts(settings, '.title')[0]).toBe(mn['settings.language'])
  expect(settings.instance.data.lang).toBe('mn')
  expect(settings.querySelector('.page').dom.className).toContain('lang-mn')
  expect(home.instance.data.L.home_search).toBe(mn['home.search'])
  expect(home.instance.data.langClass).toBe('lang-mn')
  expect(titles).toContain(mn['settings.title'])
  expect(fake.storage.get('handheld.locale')).toBe('mn')
  // The Mongolian face is loaded once, for every page.
  expect(fonts).toHaveLength(1)
  expect(fonts[0].global).toBe(true)
  expect(fonts[0].source).toMatch(/^url\("https?:\/\/.+\.ttf"\)$/)

  settings.querySelector('.language').dispatchEvent('change', { detail: { value: 'zh-CN' } })
  await settle()
  expect(texts(settings, '.title')[0]).toBe(zh['settings.language'])
  expect(home.instance.data.L.home_search).toBe(zh['home.search'])
  expect(settings.querySelector('.page').dom.className).not.toContain('lang-mn')
})

test('every backend call asks for the language shown, with Chinese as the fallback', async () => {
  const api = require('../utils/http')
  const language = require('../utils/language')
  language.init()
  fake.route('GET', '/api/v1/items/hot', [])
  await api.request({ method: 'GET', path: '/api/v1/items/hot', auth: false })
  language.set('mn')
  await api.request({ method: 'GET', path: '/api/v1/items/hot', auth: false })
  expect(fake.calls.request.map((r) => r.header['Accept-Language'])).toEqual(['zh-CN', 'mn, zh-CN;q=0.8'])

  fake.answers.file = { path: 'wxfile://a.pdf', size: 3 }
  fake.route('POST', '/api/v1/uploads', { id: 'x' })
  await api.upload({ path: '/api/v1/uploads', filePath: 'wxfile://a.pdf', name: 'file', auth: false })
  expect(fake.calls.upload[0].header['Accept-Language']).toBe('mn, zh-CN;q=0.8')
})

test('a refusal reads in Mongolian: the table first, else the backend title', async () => {
  const api = require('../utils/http')
  require('../utils/language').set('mn')
  fake.route('GET', '/api/v1/queue/x', { status: 404, body: { code: 'QUEUE_TICKET_NOT_FOUND', title: 'x' } })
  await expect(api.request({ method: 'GET', path: '/api/v1/queue/x', auth: false })).rejects.toThrow(
    mn['error.QUEUE_TICKET_NOT_FOUND'],
  )
  const title = 'ᠲᠡᠷᠡ ᠬᠡᠷᠡᠭ ᠦᠨ ᠵᠦᠢᠯ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ'
  fake.route('GET', '/api/v1/items/x', { status: 404, body: { code: 'ITEM_NOT_FOUND', title } })
  await expect(api.request({ method: 'GET', path: '/api/v1/items/x', auth: false })).rejects.toThrow(title)
})

test('the item page in Mongolian: its labels, the backend text, and the conditions set vertically', async () => {
  const { recorded } = require('./helpers/recorded')
  const { render, texts } = require('./helpers/render')
  require('../utils/language').set('mn')
  // The backend answers in Mongolian what the platform translated, in Chinese the rest.
  const item = recorded('item.detail')
  const name = 'ᠲᠦᠷ ᠴᠠᠭ ᠤᠨ ᠢᠷᠭᠡᠨ ᠦ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠦᠨᠡᠮᠯᠡᠯ'
  fake.route('GET', `/api/v1/items/${item.code}`, (req) => {
    expect(req.header['Accept-Language']).toBe('mn, zh-CN;q=0.8')
    return { ...item, name }
  })
  const page = render('pages/item/index')
  await page.instance.onLoad({ code: item.code })
  await settle()
  expect(texts(page, '.title')).toEqual(expect.arrayContaining([name, mn['item.conditions'], mn['item.materials']]))
  expect(texts(page, '.apply')).toEqual([mn['item.apply']])
  expect(page.querySelector('.page').dom.className).toContain('lang-mn')
  // Running text goes in the vertical blocks (docs/i18n.md); Chinese fallback text included:
  // the conditions, the form instructions, the process steps, the legal basis, FAQ answers.
  expect(texts(page, '.lang-mn .conditions .prose .text')).toEqual(item.guide.acceptanceConditions.map((c) => `· ${c}`))
  expect(texts(page, '.lang-mn .prose.form-instructions')).toEqual([item.guide.formInstructions])
  expect(texts(page, '.lang-mn .process .prose .text')).toHaveLength(item.guide.process.length)
  expect(texts(page, '.lang-mn .legal-basis .prose .text')).toEqual(item.guide.legalBasis.map((c) => `· ${c}`))
  expect(texts(page, '.lang-mn .faq .prose.answer')).toHaveLength(item.guide.faq.length)
  // Titles, buttons and questions stay horizontal.
  expect(page.querySelectorAll('.prose .title, .prose .btn, .prose.question')).toHaveLength(0)
})

test('every page root carries the language class beside elderly mode', () => {
  const fs = require('fs')
  const path = require('path')
  const { render, ROOT } = require('./helpers/render')
  require('../utils/language').set('mn')
  const pages = require('../app.json').pages
  const missing = []
  for (const name of pages) {
    const wxml = fs.readFileSync(path.join(ROOT, `${name}.wxml`), 'utf8')
    if (wxml.startsWith('<web-view')) continue // a web page, no view of ours
    const page = render(name)
    const root = page.querySelector('.page')
    if (!root || !/(^|[\s-])lang-mn(\s|$)/.test(root.dom.className)) missing.push(`${name}: ${root && root.dom.className}`)
  }
  expect(missing).toEqual([])
})

test('the tab bar reads in Mongolian: each tab page sets the four texts when shown', () => {
  const { render } = require('./helpers/render')
  require('../utils/language').set('mn')
  for (const name of ['pages/home/index', 'pages/services/index', 'pages/inbox/index', 'pages/mine/index']) {
    fake.calls.tab.length = 0
    render(name).instance.onShow()
    expect(fake.calls.tab).toEqual(['tabs.home', 'tabs.services', 'tabs.inbox', 'tabs.mine'].map((k) => mn[k]))
  }
})
