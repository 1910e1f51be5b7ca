// 办理大厅: the halls that serve an item (from its guide), or every hall.
const api = require('../../utils/api')
const page = require('../../behaviors/page')

Component({
  behaviors: [page(['halls'])],
  data: { halls: [], item: '', error: '' },
  methods: {
    async onLoad(query) {
      const item = (query && query.item) || ''
      try {
        const halls = await api.halls(item)
        this.setData({
          item,
          halls: halls.map((h) => ({
            ...h,
            url: `/pages/hall/index?code=${encodeURIComponent(h.code)}${item ? `&item=${encodeURIComponent(item)}` : ''}`,
          })),
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
  },
})
