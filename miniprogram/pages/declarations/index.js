// My declarations, drafts included, with their state and due date; filtered by state, page
// after page, pulled to refresh.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const list = require('../../behaviors/list')
const { t } = require('../../i18n/index')
const { label, date } = require('../../utils/format')

const FILTERS = ['', 'draft', 'submitted', 'needs_supplement', 'accepted', 'completed']

Component({
  behaviors: [page(['declarations']), list({ pageSize: 20 })],
  data: { filters: [], active: '' },
  methods: {
    // Another identity chosen: its declarations.
    onActing() {
      return this.load()
    },
    onLoad() {
      this.setData({
        filters: FILTERS.map((s) => ({ state: s, label: s ? label('state', s) : t('declarations.all') })),
      })
      return this.load()
    },
    onShow() {
      if (this.loaded) this.load()
    },
    async load() {
      await this.reload()
      this.loaded = true
    },
    fetch(pageNo, pageSize) {
      return api.listDeclarations({ state: this.data.active || undefined, page: pageNo, pageSize })
    },
    row(d) {
      const state = label('state', d.state)
      return {
        id: d.id,
        name: d.itemName,
        state,
        draft: d.state === 'draft',
        caseNumber: d.caseNumber ? t('declarations.caseNumber', { number: d.caseNumber }) : '',
        due: d.promisedDue ? t(d.promisedDueProvisional ? 'declarations.dueProvisional' : 'declarations.due', { date: date(d.promisedDue) }) : '',
        supervision: d.supervision === 'none' ? '' : label('declarations.supervision', d.supervision),
        supervisionClass: d.supervision === 'red' ? 'tag-danger' : 'tag-warn',
        label: `${d.itemName}，${state}`,
      }
    },
    filter(e) {
      this.setData({ active: e.currentTarget.dataset.state, rows: [] })
      return this.load()
    },
    open(e) {
      const { id, draft } = e.currentTarget.dataset
      wx.navigateTo({ url: draft ? `/pages/apply/index?id=${id}` : `/pages/declaration/index?id=${id}` })
    },
  },
})
