// A declaration's timeline (全程留痕): every state change, who made it, when, and why.
const { label, dateTime } = require('../../utils/format')

Component({
  properties: {
    entries: { type: Array, value: [] },
    elderly: { type: Boolean, value: false },
  },
  data: { rows: [] },
  observers: {
    entries(list) {
      const rows = (list || [])
        .slice()
        .reverse()
        .map((e, i) => ({
          key: `${i}-${e.at}`,
          state: label('state', e.state),
          actor: label('actor', e.actor),
          at: dateTime(e.at),
          reason: e.reason || '',
        }))
      this.setData({ rows })
    },
  },
})
