// 身份切换: whom the page acts for — me, a company I am an agent of, a person who authorised
// me. Shown on every page that acts; the choice is kept (utils/acting.js) and sent as
// X-Acting-As by every call that acts. The list comes from the backend each time it opens, so
// an authorisation revoked meanwhile is gone from it (and refused by the backend anyway).
const acting = require('../../utils/acting')
const api = require('../../utils/api')
const { t } = require('../../i18n/index')
const { texts } = require('../../utils/format')

function labelOf(party) {
  if (!party || party.role === 'self') return t('switcher.self')
  if (party.kind === 'legal') return t('switcher.company', { name: party.name })
  return t('switcher.person', { name: party.name })
}

Component({
  properties: { elderly: { type: Boolean, value: false } },
  data: { label: '', acting: false, open: false, groups: [], error: '', L: {} },
  lifetimes: {
    attached() {
      this.setData({ L: texts(['switcher']) })
      this.show(acting.current())
      this._off = acting.onChange((party) => this.show(party))
    },
    detached() {
      if (this._off) this._off()
    },
  },
  methods: {
    show(party) {
      this.setData({ label: labelOf(party), acting: Boolean(party) })
    },
    async toggle() {
      if (this.data.open) {
        this.setData({ open: false })
        return
      }
      try {
        const answer = await api.parties()
        const parties = (answer && answer.parties) || []
        const current = acting.current()
        const entry = (p) => ({ ...p, label: labelOf(p), on: current ? current.id === p.id : p.role === 'self' })
        const me = parties.filter((p) => p.role === 'self').map(entry)
        const companies = parties.filter((p) => p.role !== 'self' && p.kind === 'legal').map(entry)
        const people = parties.filter((p) => p.role !== 'self' && p.kind === 'natural').map(entry)
        const groups = [
          { key: 'self', title: t('switcher.groupSelf'), items: me.length ? me : [entry({ id: '', role: 'self' })] },
          { key: 'companies', title: t('switcher.groupCompanies'), items: companies },
          { key: 'people', title: t('switcher.groupPeople'), items: people },
        ].filter((g) => g.items.length)
        this.parties = parties
        // The party chosen before may have revoked me: back to myself.
        if (current && !parties.some((p) => p.id === current.id)) acting.set(null)
        this.setData({ open: true, groups, error: '' })
      } catch (err) {
        this.setData({ error: err.message })
      }
    },
    choose(e) {
      const id = e.currentTarget.dataset.id
      const party = (this.parties || []).find((p) => p.id === id) || null
      acting.set(party && party.role !== 'self' ? party : null)
      this.setData({ open: false })
      this.triggerEvent('acting', { party: acting.current() })
    },
  },
})
