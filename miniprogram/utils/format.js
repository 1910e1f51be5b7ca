const { t, has } = require('../i18n/index')

function yuan(fen) {
  const n = Number(fen) || 0
  return (n / 100).toFixed(2)
}

function date(value) {
  if (!value) return ''
  return String(value).slice(0, 10)
}

function dateTime(value) {
  if (!value) return ''
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return String(value)
  const pad = (x) => String(x).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

// Today's date (YYYY-MM-DD) in China Standard Time, whatever the phone's time zone: the
// backend's business days (a booking's date) are China's calendar days.
function chinaToday(now = Date.now()) {
  return new Date(now + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

function label(prefix, value) {
  const key = `${prefix}.${value}`
  return has(key) ? t(key) : String(value)
}

// The texts a page shows, for WXML: {home_search: '搜索', ...} of the given key prefixes.
function texts(prefixes) {
  const table = require('../i18n/zh-CN')
  const out = {}
  Object.keys(table).forEach((key) => {
    if (prefixes.some((p) => key.startsWith(`${p}.`))) out[key.replace(/\./g, '_')] = t(key)
  })
  return out
}

// An SVG string as an <image> source.
function svgDataUri(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg || '')}`
}

module.exports = { yuan, date, dateTime, chinaToday, label, texts, svgDataUri }
