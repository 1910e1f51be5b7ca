const api = require('../../utils/api')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { yuan, label } = require('../../utils/format')

Component({
  behaviors: [page(['item'])],
  // A 一件事 bundle is applied for through its situations (pages/bundle-guide), not as one case.
  data: { item: null, fees: [], materials: [], meta: [], halls: [], suspended: '', error: '', bundleLabel: t('bundles.entry') },
  methods: {
    async onLoad(query) {
      try {
        const item = await api.itemDetail(query.code)
        const guide = item.guide
        this.setData({
          item,
          meta: [
            label('item.caseType', item.caseType),
            label('item.online', item.onlineLevel),
            t('item.visits', { n: guide.visitsRequired }),
          ],
          limits: `${t('item.statutory')} ${t('common.days', { n: guide.statutoryLimitDays })}，${t('item.promised')} ${t('common.days', { n: guide.promisedLimitDays })}`,
          fees: guide.fee.charged
            ? guide.fee.items.map((f) => `${f.name}：${t('common.yuan', { amount: yuan(f.amountFen) })}`)
            : [t('common.free')],
          materials: guide.materials.map((m) => ({
            code: m.code,
            name: m.name,
            marks: [
              m.required ? t('item.required') : t('item.optional'),
              m.tolerance ? t('item.tolerance') : '',
              m.licenceTypes.length ? t('item.licenceOk') : '',
            ].filter(Boolean),
          })),
          // The halls that serve the item (an in_hall item is finished there): details, booking.
          halls: (item.halls || []).map((h) => ({
            code: h.code,
            name: h.name,
            address: h.address,
            url: `/pages/hall/index?code=${encodeURIComponent(h.code)}&item=${encodeURIComponent(item.code)}`,
          })),
          suspended: item.acceptingApplications ? '' : t('item.suspended', { reason: item.statusReason || '' }),
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
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
