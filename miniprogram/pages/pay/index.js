// Fees (缴款通知书) of my cases, paid with WeChat Pay (JSAPI): the order's parameters come
// from the backend and go to wx.requestPayment as they are.
const api = require('../../utils/api')
const http = require('../../utils/http')
const page = require('../../behaviors/page')
const subscribe = require('../../utils/subscribe')
const { t } = require('../../i18n/index')
const { yuan, label, dateTime } = require('../../utils/format')

function rows(notices) {
  return notices.map((n) => ({
    id: n.id,
    name: n.itemName,
    amount: t('pay.amount', { amount: yuan(n.amountFen) }),
    number: t('pay.noticeNumber', { number: n.noticeNumber }),
    payee: t('pay.payee', { payee: n.payee }),
    expires: t('pay.expires', { date: dateTime(n.expiresAt) }),
    status: label('pay.notice', n.status),
    payable: n.status === 'unpaid',
    payLabel: t('pay.payLabel', { name: n.itemName, amount: yuan(n.amountFen) }),
    receipt: n.receipt ? t('pay.receiptNumber', { number: n.receipt.receiptNumber }) : '',
  }))
}

Component({
  behaviors: [page(['pay'])],
  data: { notices: [], busy: '', message: '', error: '', state: 'loading' },
  methods: {
    // Another identity chosen: this page was the previous one's; back to where it came from.
    onActing() {
      wx.navigateBack()
    },
    onLoad(query) {
      this.declarationId = (query && query.declarationId) || ''
      this.keys = {}
      return this.load()
    },
    async load() {
      try {
        const list = await api.paymentNotices({ status: 'all', declarationId: this.declarationId || undefined })
        this.setData({ notices: rows(list.items), error: '', state: list.items.length ? '' : 'empty' })
      } catch (e) {
        this.setData({ state: 'error', error: e.message })
      }
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    // A tap: the subscribe popup opens first, inside it.
    pay(e) {
      const noticeId = e.currentTarget.dataset.id
      const asked = subscribe.askAndReport(['result'], api.reportSubscriptions)
      return asked.then(() => this.payNotice(noticeId))
    },
    async payNotice(noticeId) {
      this.setData({ busy: noticeId, message: t('pay.paying'), error: '' })
      // One key per notice while this page is open: a retry after a lost answer is the same order.
      this.keys[noticeId] = this.keys[noticeId] || http.uuid4()
      try {
        const order = await api.pay(noticeId, this.keys[noticeId])
        this.setData({ message: order.status === 'paid' ? t('pay.paid') : label('pay.status', order.status) })
        if (order.status === 'paid') delete this.keys[noticeId]
      } catch (err) {
        this.setData({ message: '', error: err.cancelled ? t('pay.cancelled') : err.message || t('pay.failed') })
      } finally {
        this.setData({ busy: '' })
        await this.load()
      }
    },
  },
})
