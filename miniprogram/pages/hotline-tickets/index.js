// My 12345 tickets: the list, and one ticket with its reply and timeline (newest first), where
// the reply is rated once (满意 / 基本满意 / 不满意).
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const list = require('../../behaviors/list')
const { t } = require('../../i18n/index')
const { date, dateTime } = require('../../utils/format')

const RESULTS = ['satisfied', 'basically_satisfied', 'dissatisfied']

function summary(ticket) {
  return {
    id: ticket.id,
    title: ticket.title,
    kind: ticket.kindLabel,
    state: ticket.stateLabel,
    number: ticket.ticketNumber ? t('tickets.number', { number: ticket.ticketNumber }) : '',
    due: t('tickets.due', { date: date(ticket.dueOn) }),
    overdue: ticket.overdue,
  }
}

Component({
  behaviors: [page(['tickets']), list({ pageSize: 20 })],
  data: { ticket: null, timeline: [], results: [], comment: '', rated: '', error: '' },
  methods: {
    onLoad(query) {
      this.id = query.id || ''
      return this.load()
    },
    onShow() {
      if (this.loaded) this.load()
    },
    async load() {
      try {
        if (this.id) await this.loadTicket()
        else await this.reload()
        this.loaded = true
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    async loadTicket() {
      const ticket = await api.hotlineTicket(this.id)
      this.setData({
        ticket: { ...summary(ticket), content: ticket.content, reply: ticket.reply || '', department: ticket.departmentName || '', canRate: ticket.canRate },
        timeline: ticket.timeline
          .slice()
          .reverse()
          .map((e, i) => ({ key: `${i}-${e.at}`, label: e.label, at: dateTime(e.at), department: e.departmentName || '', text: e.text || '' })),
        results: RESULTS.map((r) => ({ result: r, label: t(`tickets.rate.${r}`) })),
        rated: ticket.satisfactionLabel ? t('tickets.rated', { label: ticket.satisfactionLabel }) : '',
        error: '',
      })
    },
    fetch(pageNo, pageSize) {
      return api.hotlineTickets(pageSize, (pageNo - 1) * pageSize)
    },
    row(ticket) {
      const out = summary(ticket)
      return { ...out, label: `${out.title}，${out.kind}，${out.state}` }
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    open(e) {
      wx.navigateTo({ url: `/pages/hotline-tickets/index?id=${e.currentTarget.dataset.id}` })
    },
    onComment(e) {
      this.setData({ comment: e.detail.value })
    },
    async rate(e) {
      try {
        await api.rateHotline(this.id, e.currentTarget.dataset.result, this.data.comment.trim())
        this.toast(t('tickets.thanks'))
        await this.loadTicket()
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      }
    },
  },
})
