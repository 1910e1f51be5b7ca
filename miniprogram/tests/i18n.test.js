// Every text the mini-program shows comes from the i18n table: each t('key') in the code and
// each {{L.key}} in the templates exists, and no WXML carries Chinese outside the table.
const fs = require('fs')
const path = require('path')
const { t } = require('../i18n/index')
const table = require('../i18n/zh-CN')

const ROOT = path.resolve(__dirname, '..')

function files(dir, ext, out = []) {
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name)
    if (['node_modules', 'tests', 'e2e', 'i18n'].includes(name)) continue
    if (fs.statSync(full).isDirectory()) files(full, ext, out)
    else if (full.endsWith(ext)) out.push(full)
  }
  return out
}

test('lookup fills parameters and shows the key of a missing text', () => {
  expect(t('common.yuan', { amount: '10.00' })).toBe('10.00 元')
  expect(t('no.such.key')).toBe('no.such.key')
})

test('every t() key in the code exists', () => {
  const missing = []
  for (const file of files(ROOT, '.js')) {
    const src = fs.readFileSync(file, 'utf8')
    for (const m of src.matchAll(/\bt\('([\w.]+)'/g)) if (!(m[1] in table)) missing.push(`${path.relative(ROOT, file)}: ${m[1]}`)
  }
  expect(missing).toEqual([])
})

test('every {{L.key}} in the templates exists, and templates hold no Chinese of their own', () => {
  const problems = []
  for (const file of files(ROOT, '.wxml')) {
    const src = fs.readFileSync(file, 'utf8')
    for (const m of src.matchAll(/\bL\.(\w+)/g)) {
      if (!(m[1].replace(/_/g, '.') in table)) problems.push(`${path.relative(ROOT, file)}: ${m[1]}`)
    }
    if (/[\u4e00-\u9fff]/.test(src)) problems.push(`${path.relative(ROOT, file)}: Chinese in the template`)
  }
  expect(problems).toEqual([])
})
