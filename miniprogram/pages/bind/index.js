// The platform's unified identity sign-in page, in a web-view. The platform redirects to our
// return page (HANDHELD_PROVINCIAL__OAUTH_REDIRECT_URI, an H5 page on our domain), which hands
// code and state back with wx.miniProgram.redirectTo('/pages/bind-return/index?code=…&state=…').
Component({
  data: { url: '' },
  methods: {
    onLoad(query) {
      this.setData({ url: decodeURIComponent(query.url || '') })
    },
  },
})
