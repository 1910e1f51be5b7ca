// My declarations, drafts included, with their state and due date.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { label, date } = require('../../utils/format')

const FILTERS = ['', 'draft', 'submitted', 'needs_supplement', 'accepted', 'completed']

Component({
  behaviors: [page(['declarations'])],
  data: { filters: [], active: '', rows: [], error: '' },
  methods: {
    // Another identity chosen: its declarations.
    onActing() {
      return this.load()
    },
    onLoad() {
      this.setData({
        filters: FILTERS.map((s) => ({ state: s, label: s ? label('state', s) : t('declarations.title') })),
      })
      return this.load()
    },
    onShow() {
      if (this.loaded) this.load()
    },
    async load() {
      try {
        const found = await api.listDeclarations({ state: this.data.active || undefined })
        this.loaded = true
        this.setData({
          error: '',
          rows: found.items.map((d) => ({
            id: d.id,
            name: d.itemName,
            state: label('state', d.state),
            draft: d.state === 'draft',
            caseNumber: d.caseNumber ? t('declarations.caseNumber', { number: d.caseNumber }) : '',
            due: d.promisedDue ? t(d.promisedDueProvisional ? 'declarations.dueProvisional' : 'declarations.due', { date: date(d.promisedDue) }) : '',
            supervision: d.supervision === 'none' ? '' : label('declarations.supervision', d.supervision),
            supervisionClass: d.supervision === 'red' ? 'tag-danger' : 'tag-warn',
          })),
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    filter(e) {
      this.setData({ active: e.currentTarget.dataset.state })
      return this.load()
    },
    open(e) {
      const { id, draft } = e.currentTarget.dataset
      wx.navigateTo({ url: draft ? `/pages/apply/index?id=${id}` : `/pages/declaration/index?id=${id}` })
    },
  },
})
