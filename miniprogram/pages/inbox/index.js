const api = require('../../utils/api')
const page = require('../../behaviors/page')
const { t } = require('../../i18n/index')
const { dateTime } = require('../../utils/format')

Component({
  behaviors: [page(['inbox'])],
  data: { messages: [], unread: '', error: '' },
  methods: {
    onLoad() {
      return this.load()
    },
    async load() {
      try {
        const box = await api.inbox(1, 50)
        this.setData({
          messages: box.items.map((m) => ({ ...m, at: dateTime(m.createdAt) })),
          unread: box.unread ? t('inbox.unread', { n: box.unread }) : '',
          error: '',
        })
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    async open(e) {
      const { id, read, link } = e.currentTarget.dataset
      if (!read) {
        try {
          await api.markRead(id)
        } catch (err) {
          // Still open the message; it stays unread.
        }
        await this.load()
      }
      if (link && link.startsWith('/pages/')) wx.navigateTo({ url: link })
    },
  },
})
