// One lookup for every user-facing text: t('key', {param}) → the current locale's text.
const zhCN = require('./zh-CN')
const mn = require('./mn')

// zh-CN is the source and the fallback; mn (traditional Mongolian script) has every key too.
const tables = { 'zh-CN': zhCN, mn }
let current = 'zh-CN'

function setLocale(locale) {
  if (!tables[locale]) throw new Error(`unknown locale ${locale}`)
  current = locale
}

function locale() {
  return current
}

function addLocale(locale, table) {
  tables[locale] = table
}

function has(key) {
  return key in (tables[current] || {}) || key in zhCN
}

// Unknown keys come back as the key itself, so a missing text is visible and tests catch it.
function t(key, params) {
  const table = tables[current] || zhCN
  const text = key in table ? table[key] : key in zhCN ? zhCN[key] : key
  if (!params) return text
  return text.replace(/\{(\w+)\}/g, (all, name) =>
    params[name] === undefined || params[name] === null ? '' : String(params[name]),
  )
}

module.exports = { t, has, setLocale, addLocale, locale, tables }
