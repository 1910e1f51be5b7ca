// One e-licence: 亮证 shows a short-lived QR code to a verifier; below, who checked it.
const api = require('../../utils/api')
const items = require('../../utils/list')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { dateTime, label } = require('../../utils/format')

Component({
  behaviors: [page(['wallet'])],
  data: { licence: null, qrUrl: '', countdown: '', verifications: [], error: '' },
  lifetimes: {
    detached() {
      clearInterval(this.timer)
    },
  },
  methods: {
    async onLoad(query) {
      this.id = decodeURIComponent(query.id)
      try {
        const [licence, checks] = await Promise.all([api.licence(this.id), api.licenceVerifications(this.id)])
        this.setData({
          licence,
          verifications: items(checks).map((v) => ({
            id: v.id,
            text: `${v.verifier || ''} ${label('wallet.outcome', v.outcome)}`.trim(),
            at: dateTime(v.verifiedAt),
          })),
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    async show() {
      try {
        const code = await api.displayLicence(this.id)
        this.expiresAt = new Date(code.expiresAt).getTime()
        this.setData({ qrUrl: code.qrUrl, error: '' })
        this.tick()
        clearInterval(this.timer)
        this.timer = setInterval(() => this.tick(), 1000)
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    // The licence itself (PDF or OFD), for its holder: downloaded with my session, then opened.
    async openFile() {
      try {
        await api.openLicenceFile(this.id, this.data.licence.name)
        return true
      } catch (e) {
        this.setData({ error: t('wallet.fileFailed') })
        return false
      }
    },
    // The symbol could not be drawn (network, or the code expired meanwhile): say so.
    qrFailed() {
      this.setData({ qrUrl: '', error: t('common.networkError') })
    },
    tick() {
      const left = Math.max(0, Math.round((this.expiresAt - Date.now()) / 1000))
      if (left <= 0) {
        clearInterval(this.timer)
        this.setData({ qrUrl: '', countdown: t('wallet.expired') })
        return
      }
      this.setData({ countdown: t('wallet.code', { seconds: left }) })
    },
  },
})
