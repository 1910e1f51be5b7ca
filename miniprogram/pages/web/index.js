// A department's H5 service in a web-view (its URL carries the one-time ticket).
Component({
  data: { url: '' },
  methods: {
    onLoad(query) {
      this.setData({ url: decodeURIComponent(query.url || '') })
      if (query.title && typeof wx.setNavigationBarTitle === 'function') {
        wx.setNavigationBarTitle({ title: decodeURIComponent(query.title) })
      }
    },
  },
})
