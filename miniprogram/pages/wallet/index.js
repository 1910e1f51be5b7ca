// The licence wallet: my e-licences, and who used them (授权用证 log).
const api = require('../../utils/api')
const items = require('../../utils/list')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { date, dateTime } = require('../../utils/format')

Component({
  behaviors: [page(['wallet'])],
  data: { licences: [], uses: [], error: '', state: 'loading' },
  methods: {
    onLoad() {
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      try {
        const [licences, uses] = await Promise.all([api.licences(), api.licenceUses()])
        this.setData({
          licences: items(licences).map((l) => ({
            id: l.id || l.licenceNumber,
            name: l.name,
            number: l.licenceNumber,
            status: l.statusText || '',
            issued: t('wallet.issued', { date: date(l.issuedAt) }),
            usable: l.usable !== false,
            label: `${l.name}，${l.statusText || ''}`,
          })),
          uses: items(uses).map((u) => ({
            id: u.id,
            text: `${u.licenceName} · ${u.user ? u.user.name : ''} · ${u.purpose || ''}`,
            at: dateTime(u.usedAt),
          })),
          error: '',
        })
        this.setData({ state: this.data.licences.length ? '' : 'empty' })
      } catch (e) {
        this.setData({ state: 'error', error: e.message })
      }
    },
    open(e) {
      wx.navigateTo({ url: `/pages/licence/index?id=${encodeURIComponent(e.currentTarget.dataset.id)}` })
    },
  },
})
