// The backend's API as the mini-program uses it. Routes come from ./endpoints (checked against
// the backend's OpenAPI schema by tests/miniprogram/test_api_contract.py).
const config = require('../config')
const endpoints = require('./endpoints')
const { svgDataUri } = require('./format')
const http = require('./http')
const live = require('./live')
const session = require('./session')

function call(name, { params, query, body, header } = {}) {
  const ep = endpoints[name]
  if (!ep) throw new Error(`unknown endpoint ${name}`)
  if (body && ep.body) {
    const unknown = Object.keys(body).filter((k) => !ep.body.includes(k))
    if (unknown.length) throw new Error(`${name}: undeclared body members ${unknown.join(', ')}`)
  }
  if (query) {
    const unknown = Object.keys(query).filter((k) => !(ep.query || []).includes(k))
    if (unknown.length) throw new Error(`${name}: undeclared query parameters ${unknown.join(', ')}`)
  }
  return http.request({
    method: ep.method,
    path: http.expandPath(ep.path, params),
    query,
    data: body,
    header,
    auth: ep.auth !== false,
  })
}

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new Error('wx.login gave no code'))),
      fail: reject,
    })
  })
}

// --- catalogue
const hotItems = (limit = 10) => call('hotItems', { query: { limit } })
const searchItems = (q, page = 1, pageSize = 20) =>
  call('searchItems', { query: { q, page, pageSize } })
const itemDetail = (code) => call('itemDetail', { params: { code } })

// --- identity
async function loginWithWechat() {
  const code = await wxLogin()
  const pair = await call('wechatLogin', { body: { code } })
  return session.save(pair)
}
const startBinding = () => call('ssoStart', { body: { purpose: 'bind' } })
async function completeBinding(code, state) {
  const pair = await call('ssoComplete', { body: { code, state } })
  return session.save(pair)
}
async function logout() {
  try {
    await call('logout')
  } finally {
    session.clear()
  }
}
async function me() {
  const profile = await call('me')
  session.updateCitizen(profile)
  return profile
}

// --- declarations
const createDeclaration = (itemCode) => call('createDeclaration', { body: { itemCode } })
const listDeclarations = ({ state, page = 1, pageSize = 20 } = {}) =>
  call('listDeclarations', { query: { state, page, pageSize } })
const declaration = (id) => call('declaration', { params: { declaration_id: id } })
const saveForm = (id, formData) =>
  call('saveForm', { params: { declaration_id: id }, body: { formData } })

const CONTENT_TYPES = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  ofd: 'application/ofd',
}

function contentTypeOf(name) {
  const ext = String(name || '').split('.').pop().toLowerCase()
  return CONTENT_TYPES[ext] || 'application/octet-stream'
}

// --- 委托代办 (whom I authorised)
const grantProxy = (body) => call('grantProxy', { body })
const proxies = () => call('proxies')
const revokeProxy = (id) => call('revokeProxy', { params: { mandate_id: id } })
const proxyLog = () => call('proxyLog')

// Whether the backend takes POST on the upload route; learnt from the first 405.
let postUploadSupported = true

async function putUpload(path, file, onProgress) {
  const bytes = wx.getFileSystemManager().readFileSync(file.path)
  const { body, contentType } = http.multipartBody('file', file.name, contentTypeOf(file.name), bytes)
  if (onProgress) onProgress(0, 0, body.byteLength)
  const result = await http.request({
    method: endpoints.uploadMaterialPut.method,
    path,
    data: body,
    header: { 'content-type': contentType },
  })
  if (onProgress) onProgress(100, body.byteLength, body.byteLength)
  return result
}

// file: {path, name}; onProgress(percent, sent, total). Answers the library entry.
// A refused POST (405) restarts the progress at 0 for the PUT that follows.
async function uploadMaterial(id, code, file, onProgress) {
  const path = http.expandPath(endpoints.uploadMaterial.path, { declaration_id: id, code })
  if (postUploadSupported) {
    try {
      return await http.upload({ path, filePath: file.path, name: 'file', onProgress })
    } catch (err) {
      if (err.status !== 405) throw err
      postUploadSupported = false
    }
  }
  return putUpload(path, file, onProgress)
}

const useLicence = (id, code, licenceNumber) =>
  call('useLicence', { params: { declaration_id: id, code }, body: { licenceNumber } })
const reuseMaterial = (id, code, materialId) =>
  call('reuseMaterial', { params: { declaration_id: id, code }, body: { materialId } })
const removeMaterial = (id, code) => call('removeMaterial', { params: { declaration_id: id, code } })
// The key is made once per tap by the caller and reused on a retry of that tap.
const submit = (id, idempotencyKey) =>
  call('submit', { params: { declaration_id: id }, header: { 'Idempotency-Key': idempotencyKey } })
const supplement = (id) => call('supplement', { params: { declaration_id: id } })
const withdraw = (id, reason = '') =>
  call('withdraw', { params: { declaration_id: id }, body: { reason } })
// After the platform refused the submission: back to a draft, everything kept.
const redraft = (id) => call('redraft', { params: { declaration_id: id } })

// --- 一件事 bundles (keys made once per tap, reused on a retry of that tap)
const bundlePlan = (code, answers, members) =>
  call('bundlePlan', { params: { code }, body: members ? { answers, members } : { answers } })
const startBundle = (bundleCode, answers, members, idempotencyKey) =>
  call('startBundle', {
    body: members ? { bundleCode, answers, members } : { bundleCode, answers },
    header: { 'Idempotency-Key': idempotencyKey },
  })
const bundles = (page = 1, pageSize = 20) => call('bundles', { query: { page, pageSize } })
const bundle = (id) => call('bundle', { params: { bundle_id: id } })
const saveBundleForm = (id, formData) =>
  call('saveBundleForm', { params: { bundle_id: id }, body: { formData } })
const uploadBundleMaterial = (id, key, file, onProgress) =>
  http.upload({
    path: http.expandPath(endpoints.uploadBundleMaterial.path, { bundle_id: id, key }),
    filePath: file.path,
    name: 'file',
    onProgress,
  })
const useBundleLicence = (id, key, licenceNumber) =>
  call('useBundleLicence', { params: { bundle_id: id, key }, body: { licenceNumber } })
const submitBundle = (id, idempotencyKey) =>
  call('submitBundle', { params: { bundle_id: id }, header: { 'Idempotency-Key': idempotencyKey } })

// --- 12345 hotline (the key made once per tap, reused on a retry of that tap)
const fileHotline = (body, idempotencyKey) =>
  call('fileHotline', { body, header: { 'Idempotency-Key': idempotencyKey } })
const hotlineTickets = (limit = 50, offset = 0) => call('hotlineTickets', { query: { limit, offset } })
const hotlineTicket = (id) => call('hotlineTicket', { params: { ticket_id: id } })
const rateHotline = (id, result, comment = '') =>
  call('rateHotline', { params: { ticket_id: id }, body: { result, comment } })

// --- delivery of paper results (邮寄送达): my address book, a declaration's pickup or post
const addresses = () => call('addresses')
const addAddress = (body) => call('addAddress', { body })
const replaceAddress = (id, body) => call('replaceAddress', { params: { address_id: id }, body })
const removeAddress = (id) => call('removeAddress', { params: { address_id: id } })
const resultDelivery = (id) => call('resultDelivery', { params: { declaration_id: id } })
const chooseDelivery = (id, body) => call('chooseDelivery', { params: { declaration_id: id }, body })
const resultDeliveries = (limit = 20, offset = 0) =>
  call('resultDeliveries', { query: { limit, offset } })

// --- payments
// status: unpaid (the backend's default), paid, … ; declarationId narrows to one case.
const paymentNotices = ({ status, declarationId } = {}) =>
  call('paymentNotices', { query: { status, declarationId } })
const createOrder = (noticeId, idempotencyKey) =>
  call('createOrder', {
    body: { noticeId, channel: 'jsapi' },
    header: { 'Idempotency-Key': idempotencyKey },
  })
const order = (id) => call('order', { params: { order_id: id } })
const receipt = (id) => call('receipt', { params: { order_id: id } })

function requestPayment(payParams) {
  return new Promise((resolve, reject) => {
    wx.requestPayment({
      timeStamp: payParams.timeStamp,
      nonceStr: payParams.nonceStr,
      package: payParams.package,
      signType: payParams.signType,
      paySign: payParams.paySign,
      success: resolve,
      fail: (err) => {
        const e = new Error((err && err.errMsg) || 'requestPayment:fail')
        e.cancelled = /cancel/.test(e.message)
        reject(e)
      },
    })
  })
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Create the order (idempotent by key), open WeChat's cashier, then read the order until the
// backend has WeChat Pay's word (its notification or its query): the cashier's "ok" alone
// is not proof of payment.
async function pay(noticeId, idempotencyKey, { attempts = 20, interval = 500, onOrder } = {}) {
  const created = await createOrder(noticeId, idempotencyKey)
  if (onOrder) onOrder(created)
  if (created.status === 'paid') return created
  await requestPayment(created.payParams)
  let current = created
  for (let i = 0; i < attempts; i += 1) {
    current = await order(created.id)
    if (current.status !== 'pending') return current
    await sleep(interval)
  }
  return current
}

// --- halls and appointments
const halls = (itemCode) => call('halls', { query: itemCode ? { itemCode } : undefined })
const hall = (code) => call('hall', { params: { hall_code: code } })
const hallSlots = (code, itemCode) => call('hallSlots', { params: { hall_code: code }, query: { itemCode } })
const book = ({ hallCode, itemCode, date, start, declarationId }) =>
  call('book', {
    body: declarationId ? { hallCode, itemCode, date, start, declarationId } : { hallCode, itemCode, date, start },
  })
const appointments = () => call('appointments')
const appointment = (id) => call('appointment', { params: { appointment_id: id } })
const cancelAppointment = (id) => call('cancelAppointment', { params: { appointment_id: id } })
// --- 办事数据 (public figures)
const publicFigures = (query = {}) => call('publicFigures', { query })

// --- reviews
const reviewTags = () => call('reviewTags')
const reviews = (id) => call('reviews', { params: { declaration_id: id } })
const rate = (id, { level, scores, tags = [], text = '' }) =>
  call('rate', { params: { declaration_id: id }, body: { level, scores, tags, text } })

// --- licence wallet
const licences = () => call('licences')
const licence = (id) => call('licence', { params: { licence_id: id } })
// 亮证: a short-lived code; its QR symbol is an image the backend draws at `qrUrl` (relative
// to the API), made absolute here for <image src>. A backend of before that sent `qrSvg`.
async function displayLicence(id) {
  const code = await call('displayLicence', { params: { licence_id: id } })
  let qrUrl = ''
  if (code.qrUrl) qrUrl = /^https?:\/\//.test(code.qrUrl) ? code.qrUrl : `${config.baseUrl}${code.qrUrl}`
  else if (code.qrSvg) qrUrl = svgDataUri(code.qrSvg)
  return { ...code, qrUrl }
}
const licenceVerifications = (id) => call('licenceVerifications', { params: { licence_id: id } })
const licenceUses = () => call('licenceUses')

// --- inbox and push
const inbox = (page = 1, pageSize = 20) => call('inbox', { query: { page, pageSize } })
const markRead = (id) => call('markRead', { params: { message_id: id } })
const reportSubscriptions = (results) => call('reportSubscriptions', { body: { results } })
const preferences = () => call('preferences')
const setPreferences = ({ wechat, app, sms }) =>
  call('setPreferences', { body: { wechat, app, sms } })

// --- queue numbers in a hall
// arrival: { qr } (the hall's QR as scanned) or { location: { latitude, longitude } }.
const takeNumber = (appointmentId, arrival) =>
  call('takeNumber', { body: { appointmentId, ...arrival } })
const queueTickets = () => call('queueTickets')
const queueTicket = (id) => call('queueTicket', { params: { ticket_id: id } })
// onTicket(ticket) on every change while the page is open; answers { close() }.
const followTicket = (id, onTicket) =>
  live.follow(http.expandPath(endpoints.queueTicketLive.path, { ticket_id: id }), {
    ticket: onTicket,
    poll: () => queueTicket(id).then(onTicket),
  })
const rateVisit = (id, { level, scores, tags = [], text = '' }) =>
  call('rateVisit', { params: { ticket_id: id }, body: { level, scores, tags, text } })

// --- mini-program shell: browsing, 我的, department services, files
const facets = () => call('facets')
// filter: {q, theme, department, region}; pages of pageSize.
const browseItems = (filter = {}, page = 1, pageSize = 20) =>
  call('browseItems', { query: { ...filter, page, pageSize } })
// getPhoneNumber's code (from the button's event), vouched for by WeChat.
async function bindPhone(code) {
  const profile = await call('bindPhone', { body: { code } })
  session.updateCitizen(profile)
  return profile
}
async function logoutAll() {
  try {
    await call('logoutAll')
  } finally {
    session.clear()
  }
}
const trustTicket = (clientId) => call('trustTicket', { body: { clientId } })
const materials = () => call('materials')
const materialLink = (id) => call('materialLink', { params: { material_id: id } })
const consents = () => call('consents')
const revokeConsent = (id) => call('revokeConsent', { params: { consent_id: id } })
const sendTolerated = (id) => call('sendTolerated', { params: { declaration_id: id } })

// A file opened in WeChat's viewer: downloaded (with my session where the route needs it),
// then wx.openDocument (PDF, Office files) or wx.previewImage (pictures).
function download(url, auth) {
  return new Promise((resolve, reject) => {
    const header = {}
    const current = session.get()
    if (auth && current) header.Authorization = `Bearer ${current.accessToken}`
    wx.downloadFile({
      url,
      header,
      success: (res) =>
        res.statusCode >= 200 && res.statusCode < 300
          ? resolve(res.tempFilePath)
          : reject(new http.ApiError(res.statusCode, {})),
      fail: (err) => reject(new http.ApiError(0, { title: err && err.errMsg })),
    })
  })
}

const IMAGE = /\.(png|jpe?g|gif|webp)$/i
const DOCUMENT_TYPES = ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx']

async function openFile(url, { auth = false, name = '' } = {}) {
  const absolute = /^https?:\/\//.test(url) ? url : `${config.baseUrl}${url}`
  const filePath = await download(absolute, auth)
  const kind = String(name || url).split('?')[0].split('.').pop().toLowerCase()
  if (IMAGE.test(`.${kind}`)) {
    return new Promise((resolve, reject) =>
      wx.previewImage({ urls: [filePath], success: resolve, fail: reject }),
    )
  }
  return new Promise((resolve, reject) =>
    wx.openDocument({
      filePath,
      fileType: DOCUMENT_TYPES.includes(kind) ? kind : undefined,
      showMenu: true,
      success: resolve,
      fail: reject,
    }),
  )
}

async function openMaterial(material) {
  const link = await materialLink(material.id)
  return openFile(link.url, { name: material.displayName })
}

const openLicenceFile = (id, name) =>
  openFile(http.expandPath(endpoints.licenceFile.path, { licence_id: id }), { auth: true, name })
// --- parties and acting as (docs/acting-as.md)
const parties = () => call('parties')
const actingParty = () => call('actingParty')
const partyAgents = (partyId) => call('partyAgents', { params: { party_id: partyId } })
const grantAgent = (partyId, body) => call('grantAgent', { params: { party_id: partyId }, body })
const revokeAgent = (partyId, mandateId) =>
  call('revokeAgent', { params: { party_id: partyId, mandate_id: mandateId } })
// Act for a party from now on (null: as myself); the pages that act read session.actingAs().
const actAs = (party) => session.setActingAs(party)

module.exports = {
  facets,
  browseItems,
  bindPhone,
  logoutAll,
  trustTicket,
  materials,
  materialLink,
  consents,
  revokeConsent,
  sendTolerated,
  openFile,
  openMaterial,
  openLicenceFile,
  call,
  takeNumber,
  queueTickets,
  queueTicket,
  followTicket,
  rateVisit,
  contentTypeOf,
  hotItems,
  searchItems,
  itemDetail,
  loginWithWechat,
  startBinding,
  completeBinding,
  logout,
  me,
  createDeclaration,
  listDeclarations,
  declaration,
  saveForm,
  uploadMaterial,
  useLicence,
  reuseMaterial,
  removeMaterial,
  submit,
  supplement,
  withdraw,
  redraft,
  bundlePlan,
  startBundle,
  bundles,
  bundle,
  saveBundleForm,
  uploadBundleMaterial,
  useBundleLicence,
  submitBundle,
  fileHotline,
  hotlineTickets,
  hotlineTicket,
  rateHotline,
  addresses,
  addAddress,
  replaceAddress,
  removeAddress,
  resultDelivery,
  chooseDelivery,
  resultDeliveries,
  paymentNotices,
  createOrder,
  order,
  receipt,
  requestPayment,
  pay,
  reviewTags,
  reviews,
  rate,
  halls,
  hall,
  hallSlots,
  book,
  appointments,
  appointment,
  cancelAppointment,
  publicFigures,
  licences,
  licence,
  displayLicence,
  licenceVerifications,
  licenceUses,
  inbox,
  markRead,
  reportSubscriptions,
  preferences,
  setPreferences,
  parties,
  grantProxy,
  proxies,
  revokeProxy,
  proxyLog,
  actingParty,
  partyAgents,
  grantAgent,
  revokeAgent,
  actAs,
  // 'uploadFile' (POST with progress) or 'request' (PUT fallback: progress jumps 0 → 100).
  uploadTransport: () => (postUploadSupported ? 'uploadFile' : 'request'),
  _resetUploadProbe: () => {
    postUploadSupported = true
  },
}
