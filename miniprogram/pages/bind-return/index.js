// Where the platform's redirect lands: finish the binding, then go where the citizen was going.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

Component({
  behaviors: [page(['login'])],
  data: { message: '', error: '' },
  methods: {
    async onLoad(query) {
      this.setData({ message: t('common.loading') })
      try {
        await api.completeBinding(decodeURIComponent(query.code || ''), decodeURIComponent(query.state || ''))
        this.setData({ message: t('login.bindDone') })
        const next = wx.getStorageSync('handheld.afterBinding')
        wx.removeStorageSync('handheld.afterBinding')
        if (next) wx.redirectTo({ url: next })
        else wx.reLaunch({ url: '/pages/home/index' })
      } catch (e) {
        this.setData({ message: '', error: `${t('login.bindFailed')}（${e.message}）` })
      }
    },
  },
})
