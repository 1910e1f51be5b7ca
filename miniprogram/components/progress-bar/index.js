// An upload's progress: a bar and its percentage (fed by wx.uploadFile's onProgressUpdate).
const { t } = require('../../i18n/index')

Component({
  properties: {
    percent: { type: Number, value: 0 },
    elderly: { type: Boolean, value: false },
  },
  data: { label: '', width: '0%' },
  observers: {
    percent(value) {
      const p = Math.max(0, Math.min(100, Math.round(value || 0)))
      this.setData({ width: `${p}%`, label: t('apply.uploading', { percent: p }) })
    },
  },
})
