// A phone running the mini-program for the page-driven end-to-end run (pages.test.js): the
// pages' real code (Component(), WXML, behaviors, components) rendered by miniprogram-simulate,
// and the page stack the pages themselves drive through wx.navigateTo / redirectTo / switchTab /
// reLaunch / navigateBack (wx-node.js hands those calls to `navigate`). The test taps and types
// through the rendered WXML's own event bindings and reads what the page shows.
const path = require('path')
const { texts, simulate, ROOT } = require('../tests/helpers/render')
const { eventually } = require('./standins')

// '/pages/apply/index?code=X' → route and query; the values stay as WeChat hands them to onLoad
// (the pages decode what they encoded).
function parse(url) {
  const [route, search = ''] = String(url).replace(/^\//, '').split('?')
  const query = {}
  search
    .split('&')
    .filter(Boolean)
    .forEach((pair) => {
      const at = pair.indexOf('=')
      query[at < 0 ? pair : pair.slice(0, at)] = at < 0 ? '' : pair.slice(at + 1)
    })
  return { route, query }
}

class Phone {
  constructor() {
    this.ids = {}
    this.stack = []
    this.visited = []
    this.errors = []
  }

  get page() {
    return this.stack[this.stack.length - 1]
  }

  get route() {
    return this.page ? this.page.route : ''
  }

  // wx.navigateTo and friends, as the WeChat client does them.
  async navigate(kind, options) {
    if (kind === 'navigateBack') {
      const delta = Math.max(1, options.delta || 1)
      for (let i = 0; i < delta && this.stack.length > 1; i += 1) this.close(this.stack.pop())
      if (this.page.comp.instance.onShow) await this.page.comp.instance.onShow()
      return
    }
    if (kind === 'redirectTo') this.close(this.stack.pop())
    if (kind === 'switchTab' || kind === 'reLaunch') while (this.stack.length) this.close(this.stack.pop())
    const { route, query } = parse(options.url)
    let page
    try {
      page = { route, query, comp: this.render(route), loaded: false }
    } catch (err) {
      this.errors.push(`${route}: ${err.stack || err}`)
      throw err
    }
    this.stack.push(page)
    this.visited.push(route)
    const instance = page.comp.instance
    try {
      if (instance.onLoad) await instance.onLoad(query)
      if (instance.onShow) await instance.onShow()
    } catch (err) {
      this.errors.push(`${route}: ${err.stack || err}`)
      throw err
    } finally {
      page.loaded = true
    }
  }

  // A page loaded once (its module runs Component() once) and rendered afresh at every visit.
  render(route) {
    this.ids[route] = this.ids[route] || simulate.load(path.join(ROOT, route), { rootPath: ROOT })
    const comp = simulate.render(this.ids[route])
    comp.attach(document.createElement('parent-wrapper'))
    return comp
  }

  close(page) {
    if (page) page.comp.detach()
  }

  // Open a page as the citizen would from outside the app (the tab bar, a launch).
  launch(url) {
    return this.navigate('reLaunch', { url })
  }

  // The page the last tap led to, once its onLoad is done.
  async arrive(route) {
    await eventually(`page ${route} (on ${this.route})`, () => this.page && this.page.route === route && this.page.loaded, {
      intervalMs: 20,
    })
    return this.page
  }

  // What the page shows, as the citizen reads it.
  texts(selector) {
    return texts(this.page.comp, selector)
  }

  text(selector) {
    return this.texts(selector).join('\n')
  }

  nodes(selector) {
    return this.page.comp.querySelectorAll(selector)
  }

  node(selector, index = 0) {
    const found = this.nodes(selector)
    if (!found[index]) throw new Error(`no ${selector} [${index}] on ${this.route}: ${this.page.comp.dom.textContent}`)
    return found[index]
  }

  // The page shows something (rendered text, a node) once the backend has answered.
  until(what, probe, options) {
    return eventually(`${what} on ${this.route}`, probe, { intervalMs: 50, ...options })
  }

  // A pull-down refresh until the page shows what the backend now holds.
  async refreshUntil(what, probe, options) {
    return eventually(
      `${what} on ${this.route}`,
      async () => {
        if (probe()) return true
        await this.page.comp.instance.onPullDownRefresh()
        return probe()
      },
      { intervalMs: 300, ...options },
    )
  }

  tap(selector, index = 0) {
    this.node(selector, index).dispatchEvent('tap')
  }

  // Typing into an <input>/<textarea>, choosing in a <picker>: the element's own binding.
  type(node, value) {
    node.dispatchEvent('input', { detail: { value } })
  }

  pick(node, value) {
    node.dispatchEvent('change', { detail: { value } })
  }

  shut() {
    while (this.stack.length) this.close(this.stack.pop())
  }
}

module.exports = { Phone, parse }
