// 情形引导: the bundle's questions; the answers choose the members (the citizen may tick
// otherwise, 按需勾选) and the materials, all shown before applying. Starting creates the bundle
// (one key per tap, reused on a retry of that tap) and opens its one form.
const api = require('../../utils/api')
const http = require('../../utils/http')
const page = require('../../behaviors/page')
const session = require('../../utils/session')
const { t } = require('../../i18n/index')

function questionRows(plan) {
  return plan.questions.map((q) => ({
    key: q.key,
    text: q.text,
    options: q.options.map((o) => ({ value: o, chosen: o === q.answer })),
  }))
}

function memberRows(plan) {
  const names = {}
  plan.members.forEach((m) => {
    names[m.itemCode] = m.itemName
  })
  return plan.members.map((m) => ({
    code: m.itemCode,
    name: m.itemName,
    department: m.department.name,
    chosen: m.chosen,
    suggested: m.suggested,
    after: m.after.length ? t('bundles.after', { names: m.after.map((c) => names[c]).join('、') }) : '',
  }))
}

function materialRows(plan) {
  const names = {}
  plan.members.forEach((m) => {
    names[m.itemCode] = m.itemName
  })
  return plan.materials.map((m) => ({
    key: m.key,
    name: m.name,
    required: m.required,
    usedBy: t('bundles.usedBy', { names: m.uses.map((u) => names[u.itemCode]).join('、') }),
  }))
}

Component({
  behaviors: [page(['bundles'])],
  data: { name: '', questions: [], members: [], materials: [], busy: false, error: '' },
  methods: {
    async onLoad(query) {
      this.code = decodeURIComponent(query.code || '')
      this.answers = {}
      this.ticked = null
      this.startKey = null
      return this.refresh()
    },
    async refresh() {
      try {
        const plan = await api.bundlePlan(this.code, this.answers, this.ticked)
        this.plan = plan
        this.setData({
          name: plan.bundleName,
          questions: questionRows(plan),
          members: memberRows(plan),
          materials: materialRows(plan),
          error: '',
        })
        return true
      } catch (e) {
        this.setData({ error: e.message })
        return false
      }
    },
    answer(e) {
      const { key, value } = e.currentTarget.dataset
      this.answers[key] = value
      this.ticked = null // the answers choose again
      this.startKey = null
      return this.refresh()
    },
    tick(e) {
      const code = e.currentTarget.dataset.code
      const chosen = this.plan.members.filter((m) => m.chosen).map((m) => m.itemCode)
      const next = chosen.includes(code) ? chosen.filter((c) => c !== code) : chosen.concat([code])
      if (!next.length) {
        this.setData({ error: t('bundles.noneChosen') })
        return Promise.resolve(false)
      }
      this.ticked = this.plan.members.map((m) => m.itemCode).filter((c) => next.includes(c))
      this.startKey = null
      return this.refresh()
    },
    async start() {
      const target = `/pages/bundle-guide/index?code=${encodeURIComponent(this.code)}`
      if (!session.isSignedIn() || !session.get().citizen.realNameBound) {
        wx.navigateTo({ url: `/pages/login/index?next=${encodeURIComponent(target)}` })
        return false
      }
      this.setData({ busy: true, error: '' })
      try {
        this.startKey = this.startKey || http.uuid4() // kept for a retry of this tap
        const bundle = await api.startBundle(this.code, this.answers, this.ticked, this.startKey)
        this.startKey = null
        wx.redirectTo({ url: `/pages/bundle/index?id=${bundle.id}` })
        return true
      } catch (e) {
        this.setData({ error: e.message })
        return false
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
