// wx.request and wx.uploadFile as promises: base URL, the bearer token, one refresh on an
// expired token, and the backend's problem+json turned into ApiError.
const config = require('../config')
const session = require('./session')
const language = require('./language')
const { t, has } = require('../i18n/index')

class ApiError extends Error {
  constructor(status, problem) {
    const body = problem && typeof problem === 'object' ? problem : {}
    const code = body.code || (status ? `HTTP_${status}` : 'NETWORK')
    const key = `error.${code}`
    super(has(key) ? t(key) : body.title || t(status ? 'error.unknown' : 'common.networkError'))
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.problem = body
  }
}

function expandPath(template, params) {
  return template.replace(/\{(\w+)\}/g, (all, name) => {
    const value = params && params[name]
    if (value === undefined || value === null || value === '') {
      throw new Error(`missing path parameter ${name} for ${template}`)
    }
    return encodeURIComponent(String(value))
  })
}

function queryString(query) {
  if (!query) return ''
  const parts = Object.keys(query)
    .filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(query[k]))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function uuid4() {
  const hex = '0123456789abcdef'
  let out = ''
  for (let i = 0; i < 36; i += 1) {
    if (i === 8 || i === 13 || i === 18 || i === 23) out += '-'
    else if (i === 14) out += '4'
    else if (i === 19) out += hex[8 + Math.floor(Math.random() * 4)]
    else out += hex[Math.floor(Math.random() * 16)]
  }
  return out
}

function rawRequest(options) {
  return new Promise((resolve, reject) => {
    wx.request({
      ...options,
      success: (res) => resolve(res),
      fail: (err) => reject(new ApiError(0, { title: err && err.errMsg })),
    })
  })
}

let refreshing = null

// One refresh at a time: pages firing together share it.
function refreshSession() {
  if (refreshing) return refreshing
  const current = session.get()
  if (!current || !current.refreshToken) return Promise.resolve(false)
  refreshing = rawRequest({
    url: `${config.baseUrl}/api/v1/auth/refresh`,
    method: 'POST',
    data: { refreshToken: current.refreshToken },
    header: { 'content-type': 'application/json' },
  })
    .then((res) => {
      if (res.statusCode === 200) {
        session.save(res.data)
        return true
      }
      session.clear()
      return false
    })
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

// The routes whose resources are a party's (the backend's controllers with opt ACTING_AS or
// ACTING_AS_WITHIN_ITEMS): only these take X-Acting-As; the backend refuses it elsewhere
// (ACTING_AS_NOT_ALLOWED), the citizen's own account is never a company's. Under an
// authorisation limited to items the library, the wallet and the inbox answer 403
// MANDATE_ITEMS_ONLY (its title is shown); applying takes the licences and files the
// declaration offers for its materials.
const ACTING_PREFIXES = [
  '/api/v1/declarations',
  '/api/v1/materials',
  '/api/v1/licences',
  '/api/v1/payments',
  '/api/v1/inbox',
  '/api/v1/parties/current',
]
const NOT_ACTING = ['/api/v1/inbox/live']
// An authorisation gone (revoked, expired, never given): back to acting as oneself.
const MANDATE_GONE = ['MANDATE_REVOKED', 'MANDATE_EXPIRED', 'ACTING_AS_FORBIDDEN']

function acts(path) {
  const bare = String(path).split('?')[0]
  const under = (prefix) => bare === prefix || bare.startsWith(`${prefix}/`)
  return ACTING_PREFIXES.some(under) && !NOT_ACTING.some(under)
}

function authHeader(auth, path) {
  if (!auth) return {}
  const current = session.get()
  if (!current) return {}
  const header = { Authorization: `Bearer ${current.accessToken}` }
  const party = path !== undefined && acts(path) ? session.actingAs() : null
  if (party) header['X-Acting-As'] = party.id
  return header
}

function parseBody(data) {
  if (typeof data === 'string' && data) {
    try {
      return JSON.parse(data)
    } catch (e) {
      return data
    }
  }
  return data
}

// Returns the decoded body of a 2xx answer (null for 204); throws ApiError otherwise.
async function request({ method, path, query, data, header, auth = true, retried = false }) {
  const headers = {
    'content-type': 'application/json',
    'Accept-Language': language.acceptLanguage(),
    ...authHeader(auth, path),
    ...(header || {}),
  }
  const res = await rawRequest({
    url: `${config.baseUrl}${path}${queryString(query)}`,
    method,
    data,
    header: headers,
  })
  const body = parseBody(res.data)
  if (res.statusCode >= 200 && res.statusCode < 300) return res.statusCode === 204 ? null : body
  if (res.statusCode === 401 && auth && !retried && body && body.code === 'TOKEN_EXPIRED') {
    if (await refreshSession()) {
      return request({ method, path, query, data, header, auth, retried: true })
    }
  }
  if (res.statusCode === 401 && auth && body && /^TOKEN_/.test(body.code || '')) session.clear()
  if (res.statusCode === 403 && body && MANDATE_GONE.includes(body.code)) session.setActingAs(null)
  throw new ApiError(res.statusCode, body)
}

// wx.uploadFile (always POST, multipart) with progress: onProgress(percent, sent, total).
function upload({ path, filePath, name, formData, onProgress, auth = true }) {
  return new Promise((resolve, reject) => {
    const task = wx.uploadFile({
      url: `${config.baseUrl}${path}`,
      filePath,
      name,
      formData: formData || {},
      header: { 'Accept-Language': language.acceptLanguage(), ...authHeader(auth, path) },
      success: (res) => {
        const body = parseBody(res.data)
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(body)
        else reject(new ApiError(res.statusCode, body))
      },
      fail: (err) => reject(new ApiError(0, { title: err && err.errMsg })),
    })
    if (task && onProgress && task.onProgressUpdate) {
      task.onProgressUpdate((p) =>
        onProgress(p.progress, p.totalBytesSent, p.totalBytesExpectedToSend),
      )
    }
  })
}

// UTF-8 bytes of a string, without TextEncoder (not in every mini-program base library).
function utf8(text) {
  const bytes = []
  const s = unescape(encodeURIComponent(text))
  for (let i = 0; i < s.length; i += 1) bytes.push(s.charCodeAt(i))
  return bytes
}

// A multipart/form-data body of one file part, for routes wx.uploadFile cannot reach (PUT).
function multipartBody(fieldName, fileName, contentType, fileBytes) {
  const boundary = `----handheld${uuid4().replace(/-/g, '')}`
  const safeName = fileName.replace(/["\r\n]/g, '_')
  const head = utf8(
    `--${boundary}\r\nContent-Disposition: form-data; name="${fieldName}"; filename="${safeName}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  )
  const tail = utf8(`\r\n--${boundary}--\r\n`)
  const file = new Uint8Array(fileBytes)
  const out = new Uint8Array(head.length + file.length + tail.length)
  out.set(head, 0)
  out.set(file, head.length)
  out.set(tail, head.length + file.length)
  return { body: out.buffer, contentType: `multipart/form-data; boundary=${boundary}` }
}

module.exports = {
  ApiError,
  request,
  upload,
  multipartBody,
  expandPath,
  queryString,
  uuid4,
  refreshSession,
  acts,
}
