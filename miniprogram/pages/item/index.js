// 办事指南: every field of the guide the backend sends — who may apply, legal basis, conditions,
// materials (with notes, formats, size), process, time limits, fees and their basis, the
// result and its sample, form instructions, templates, FAQ, where to ask and where to complain
// (both phones dial with a tap) — and the halls that serve the item. Templates and samples
// open in WeChat's viewer (wx.downloadFile + wx.openDocument).
const api = require('../../utils/api')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { yuan, label } = require('../../utils/format')

function materialRow(m) {
  const marks = [
    m.required ? t('item.required') : t('item.optional'),
    m.tolerance ? t('item.tolerance') : '',
    m.licenceTypes.length ? t('item.licenceOk') : '',
  ].filter(Boolean)
  return {
    code: m.code,
    name: m.name,
    marks,
    notes: m.notes || '',
    formats: t('item.formats', { formats: m.formats.join('、'), size: Math.round(m.maxSizeKb / 1024) || 1 }),
  }
}

function fileRow(link, kind) {
  return { name: link.name, url: link.url, kind, label: t('item.openFile', { name: link.name }) }
}

Component({
  behaviors: [page(['item'])],
  // A 一件事 bundle is applied for through its situations (pages/bundle-guide), not as one case.
  data: { item: null, fees: [], materials: [], meta: [], halls: [], files: [], targets: '', result: '', sample: null, suspended: '', error: '', opening: '', bundleLabel: t('bundles.entry') },
  methods: {
    async onLoad(query) {
      this.code = query.code
      return this.load()
    },
    async load() {
      try {
        const item = await api.itemDetail(this.code)
        const guide = item.guide
        const consultation = guide.consultation || {}
        const complaint = guide.complaint || {}
        this.setData({
          item,
          meta: [
            label('item.caseType', item.caseType),
            label('item.online', item.onlineLevel),
            t('item.visits', { n: guide.visitsRequired }),
          ],
          targets: (guide.targets || []).map((x) => label('item.target', x)).join('、'),
          limits: `${t('item.statutory')} ${t('common.days', { n: guide.statutoryLimitDays })}，${t('item.promised')} ${t('common.days', { n: guide.promisedLimitDays })}`,
          fees: guide.fee.charged
            ? guide.fee.items.map((f) => `${f.name}：${t('common.yuan', { amount: yuan(f.amountFen) })}`)
            : [t('common.free')],
          feeBasis: guide.fee.charged && guide.fee.basis ? guide.fee.basis : '',
          materials: guide.materials.map(materialRow),
          process: guide.process.map((s) => ({
            step: s.step,
            text: `${s.step}. ${s.name}：${s.description}`,
            limit: s.limitDays ? t('common.days', { n: s.limitDays }) : '',
          })),
          result: guide.resultType
            ? t('item.resultType', { type: guide.resultType }) + (guide.issuesLicence ? t('item.resultLicence', { name: guide.issuesLicence.name }) : '')
            : '',
          sample: guide.resultSample ? fileRow(guide.resultSample, 'sample') : null,
          files: (guide.templates || []).map((x) => fileRow(x, 'template')),
          faq: (guide.faq || []).map((f, i) => ({ key: `faq-${i}`, question: f.question, answer: f.answer })),
          contacts: [
            consultation.phone && { key: 'consultation', title: t('item.contact'), phone: consultation.phone, address: consultation.address || '', label: t('item.callLabel', { what: t('item.contact'), phone: consultation.phone }) },
            complaint.phone && { key: 'complaint', title: t('item.complaint'), phone: complaint.phone, address: complaint.address || '', label: t('item.callLabel', { what: t('item.complaint'), phone: complaint.phone }) },
          ].filter(Boolean),
          // The halls that serve the item (an in_hall item is finished there): details, booking.
          halls: (item.halls || []).map((h) => ({
            code: h.code,
            name: h.name,
            address: h.address,
            label: `${h.name}，${h.address}`,
            url: `/pages/hall/index?code=${encodeURIComponent(h.code)}&item=${encodeURIComponent(item.code)}`,
          })),
          suspended: item.acceptingApplications ? '' : t('item.suspended', { reason: item.statusReason || '' }),
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    call(e) {
      wx.makePhoneCall({ phoneNumber: e.currentTarget.dataset.phone, fail: () => null })
    },
    // A template or sample: downloaded, then shown by WeChat's document viewer.
    async openFile(e) {
      const { url, name } = e.currentTarget.dataset
      this.setData({ opening: url, error: '' })
      try {
        await api.openFile(url, { name: url })
        return true
      } catch (err) {
        this.setData({ error: t('item.openFailed', { name }) })
        return false
      } finally {
        this.setData({ opening: '' })
      }
    },
    apply() {
      const code = this.data.item.code
      const target = `/pages/apply/index?code=${encodeURIComponent(code)}`
      if (!session.isSignedIn() || !session.get().citizen.realNameBound) {
        wx.navigateTo({ url: `/pages/login/index?next=${encodeURIComponent(target)}` })
        return
      }
      wx.navigateTo({ url: target })
    },
    // Ask about the item or complain about it (12345): the form names the item.
    hotline() {
      const { code, name } = this.data.item
      const target = `/pages/hotline/index?itemCode=${encodeURIComponent(code)}&name=${encodeURIComponent(name)}`
      if (!session.isSignedIn()) {
        wx.navigateTo({ url: `/pages/login/index?next=${encodeURIComponent(target)}` })
        return
      }
      wx.navigateTo({ url: target })
    },
  },
})
