// 授权他人代办: name the person by ID number and name (checked by the backend against a
// real-named citizen), choose what they may do (the item I came from, or every item) and until
// when. They, and I, are told; I can revoke it at any time (pages/proxies).
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const validate = require('../../utils/validate')
const { t } = require('../../i18n/index')

const DAY = 24 * 3600 * 1000

function dayAfter(days) {
  const d = new Date(Date.now() + days * DAY)
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

Component({
  behaviors: [page(['proxy'])],
  data: { idNumber: '', name: '', until: '', minDay: '', maxDay: '', item: null, onlyItem: true, error: '', busy: false },
  methods: {
    onLoad(query) {
      const item = query && query.itemCode
        ? { code: decodeURIComponent(query.itemCode), name: decodeURIComponent(query.itemName || query.itemCode) }
        : null
      this.setData({ item, onlyItem: Boolean(item), until: dayAfter(30), minDay: dayAfter(1), maxDay: dayAfter(365) })
    },
    onIdNumber(e) {
      this.setData({ idNumber: e.detail.value.trim().toUpperCase() })
    },
    onName(e) {
      this.setData({ name: e.detail.value.trim() })
    },
    onUntil(e) {
      this.setData({ until: e.detail.value })
    },
    toggleItem(e) {
      this.setData({ onlyItem: Boolean(e.detail.value) })
    },
    problem() {
      if (!validate.idNumber(this.data.idNumber)) return t('proxy.badIdNumber')
      if (!this.data.name) return t('proxy.needName')
      if (!this.data.until) return t('proxy.needUntil')
      return ''
    },
    async submit() {
      const problem = this.problem()
      if (problem) {
        this.setData({ error: problem })
        return false
      }
      this.setData({ busy: true })
      try {
        // The window ends at the end of the chosen day in China.
        const validUntil = `${this.data.until}T23:59:59+08:00`
        await api.grantProxy({
          agentIdNumber: this.data.idNumber,
          agentName: this.data.name,
          items: this.data.onlyItem && this.data.item ? [this.data.item.code] : [],
          validUntil,
        })
        this.setData({ busy: false, error: '' })
        this.toast(t('proxy.granted'))
        wx.redirectTo({ url: '/pages/proxies/index' })
        return true
      } catch (err) {
        this.setData({ error: err.message, busy: false })
        return false
      }
    },
  },
})
