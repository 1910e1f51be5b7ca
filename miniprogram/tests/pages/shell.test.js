// The pages of the mini-program's shell — browsing (办事, item lists), 我的, the material library,
// consents, department services — and what the existing pages gained: paging, pull-to-refresh,
// empty and error states, 容缺 materials after acceptance, the review ticket and its follow-up,
// the confirmation before withdrawing, the full guide with its files, the licence file.
// Every answer is the backend's, recorded (tests/helpers/recorded.js).
const { createFakeWx, settle } = require('../helpers/fake-wx')
const { recorded, recording, replay } = require('../helpers/recorded')
const { t } = require('../../i18n/index')

let fake
beforeEach(() => {
  jest.resetModules()
  fake = createFakeWx()
  global.wx = fake.wx
  require('../../utils/session').save(recorded('auth.sso-complete'))
})

function load() {
  return require('../helpers/render')
}

async function tap(node) {
  node.dispatchEvent('tap')
  await settle()
}

const state = (page) => page.querySelector('.list-state')

test('办事: facets by theme, department and region; a facet opens its items; search opens results', async () => {
  const { render, texts } = load()
  const facets = replay(fake, 'catalog.facets')
  const page = render('pages/services/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.group')).toEqual(['按主题', '按部门', '按地区'])
  expect(texts(page, '.facet .text')).toEqual(facets.themes.map((f) => f.name))
  expect(texts(page, '.facet .muted')[0]).toBe(`${facets.themes[0].count} 项`)
  await tap(page.querySelectorAll('.group')[1])
  expect(texts(page, '.facet .text')).toEqual(facets.departments.map((f) => f.name))
  await tap(page.querySelector('.facet'))
  const first = facets.departments[0]
  expect(fake.calls.navigate).toEqual([
    `/pages/items/index?department=${encodeURIComponent(first.code)}&title=${encodeURIComponent(first.name)}`,
  ])
  page.instance.onInput({ detail: { value: '公积金' } })
  page.instance.search()
  expect(fake.calls.navigate[1]).toBe(`/pages/items/index?q=${encodeURIComponent('公积金')}`)
  await page.instance.onPullDownRefresh()
  expect(fake.calls.stopRefresh).toBe(1)
})

test('items: page after page on reaching the bottom, with the filter; the end is said', async () => {
  const { render, texts } = load()
  const all = recorded('items.browse')
  const seen = []
  fake.route('GET', '/api/v1/items', (req) => {
    const q = new URL(req.url).searchParams
    seen.push([q.get('theme'), q.get('page'), q.get('pageSize')])
    const n = Number(q.get('page'))
    // The recorded page, answered two items at a time (the total kept).
    return { ...all, items: all.items.slice((n - 1) * 2, n * 2), total: all.items.length, page: n, pageSize: 2 }
  })
  const page = render('pages/items/index')
  page.instance.fetch = ((orig) => (n) => orig.call(page.instance, n, 2))(page.instance.fetch)
  await page.instance.onLoad({ theme: encodeURIComponent('户籍办理'), title: encodeURIComponent('户籍办理') })
  await settle()
  expect(texts(page, '.heading .title')).toEqual(['户籍办理'])
  expect(texts(page, '.result .text')).toEqual(all.items.slice(0, 2).map((i) => i.name))
  expect(texts(state(page), '.more')).toEqual(['加载更多'])
  await page.instance.onReachBottom()
  await settle()
  expect(texts(page, '.result .text')).toEqual(all.items.slice(0, 4).map((i) => i.name))
  while (page.instance.data.more) await page.instance.onReachBottom()
  await settle()
  expect(texts(page, '.result .text')).toEqual(all.items.map((i) => i.name))
  expect(texts(state(page), '.end')).toEqual(['没有更多了'])
  expect(seen[0]).toEqual(['户籍办理', '1', '2'])
  expect(seen[1]).toEqual(['户籍办理', '2', '2'])
  // Pull-down: from the first page again.
  await page.instance.onPullDownRefresh()
  expect(seen[seen.length - 1][1]).toBe('1')
  expect(fake.calls.stopRefresh).toBe(1)
  await tap(page.querySelector('.result'))
  expect(fake.calls.navigate).toEqual([`/pages/item/index?code=${encodeURIComponent(all.items[0].code)}`])
})

test('items: nothing found offers browsing; a failure offers a retry', async () => {
  const { render, texts } = load()
  let answer = { status: 503, body: { code: 'UNAVAILABLE', title: '服务暂不可用' } }
  fake.route('GET', '/api/v1/items', () => answer)
  const page = render('pages/items/index')
  await page.instance.onLoad({ q: 'zzz' })
  await settle()
  expect(texts(state(page), '.state-error .error')).toEqual(['服务暂不可用'])
  answer = { ...recorded('items.browse'), items: [], total: 0 }
  await tap(state(page).querySelector('.retry'))
  expect(texts(state(page), '.state-empty .text')).toEqual([t('items.empty')])
  await tap(state(page).querySelector('.empty-action'))
  expect(fake.calls.navigate).toEqual(['/pages/services/index']) // a tab: wx.switchTab
})

test('我的: my masked identity, the phone bound from getPhoneNumber, every personal page', async () => {
  const { render, texts } = load()
  const me = replay(fake, 'me')
  const bound = recorded('auth.wechat-phone')
  fake.route('POST', '/api/v1/auth/wechat/phone', (req) => {
    expect(req.data).toEqual({ code: 'phone-code-1' })
    return bound
  })
  const page = render('pages/mine/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.name')).toEqual([me.name])
  expect(texts(page, '.phone')).toEqual([t('mine.phone', { phone: me.phone })])
  expect(texts(page, '.entry .text')).toEqual(
    ['declarations', 'toPay', 'wallet', 'materials', 'consents', 'appointments', 'hotline', 'departmentServices', 'settings'].map((k) => t(`mine.${k}`)),
  )
  // Refused in WeChat's popup: no code, nothing sent.
  expect(await page.instance.onPhone({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })).toBe(false)
  expect(fake.calls.toast).toEqual([t('mine.phoneDenied')])
  expect(await page.instance.onPhone({ detail: { code: 'phone-code-1' } })).toBe(true)
  await settle()
  expect(texts(page, '.phone')).toEqual([t('mine.phone', { phone: bound.phone })])
  expect(require('../../utils/session').get().citizen.phone).toBe(bound.phone)
  await tap(page.querySelectorAll('.entry')[3])
  expect(fake.calls.navigate).toEqual(['/pages/materials/index'])
})

test('我的 signed out: a way to sign in, no call to the backend', async () => {
  const { render, texts } = load()
  require('../../utils/session').clear()
  const page = render('pages/mine/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.signed-out .text')).toEqual([t('mine.signedOut')])
  expect(fake.calls.request).toEqual([])
  await tap(page.querySelector('.login'))
  expect(fake.calls.navigate).toEqual(['/pages/login/index'])
})

test('我的材料: the library; a file opens through its short-lived link in WeChat\'s viewer', async () => {
  const { render, texts } = load()
  const library = replay(fake, 'materials.list')
  const [pdf, jpg] = library
  replay(fake, 'materials.link', (body) => ({ ...body, url: '/api/v1/files/signed-token' }))
  fake.route('POST', `/api/v1/materials/${jpg.id}/link`, { url: '/api/v1/files/other-token', expiresIn: 300 })
  fake.route('GET', /^\/api\/v1\/files\//, '')
  const page = render('pages/materials/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.material .text')).toEqual(library.map((m) => m.displayName))
  await page.instance.open({ currentTarget: { dataset: { id: pdf.id } } })
  expect(fake.calls.download.map((d) => d.url)).toEqual(['http://127.0.0.1:8000/api/v1/files/signed-token'])
  expect(fake.calls.document).toHaveLength(1)
  expect(fake.calls.document[0].fileType).toBe('pdf')
  await page.instance.open({ currentTarget: { dataset: { id: jpg.id } } })
  expect(fake.calls.preview).toEqual([['wxfile://tmp/other-token']])
})

test('我的材料: empty says how the library fills, with a way to start', async () => {
  const { render, texts } = load()
  fake.route('GET', '/api/v1/materials', [])
  const page = render('pages/materials/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(state(page), '.state-empty .text')).toEqual([t('materials.empty')])
  expect(texts(state(page), '.empty-action')).toEqual([t('materials.start')])
})

test('用证授权: the consents; revoking asks first, then DELETE and the list again', async () => {
  const { render, texts } = load()
  const [consent] = replay(fake, 'consents.list')
  const revoke = recording('consents.revoke')
  let deleted = 0
  fake.route('DELETE', revoke.path.replace(/[^/]+$/, consent.id), () => {
    deleted += 1
    return { status: 204, body: undefined }
  })
  const page = render('pages/consents/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.consent .title')).toEqual([consent.licenceName])
  expect(texts(page, '.grantee')).toEqual([t('consents.grantee', { name: consent.grantee.name })])
  fake.answers.modal = false
  expect(await page.instance.revoke({ currentTarget: { dataset: { id: consent.id } } })).toBe(false)
  expect(deleted).toBe(0)
  fake.answers.modal = true
  expect(await page.instance.revoke({ currentTarget: { dataset: { id: consent.id } } })).toBe(true)
  expect(deleted).toBe(1)
  expect(fake.calls.modal).toEqual([
    t('consents.confirm', { name: consent.grantee.name, licence: consent.licenceName }),
    t('consents.confirm', { name: consent.grantee.name, licence: consent.licenceName }),
  ])
})

test('部门服务: a one-time ticket, then the department\'s page in a web-view with it', async () => {
  const { render, texts } = load()
  const ticket = replay(fake, 'auth.ticket')
  const config = require('../../config')
  const page = render('pages/dept-services/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.service .text')).toEqual([t('deptapps.app.demo-h5')])
  await page.instance.open({ currentTarget: { dataset: { id: 'demo-h5' } } })
  expect(fake.calls.request.find((r) => r.path === '/api/v1/auth/tickets').data).toEqual({ clientId: 'demo-h5' })
  const target = `${config.departmentServices[0].url}?ticket=${encodeURIComponent(ticket.ticket)}`
  expect(fake.calls.navigate).toEqual([
    `/pages/web/index?url=${encodeURIComponent(target)}&title=${encodeURIComponent(t('deptapps.app.demo-h5'))}`,
  ])
  const web = render('pages/web/index')
  web.instance.onLoad({ url: encodeURIComponent(target) })
  await settle()
  expect(web.instance.data.url).toBe(target)
})

test('declaration: 容缺 materials to send after acceptance, the pre-review date, a confirmed withdrawal', async () => {
  const { render, texts } = load()
  const d = replay(fake, 'declaration.tolerated', (body) => ({ ...body, preReviewDue: '2026-11-05' }))
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: d.id })
  await settle()
  expect(texts(page, '.tolerated-item')).toEqual(['· 火化证明'])
  expect(texts(page, '.pre-review-due')).toEqual([t('declarations.preReviewDue', { date: '2026-11-05' })])
  await tap(page.querySelector('.send-tolerated'))
  expect(fake.calls.navigate).toEqual([`/pages/apply/index?id=${d.id}&tolerated=1`])
})

test('declaration: withdrawing asks first; cancelled, nothing is sent', async () => {
  const { render } = load()
  const d = replay(fake, 'declaration.submitted')
  const withdrawn = replay(fake, 'declaration.withdraw', (body) => ({ ...body, id: d.id }))
  fake.route('POST', `/api/v1/declarations/${d.id}/withdraw`, withdrawn)
  const page = render('pages/declaration/index')
  await page.instance.onLoad({ id: d.id })
  await settle()
  fake.answers.modal = false
  expect(await page.instance.withdraw()).toBe(false)
  expect(fake.calls.request.filter((r) => r.method === 'POST')).toEqual([])
  expect(fake.calls.modal).toEqual([t('declarations.withdrawConfirm', { name: d.itemName })])
  fake.answers.modal = true
  await page.instance.withdraw()
  expect(fake.calls.request.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`/api/v1/declarations/${d.id}/withdraw`])
})

test('apply in 容缺 mode: only the missing material; sent once attached', async () => {
  const { render, texts } = load()
  let current = recorded('declaration.tolerated')
  fake.route('GET', `/api/v1/declarations/${current.id}`, () => current)
  const sent = recording('declaration.tolerated-sent')
  fake.route('POST', sent.path.replace(/\/[^/]+\/tolerated-materials$/, `/${current.id}/tolerated-materials`), () => ({ ...sent.body, id: current.id }))
  const page = render('pages/apply/index')
  await page.instance.onLoad({ id: current.id, tolerated: '1' })
  await settle()
  expect(texts(page, '.material > .text').map((x) => x.replace(/\*$/, ''))).toEqual(['火化证明'])
  expect(page.querySelectorAll('.form')).toHaveLength(0)
  expect(await page.instance.sendTolerated()).toBe(false)
  expect(texts(page, '.messages .error')).toEqual(['请上传“火化证明”'])
  // Attached (the detail as the backend answers after the upload), then sent.
  current = { ...sent.body, id: current.id }
  page.instance.show(current, {})
  expect(await page.instance.sendTolerated()).toBe(true)
  expect(fake.calls.navigate).toEqual([`/pages/declaration/index?id=${current.id}`])
  expect(fake.calls.toast).toEqual([t('apply.toleratedSent')])
})

test('rate: a bad review\'s ticket while open: its state and due day, nothing to rate meanwhile', async () => {
  const { render, texts } = load()
  replay(fake, 'reviews.tags')
  const open = replay(fake, 'reviews.ticket-open')
  const page = render('pages/rate/index')
  await page.instance.onLoad({ id: open.declarationId })
  await settle()
  expect(texts(page, '.ticket-status')).toEqual([t('rate.ticket.status.processing')])
  expect(texts(page, '.ticket-due')).toEqual([t('rate.ticket.due', { date: open.ticket.dueOn })])
  expect(page.querySelectorAll('.submit')).toHaveLength(0) // nothing to rate meanwhile
  expect(texts(page, '.history .review .muted')[0]).toBe(open.reviews[0].tags.map((x) => x.label).join('、'))
})

test('rate: the ticket resolved, its outcome and note; the follow-up rating is open', async () => {
  const { render, texts } = load()
  replay(fake, 'reviews.tags')
  const resolved = replay(fake, 'reviews.follow-up')
  let posted
  fake.route('POST', `/api/v1/declarations/${resolved.declarationId}/reviews`, (req) => {
    posted = req.data
    return { ...resolved.reviews[0], kind: 'follow_up', level: req.data.level }
  })
  const page = render('pages/rate/index')
  await page.instance.onLoad({ id: resolved.declarationId })
  await settle()
  expect(texts(page, '.ticket-outcome')).toEqual([t('rate.ticket.outcome.rectified')])
  expect(texts(page, '.ticket-note')).toEqual([resolved.ticket.note])
  expect(texts(page, '.follow-up-hint .title')).toEqual([t('rate.followUp')])
  page.instance.chooseLevel({ currentTarget: { dataset: { level: 4 } } })
  expect(await page.instance.submit()).toBe(true)
  expect(posted.level).toBe(4)
})

test('item: the whole guide; templates and the sample open in WeChat\'s viewer; phones dial', async () => {
  const { render, texts } = load()
  const item = replay(fake, 'item.detail')
  const g = item.guide
  fake.route('GET', /\/templates\/|\/samples\//, '')
  const page = render('pages/item/index')
  await page.instance.onLoad({ code: item.code })
  await settle()
  expect(texts(page, '.legal-basis .text')).toEqual(g.legalBasis.map((x) => `· ${x}`))
  expect(texts(page, '.faq .question')).toEqual(g.faq.map((f) => `问：${f.question}`))
  expect(texts(page, '.faq .answer')).toEqual(g.faq.map((f) => `答：${f.answer}`))
  expect(texts(page, '.form-instructions')).toEqual([g.formInstructions])
  expect(texts(page, '.template')).toEqual(g.templates.map((x) => x.name))
  expect(texts(page, '.sample')).toEqual([g.resultSample.name])
  expect(texts(page, '.result-type')).toEqual([t('item.resultType', { type: g.resultType })])
  expect(texts(page, '.fee-basis')).toEqual([`收费依据：${g.fee.basis}`])
  expect(texts(page, '.materials .notes')).toEqual(g.materials.filter((m) => m.notes).map((m) => m.notes))
  expect(texts(page, '.targets')).toEqual(['服务对象：自然人'])
  expect(texts(page, '.call')).toEqual([g.consultation.phone, g.complaint.phone])

  await tap(page.querySelector('.template'))
  expect(fake.calls.download.map((x) => x.url)).toEqual([g.templates[0].url])
  expect(fake.calls.document.map((x) => x.fileType)).toEqual(['docx'])
  await tap(page.querySelector('.sample'))
  expect(fake.calls.document.map((x) => x.fileType)).toEqual(['docx', 'pdf'])
  await tap(page.querySelectorAll('.call')[1])
  expect(fake.calls.phone).toEqual([g.complaint.phone])

  // A file that cannot be fetched says which.
  fake.answers.download = 'downloadFile:fail'
  await tap(page.querySelector('.template'))
  expect(texts(page, '.section.error')).toEqual([t('item.openFailed', { name: g.templates[0].name })])
})

test('licence: the licence file, downloaded with my session, opened', async () => {
  const { render } = load()
  const licence = replay(fake, 'licences.detail')
  replay(fake, 'licences.verifications')
  fake.route('GET', `/api/v1/licences/${licence.id}/file`, '')
  const page = render('pages/licence/index')
  await page.instance.onLoad({ id: licence.id })
  await settle()
  expect(await page.instance.openFile()).toBe(true)
  const [download] = fake.calls.download
  expect(download.path).toBe(`/api/v1/licences/${licence.id}/file`)
  expect(download.header.Authorization).toBe(`Bearer ${recorded('auth.sso-complete').accessToken}`)
  expect(fake.calls.document).toHaveLength(1)
})

test('settings: signing out everywhere asks first', async () => {
  const { render } = load()
  replay(fake, 'push.preferences')
  fake.route('POST', '/api/v1/auth/logout-all', { status: 204, body: undefined })
  const page = render('pages/settings/index')
  await page.instance.onLoad()
  await settle()
  fake.answers.modal = false
  expect(await page.instance.logoutAll()).toBe(false)
  expect(require('../../utils/session').isSignedIn()).toBe(true)
  fake.answers.modal = true
  expect(await page.instance.logoutAll()).toBe(true)
  expect(fake.calls.request.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/api/v1/auth/logout-all'])
  expect(require('../../utils/session').isSignedIn()).toBe(false)
  expect(fake.calls.navigate).toEqual(['/pages/home/index'])
})

test('消息: the inbox page by page; a message marked read opens its page', async () => {
  const { render, texts } = load()
  const box = recorded('inbox')
  const pages = []
  fake.route('GET', '/api/v1/inbox', (req) => {
    const q = new URL(req.url).searchParams
    const n = Number(q.get('page'))
    const size = Number(q.get('pageSize'))
    pages.push([n, size])
    return { ...box, items: box.items.slice((n - 1) * size, n * size), page: n, pageSize: size }
  })
  const read = recording('inbox.read')
  fake.route('POST', /\/api\/v1\/inbox\/[^/]+\/read$/, { status: read.status, body: undefined })
  const page = render('pages/inbox/index')
  await page.instance.onLoad()
  await settle()
  expect(texts(page, '.message .title')).toHaveLength(Math.min(20, box.total))
  expect(box.total).toBeGreaterThan(20)
  await page.instance.onReachBottom()
  await settle()
  expect(texts(page, '.message .title')).toEqual(box.items.map((m) => m.title))
  expect(pages).toEqual([[1, 20], [2, 20]])
  const linked = box.items.find((m) => m.link && !m.read)
  await page.instance.open({ currentTarget: { dataset: { id: linked.id, read: false, link: linked.link } } })
  expect(fake.calls.navigate).toEqual([linked.link])
})
