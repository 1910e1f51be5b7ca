// 消息 (tab): my messages, newest first, page after page; a tap marks one read and opens the
// page it links to.
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const page = require('../../behaviors/page')
const list = require('../../behaviors/list')
const { t } = require('../../i18n/index')
const { dateTime } = require('../../utils/format')

Component({
  behaviors: [page(['inbox']), list({ pageSize: 20 })],
  data: { unread: '', signedIn: true },
  methods: {
    onLoad() {
      return this.load()
    },
    onShow() {
      nav.applyTabTexts()
      if (this.loaded) this.load()
    },
    load() {
      this.loaded = true
      const signedIn = require('../../utils/session').isSignedIn()
      this.setData({ signedIn })
      if (!signedIn) return Promise.resolve()
      return this.reload()
    },
    async fetch(pageNo, pageSize) {
      const box = await api.inbox(pageNo, pageSize)
      this.setData({ unread: box.unread ? t('inbox.unread', { n: box.unread }) : '' })
      return box
    },
    row(m) {
      return { ...m, at: dateTime(m.createdAt), label: `${m.read ? '' : t('inbox.unreadMark')}${m.title}，${m.body}` }
    },
    async open(e) {
      const { id, read, link } = e.currentTarget.dataset
      if (!read) {
        try {
          await api.markRead(id)
          const rows = this.data.rows.map((r) => (r.id === id ? { ...r, read: true, label: `${r.title}，${r.body}` } : r))
          this.setData({ rows })
        } catch (err) {
          // Still open the message; it stays unread.
        }
      }
      if (link && link.startsWith('/pages/')) nav.open(link)
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
  },
})
