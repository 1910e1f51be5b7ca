// Per-environment settings. The base URL is the only thing that changes between
// development (the API of `handheld dev` on port 8000) and production.
module.exports = {
  baseUrl: 'http://127.0.0.1:8000',
  // Subscribe-message template ids by purpose (the backend's HANDHELD_WECHAT__TEMPLATE_*).
  templates: {
    progress: 'TPL_PROGRESS',
    result: 'TPL_RESULT',
    notice: 'TPL_NOTICE',
  },
  locale: 'zh-CN',
}
