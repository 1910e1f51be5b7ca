// 部门服务: the departments' own H5 services, opened signed in (信任传递): a one-time ticket
// (POST /api/v1/auth/tickets) goes to the service's page in a web-view, and the department's
// server exchanges it with ours (RFC 8693) for what the citizen may share. The list is the
// build's (config.js): each H5 domain must also be a business domain of the mini-program.
const api = require('../../utils/api')
const config = require('../../config')
const session = require('../../utils/session')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')

Component({
  behaviors: [page(['deptapps'])],
  data: { services: [], busy: '', error: '' },
  methods: {
    onLoad() {
      this.setData({
        services: (config.departmentServices || []).map((s) => ({
          clientId: s.clientId,
          name: t(`deptapps.app.${s.clientId}`),
          label: t('deptapps.openLabel', { name: t(`deptapps.app.${s.clientId}`) }),
        })),
      })
    },
    async open(e) {
      const clientId = e.currentTarget.dataset.id
      const service = config.departmentServices.find((s) => s.clientId === clientId)
      if (!session.isSignedIn()) {
        wx.navigateTo({ url: `/pages/login/index?next=${encodeURIComponent('/pages/dept-services/index')}` })
        return false
      }
      this.setData({ busy: clientId, error: '' })
      try {
        const { ticket } = await api.trustTicket(clientId)
        const sep = service.url.includes('?') ? '&' : '?'
        const url = `${service.url}${sep}ticket=${encodeURIComponent(ticket)}`
        wx.navigateTo({ url: `/pages/web/index?url=${encodeURIComponent(url)}&title=${encodeURIComponent(t(`deptapps.app.${clientId}`))}` })
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      } finally {
        this.setData({ busy: '' })
      }
    },
  },
})
