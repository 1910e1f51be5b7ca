// 首页 (tab): search, the things a citizen comes back for (my cases, fees to pay, licences,
// bookings, 12345), the most used items and the latest notices.
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

const SHORTCUTS = [
  ['myDeclarations', '/pages/declarations/index'],
  ['toPay', '/pages/pay/index'],
  ['wallet', '/pages/wallet/index'],
  ['appointments', '/pages/appointments/index'],
  ['hotline', '/pages/hotline-tickets/index'],
  ['figures', '/pages/figures/index'],
]

Component({
  behaviors: [page(['home'])],
  data: { query: '', hot: [], notices: [], shortcuts: [], state: 'loading', error: '' },
  methods: {
    onLoad() {
      this.setData({ shortcuts: SHORTCUTS.map(([key, url]) => ({ key, url, label: t(`home.${key}`) })) })
      return this.load()
    },
    onShow() {
      nav.applyTabTexts()
    },
    load() {
      return Promise.all([this.loadHot(), this.loadNotices()])
    },
    async loadHot() {
      try {
        const hot = await api.hotItems(8)
        this.setData({
          hot: hot.map((i) => ({ ...i, url: `/pages/item/index?code=${encodeURIComponent(i.code)}`, label: `${i.name}，${i.department.name}` })),
          state: hot.length ? '' : 'empty',
          error: '',
        })
      } catch (e) {
        this.setData({ state: 'error', error: e.message })
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
    // The results are a page of their own: paged, pulled to refresh, with their empty state.
    onSearch() {
      const q = this.data.query.trim()
      if (q) nav.open(`/pages/items/index?q=${encodeURIComponent(q)}`)
    },
    openItem(e) {
      nav.open(`/pages/item/index?code=${encodeURIComponent(e.currentTarget.dataset.code)}`)
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
  },
})
