// 预约: a day (closed days say why), then a half hour with places left; a draft declaration of
// the item may go with it so the window sees the materials before the citizen arrives.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

Component({
  behaviors: [page(['book'])],
  data: { hall: null, item: null, days: [], day: -1, slots: [], chosen: '', withDraft: true, draft: '', error: '' },
  methods: {
    async onLoad(query) {
      this.hallCode = query.hall
      this.itemCode = query.item
      this.setData({ draft: query.declaration || '' })
      await this.load()
    },
    async load() {
      try {
        const found = await api.hallSlots(this.hallCode, this.itemCode)
        this.found = found
        const days = found.days.map((d) => ({
          date: d.date,
          open: d.open,
          note: d.open ? '' : d.closedReason || t('book.closed'),
          free: d.slots.some((s) => s.remaining > 0),
        }))
        const first = days.findIndex((d) => d.open && d.free)
        this.setData({ hall: found.hall, item: found.item, days, error: first < 0 ? t('book.noSlots') : '' })
        this.pick(first)
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    pick(index) {
      const day = index >= 0 ? this.found.days[index] : null
      const slots = day
        ? day.slots.map((s) => ({
            start: s.start,
            end: s.end,
            full: s.remaining <= 0,
            label: s.remaining > 0 ? t('book.left', { n: s.remaining }) : t('book.full'),
          }))
        : []
      this.setData({ day: index, slots, chosen: '' })
    },
    chooseDay(e) {
      const index = Number(e.currentTarget.dataset.index)
      if (this.data.days[index].open) this.pick(index)
    },
    chooseSlot(e) {
      const start = e.currentTarget.dataset.start
      const slot = this.data.slots.find((s) => s.start === start)
      if (slot && !slot.full) this.setData({ chosen: start })
    },
    toggleDraft() {
      this.setData({ withDraft: !this.data.withDraft })
    },
    async confirm() {
      if (!this.data.chosen) {
        this.setData({ error: t('book.chooseSlot') })
        return null
      }
      try {
        const booked = await api.book({
          hallCode: this.hallCode,
          itemCode: this.itemCode,
          date: this.data.days[this.data.day].date,
          start: this.data.chosen,
          declarationId: this.data.draft && this.data.withDraft ? this.data.draft : undefined,
        })
        this.toast(t('book.done'))
        wx.redirectTo({ url: `/pages/appointments/index?id=${booked.id}` })
        return booked
      } catch (err) {
        // The last place taken meanwhile: the slots as they are now, the reason shown.
        this.setData({ error: err.detail || err.message })
        if (err.code === 'APPOINTMENT_SLOT_FULL') await this.refresh()
        return null
      }
    },
    async refresh() {
      const index = this.data.day
      const message = this.data.error
      await this.load()
      if (index >= 0) this.pick(index)
      this.setData({ error: message })
    },
  },
})
