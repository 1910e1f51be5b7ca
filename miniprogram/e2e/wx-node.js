// A `wx` for Node: the mini-program's own modules and pages run unchanged against a real backend
// over real HTTP. wx.request → fetch; wx.uploadFile → a streamed multipart POST whose chunks
// drive onProgressUpdate; storage in memory; files from the local disk. The parts that are the
// WeChat client itself are hooks the caller provides, because in a phone they are WeChat's, not
// ours: wx.login, wx.requestPayment (the cashier), wx.requestSubscribeMessage (the popup),
// the file pickers (wx.chooseMessageFile, wx.chooseMedia), wx.showModal (the citizen's answer)
// and the page stack (wx.navigateTo, redirectTo, switchTab, reLaunch, navigateBack).
const fs = require('fs')
const http = require('http')
const https = require('https')
const path = require('path')
const crypto = require('crypto')

function callback(options, ok, res) {
  if (ok && options.success) options.success(res)
  if (!ok && options.fail) options.fail(res)
  if (options.complete) options.complete(res)
}

function lowerHeaders(headers) {
  const out = {}
  Object.keys(headers || {}).forEach((k) => {
    out[k.toLowerCase()] = headers[k]
  })
  return out
}

function createWx(hooks = {}) {
  const storage = new Map()

  function request(options) {
    const headers = lowerHeaders(options.header)
    let body
    const data = options.data
    if (data instanceof ArrayBuffer) body = Buffer.from(data)
    else if (ArrayBuffer.isView(data)) body = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    else if (data !== undefined && data !== null && options.method !== 'GET') {
      body = typeof data === 'string' ? data : JSON.stringify(data)
    }
    fetch(options.url, { method: options.method || 'GET', headers, body })
      .then(async (resp) => {
        const text = await resp.text()
        let parsed = text
        // wx.request's default dataType 'json': parse when it is JSON, else keep the text.
        try {
          parsed = text ? JSON.parse(text) : ''
        } catch (e) {
          parsed = text
        }
        const header = {}
        resp.headers.forEach((v, k) => {
          header[k] = v
        })
        callback(options, true, { statusCode: resp.status, data: parsed, header, errMsg: 'request:ok' })
      })
      .catch((err) => callback(options, false, { errMsg: `request:fail ${err.message}` }))
    return { abort() {}, onHeadersReceived() {}, onChunkReceived() {} }
  }

  // Like WeChat: always POST, multipart/form-data, the file under `name`, formData as fields.
  function uploadFile(options) {
    const listeners = []
    const boundary = `----wxnode${crypto.randomBytes(12).toString('hex')}`
    const fileName = path.basename(options.filePath)
    const parts = []
    Object.entries(options.formData || {}).forEach(([k, v]) => {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
    })
    const type = hooks.contentTypeOf ? hooks.contentTypeOf(fileName) : 'application/octet-stream'
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${options.name}"; filename="${fileName}"\r\n` +
          `Content-Type: ${type}\r\n\r\n`,
      ),
    )
    parts.push(fs.readFileSync(options.filePath))
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`))
    const payload = Buffer.concat(parts)
    const url = new URL(options.url)
    const lib = url.protocol === 'https:' ? https : http
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: {
          ...lowerHeaders(options.header),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': payload.length,
        },
      },
      (resp) => {
        const chunks = []
        resp.on('data', (c) => chunks.push(c))
        resp.on('end', () =>
          // wx.uploadFile hands data back as a string.
          callback(options, true, {
            statusCode: resp.statusCode,
            data: Buffer.concat(chunks).toString('utf8'),
            errMsg: 'uploadFile:ok',
          }),
        )
      },
    )
    req.on('error', (err) => callback(options, false, { errMsg: `uploadFile:fail ${err.message}` }))
    const CHUNK = 16 * 1024
    let sent = 0
    // Written chunk by chunk; each drained chunk is a progress event, as in WeChat.
    function writeMore() {
      while (sent < payload.length) {
        const end = Math.min(sent + CHUNK, payload.length)
        const ok = req.write(payload.subarray(sent, end))
        sent = end
        const progress = Math.floor((sent * 100) / payload.length)
        listeners.forEach((fn) =>
          fn({ progress, totalBytesSent: sent, totalBytesExpectedToSend: payload.length }),
        )
        if (!ok) {
          req.once('drain', writeMore)
          return
        }
      }
      req.end()
    }
    setTimeout(writeMore, 0)
    return {
      onProgressUpdate(fn) {
        listeners.push(fn)
      },
      abort() {
        req.destroy()
      },
    }
  }

  const noop = (options) => callback(options || {}, true, { errMsg: 'ok' })

  // The page stack is the caller's (e2e/phone.js loads the next page in the simulator).
  function navigation(kind) {
    return (options) => {
      if (!hooks.navigate) {
        callback(options || {}, false, { errMsg: `${kind}:fail no page stack` })
        return
      }
      Promise.resolve(hooks.navigate(kind, options || {}))
        .then(() => callback(options || {}, true, { errMsg: `${kind}:ok` }))
        .catch((err) => callback(options || {}, false, { errMsg: `${kind}:fail ${err.message}` }))
    }
  }

  // The picker: the file the citizen picks, {path, name, size}, from the caller.
  function picked(kind, options, answer) {
    Promise.resolve(hooks.chooseFile ? hooks.chooseFile(kind, options) : null)
      .then((file) => {
        if (!file) callback(options, false, { errMsg: `${kind}:fail cancel` })
        else callback(options, true, { ...answer(file), errMsg: `${kind}:ok` })
      })
      .catch((err) => callback(options, false, { errMsg: `${kind}:fail ${err.message}` }))
  }

  return {
    request,
    uploadFile,
    login(options) {
      Promise.resolve(hooks.login())
        .then((code) => callback(options, true, { code, errMsg: 'login:ok' }))
        .catch((err) => callback(options, false, { errMsg: `login:fail ${err.message}` }))
    },
    requestPayment(options) {
      Promise.resolve(hooks.requestPayment(options))
        .then(() => callback(options, true, { errMsg: 'requestPayment:ok' }))
        .catch((err) => callback(options, false, { errMsg: `requestPayment:fail ${err.message}` }))
    },
    requestSubscribeMessage(options) {
      const answer = hooks.subscribe ? hooks.subscribe(options.tmplIds) : {}
      callback(options, true, { ...answer, errMsg: 'requestSubscribeMessage:ok' })
    },
    chooseMessageFile(options) {
      picked('chooseMessageFile', options, (file) => ({ tempFiles: [file] }))
    },
    chooseMedia(options) {
      picked('chooseMedia', options, (file) => ({ tempFiles: [{ tempFilePath: file.path, size: file.size }] }))
    },
    // The citizen's answer to a confirmation (default: confirms).
    showModal(options) {
      const confirm = hooks.modal ? Boolean(hooks.modal(options)) : true
      callback(options, true, { confirm, cancel: !confirm, errMsg: 'showModal:ok' })
    },
    showToast(options) {
      if (hooks.toast) hooks.toast(options.title)
      noop(options)
    },
    navigateTo: navigation('navigateTo'),
    redirectTo: navigation('redirectTo'),
    switchTab: navigation('switchTab'),
    reLaunch: navigation('reLaunch'),
    navigateBack: navigation('navigateBack'),
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, JSON.parse(JSON.stringify(value))),
    removeStorageSync: (key) => storage.delete(key),
    getFileSystemManager: () => ({
      readFileSync(filePath) {
        const buf = fs.readFileSync(filePath)
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
      },
    }),
    showLoading: noop,
    hideLoading: noop,
    setNavigationBarTitle: noop,
    setTabBarItem: noop,
    stopPullDownRefresh: noop,
    openLocation: noop,
    makePhoneCall: noop,
    vibrateShort: noop,
  }
}

module.exports = { createWx }
