// What a list shows besides its rows: loading, an error with 重试, an empty list with a way
// forward (a button to where the citizen can start), and the footer (加载更多 / 没有更多了).
const nav = require('../../utils/nav')
const { texts } = require('../../utils/format')

Component({
  properties: {
    state: { type: String, value: '' }, // loading | error | empty | ''
    message: { type: String, value: '' }, // the error
    emptyText: { type: String, value: '' },
    actionText: { type: String, value: '' },
    actionUrl: { type: String, value: '' },
    more: { type: Boolean, value: false },
    loadingMore: { type: Boolean, value: false },
    count: { type: Number, value: 0 },
    elderly: { type: Boolean, value: false },
  },
  data: { L: texts(['common', 'list']) },
  methods: {
    retry() {
      this.triggerEvent('retry')
    },
    loadMore() {
      this.triggerEvent('more')
    },
    act() {
      nav.open(this.data.actionUrl)
    },
  },
})
