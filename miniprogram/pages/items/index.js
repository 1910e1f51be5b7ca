// Items found by keyword or under a theme, department or region: page after page as the
// citizen scrolls (or taps 加载更多), all again on pull-down.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const list = require('../../behaviors/list')
const { t } = require('../../i18n/index')
const { label } = require('../../utils/format')

const FILTERS = ['q', 'theme', 'department', 'region']

Component({
  behaviors: [page(['items']), list({ pageSize: 20 })],
  data: { heading: '', total: '' },
  methods: {
    onLoad(query) {
      this.filter = {}
      FILTERS.forEach((k) => {
        if (query[k]) this.filter[k] = decodeURIComponent(query[k])
      })
      const title = query.title ? decodeURIComponent(query.title) : this.filter.q || ''
      this.setData({ heading: this.filter.q ? t('items.searchTitle', { q: this.filter.q }) : title })
      if (title && typeof wx.setNavigationBarTitle === 'function') wx.setNavigationBarTitle({ title })
      return this.reload()
    },
    async fetch(pageNo, pageSize) {
      const found = await api.browseItems(this.filter, pageNo, pageSize)
      this.setData({ total: t('items.total', { n: found.total }) })
      return found
    },
    row(item) {
      const online = label('item.online', item.onlineLevel)
      return {
        code: item.code,
        name: item.name,
        department: item.department.name,
        online,
        suspended: item.acceptingApplications === false,
        label: `${item.name}，${item.department.name}，${online}`,
        url: `/pages/item/index?code=${encodeURIComponent(item.code)}`,
      }
    },
  },
})
