// What every page shares: elderly mode (followed live) and its texts for WXML.
const nav = require('../utils/nav')
const prefs = require('../utils/prefs')
const { texts } = require('../utils/format')

module.exports = function pageBehavior(prefixes) {
  return Behavior({
    data: { elderly: false, L: texts(['common'].concat(prefixes || [])) },
    lifetimes: {
      attached() {
        this.setData({ elderly: prefs.elderly() })
        this._offElderly = prefs.onChange((on) => this.setData({ elderly: on }))
      },
      detached() {
        if (this._offElderly) this._offElderly()
      },
    },
    pageLifetimes: {
      show() {
        if (this.data.elderly !== prefs.elderly()) this.setData({ elderly: prefs.elderly() })
      },
    },
    methods: {
      toast(title) {
        wx.showToast({ title: String(title || ''), icon: 'none' })
      },
      go(e) {
        // Tab pages by wx.switchTab, the others by wx.navigateTo (utils/nav.js).
        nav.open(e.currentTarget.dataset.url)
      },
    },
  })
}
