// My address book (邮寄送达): the saved addresses (masked by the backend), a form to add one
// (checked here before any call), delete after a confirmation. Opened with
// ?declarationId=…&pick=1 it is the address chooser of a declaration's postal delivery.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

const MOBILE = /^1[3-9]\d{9}$/
const EMPTY = { recipient: '', phone: '', regionCode: '', regionName: '', detail: '', label: '', isDefault: false }

function problem(form) {
  if (!form.recipient.trim()) return t('addresses.needRecipient')
  if (!MOBILE.test(form.phone.trim())) return t('addresses.needPhone')
  if (!/^\d{6}$/.test(form.regionCode) || /0000$/.test(form.regionCode)) return t('addresses.needRegion')
  if (form.detail.trim().length < 5) return t('addresses.needDetail')
  return ''
}

Component({
  behaviors: [page(['addresses'])],
  data: { rows: [], count: '', form: { ...EMPTY }, adding: false, picking: false, error: '' },
  methods: {
    onLoad(query) {
      this.declarationId = query.declarationId || ''
      this.setData({ picking: Boolean(this.declarationId && query.pick) })
      return this.load()
    },
    async load() {
      try {
        const book = await api.addresses()
        this.setData({
          rows: book.items.map((a) => ({
            id: a.id,
            who: `${a.recipient} ${a.phone}`,
            where: `${a.regionName} ${a.detail}`,
            label: a.label,
            isDefault: a.isDefault,
          })),
          count: t('addresses.count', { total: book.total, limit: book.limit }),
          adding: book.items.length === 0,
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    startAdding() {
      this.setData({ adding: true, form: { ...EMPTY }, error: '' })
    },
    onInput(e) {
      this.setData({ [`form.${e.currentTarget.dataset.field}`]: e.detail.value })
    },
    onDefault(e) {
      this.setData({ 'form.isDefault': Boolean(e.detail.value) })
    },
    // <picker mode="region">: names of province, city and county, and their codes.
    onRegion(e) {
      const codes = e.detail.code || []
      this.setData({
        'form.regionCode': codes[codes.length - 1] || '',
        'form.regionName': (e.detail.value || []).join(' '),
      })
    },
    async save() {
      const form = this.data.form
      const wrong = problem(form)
      if (wrong) {
        this.setData({ error: wrong })
        return false
      }
      const body = {
        recipient: form.recipient.trim(),
        phone: form.phone.trim(),
        regionCode: form.regionCode,
        regionName: form.regionName,
        detail: form.detail.trim(),
        isDefault: form.isDefault,
      }
      if (form.label.trim()) body.label = form.label.trim()
      try {
        await api.addAddress(body)
        this.toast(t('addresses.saved'))
        await this.load()
        this.setData({ adding: false })
        return true
      } catch (e) {
        this.setData({ error: e.message })
        return false
      }
    },
    remove(e) {
      const id = e.currentTarget.dataset.id
      return new Promise((resolve) => {
        wx.showModal({
          content: t('addresses.removeConfirm'),
          success: async (res) => {
            if (!res.confirm) return resolve(false)
            try {
              await api.removeAddress(id)
              this.toast(t('addresses.removed'))
              await this.load()
              resolve(true)
            } catch (err) {
              this.setData({ error: err.message })
              resolve(false)
            }
          },
        })
      })
    },
    async use(e) {
      try {
        await api.chooseDelivery(this.declarationId, { method: 'postal', addressId: e.currentTarget.dataset.id })
        this.toast(t('delivery.saved'))
        wx.navigateBack()
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      }
    },
  },
})
