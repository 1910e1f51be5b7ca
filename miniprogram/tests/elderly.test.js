// Elderly mode (适老化): body text >= 36rpx (18 dp), tap targets >= 120rpx (60 dp), high
// contrast — checked on rendered pages with the page's own stylesheet applied.
const { createFakeWx, settle } = require('./helpers/fake-wx')
const { recorded, replay } = require('./helpers/recorded')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
})

// miniprogram-simulate writes rpx as px into the document, so 1px here is 1rpx.
function px(value) {
  return parseFloat(value)
}

function luminance(hex) {
  const rgb = hex.match(/\w\w/g).map((h) => parseInt(h, 16) / 255)
  const lin = rgb.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

test('switching elderly mode in settings enlarges text and tap targets on the page', async () => {
  const { render } = require('./helpers/render')
  const page = render('pages/settings/index')
  await page.instance.onLoad({})
  await settle()

  const text = page.querySelector('.text').dom
  const row = page.querySelector('.row').dom
  const before = { font: px(getComputedStyle(text).fontSize), row: px(getComputedStyle(row).minHeight) }
  expect(before.font).toBeLessThan(36)
  expect(before.row).toBeLessThan(120)

  // The switch in the page turns it on, for this page and every page that opens later.
  page.instance.toggleElderly({ detail: { value: true } })
  await settle()
  expect(page.querySelector('.page').dom.className).toMatch(/elderly/)
  const after = { font: px(getComputedStyle(text).fontSize), row: px(getComputedStyle(row).minHeight) }
  expect(after.font).toBeGreaterThanOrEqual(36)
  expect(after.row).toBeGreaterThanOrEqual(120)
  expect(fake.wx.getStorageSync('handheld.elderly')).toBe(true)
})

test('elderly mode reaches pages already open and their components', async () => {
  const { render } = require('./helpers/render')
  const prefs = require('../utils/prefs')
  require('../utils/session').save(recorded('auth.sso-complete'))
  const d = replay(fake, 'declaration.accepted')
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: d.id })
  await settle()
  const button = page.querySelector('.btn').dom
  const entry = page.querySelector('.timeline').querySelector('.text').dom
  expect(px(getComputedStyle(button).minHeight)).toBeLessThan(120)
  expect(px(getComputedStyle(entry).fontSize)).toBeLessThan(36)

  prefs.setElderly(true)
  await settle()
  expect(px(getComputedStyle(button).minHeight)).toBeGreaterThanOrEqual(120)
  expect(px(getComputedStyle(button).fontSize)).toBeGreaterThanOrEqual(36)
  expect(px(getComputedStyle(entry).fontSize)).toBeGreaterThanOrEqual(36)
})

test('elderly colours keep a contrast of at least 4.5:1 (WCAG AA), primary buttons 7:1', () => {
  const fs = require('fs')
  const path = require('path')
  const css = fs.readFileSync(path.join(__dirname, '../styles/theme.wxss'), 'utf8')
  const rule = (selector) => {
    const m = css.match(new RegExp(`${selector.replace(/\./g, '\\.')}\\s*\\{([^}]*)\\}`))
    return m ? m[1] : ''
  }
  const color = (decls, prop) => (decls.match(new RegExp(`(?:^|;|\\s)${prop}:\\s*(#[0-9a-fA-F]{6})`)) || [])[1]
  const background = '#ffffff'
  for (const sel of ['.elderly .title', '.elderly .text', '.elderly .muted', '.elderly .error', '.elderly .btn']) {
    const fg = color(rule(sel), 'color')
    expect([sel, contrast(fg, background) >= 4.5]).toEqual([sel, true])
  }
  const primary = rule('.elderly .btn-primary')
  expect(contrast(color(primary, 'color'), color(primary, 'background'))).toBeGreaterThanOrEqual(7)
})
