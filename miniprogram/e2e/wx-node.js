// A `wx` for Node: the mini-program's own modules run unchanged against a real backend over
// real HTTP. wx.request → fetch; wx.uploadFile → a streamed multipart POST whose chunks drive
// onProgressUpdate; storage in memory; files from the local disk. The parts that are the
// WeChat client itself (wx.login, wx.requestPayment, wx.requestSubscribeMessage) are hooks the
// caller provides, because in a phone they are WeChat's, not ours.
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
    setImmediate(writeMore)
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
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, JSON.parse(JSON.stringify(value))),
    removeStorageSync: (key) => storage.delete(key),
    getFileSystemManager: () => ({
      readFileSync(filePath) {
        const buf = fs.readFileSync(filePath)
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
      },
    }),
    showToast: noop,
    showLoading: noop,
    hideLoading: noop,
    showModal: noop,
  }
}

module.exports = { createWx }
