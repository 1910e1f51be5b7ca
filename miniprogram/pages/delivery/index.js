// A declaration's paper result (邮寄送达): electronic only, or the choice between window pickup
// (each hall serving the item with its hours) and postal delivery (an address of the book,
// with the postage), changeable until the result is out; then the waybill and its tracking,
// newest first. Without a declaration: my posted results.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { dateTime, yuan } = require('../../utils/format')

function hours(sessions) {
  return sessions.map((s) => `${s.from}-${s.to}`).join('，')
}

function place(p) {
  return {
    code: p.hallCode || '',
    name: p.name,
    address: p.address,
    phone: p.phone,
    hours: p.hours.length ? t('delivery.hours', { hours: hours(p.hours) }) : '',
    saturday: p.saturdayHours.length ? t('delivery.saturday', { hours: hours(p.saturdayHours) }) : '',
  }
}

function shown(d) {
  const waybill = d.waybillNumber ? t('delivery.waybill', { carrier: d.carrier || '', number: d.waybillNumber }) : ''
  let chosen = ''
  if (d.method === 'pickup' && d.pickup) chosen = t('delivery.chosenPickup', { name: d.pickup.name })
  if (d.method === 'postal' && d.address) {
    const a = d.address
    chosen = t('delivery.chosenPostal', { recipient: a.recipient, phone: a.phone, region: a.regionName, detail: a.detail })
  }
  return {
    id: d.declarationId,
    item: d.itemName,
    method: d.method || '',
    status: d.statusLabel || '',
    chosen,
    waybill,
    waybillNumber: d.waybillNumber || '',
  }
}

Component({
  behaviors: [page(['delivery'])],
  data: { delivery: null, paper: true, halls: [], pickup: null, postal: '', postalOff: false, changeable: false, tracking: [], rows: [], error: '' },
  methods: {
    onLoad(query) {
      this.id = query.declarationId || ''
      return this.load()
    },
    onShow() {
      if (this.loaded) this.load()
    },
    async load() {
      try {
        if (this.id) await this.loadOne()
        else {
          const mine = await api.resultDeliveries()
          this.setData({ rows: mine.items.map(shown), delivery: null, error: '' })
        }
        this.loaded = true
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    async loadOne() {
      const d = await api.resultDelivery(this.id)
      this.setData({
        delivery: shown(d),
        paper: d.paperResult,
        halls: d.halls.map(place),
        pickup: d.pickup ? place(d.pickup) : null,
        postal: d.feeFen ? t('delivery.postalFee', { amount: t('common.yuan', { amount: yuan(d.feeFen) }) }) : t('delivery.postalFree'),
        postalOff: !d.postalOffered,
        changeable: d.changeable,
        tracking: d.timeline
          .slice()
          .reverse()
          .map((e, i) => ({ key: `${i}-${e.at}`, label: e.label, at: dateTime(e.at), text: e.text, location: e.location })),
        error: '',
      })
    },
    async pickHall(e) {
      const code = e.currentTarget.dataset.code
      try {
        await api.chooseDelivery(this.id, code ? { method: 'pickup', hallCode: code } : { method: 'pickup' })
        this.toast(t('delivery.saved'))
        await this.loadOne()
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      }
    },
    pickAddress() {
      wx.navigateTo({ url: `/pages/addresses/index?declarationId=${this.id}&pick=1` })
    },
    open(e) {
      wx.navigateTo({ url: `/pages/delivery/index?declarationId=${e.currentTarget.dataset.id}` })
    },
    copyWaybill() {
      const number = this.data.delivery && this.data.delivery.waybillNumber
      if (!number) return
      wx.setClipboardData({ data: number, success: () => this.toast(t('delivery.copied')) })
    },
  },
})
