// A scriptable `wx` for component tests: routes answer wx.request/wx.uploadFile by method and
// path; every call is recorded. (The real-HTTP run is e2e/flow.js, driven by pytest.)
function createFakeWx() {
  const storage = new Map()
  const routes = []
  const calls = { request: [], upload: [], navigate: [], payment: [], subscribe: [], toast: [], location: [], phone: [], modal: [], download: [], document: [], preview: [], tab: [], stopRefresh: 0 }
  const answers = { subscribe: {}, payment: null, file: null, modal: true }
  const files = new Map()

  function route(method, pattern, reply) {
    routes.unshift({ method, pattern, reply })
  }

  function find(method, url) {
    const { pathname } = new URL(url)
    const hit = routes.find(
      (r) =>
        r.method === method &&
        (r.pattern instanceof RegExp ? r.pattern.test(pathname) : r.pattern === pathname),
    )
    return { hit, pathname }
  }

  function answer(reply, req) {
    const out = typeof reply === 'function' ? reply(req) : reply
    return out && typeof out.status === 'number' && 'body' in out ? out : { status: 200, body: out }
  }

  const wx = {
    request(opts) {
      const method = opts.method || 'GET'
      const { hit, pathname } = find(method, opts.url)
      const req = { method, url: opts.url, path: pathname, header: opts.header || {}, data: opts.data }
      calls.request.push(req)
      setTimeout(() => {
        if (!hit) {
          opts.success({ statusCode: 404, data: { code: 'NOT_FOUND', title: '未找到' } })
          return
        }
        const { status, body } = answer(hit.reply, req)
        opts.success({ statusCode: status, data: body === undefined ? '' : body, header: {} })
      }, 0)
      return {}
    },
    uploadFile(opts) {
      const { hit, pathname } = find('POST', opts.url)
      const req = { method: 'POST', url: opts.url, path: pathname, header: opts.header || {}, filePath: opts.filePath, name: opts.name }
      calls.upload.push(req)
      const listeners = []
      setTimeout(() => {
        ;[25, 50, 100].forEach((progress) =>
          listeners.forEach((fn) => fn({ progress, totalBytesSent: progress, totalBytesExpectedToSend: 100 })),
        )
        const { status, body } = hit ? answer(hit.reply, req) : { status: 405, body: { code: 'METHOD_NOT_ALLOWED' } }
        // wx.uploadFile gives the body back as text.
        opts.success({ statusCode: status, data: JSON.stringify(body) })
      }, 0)
      return { onProgressUpdate: (fn) => listeners.push(fn) }
    },
    login: (o) => o.success({ code: 'code-from-wechat' }),
    requestPayment(o) {
      calls.payment.push(o)
      if (answers.payment) o.fail({ errMsg: answers.payment })
      else o.success({ errMsg: 'requestPayment:ok' })
    },
    requestSubscribeMessage(o) {
      calls.subscribe.push(o.tmplIds)
      o.success({ ...answers.subscribe, errMsg: 'requestSubscribeMessage:ok' })
    },
    chooseMessageFile: (o) => o.success({ tempFiles: [answers.file] }),
    chooseMedia: (o) => o.success({ tempFiles: [{ tempFilePath: answers.file.path, size: answers.file.size }] }),
    getFileSystemManager: () => ({
      readFileSync: (p) => {
        const bytes = files.get(p) || new Uint8Array([1, 2, 3])
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
      },
    }),
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => storage.set(k, v),
    removeStorageSync: (k) => storage.delete(k),
    showToast: (o) => calls.toast.push(o.title),
    openLocation: (o) => calls.location.push(o),
    makePhoneCall: (o) => calls.phone.push(o.phoneNumber),
    showModal: (o) => {
      calls.modal.push(o.content)
      o.success({ confirm: answers.modal, cancel: !answers.modal })
    },
    showLoading() {},
    hideLoading() {},
    navigateTo: (o) => calls.navigate.push(o.url),
    redirectTo: (o) => calls.navigate.push(o.url),
    reLaunch: (o) => calls.navigate.push(o.url),
    navigateBack() {},
    // Tab pages (wx.switchTab), pull-down refresh, the tab bar's texts, the title.
    switchTab: (o) => calls.navigate.push(o.url),
    stopPullDownRefresh: () => {
      calls.stopRefresh += 1
    },
    setTabBarItem: (o) => calls.tab.push(o.text),
    setNavigationBarTitle() {},
    // Files: wx.downloadFile answers by the same routes as wx.request (GET), with a temp path.
    downloadFile(opts) {
      const { hit, pathname } = find('GET', opts.url)
      const req = { method: 'GET', url: opts.url, path: pathname, header: opts.header || {} }
      calls.download.push(req)
      setTimeout(() => {
        if (answers.download) {
          opts.fail({ errMsg: answers.download })
          return
        }
        const { status } = hit ? answer(hit.reply, req) : { status: 404 }
        opts.success({ statusCode: status, tempFilePath: `wxfile://tmp/${pathname.split('/').pop()}` })
      }, 0)
      return {}
    },
    openDocument: (o) => {
      calls.document.push(o)
      o.success({})
    },
    previewImage: (o) => {
      calls.preview.push(o.urls)
      o.success({})
    },
  }
  return { wx, route, calls, answers, storage, files }
}

function flush() {
  return new Promise((resolve) => setTimeout(resolve, 5))
}

async function settle(times = 4) {
  for (let i = 0; i < times; i += 1) await flush()
}

module.exports = { createFakeWx, flush, settle }
