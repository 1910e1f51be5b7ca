// Settings: the language and elderly mode (local), and which channels may carry my messages
// (backend).
const api = require('../../utils/api')
const prefs = require('../../utils/prefs')
const language = require('../../utils/language')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

Component({
  behaviors: [page(['settings'])],
  data: {
    channels: { wechat: true, app: true, sms: true },
    signedIn: false,
    error: '',
    languages: language.LANGUAGES,
    lang: language.current(),
  },
  methods: {
    async onLoad() {
      this.setData({ signedIn: session.isSignedIn() })
      if (!session.isSignedIn()) return
      try {
        this.setData({ channels: await api.preferences() })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    chooseLanguage(e) {
      const code = e.detail.value
      if (code === language.current()) return
      // Every open page follows (the page behaviour), this one included.
      language.set(code)
      this.setData({ lang: code })
    },
    toggleElderly(e) {
      prefs.setElderly(e.detail.value)
    },
    async toggleChannel(e) {
      const channel = e.currentTarget.dataset.channel
      const next = { ...this.data.channels, [channel]: Boolean(e.detail.value) }
      try {
        this.setData({ channels: await api.setPreferences(next), error: '' })
      } catch (err) {
        this.setData({ error: err.message })
      }
    },
    // Every device signed out (a lost phone): asked first, it cannot be undone.
    logoutAll() {
      return new Promise((resolve) => {
        wx.showModal({
          title: t('settings.logoutAll'),
          content: t('settings.logoutAllConfirm'),
          confirmText: t('common.confirm'),
          cancelText: t('common.cancel'),
          success: (res) => resolve(Boolean(res.confirm)),
          fail: () => resolve(false),
        })
      }).then(async (yes) => {
        if (!yes) return false
        await api.logoutAll().catch(() => null)
        wx.reLaunch({ url: '/pages/home/index' })
        return true
      })
    },
    async logout() {
      await api.logout().catch(() => null)
      wx.reLaunch({ url: '/pages/home/index' })
    },
  },
})
