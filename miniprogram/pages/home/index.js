const api = require('../../utils/api')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

Component({
  behaviors: [page(['home'])],
  data: { query: '', hot: [], results: null, resultsTitle: '', notices: [], error: '' },
  methods: {
    onLoad() {
      return Promise.all([this.loadHot(), this.loadNotices()])
    },
    async loadHot() {
      try {
        this.setData({ hot: await api.hotItems(8), error: '' })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    async loadNotices() {
      if (!session.isSignedIn()) return
      try {
        const page1 = await api.inbox(1, 20)
        const notices = page1.items.filter((m) => m.eventType === 'notice').slice(0, 3)
        this.setData({ notices })
      } catch (e) {
        // Notices are a bonus on the home page; the inbox page shows errors.
      }
    },
    onInput(e) {
      this.setData({ query: e.detail.value })
    },
    async onSearch() {
      const q = this.data.query.trim()
      if (!q) {
        this.setData({ results: null })
        return
      }
      try {
        const found = await api.searchItems(q)
        this.setData({
          results: found.items,
          resultsTitle: found.total ? t('home.results', { total: found.total }) : t('home.noResults'),
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    openItem(e) {
      wx.navigateTo({ url: `/pages/item/index?code=${encodeURIComponent(e.currentTarget.dataset.code)}` })
    },
  },
})
