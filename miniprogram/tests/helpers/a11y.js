// The accessibility check over a rendered page's tree (tests/a11y.test.js walks every page;
// tests/a11y-probe.test.js proves the check on a page broken on purpose, in a module registry
// of its own). miniprogram-simulate writes rpx as px into the document: 1px here is 1rpx.
const CONTROLS = ['button', 'input', 'textarea', 'switch', 'checkbox', 'picker', 'slider', 'radio', 'navigator']
const HANDLERS = ['tap', 'longpress', 'input', 'change', 'confirm', 'getphonenumber']


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

module.exports = { trackAttributes, problems, nodes, interactive, textElements, attr }
