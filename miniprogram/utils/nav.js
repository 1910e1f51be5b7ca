// Where a tap goes: the four tab pages are opened with wx.switchTab (wx.navigateTo refuses
// them), every other page with wx.navigateTo. The tab bar's texts come from i18n, set at run
// time (app.json can only hold one language).
const { t } = require('../i18n/index')

const TABS = [
  { page: 'pages/home/index', key: 'tabs.home' },
  { page: 'pages/services/index', key: 'tabs.services' },
  { page: 'pages/inbox/index', key: 'tabs.inbox' },
  { page: 'pages/mine/index', key: 'tabs.mine' },
]

function pathOf(url) {
  return String(url || '').replace(/^\//, '').split('?')[0]
}

function isTab(url) {
  return TABS.some((tab) => tab.page === pathOf(url))
}

function open(url) {
  if (!url) return
  if (isTab(url)) wx.switchTab({ url: `/${pathOf(url)}` })
  else wx.navigateTo({ url })
}

// Called by each tab page when shown: the texts of the current locale.
function applyTabTexts() {
  if (typeof wx.setTabBarItem !== 'function') return
  TABS.forEach((tab, index) => wx.setTabBarItem({ index, text: t(tab.key), fail: () => null }))
}

module.exports = { TABS, isTab, open, applyTabTexts }
