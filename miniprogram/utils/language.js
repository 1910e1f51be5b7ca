// The language of the mini-program: the citizen's choice in settings, else WeChat's own
// language (wx.getAppBaseInfo; wx.getSystemInfoSync on base libraries before 2.20.1), else
// Chinese. Mongolian is the traditional script (docs/i18n.md): its face is loaded once when it
// is first shown, and every backend call asks for it with Accept-Language.
const i18n = require('../i18n/index')
const config = require('../config')

const KEY = 'handheld.locale'
const DEFAULT = 'zh-CN'
// Each language by its own name, the same whichever language is showing.
const LANGUAGES = [
  { code: 'zh-CN', name: '中文' },
  { code: 'mn', name: 'ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ' },
]
const listeners = new Set()
let fontRequested = false

function supported(code) {
  return LANGUAGES.some((l) => l.code === code)
}

// A WeChat language code (zh_CN, en, mn...) as one of ours. Mongolian asked for in Cyrillic
// (mn_MN, mn-Cyrl) is not what the mn texts are written in; Chinese serves it as the backend does.
function fromTag(tag) {
  const t = String(tag || '').toLowerCase().replace(/_/g, '-')
  const parts = t.split('-')
  if (parts[0] === 'mn' && !parts.slice(1).some((p) => p === 'cyrl' || p === 'mn')) return 'mn'
  return DEFAULT
}

function fromWeChat() {
  try {
    const info = typeof wx.getAppBaseInfo === 'function' ? wx.getAppBaseInfo() : wx.getSystemInfoSync()
    return fromTag(info && info.language)
  } catch (e) {
    return DEFAULT
  }
}

function current() {
  const chosen = wx.getStorageSync(KEY)
  return supported(chosen) ? chosen : fromWeChat()
}

// The face for traditional Mongolian: the system's when it has one (Android's Noto Sans
// Mongolian), else the one config.fonts.mongolian serves, loaded for every page at once.
function loadFont() {
  if (fontRequested || typeof wx.loadFontFace !== 'function' || !config.fonts) return
  fontRequested = true
  wx.loadFontFace({
    global: true,
    family: 'Handheld Mongolian',
    source: `url("${config.fonts.mongolian}")`,
    fail: () => {
      fontRequested = false
    },
  })
}

function apply(code) {
  i18n.setLocale(code)
  if (code === 'mn') loadFont()
}

function init() {
  apply(current())
  return current()
}

function set(code) {
  if (!supported(code)) throw new Error(`unsupported language ${code}`)
  wx.setStorageSync(KEY, code)
  apply(code)
  listeners.forEach((fn) => fn(code))
}

function onChange(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

// What every backend call asks for: the language shown, then Chinese (the backend's fallback).
function acceptLanguage() {
  return i18n.locale() === 'mn' ? 'mn, zh-CN;q=0.8' : 'zh-CN'
}

// The page root's class: `lang-mn` sets the Mongolian face and running text vertically.
function pageClass() {
  return i18n.locale() === 'mn' ? 'lang-mn' : ''
}

module.exports = { LANGUAGES, KEY, current, init, set, onChange, acceptLanguage, pageClass, fromTag }
