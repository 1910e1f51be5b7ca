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

// 容缺: what was accepted as missing, by name, while it may still be sent (after acceptance).
const TOLERATED_OPEN = ['accepted', 'processing']

function toleratedRows(d) {
  if (!TOLERATED_OPEN.includes(d.state)) return []
  return (d.toleratedMissing || []).map((code) => {
    const m = d.materials.find((x) => x.code === code)
    return { code, name: m ? m.name : code }
  })
}

function ask(title, content) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText: t('common.confirm'),
      cancelText: t('common.cancel'),
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false),
    })
  })
}

Component({
  behaviors: [page(['declarations'])],
  data: {
    detail: null, state: '', delivery: '', caseNumber: '', due: '', preReviewDue: '', supplementOpen: false, supplement: [], tolerated: [], refusal: '', actions: {}, error: '',
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
          preReviewDue: d.preReviewDue
            ? t(d.preReviewDueProvisional ? 'declarations.preReviewDueProvisional' : 'declarations.preReviewDue', { date: date(d.preReviewDue) })
            : '',
          // The notice stays on the declaration once answered (its history): shown only while
          // it is still to be answered.
          supplementOpen: d.state === 'needs_supplement' && !!d.supplement,
          supplement: supplementRows(d),
          tolerated: toleratedRows(d),
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
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    sendTolerated() {
      wx.navigateTo({ url: `/pages/apply/index?id=${this.id}&tolerated=1` })
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
    // How the paper result reaches me (邮寄送达): pickup at a hall or by post, and tracking.
    resultDelivery() {
      wx.navigateTo({ url: `/pages/delivery/index?declarationId=${this.id}` })
    },
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
    // Withdrawing cannot be undone: the citizen confirms it first.
    async withdraw() {
      if (!(await ask(t('declarations.withdraw'), t('declarations.withdrawConfirm', { name: this.data.detail.itemName })))) return false
      try {
        await api.withdraw(this.id, '')
        await this.load()
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
  },
})
