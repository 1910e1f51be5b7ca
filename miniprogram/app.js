// The language first: every page's texts are looked up in it (utils/language.js).
require('./utils/language').init()

App({
  globalData: {},
})
