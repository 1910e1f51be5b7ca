// What every page shares: elderly mode and the language (both followed live) and its texts
// for WXML; `langClass` goes on the page root beside `elderly`.
const nav = require('../utils/nav')
const prefs = require('../utils/prefs')
const language = require('../utils/language')
const { texts } = require('../utils/format')
const { t, has } = require('../i18n/index')

module.exports = function pageBehavior(prefixes) {
  const keys = ['common'].concat(prefixes || [])
  const titleKey = prefixes && prefixes[0] ? `${prefixes[0]}.title` : ''
  // The page's own title in Mongolian (page JSON holds the Chinese one, shown before load).
  const title = () => {
    if (language.pageClass() && titleKey && has(titleKey) && typeof wx.setNavigationBarTitle === 'function') {
      wx.setNavigationBarTitle({ title: t(titleKey) })
    }
  }
  const lang = () => {
    title()
    return { L: texts(keys), langClass: language.pageClass() }
  }
  return Behavior({
    data: { elderly: false, L: texts(keys), langClass: language.pageClass() },
    lifetimes: {
      attached() {
        this.setData({ elderly: prefs.elderly(), ...lang() })
        this._offElderly = prefs.onChange((on) => this.setData({ elderly: on }))
        this._offLanguage = language.onChange(() => this.setData(lang()))
      },
      detached() {
        if (this._offElderly) this._offElderly()
        if (this._offLanguage) this._offLanguage()
      },
    },
    pageLifetimes: {
      show() {
        if (this.data.elderly !== prefs.elderly()) this.setData({ elderly: prefs.elderly() })
        if (this.data.langClass !== language.pageClass()) this.setData(lang())
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
