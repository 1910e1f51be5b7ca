// 咨询、投诉、建议 to the 12345 hotline: the kind, a title, the content, and what it is about
// (an item, or one of my declarations — a complaint may be about a bad review's rectification).
const api = require('../../utils/api')
const http = require('../../utils/http')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

const KINDS = ['consultation', 'complaint', 'suggestion']
const LIMITS = { title: 100, content: 2000 }

Component({
  behaviors: [page(['hotline'])],
  data: { kinds: [], kind: 'consultation', title: '', content: '', about: '', rectification: false, error: '', busy: false },
  methods: {
    onLoad(query) {
      this.subject = {}
      if (query.itemCode) this.subject.itemCode = decodeURIComponent(query.itemCode)
      if (query.declarationId) this.subject.declarationId = decodeURIComponent(query.declarationId)
      const rectification = query.rectification === '1' && Boolean(this.subject.declarationId)
      const kind = rectification ? 'complaint' : KINDS.includes(query.kind) ? query.kind : 'consultation'
      this.setData({
        kind,
        rectification,
        about: query.name ? t('hotline.about', { name: decodeURIComponent(query.name) }) : '',
      })
      this.render()
    },
    render() {
      this.setData({
        kinds: KINDS.map((k) => ({ kind: k, label: t(`hotline.kind.${k}`), on: k === this.data.kind })),
      })
    },
    chooseKind(e) {
      if (this.data.rectification) return // a rectification complaint stays a complaint
      this.setData({ kind: e.currentTarget.dataset.kind })
      this.render()
    },
    onTitle(e) {
      this.setData({ title: e.detail.value })
    },
    onContent(e) {
      this.setData({ content: e.detail.value })
    },
    problem() {
      const title = this.data.title.trim()
      const content = this.data.content.trim()
      if (!title) return t('hotline.needTitle')
      if (!content) return t('hotline.needContent')
      if (title.length > LIMITS.title) return t('hotline.tooLong', { field: t('hotline.titleLabel'), n: LIMITS.title })
      if (content.length > LIMITS.content) return t('hotline.tooLong', { field: t('hotline.content'), n: LIMITS.content })
      return ''
    },
    async submit() {
      const problem = this.problem()
      if (problem) {
        this.setData({ error: problem })
        return false
      }
      // One key per tap, kept for a retry of the same tap: 12345 gets one ticket.
      this.key = this.key || http.uuid4()
      this.setData({ busy: true })
      try {
        const body = { kind: this.data.kind, title: this.data.title.trim(), content: this.data.content.trim(), ...this.subject }
        if (this.data.rectification) body.aboutRectification = true
        const ticket = await api.fileHotline(body, this.key)
        this.key = null
        this.setData({ error: '', busy: false })
        this.toast(t('hotline.submitted'))
        wx.redirectTo({ url: `/pages/hotline-tickets/index?id=${ticket.id}` })
        return true
      } catch (err) {
        this.setData({ error: err.message, busy: false })
        return false
      }
    },
  },
})
