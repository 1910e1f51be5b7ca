// 谁在为我代办: the people (and hall workers) I authorised, what each may do and until when;
// revoking one takes effect at once (their next request is refused). The log lists every
// grant, step taken in my name and revocation.
const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { dateTime } = require('../../utils/format')
const { t } = require('../../i18n/index')

function row(grant) {
  return {
    id: grant.id,
    name: grant.agentName,
    kind: t(`proxy.kind.${grant.agentKind}`),
    scope: grant.items.length ? grant.items.map((i) => i.name).join('、') : t('proxy.allItems'),
    until: grant.validUntil ? t('proxy.until', { at: dateTime(grant.validUntil) }) : '',
    status: t(`proxy.status.${grant.status}`),
    live: grant.status === 'active' || grant.status === 'scheduled',
  }
}

Component({
  behaviors: [page(['proxy'])],
  data: { grants: [], log: [], error: '', loaded: false },
  methods: {
    onLoad() {
      return this.load()
    },
    onShow() {
      if (this.data.loaded) return this.load()
      return null
    },
    async load() {
      try {
        const [grants, log] = await Promise.all([api.proxies(), api.proxyLog()])
        this.setData({
          grants: grants.items.map(row),
          log: log.items.map((e) => ({ id: e.id, label: e.label, who: e.agentName, at: dateTime(e.at) })),
          error: '',
          loaded: true,
        })
      } catch (err) {
        this.setData({ error: err.message, loaded: true })
      }
    },
    revoke(e) {
      const id = e.currentTarget.dataset.id
      const grant = this.data.grants.find((g) => g.id === id)
      return new Promise((resolve) => {
        wx.showModal({
          title: t('proxy.revoke'),
          content: t('proxy.revokeConfirm', { name: grant ? grant.name : '' }),
          success: async (res) => {
            if (!res.confirm) return resolve(false)
            try {
              await api.revokeProxy(id)
              this.toast(t('proxy.revoked'))
              await this.load()
              resolve(true)
            } catch (err) {
              this.setData({ error: err.message })
              resolve(false)
            }
          },
        })
      })
    },
  },
})
