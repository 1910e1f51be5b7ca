// Every backend route the mini-program calls: method, path template and the JSON body
// members it sends. tests/miniprogram/test_api_contract.py checks each against the backend's
// OpenAPI schema (path and method exist, body members and query parameters are ones the
// schema declares, required body members are sent, Idempotency-Key where the route takes it),
// so a renamed route or field fails a test instead of a citizen's tap.
//
// `auth: false` marks calls made without a session.
module.exports = {
  // catalogue
  hotItems: { method: 'GET', path: '/api/v1/items/hot', query: ['limit'], auth: false },
  searchItems: { method: 'GET', path: '/api/v1/items', query: ['q', 'page', 'pageSize'], auth: false },
  itemDetail: { method: 'GET', path: '/api/v1/items/{code}', auth: false },
  // 办事数据: the province's monthly figures (open data, no session).
  publicFigures: { method: 'GET', path: '/api/v1/figures/monthly', query: ['from', 'to'], auth: false },

  // identity
  wechatLogin: { method: 'POST', path: '/api/v1/auth/wechat/login', body: ['code'], auth: false },
  refresh: { method: 'POST', path: '/api/v1/auth/refresh', body: ['refreshToken'], auth: false },
  ssoStart: { method: 'POST', path: '/api/v1/auth/sso/start', body: ['purpose'] },
  ssoComplete: { method: 'POST', path: '/api/v1/auth/sso/complete', body: ['code', 'state'] },
  logout: { method: 'POST', path: '/api/v1/auth/logout' },
  me: { method: 'GET', path: '/api/v1/me' },

  // declarations
  createDeclaration: { method: 'POST', path: '/api/v1/declarations', body: ['itemCode'] },
  listDeclarations: {
    method: 'GET',
    path: '/api/v1/declarations',
    query: ['state', 'page', 'pageSize'],
  },
  declaration: { method: 'GET', path: '/api/v1/declarations/{declaration_id}' },
  saveForm: { method: 'PATCH', path: '/api/v1/declarations/{declaration_id}', body: ['formData'] },
  // wx.uploadFile can only POST: this is the route with upload progress.
  uploadMaterial: {
    method: 'POST',
    path: '/api/v1/declarations/{declaration_id}/materials/{code}',
    multipart: 'file',
  },
  uploadMaterialPut: {
    method: 'PUT',
    path: '/api/v1/declarations/{declaration_id}/materials/{code}',
    multipart: 'file',
  },
  useLicence: {
    method: 'PUT',
    path: '/api/v1/declarations/{declaration_id}/materials/{code}/licence',
    body: ['licenceNumber'],
  },
  reuseMaterial: {
    method: 'PUT',
    path: '/api/v1/declarations/{declaration_id}/materials/{code}/reuse',
    body: ['materialId'],
  },
  removeMaterial: { method: 'DELETE', path: '/api/v1/declarations/{declaration_id}/materials/{code}' },
  submit: { method: 'POST', path: '/api/v1/declarations/{declaration_id}/submit', idempotent: true },
  supplement: { method: 'POST', path: '/api/v1/declarations/{declaration_id}/supplement' },
  withdraw: { method: 'POST', path: '/api/v1/declarations/{declaration_id}/withdraw', body: ['reason'] },
  redraft: { method: 'POST', path: '/api/v1/declarations/{declaration_id}/redraft' },

  // payments
  paymentNotices: {
    method: 'GET',
    path: '/api/v1/payments/notices',
    query: ['status', 'declarationId'],
  },
  createOrder: {
    method: 'POST',
    path: '/api/v1/payments/orders',
    body: ['noticeId', 'channel'],
    idempotent: true,
  },
  order: { method: 'GET', path: '/api/v1/payments/orders/{order_id}' },
  receipt: { method: 'GET', path: '/api/v1/payments/orders/{order_id}/receipt' },

  // reviews
  reviewTags: { method: 'GET', path: '/api/v1/reviews/tags' },
  reviews: { method: 'GET', path: '/api/v1/declarations/{declaration_id}/reviews' },
  rate: {
    method: 'POST',
    path: '/api/v1/declarations/{declaration_id}/reviews',
    body: ['level', 'scores', 'tags', 'text'],
  },

  // halls and appointments (预约)
  halls: { method: 'GET', path: '/api/v1/halls', query: ['itemCode', 'region'], auth: false },
  hall: { method: 'GET', path: '/api/v1/halls/{hall_code}', auth: false },
  hallSlots: { method: 'GET', path: '/api/v1/halls/{hall_code}/slots', query: ['itemCode'], auth: false },
  book: {
    method: 'POST',
    path: '/api/v1/appointments',
    body: ['hallCode', 'itemCode', 'date', 'start', 'declarationId'],
  },
  appointments: { method: 'GET', path: '/api/v1/appointments' },
  appointment: { method: 'GET', path: '/api/v1/appointments/{appointment_id}' },
  cancelAppointment: { method: 'POST', path: '/api/v1/appointments/{appointment_id}/cancel' },
  // 12345 hotline: ask (咨询), complain (投诉), suggest (建议); my tickets and their replies
  fileHotline: {
    method: 'POST',
    path: '/api/v1/hotline/tickets',
    body: ['kind', 'title', 'content', 'itemCode', 'departmentCode', 'declarationId', 'aboutRectification'],
    idempotent: true,
  },
  hotlineTickets: { method: 'GET', path: '/api/v1/hotline/tickets', query: ['limit', 'offset'] },
  hotlineTicket: { method: 'GET', path: '/api/v1/hotline/tickets/{ticket_id}' },
  rateHotline: {
    method: 'POST',
    path: '/api/v1/hotline/tickets/{ticket_id}/satisfaction',
    body: ['result', 'comment'],
  },

  // delivery of paper results (邮寄送达): my address book, pickup or post, tracking
  addresses: { method: 'GET', path: '/api/v1/addresses' },
  addAddress: {
    method: 'POST',
    path: '/api/v1/addresses',
    body: ['recipient', 'phone', 'regionCode', 'regionName', 'detail', 'postcode', 'label', 'isDefault'],
  },
  replaceAddress: {
    method: 'PUT',
    path: '/api/v1/addresses/{address_id}',
    body: ['recipient', 'phone', 'regionCode', 'regionName', 'detail', 'postcode', 'label', 'isDefault'],
  },
  removeAddress: { method: 'DELETE', path: '/api/v1/addresses/{address_id}' },
  resultDelivery: { method: 'GET', path: '/api/v1/declarations/{declaration_id}/result-delivery' },
  chooseDelivery: {
    method: 'PUT',
    path: '/api/v1/declarations/{declaration_id}/result-delivery',
    body: ['method', 'hallCode', 'addressId'],
  },
  resultDeliveries: { method: 'GET', path: '/api/v1/result-deliveries', query: ['limit', 'offset'] },

  // licence wallet
  licences: { method: 'GET', path: '/api/v1/licences' },
  licence: { method: 'GET', path: '/api/v1/licences/{licence_id}' },
  displayLicence: { method: 'POST', path: '/api/v1/licences/{licence_id}/display' },
  // The QR symbol of a display code (SVG), shown by <image src> at the qrUrl the backend
  // answers: no session (the short-lived code is the secret), never called through wx.request.
  licenceQr: { method: 'GET', path: '/api/v1/licences/display-qr.svg', query: ['code'], auth: false },
  licenceVerifications: { method: 'GET', path: '/api/v1/licences/{licence_id}/verifications' },
  licenceUses: { method: 'GET', path: '/api/v1/licences/uses' },

  // inbox and push
  inbox: { method: 'GET', path: '/api/v1/inbox', query: ['page', 'pageSize'] },
  markRead: { method: 'POST', path: '/api/v1/inbox/{message_id}/read' },
  reportSubscriptions: { method: 'POST', path: '/api/v1/push/subscriptions', body: ['results'] },
  preferences: { method: 'GET', path: '/api/v1/push/preferences' },
  setPreferences: {
    method: 'PUT',
    path: '/api/v1/push/preferences',
    body: ['wechat', 'app', 'sms'],
  },

  // queue numbers (取号) in a hall
  takeNumber: { method: 'POST', path: '/api/v1/queue/tickets', body: ['appointmentId', 'qr', 'location'] },
  queueTickets: { method: 'GET', path: '/api/v1/queue/tickets' },
  queueTicket: { method: 'GET', path: '/api/v1/queue/tickets/{ticket_id}' },
  // Server-sent events, read as chunks of one wx.request (utils/live.js).
  queueTicketLive: { method: 'GET', path: '/api/v1/queue/tickets/{ticket_id}/live' },
  rateVisit: {
    method: 'POST',
    path: '/api/v1/queue/tickets/{ticket_id}/rating',
    body: ['level', 'scores', 'tags', 'text'],
  },

  // --- mini-program shell (tab bar, browsing, 我的): every capability a citizen has
  facets: { method: 'GET', path: '/api/v1/catalog/facets', auth: false },
  browseItems: {
    method: 'GET',
    path: '/api/v1/items',
    query: ['q', 'theme', 'department', 'region', 'page', 'pageSize'],
    auth: false,
  },
  bindPhone: { method: 'POST', path: '/api/v1/auth/wechat/phone', body: ['code'] },
  logoutAll: { method: 'POST', path: '/api/v1/auth/logout-all' },
  // 信任传递: a one-time ticket the department's H5 page exchanges server to server.
  trustTicket: { method: 'POST', path: '/api/v1/auth/tickets', body: ['clientId'] },
  materials: { method: 'GET', path: '/api/v1/materials' },
  materialLink: { method: 'POST', path: '/api/v1/materials/{material_id}/link' },
  consents: { method: 'GET', path: '/api/v1/licences/consents' },
  revokeConsent: { method: 'DELETE', path: '/api/v1/licences/consents/{consent_id}' },
  licenceFile: { method: 'GET', path: '/api/v1/licences/{licence_id}/file' },
  // 容缺: the materials accepted as missing, sent once attached (after acceptance).
  sendTolerated: { method: 'POST', path: '/api/v1/declarations/{declaration_id}/tolerated-materials' },
  // 一件事 bundles: the situations' plan (no session), a bundle with one form and one set of
  // materials, one submission, the lanes timeline.
  bundlePlan: { method: 'POST', path: '/api/v1/bundle-guides/{code}/plan', body: ['answers', 'members'], auth: false },
  startBundle: { method: 'POST', path: '/api/v1/bundles', body: ['bundleCode', 'answers', 'members'], idempotent: true },
  bundles: { method: 'GET', path: '/api/v1/bundles', query: ['page', 'pageSize'] },
  bundle: { method: 'GET', path: '/api/v1/bundles/{bundle_id}' },
  saveBundleForm: { method: 'PATCH', path: '/api/v1/bundles/{bundle_id}', body: ['formData'] },
  uploadBundleMaterial: { method: 'POST', path: '/api/v1/bundles/{bundle_id}/materials/{key}', multipart: 'file' },
  useBundleLicence: { method: 'PUT', path: '/api/v1/bundles/{bundle_id}/materials/{key}/licence', body: ['licenceNumber'] },
  submitBundle: { method: 'POST', path: '/api/v1/bundles/{bundle_id}/submit', idempotent: true },
  // parties and acting as (docs/acting-as.md): whom I may act for, whom a request acts for,
  // a legal representative's agents (经办人).
  parties: { method: 'GET', path: '/api/v1/parties' },
  actingParty: { method: 'GET', path: '/api/v1/parties/current' },
  partyAgents: { method: 'GET', path: '/api/v1/parties/{party_id}/agents' },
  grantAgent: {
    method: 'POST',
    path: '/api/v1/parties/{party_id}/agents',
    body: ['agentIdNumber', 'agentName', 'items', 'validUntil'],
  },
  revokeAgent: { method: 'DELETE', path: '/api/v1/parties/{party_id}/agents/{mandate_id}' },
  // 委托代办: whom I authorised, their log, revoking
  grantProxy: {
    method: 'POST',
    path: '/api/v1/proxies',
    body: ['agentIdNumber', 'agentName', 'items', 'validFrom', 'validUntil'],
  },
  proxies: { method: 'GET', path: '/api/v1/proxies' },
  revokeProxy: { method: 'DELETE', path: '/api/v1/proxies/{mandate_id}' },
  proxyLog: { method: 'GET', path: '/api/v1/proxies/log' },
}
