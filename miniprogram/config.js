// Per-environment settings. WeChat tells which build is running (develop: DevTools and preview,
// trial: 体验版, release: 正式版); each has its API. Development uses `handheld dev` on port 8000.
const BASE_URLS = {
  develop: 'http://127.0.0.1:8000',
  trial: 'https://handheld-trial.xiling.gov.cn',
  release: 'https://handheld.xiling.gov.cn',
}

// The departments' H5 services opened signed in (信任传递, pages/dept-services): the client id
// registered with our backend (department_apps) and the page the ticket is handed to. Each
// domain must be a business domain (业务域名) of the mini-program, or the web-view refuses it.
// Development lists the demo app `handheld dev` registers (demo-h5); its page is the
// department's, not part of this repository.
const DEPARTMENT_SERVICES = {
  develop: [{ clientId: 'demo-h5', url: 'http://127.0.0.1:8090/' }],
  trial: [{ clientId: 'demo-h5', url: 'https://h5-trial.xiling.gov.cn/demo/' }],
  release: [],
}

function envVersion() {
  try {
    // Outside WeChat (jest, the Node end-to-end flow) there is no wx: development.
    return (typeof wx !== 'undefined' && wx.getAccountInfoSync().miniProgram.envVersion) || 'develop'
  } catch (e) {
    return 'develop'
  }
}

module.exports = {
  env: envVersion(),
  baseUrl: BASE_URLS[envVersion()] || BASE_URLS.develop,
  baseUrls: BASE_URLS,
  departmentServices: DEPARTMENT_SERVICES[envVersion()] || [],
  // Subscribe-message template ids by purpose (the backend's HANDHELD_WECHAT_TEMPLATE_*).
  templates: {
    progress: 'TPL_PROGRESS',
    result: 'TPL_RESULT',
    notice: 'TPL_NOTICE',
  },
  // The traditional Mongolian face (Noto Sans Mongolian, SIL OFL) for phones without one,
  // served over https with CORS from the API host (wx.loadFontFace).
  fonts: {
    mongolian: `${BASE_URLS[envVersion()] || BASE_URLS.develop}/static/fonts/NotoSansMongolian-Regular.ttf`,
  },
}
