// A rendered page (miniprogram-simulate's tree in jsdom) as a standalone HTML document that a
// browser can lay out the way WeChat's WebView renderer does: the WeChat components (wx-view,
// wx-text, wx-button, wx-input...) with WeChat's default styles, app.wxss (pages only, as in
// WeChat), the page's WXSS and the WXSS of every component it uses, `@import` resolved, class
// names prefixed per component as miniprogram-simulate does (the tree carries those names), and
// rpx in CSS px for a 375 px wide phone (750rpx = 375px). tests/screens.test.js shoots each
// document in headless Chromium (tests/helpers/shoot.js) and checks that nothing overflows.
const fs = require('fs')
const path = require('path')
const simulateWxss = require('miniprogram-simulate/src/wxss')
const { nodes, attr } = require('./a11y')

const ROOT = path.resolve(__dirname, '../..')
const WIDTH = 375
const RPX = WIDTH / 750

// WeChat's default look of its components (WebView renderer, app.json "style": "v2"), in CSS
// px. The faces are the ones Debian installs (`make system-deps`): WenQuanYi Micro Hei stands in
// for the phone's CJK face (Noto Sans CJK SC on Android), Mongolian glyphs fall through to Noto
// Sans Mongolian as on the phone.
const BASE = `
/* The page's font stack names Android's CJK face first; here it is the one Debian installs. */
@font-face { font-family: "Noto Sans CJK SC"; src: local("WenQuanYi Micro Hei"); }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font-size: 16px; line-height: 1.2; color: #000; background: #fff;
  font-family: -apple-system, "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Noto Sans Mongolian", sans-serif; }
main { display: block; }
wx-view, wx-navigator, wx-picker, wx-form, wx-radio-group, wx-checkbox-group, wx-scroll-view, wx-swiper { display: block; }
wx-text { display: inline; white-space: pre-line; }
wx-label { display: inline; }
wx-scroll-view { position: relative; }
wx-scroll-view:not([scroll-x]):not([scroll-y]) { overflow: hidden; }
wx-scroll-view[scroll-x] { overflow-x: auto; overflow-y: hidden; }
wx-scroll-view[scroll-y] { overflow-y: auto; }
wx-button { position: relative; display: block; padding: 8px 24px;
  box-sizing: border-box; font-size: 17px; font-weight: 700; text-align: center; line-height: 1.41176471;
  border-radius: 8px; overflow: hidden; color: #000; background-color: #f2f2f2; }
/* v2 buttons are 184px wide and centred; the attribute makes the rule beat a lone class
   selector, as in WeChat: a page widens one with a stronger selector (.list .btn). */
wx-button:not([size=mini]) { width: 184px; margin-left: auto; margin-right: auto; }
wx-button[size=mini] { display: inline-block; padding: 0 12px; line-height: 2.3; font-size: 13px; }
wx-button[type=primary] { color: #fff; background-color: #07c160; }
wx-button[type=warn] { color: #fa5151; }
wx-button[disabled] { color: rgba(0, 0, 0, 0.18); }
wx-input { display: block; height: 1.4rem; min-height: 1.4rem; overflow: hidden; white-space: nowrap; text-overflow: clip; cursor: auto; }
wx-input > .wx-field { display: flex; align-items: center; height: 100%; min-height: inherit; }
wx-textarea { display: block; position: relative; width: 300px; height: 150px; overflow: hidden; }
wx-textarea > .wx-field { display: block; white-space: pre-wrap; word-break: break-word; }
.wx-placeholder { color: #808080; }
wx-image { display: inline-block; position: relative; width: 320px; height: 240px; overflow: hidden; }
wx-image > img { display: block; width: 100%; height: 100%; }
wx-image[mode=widthFix] { height: auto; }
wx-image[mode=widthFix] > img { height: auto; }
wx-switch { display: inline-block; }
wx-switch > .wx-switch { position: relative; width: 52px; height: 32px; border-radius: 16px; box-sizing: border-box;
  background: #fff; border: 1px solid #dfdfdf; }
wx-switch > .wx-switch::after { content: ""; position: absolute; top: 0; left: 0; width: 30px; height: 30px; border-radius: 15px;
  background: #fff; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.4); }
wx-switch[checked] > .wx-switch { background: #07c160; border-color: #07c160; }
wx-switch[checked] > .wx-switch::after { left: 20px; }
wx-checkbox, wx-radio { display: inline-flex; align-items: center; vertical-align: middle; max-width: 100%; }
wx-checkbox > .wx-box, wx-radio > .wx-box { flex: none; width: 22px; height: 22px; margin-right: 5px;
  box-sizing: border-box; border: 1px solid #d1d1d1; background: #fff; }
wx-checkbox > .wx-box { border-radius: 3px; }
wx-radio > .wx-box { border-radius: 50%; }
wx-checkbox[checked] > .wx-box, wx-radio[checked] > .wx-box { background: #07c160; border-color: #07c160; }
wx-progress { display: flex; align-items: center; }
wx-progress > .wx-bar { flex: 1; height: 6px; background: #ebebeb; }
wx-progress > .wx-bar > .wx-fill { height: 100%; background: #09bb07; }
wx-icon { display: inline-block; font-size: 0; }
/* A web-view fills the page with another site's page: shown as a box naming the address. */
wx-web-view { display: block; box-sizing: border-box; min-height: 100vh; padding: 16px; background: #eceff3; color: #444;
  font-size: 14px; word-break: break-all; }
wx-web-view::before { content: "web-view: " attr(src); }
`

const escapeText = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const escapeAttr = (s) => escapeText(s).replace(/"/g, '&quot;')
const truthy = (v) => v !== undefined && v !== null && v !== false && v !== 'false'

// A WXSS file with its @import chain inlined ("/x" from the mini-program root, else relative).
function wxssSource(file, seen = new Set()) {
  if (seen.has(file) || !fs.existsSync(file)) return ''
  seen.add(file)
  const source = fs.readFileSync(file, 'utf8')
  return source.replace(/@import\s+(?:"([^"]+)"|'([^']+)')\s*;?/g, (all, a, b) => {
    const target = a || b
    const resolved = target.startsWith('/') ? path.join(ROOT, target) : path.resolve(path.dirname(file), target)
    return wxssSource(resolved.endsWith('.wxss') ? resolved : `${resolved}.wxss`, seen)
  })
}

// rpx as CSS px at 375px wide; WXSS's `page` (the page's root) is the document's body.
function toCss(wxss) {
  return wxss
    .replace(/(-?(?:\d+\.\d+|\.\d+|\d+))rpx/gi, (all, n) => `${Number((Number(n) * RPX).toFixed(3))}px`)
    .replace(/(^|[{}\s,>+~(])page(?=[\s,{.:[>+~)#]|$)/g, '$1body')
    // A WXSS tag selector (`button.btn`) names the component the tree calls wx-button.
    .replace(new RegExp(`(^|[{}\\s,>+~(])(${COMPONENT_TAGS})(?=[\\s,{.:[>+~)#]|$)`, 'g'), '$1wx-$2')
}

const COMPONENT_TAGS = ['view', 'text', 'button', 'image', 'input', 'textarea', 'navigator', 'scroll-view',
  'picker', 'switch', 'checkbox', 'radio', 'label', 'icon', 'progress', 'rich-text'].join('|')

// The page's styles as miniprogram-simulate prefixes them: the page and app.wxss under `main`,
// each component under the tag its user declares in usingComponents (the first one, as the
// simulator registers a component once per page).
function stylesheet(pagePath) {
  const out = [simulateWxss.compile(wxssSource(path.join(ROOT, 'app.wxss')), { prefix: 'main' })]
  const registered = new Set()
  const visit = (file, tag) => {
    if (registered.has(file)) return
    registered.add(file)
    const json = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'))
    for (const [key, value] of Object.entries(json.usingComponents || {})) {
      visit(value.startsWith('/') ? path.join(ROOT, value) : path.resolve(path.dirname(file), value), key)
    }
    out.push(simulateWxss.compile(wxssSource(`${file}.wxss`), { prefix: tag }))
  }
  visit(path.join(ROOT, pagePath), 'main')
  return toCss(out.join('\n'))
}

// A local image file as a data URL (the documents are loaded without a base URL); remote ones
// are left empty: the shot has no network.
function imageSource(src, pagePath) {
  const value = String(src || '')
  if (!value || /^(https?:|wxfile:|cloud:)/.test(value)) return ''
  if (value.startsWith('data:')) return value
  const file = value.startsWith('/') ? path.join(ROOT, value) : path.resolve(path.dirname(path.join(ROOT, pagePath)), value)
  if (!fs.existsSync(file)) return ''
  const type = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml', '.gif': 'image/gif' }
  return `data:${type[path.extname(file).toLowerCase()] || 'application/octet-stream'};base64,${fs.readFileSync(file).toString('base64')}`
}

const FIT = { scaleToFill: 'fill', aspectFit: 'contain', aspectFill: 'cover', widthFix: 'fill', heightFix: 'fill' }

// What a component shows that is not in the tree's children: an input's value or placeholder,
// an image, a switch, a checkbox's box, a progress bar. Attributes the CSS above selects on are
// written onto the element.
function component(tag, node, pagePath) {
  const get = (name) => (node ? attr(node, name) : undefined)
  const flags = []
  const set = (name, value) => flags.push(value === true ? name : `${name}="${escapeAttr(value)}"`)
  // The screen reader's attributes, which the tree keeps off the DOM: the reading-order check
  // in the browser walks the elements that have a role.
  for (const name of ['aria-role', 'aria-label']) {
    const value = get(name)
    if (value !== undefined && value !== null && value !== '') set(name, value)
  }
  let inner = ''
  if (tag === 'wx-button') {
    if (get('type')) set('type', get('type'))
    if (get('size')) set('size', get('size'))
    if (truthy(get('disabled'))) set('disabled', true)
  } else if (tag === 'wx-input' || tag === 'wx-textarea') {
    const value = get('value')
    const shown = value !== undefined && value !== null && String(value) !== '' ? String(value) : ''
    const text = shown || String(get('placeholder') || '')
    inner = `<span class="wx-field${shown ? '' : ' wx-placeholder'}">${escapeText(get('password') && shown ? '•'.repeat(shown.length) : text)}</span>`
  } else if (tag === 'wx-image') {
    const mode = get('mode') || 'scaleToFill'
    set('mode', mode)
    const src = imageSource(get('src'), pagePath)
    inner = src ? `<img alt="" src="${src}" style="object-fit:${FIT[mode] || 'none'}">` : ''
  } else if (tag === 'wx-switch') {
    if (truthy(get('checked'))) set('checked', true)
    inner = '<span class="wx-switch"></span>'
  } else if (tag === 'wx-checkbox' || tag === 'wx-radio') {
    if (truthy(get('checked'))) set('checked', true)
    inner = '<span class="wx-box"></span>'
  } else if (tag === 'wx-progress') {
    const percent = Math.max(0, Math.min(100, Number(get('percent')) || 0))
    inner = `<span class="wx-bar"><span class="wx-fill" style="width:${percent}%"></span></span>`
  } else if (tag === 'wx-web-view') {
    set('src', String(get('src') || ''))
  } else if (tag === 'wx-scroll-view') {
    if (truthy(get('scroll-x'))) set('scroll-x', true)
    if (truthy(get('scroll-y'))) set('scroll-y', true)
  }
  return { flags, inner }
}

// The element and its subtree as HTML; `byDom` maps the document's elements to the tree's nodes.
function serialize(el, byDom, pagePath) {
  if (el.nodeType === 3) return escapeText(el.textContent)
  if (el.nodeType !== 1) return ''
  const tag = el.tagName.toLowerCase()
  const attrs = Array.from(el.attributes).map((a) => `${a.name}="${escapeAttr(a.value)}"`)
  const { flags, inner } = component(tag, byDom.get(el), pagePath)
  const children = Array.from(el.childNodes)
    .map((c) => serialize(c, byDom, pagePath))
    .join('')
  return `<${tag}${[...attrs, ...flags].map((a) => ` ${a}`).join('')}>${inner}${children}</${tag}>`
}

// The standalone document of a rendered page (`page` from helpers/render.js).
function pageDocument(page, pagePath, { lang = 'zh-CN' } = {}) {
  const byDom = new Map()
  nodes(page._exparserNode).forEach((node) => {
    if (node.$$) byDom.set(node.$$, node)
  })
  const htmlLang = lang === 'mn' ? 'mn-Mong-CN' : 'zh-CN'
  return [
    '<!doctype html>',
    `<html lang="${htmlLang}"><head><meta charset="utf-8">`,
    `<meta name="viewport" content="width=${WIDTH}, initial-scale=1">`,
    `<title>${escapeText(pagePath)}</title>`,
    `<style>${BASE}</style>`,
    `<style>${stylesheet(pagePath)}</style>`,
    `</head><body>${serialize(page.dom, byDom, pagePath)}</body></html>`,
  ].join('\n')
}

module.exports = { pageDocument, stylesheet, toCss, WIDTH }
