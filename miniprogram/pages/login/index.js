// WeChat login (wx.login → POST /api/v1/auth/wechat/login), then real-name binding through
// the platform's unified identity (POST /api/v1/auth/sso/start, opened in a web-view).
const api = require('../../utils/api')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

const NEXT_KEY = 'handheld.afterBinding'

Component({
  behaviors: [page(['login'])],
  data: { signedIn: false, bound: false, boundText: '', busy: false, error: '' },
  methods: {
    onLoad(query) {
      this.next = query && query.next ? decodeURIComponent(query.next) : ''
      this.refresh()
    },
    onShow() {
      this.refresh()
    },
    refresh() {
      const current = session.get()
      const citizen = current && current.citizen
      this.setData({
        signedIn: Boolean(current),
        bound: Boolean(citizen && citizen.realNameBound),
        boundText: citizen && citizen.realNameBound ? t('login.bound', { name: citizen.name || '' }) : '',
      })
    },
    async login() {
      this.setData({ busy: true, error: '' })
      try {
        await api.loginWithWechat()
        this.refresh()
        if (this.data.bound) this.done()
      } catch (e) {
        this.setData({ error: e.message || t('login.failed') })
      } finally {
        this.setData({ busy: false })
      }
    },
    async bind() {
      this.setData({ busy: true, error: '' })
      try {
        const { authorizeUrl } = await api.startBinding()
        wx.setStorageSync(NEXT_KEY, this.next || '')
        wx.navigateTo({ url: `/pages/bind/index?url=${encodeURIComponent(authorizeUrl)}` })
      } catch (e) {
        this.setData({ error: e.message })
      } finally {
        this.setData({ busy: false })
      }
    },
    done() {
      if (this.next) wx.redirectTo({ url: this.next })
      else wx.navigateBack({ fail: () => wx.reLaunch({ url: '/pages/home/index' }) })
    },
  },
})
