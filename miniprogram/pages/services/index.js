// 办事 (tab): find an item by keyword, or browse the catalogue by theme, department or region
// (GET /api/v1/catalog/facets, with the number of items under each); halls, 12345 and the
// departments' own services are one tap away.
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

const GROUPS = ['themes', 'departments', 'regions']
const FILTER = { themes: 'theme', departments: 'department', regions: 'region' }

function url(group, facet) {
  return `/pages/items/index?${FILTER[group]}=${encodeURIComponent(facet.code)}&title=${encodeURIComponent(facet.name)}`
}

Component({
  behaviors: [page(['services'])],
  data: { query: '', groups: [], group: 'themes', facets: [], state: 'loading', error: '' },
  methods: {
    onLoad() {
      this.setData({ groups: GROUPS.map((g) => ({ key: g, label: t(`services.group.${g}`) })) })
      return this.load()
    },
    onShow() {
      nav.applyTabTexts()
    },
    async load() {
      try {
        this.found = await api.facets()
        this.show()
      } catch (e) {
        this.setData({ state: 'error', error: e.message })
      }
    },
    show() {
      const group = this.data.group
      const facets = (this.found[group] || []).map((f) => ({
        code: f.code,
        name: f.name,
        count: t('services.count', { n: f.count }),
        label: t('services.facetLabel', { name: f.name, n: f.count }),
        url: url(group, f),
      }))
      this.setData({
        facets,
        groups: GROUPS.map((g) => ({ key: g, label: t(`services.group.${g}`), on: g === group })),
        state: facets.length ? '' : 'empty',
        error: '',
      })
    },
    chooseGroup(e) {
      this.setData({ group: e.currentTarget.dataset.group })
      if (this.found) this.show()
    },
    onInput(e) {
      this.setData({ query: e.detail.value })
    },
    search() {
      const q = this.data.query.trim()
      if (q) nav.open(`/pages/items/index?q=${encodeURIComponent(q)}`)
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
  },
})
