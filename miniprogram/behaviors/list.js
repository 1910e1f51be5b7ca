// A list page: the first page on load, the next one when the citizen reaches the bottom (or
// taps "load more"), everything again on pull-down; `listState` feeds <list-state>.
// The page provides fetch(page, pageSize) → {items, total} or a bare array, and row(item).
function unpack(got) {
  if (Array.isArray(got)) return { items: got, total: got.length }
  const items = (got && got.items) || []
  return { items, total: got && typeof got.total === 'number' ? got.total : items.length }
}

module.exports = function listBehavior({ pageSize = 20 } = {}) {
  return Behavior({
    data: { rows: [], listState: 'loading', listError: '', more: false, loadingMore: false },
    methods: {
      async reload() {
        this.setData({ listState: this.data.rows.length ? '' : 'loading', listError: '' })
        try {
          const { items, total } = unpack(await this.fetch(1, pageSize))
          this._page = 1
          this._items = items
          this.setData({
            rows: items.map((item) => this.row(item)),
            more: total > items.length,
            listState: items.length ? '' : 'empty',
            listError: '',
          })
        } catch (e) {
          this.setData({ listState: 'error', listError: e.message })
        }
      },
      async loadMore() {
        if (!this.data.more || this._loadingMore) return
        this._loadingMore = true
        this.setData({ loadingMore: true, listError: '' })
        try {
          const { items, total } = unpack(await this.fetch(this._page + 1, pageSize))
          this._page += 1
          this._items = this._items.concat(items)
          this.setData({
            rows: this.data.rows.concat(items.map((item) => this.row(item))),
            more: items.length > 0 && total > this._items.length,
          })
        } catch (e) {
          // The rows already shown stay; the footer offers a retry.
          this.setData({ listError: e.message })
        } finally {
          this._loadingMore = false
          this.setData({ loadingMore: false })
        }
      },
      onPullDownRefresh() {
        return this.reload().then(() => wx.stopPullDownRefresh())
      },
      onReachBottom() {
        return this.loadMore()
      },
    },
  })
}
