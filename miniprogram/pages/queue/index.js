// 取号排队: on arrival for a booking, take a number by scanning the hall's QR code or by the
// phone's location; then the number, the numbers ahead and the estimated wait, live; the
// window that calls it; once completed, a way to rate the visit.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

function view(ticket) {
  if (!ticket) return {}
  const out = { ticket, hall: t('queue.hall', { hall: ticket.hallName, item: ticket.itemName }), status: '', wait: '' }
  if (ticket.state === 'requested') out.status = t('queue.requested')
  else if (ticket.state === 'waiting') {
    out.status = ticket.position ? t('queue.ahead', { n: ticket.position }) : t('queue.next')
    if (ticket.estimatedWaitS !== null && ticket.estimatedWaitS !== undefined) {
      out.wait = t('queue.wait', { minutes: Math.max(1, Math.round(ticket.estimatedWaitS / 60)) })
    }
  } else if (ticket.state === 'called') out.status = t('queue.called', { window: ticket.window })
  else if (ticket.state === 'completed') out.status = t('queue.completed')
  else if (ticket.state === 'skipped') out.status = t('queue.skipped')
  return out
}

function scan() {
  return new Promise((resolve, reject) => {
    wx.scanCode({ onlyFromCamera: true, scanType: ['qrCode'], success: (r) => resolve(r.result), fail: reject })
  })
}

function locate() {
  return new Promise((resolve, reject) => {
    wx.getLocation({
      type: 'gcj02', // the hall's coordinates are the map's (GCJ-02)
      success: (r) => resolve({ latitude: r.latitude, longitude: r.longitude }),
      fail: reject,
    })
  })
}

Component({
  behaviors: [page(['queue'])],
  data: { ticket: null, hall: '', status: '', wait: '', error: '', busy: false },
  methods: {
    async onLoad(query) {
      this.appointment = query.appointment
      if (query.id) {
        try {
          this.show(await api.queueTicket(query.id))
        } catch (e) {
          this.setData({ error: e.message })
        }
      } else if (this.appointment) {
        await this.resume()
      }
    },
    // Opened from a booking (我的预约): its number, when one was taken already.
    async resume() {
      let mine
      try {
        mine = await api.queueTickets()
      } catch (e) {
        return // the arrival buttons stay; taking a number answers the existing one anyway
      }
      const taken = (mine.tickets || []).find((x) => x.appointmentId === this.appointment)
      if (taken) this.show(taken)
    },
    onUnload() {
      this.stop()
    },
    show(ticket) {
      this.setData({ ...view(ticket), error: '' })
      if (!this.following && ticket.state !== 'completed' && ticket.state !== 'skipped') {
        this.following = api.followTicket(ticket.id, (next) => {
          this.setData(view(next))
          if (next.state === 'called') wx.vibrateShort && wx.vibrateShort({ type: 'heavy' })
          if (next.state === 'completed' || next.state === 'skipped') this.stop()
        })
      }
    },
    stop() {
      if (this.following) this.following.close()
      this.following = null
    },
    async take(arrival) {
      this.setData({ busy: true, error: '' })
      try {
        this.show(await api.takeNumber(this.appointment, arrival))
        return true
      } catch (e) {
        this.setData({ error: e.message })
        return false
      } finally {
        this.setData({ busy: false })
      }
    },
    async byQr() {
      let qr
      try {
        qr = await scan()
      } catch (e) {
        return false // cancelled
      }
      return this.take({ qr })
    },
    async byLocation() {
      let location
      try {
        location = await locate()
      } catch (e) {
        this.setData({ error: t('queue.locationDenied') })
        return false
      }
      return this.take({ location })
    },
    rate() {
      wx.navigateTo({ url: `/pages/rate/index?ticket=${this.data.ticket.id}` })
    },
  },
})
