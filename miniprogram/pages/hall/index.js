// A hall: where it is (wx.openLocation), its phone (wx.makePhoneCall), when it opens, its
// windows and what each serves; booking an item it serves.
const api = require('../../utils/api')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

const sessions = (list) => list.map((s) => `${s.from}-${s.to}`).join('，')

Component({
  behaviors: [page(['hall'])],
  data: { hall: null, item: '', hours: [], closures: [], windows: [], error: '' },
  methods: {
    async onLoad(query) {
      this.code = query.code
      try {
        const hall = await api.hall(query.code)
        const hours = [`${t('hall.workdays')} ${sessions(hall.hours)}`]
        if (hall.saturdayHours.length) hours.push(`${t('hall.saturday')} ${sessions(hall.saturdayHours)}`)
        hours.push(t('hall.holidays'))
        this.setData({
          hall,
          item: query.item || '',
          hours,
          closures: hall.closures.map((c) => `${c.date} ${c.reason}`),
          windows: hall.windows.map((w) => ({
            number: w.number,
            name: w.name,
            items: w.items.map((i) => ({ code: i.code, name: i.name, chosen: i.code === query.item })),
          })),
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    navigate() {
      const h = this.data.hall
      wx.openLocation({ latitude: h.latitude, longitude: h.longitude, name: h.name, address: h.address, scale: 16 })
    },
    call() {
      wx.makePhoneCall({ phoneNumber: this.data.hall.phone })
    },
    book(e) {
      const item = (e && e.currentTarget.dataset.item) || this.data.item
      const target = `/pages/book/index?hall=${encodeURIComponent(this.code)}&item=${encodeURIComponent(item)}`
      if (!session.isSignedIn()) {
        wx.navigateTo({ url: `/pages/login/index?next=${encodeURIComponent(target)}` })
        return
      }
      wx.navigateTo({ url: target })
    },
  },
})
