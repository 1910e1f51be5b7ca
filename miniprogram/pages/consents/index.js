// 用证授权: which department services (or applications) may use which of my licences, for
// what and until when; an active one is revoked at once, after a confirmation.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const list = require('../../behaviors/list')
const { t } = require('../../i18n/index')
const { dateTime } = require('../../utils/format')

function confirm(content) {
  return new Promise((resolve) => {
    wx.showModal({
      title: t('consents.revoke'),
      content,
      confirmText: t('consents.revoke'),
      cancelText: t('common.cancel'),
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false),
    })
  })
}

Component({
  behaviors: [page(['consents']), list()],
  data: { error: '' },
  methods: {
    onLoad() {
      return this.reload()
    },
    fetch() {
      return api.consents()
    },
    row(c) {
      return {
        id: c.id,
        licence: c.licenceName,
        grantee: t('consents.grantee', { name: c.grantee.name }),
        purpose: t('consents.purpose', { purpose: c.purpose }),
        period: c.revokedAt
          ? t('consents.revokedAt', { at: dateTime(c.revokedAt) })
          : c.expiresAt
            ? t('consents.until', { at: dateTime(c.expiresAt) })
            : t('consents.granted', { at: dateTime(c.grantedAt) }),
        status: t(c.active ? 'consents.active' : 'consents.inactive'),
        active: c.active,
        revokeLabel: t('consents.revokeLabel', { name: c.grantee.name, licence: c.licenceName }),
      }
    },
    async revoke(e) {
      const row = this.data.rows.find((r) => r.id === e.currentTarget.dataset.id)
      const c = this._items.find((x) => x.id === row.id)
      if (!(await confirm(t('consents.confirm', { name: c.grantee.name, licence: c.licenceName })))) return false
      try {
        await api.revokeConsent(row.id)
        this.toast(t('consents.revoked'))
        await this.reload()
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      }
    },
  },
})
