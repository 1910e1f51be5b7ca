// 办理大厅: the halls that serve an item (from its guide), or every hall.
const api = require('../../utils/api')
const page = require('../../behaviors/page')

Component({
  behaviors: [page(['halls'])],
  data: { halls: [], item: '', error: '', state: 'loading' },
  methods: {
    onLoad(query) {
      this.item = (query && query.item) || ''
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      const item = this.item
      try {
        const halls = await api.halls(item)
        this.setData({
          item,
          halls: halls.map((h) => ({
            ...h,
            label: `${h.name}，${h.address}`,
            url: `/pages/hall/index?code=${encodeURIComponent(h.code)}${item ? `&item=${encodeURIComponent(item)}` : ''}`,
          })),
          error: '',
          state: halls.length ? '' : 'empty',
        })
      } catch (e) {
        this.setData({ state: 'error', error: e.message })
      }
    },
  },
})
