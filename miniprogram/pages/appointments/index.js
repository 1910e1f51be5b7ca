// 我的预约: every booking with its state; a booked one can be cancelled (after a confirmation)
// until the cut-off the backend gives, and navigated to; a booking of today leads to the queue
// page, to take a number on arrival or to follow the one taken.
const api = require('../../utils/api')
const { chinaToday } = require('../../utils/format')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

function confirm(content) {
  return new Promise((resolve) => {
    wx.showModal({
      title: t('appointments.cancel'),
      content,
      confirmText: t('common.confirm'),
      cancelText: t('common.cancel'),
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false),
    })
  })
}

const hhmm = (iso) => (iso ? iso.slice(5, 16).replace('T', ' ') : '')

// Today's booking: take a number once at the hall, or follow the number taken.
function queueAction(status) {
  if (status === 'booked') return t('appointments.takeNumber')
  if (status === 'arrived') return t('appointments.followNumber')
  return ''
}

Component({
  behaviors: [page(['appointments'])],
  data: { items: [], summary: '', paused: '', highlight: '', error: '', state: 'loading' },
  methods: {
    async onLoad(query) {
      this.setData({ highlight: (query && query.id) || '' })
      await this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      try {
        const mine = await api.appointments()
        this.appointments = mine.items
        const today = chinaToday()
        this.setData({
          items: mine.items.map((a) => ({
            id: a.id,
            hall: a.hall.name,
            address: a.hall.address,
            item: a.item.name,
            when: `${a.date} ${a.start}-${a.end}`,
            status: t(`appointments.status.${a.status}`),
            cancellable: Boolean(a.cancellableUntil),
            navigateLabel: t('appointments.navigateLabel', { hall: a.hall.name }),
            cancelLabel: t('appointments.cancelLabel', { date: a.date, start: a.start }),
            until: a.cancellableUntil ? t('appointments.cancelUntil', { until: hhmm(a.cancellableUntil) }) : '',
            queue: a.date === today ? queueAction(a.status) : '',
          })),
          summary: t('appointments.openCount', { n: mine.openCount, max: mine.maxOpen }),
          paused: mine.pausedUntil ? t('appointments.paused', { until: mine.pausedUntil }) : '',
          error: '',
          state: mine.items.length ? '' : 'empty',
        })
      } catch (e) {
        this.setData({ state: 'error', error: e.message })
      }
    },
    async cancel(e) {
      const id = e.currentTarget.dataset.id
      const a = this.appointments.find((x) => x.id === id)
      if (!(await confirm(t('appointments.cancelConfirm', { date: a.date, start: a.start })))) return false
      try {
        await api.cancelAppointment(id)
        this.toast(t('appointments.cancelled'))
        await this.load()
        return true
      } catch (err) {
        this.setData({ error: err.detail || err.message })
        return false
      }
    },
    queue(e) {
      wx.navigateTo({ url: `/pages/queue/index?appointment=${e.currentTarget.dataset.id}` })
    },
    navigate(e) {
      const a = this.appointments.find((x) => x.id === e.currentTarget.dataset.id)
      wx.openLocation({
        latitude: a.hall.latitude,
        longitude: a.hall.longitude,
        name: a.hall.name,
        address: a.hall.address,
        scale: 16,
      })
    },
  },
})
