// One declaration: state, timeline, supplement notice, and what can be done next
// (supplement, withdraw, pay a fee, rate the finished service, redraft what the platform refused).
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { label, date } = require('../../utils/format')

const WITHDRAWABLE = ['draft', 'submitted', 'needs_supplement', 'platform_refused']
const PAYABLE = ['accepted', 'processing', 'completed']

// The platform's supplement notice lists {materialCode, problem}; the material's name is the
// one of the declaration's own materials (the code itself if the guide no longer has it).
function supplementRows(d) {
  if (!d.supplement) return []
  const names = {}
  d.materials.forEach((m) => {
    names[m.code] = m.name
  })
  return d.supplement.items.map((i) => ({
    code: i.materialCode,
    name: names[i.materialCode] || i.materialCode,
    problem: i.problem,
  }))
}

Component({
  behaviors: [page(['declarations'])],
  data: {
    detail: null, state: '', delivery: '', caseNumber: '', due: '', supplement: [], refusal: '', actions: {}, error: '',
  },
  methods: {
    // Another identity chosen: this page was the previous one's; back to where it came from.
    onActing() {
      wx.navigateBack()
    },
    onLoad(query) {
      this.id = query.id
      return this.load()
    },
    async load() {
      try {
        const d = await api.declaration(this.id)
        this.setData({
          detail: d,
          state: label('state', d.state),
          delivery: d.delivery === 'none' ? '' : label('delivery', d.delivery),
          caseNumber: d.caseNumber ? t('declarations.caseNumber', { number: d.caseNumber }) : '',
          due: d.promisedDue ? t(d.promisedDueProvisional ? 'declarations.dueProvisional' : 'declarations.due', { date: date(d.promisedDue) }) : '',
          supplement: supplementRows(d),
          refusal: d.refusal
            ? t('declarations.refusal', { kind: t(`declarations.refusal.${d.refusal.kind}`), reason: d.refusal.reason })
            : '',
          actions: {
            supplement: d.state === 'needs_supplement',
            withdraw: WITHDRAWABLE.includes(d.state),
            pay: PAYABLE.includes(d.state),
            rate: d.state === 'completed',
            redraft: d.state === 'platform_refused',
          },
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    supplement() {
      wx.navigateTo({ url: `/pages/apply/index?id=${this.id}` })
    },
    pay() {
      wx.navigateTo({ url: `/pages/pay/index?declarationId=${this.id}` })
    },
    rate() {
      wx.navigateTo({ url: `/pages/rate/index?id=${this.id}` })
    },
    // Ask about this matter or complain about it (12345).
    hotline() {
      const name = encodeURIComponent(this.data.detail.itemName)
      wx.navigateTo({ url: `/pages/hotline/index?declarationId=${this.id}&name=${name}` })
    },
    async redraft() {
      try {
        await api.redraft(this.id)
        wx.navigateTo({ url: `/pages/apply/index?id=${this.id}` })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    async withdraw() {
      try {
        await api.withdraw(this.id, '')
        await this.load()
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
  },
})
