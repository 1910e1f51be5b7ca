// 我的材料: every file I have uploaded (reused across applications), opened in WeChat's viewer
// through a short-lived link (POST /api/v1/materials/{id}/link → wx.downloadFile →
// wx.openDocument, or wx.previewImage for pictures).
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const list = require('../../behaviors/list')
const { t } = require('../../i18n/index')
const { dateTime } = require('../../utils/format')

function size(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`
}

Component({
  behaviors: [page(['materials']), list()],
  data: { error: '' },
  methods: {
    onLoad() {
      return this.reload()
    },
    fetch() {
      return api.materials()
    },
    row(m) {
      return {
        id: m.id,
        name: m.displayName,
        meta: t('materials.meta', { kind: String(m.kind).toUpperCase(), size: size(m.size), at: dateTime(m.createdAt) }),
        label: t('materials.open', { name: m.displayName }),
      }
    },
    async open(e) {
      const material = this._items.find((m) => m.id === e.currentTarget.dataset.id)
      this.setData({ error: '' })
      try {
        await api.openMaterial(material)
        return true
      } catch (err) {
        this.setData({ error: err.message || t('materials.openFailed') })
        return false
      }
    },
  },
})
