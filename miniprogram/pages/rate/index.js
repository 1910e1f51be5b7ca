// 好差评: five levels, the online indicator set, tags of the level's sentiment, a comment.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { date, dateTime, label } = require('../../utils/format')

const INDICATORS = ['overall', 'efficiency', 'guideAccuracy', 'convenience', 'easeOfUse']

// A bad review opens a rectification ticket: its state, its due day, then its outcome and the
// department's note; once it is resolved the citizen may rate once more (追评).
function ticketView(ticket) {
  if (!ticket) return null
  return {
    status: label('rate.ticket.status', ticket.status),
    outcome: ticket.outcome ? label('rate.ticket.outcome', ticket.outcome) : '',
    note: ticket.note || '',
    due: ticket.dueOn ? t(ticket.dueProvisional ? 'rate.ticket.dueProvisional' : 'rate.ticket.due', { date: date(ticket.dueOn) }) : '',
    resolved: ticket.resolvedAt ? t('rate.ticket.resolvedAt', { at: dateTime(ticket.resolvedAt) }) : '',
  }
}

function reviewRows(list) {
  return (list || []).map((r) => ({
    id: r.id,
    kind: label('rate.kind', r.kind),
    level: r.levelLabel,
    tags: (r.tags || []).map((tag) => tag.label).join('、'),
    text: r.text || '',
    at: dateTime(r.ratedAt),
  }))
}

Component({
  behaviors: [page(['rate'])],
  data: { levels: [], level: 0, indicators: [], tags: [], chosen: {}, text: '', canRate: true, followUp: false, rectified: false, ticket: null, history: [], done: false, error: '' },
  methods: {
    // Another identity chosen: this page was the previous one's; back to where it came from.
    onActing() {
      wx.navigateBack()
    },
    async onLoad(query) {
      // A declaration (?id=) on this session's channel, or a hall visit by its queue number
      // (?ticket=) on the channel "hall booked online".
      this.id = query.id
      this.ticket = query.ticket
      this.scores = {}
      this.catalogue = { levels: [], tags: [] }
      try {
        const [catalogue, mine] = await Promise.all([
          api.reviewTags(),
          this.ticket ? api.queueTicket(this.ticket) : api.reviews(this.id),
        ])
        this.catalogue = catalogue
        // A bad review's rectification came back: the citizen may complain about it to 12345.
        this.setData({
          canRate: mine.canRate,
          followUp: mine.nextKind === 'follow_up',
          rectified: Boolean(mine.ticket && mine.ticket.status !== 'processing'),
          ticket: ticketView(mine.ticket),
          history: reviewRows(mine.reviews),
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
      this.render()
    },
    render() {
      const level = this.data.level
      const levels = [5, 4, 3, 2, 1].map((n) => {
        const known = this.catalogue.levels.find((l) => l.level === n)
        return { level: n, label: known ? known.label : t(`rate.level.${n}`), on: n === level }
      })
      const bad = level > 0 && level <= 2
      const tags = level
        ? this.catalogue.tags
            .filter((tag) => tag.sentiment === (bad ? 'bad' : 'good'))
            .map((tag) => ({ code: tag.code, label: tag.label, on: Boolean(this.data.chosen[tag.code]) }))
        : []
      const indicators = INDICATORS.map((key) => ({
        key,
        label: t(`rate.${key}`),
        stars: [1, 2, 3, 4, 5].map((n) => ({
          n,
          on: n <= (this.scores[key] || 0),
          label: t('rate.starLabel', { indicator: t(`rate.${key}`), n }),
        })),
      }))
      this.setData({ levels, tags, indicators })
    },
    chooseLevel(e) {
      const level = Number(e.currentTarget.dataset.level)
      // The indicators start at the chosen level; the citizen may change each one.
      INDICATORS.forEach((k) => {
        this.scores[k] = level
      })
      this.setData({ level, chosen: {} })
      this.render()
    },
    score(e) {
      const { key, n } = e.currentTarget.dataset
      this.scores[key] = Number(n)
      this.render()
    },
    toggleTag(e) {
      const code = e.currentTarget.dataset.code
      const chosen = { ...this.data.chosen, [code]: !this.data.chosen[code] }
      this.setData({ chosen })
      this.render()
    },
    complain() {
      wx.navigateTo({ url: `/pages/hotline/index?declarationId=${this.id}&rectification=1` })
    },
    onText(e) {
      this.setData({ text: e.detail.value })
    },
    async submit() {
      if (!this.data.level) {
        this.setData({ error: t('rate.chooseLevel') })
        return false
      }
      try {
        const rating = {
          level: this.data.level,
          scores: { ...this.scores },
          tags: Object.keys(this.data.chosen).filter((c) => this.data.chosen[c]),
          text: this.data.text,
        }
        await (this.ticket ? api.rateVisit(this.ticket, rating) : api.rate(this.id, rating))
        this.setData({ done: true, canRate: false, error: '' })
        this.toast(t('rate.done'))
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      }
    },
  },
})
