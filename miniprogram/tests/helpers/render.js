const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../..')

// Load a page or component by its path from the mini-program root, render it, attach it.
function render(relative, properties) {
  const id = simulate.load(path.join(ROOT, relative), { rootPath: ROOT })
  const comp = simulate.render(id, properties)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

function texts(comp, selector) {
  return comp.querySelectorAll(selector).map((n) => n.dom.textContent.trim())
}

module.exports = { render, texts, ROOT, simulate }
