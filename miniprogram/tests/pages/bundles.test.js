// 一件事 bundles: the situations page (answers choose members, ticks override, materials shown
// before applying, one key per tap), the one form (each fact once, one upload per document,
// every problem before any call), and the lanes timeline with the members' progress and the
// results — fed the backend's recorded answers.
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

test('situations: the answers choose the members, a tick overrides, then one start per tap', async () => {
  const { render, texts } = require('../helpers/render')
  const exchange = recording('bundle.plan')
  const plan = exchange.body
  const asked = []
  fake.route('POST', exchange.path, (req) => {
    asked.push(req.data)
    return plan
  })
  const page = render('pages/bundle-guide/index')
  await page.instance.onLoad({ code: encodeURIComponent(plan.bundleCode) })
  await settle()
  expect(texts(page, '.bundle-name')).toEqual([plan.bundleName])
  expect(texts(page, '.question-text')).toEqual(plan.questions.map((q) => q.text))
  // The answer the plan was made with is the highlighted option.
  const highlighted = page.querySelectorAll('.option.btn-primary').map((n) => n.dom.textContent.trim())
  expect(highlighted).toEqual(plan.questions.map((q) => q.answer))
  expect(texts(page, '.member-name').map((x) => x.replace(t('bundles.suggested'), ''))).toEqual(
    plan.members.map((m) => m.itemName),
  )
  const chosen = page.querySelectorAll('.member.chosen .member-name').map((n) => n.dom.textContent.trim())
  expect(chosen.map((x) => x.replace(t('bundles.suggested'), ''))).toEqual(
    plan.members.filter((m) => m.chosen).map((m) => m.itemName),
  )
  // 社保卡 waits for 户口登记: said before applying.
  const waiting = plan.members.find((m) => m.chosen && m.after.length)
  const before = plan.members.find((m) => m.itemCode === waiting.after[0])
  expect(texts(page, '.after')).toEqual([t('bundles.after', { names: before.itemName })])
  // Materials before applying: one entry per document, with the members it serves.
  expect(texts(page, '.material-name').map((x) => x.replace(/\*$/, ''))).toEqual(plan.materials.map((m) => m.name))
  const shared = plan.materials.find((m) => m.uses.length > 1)
  const names = shared.uses.map((u) => plan.members.find((m) => m.itemCode === u.itemCode).itemName)
  expect(texts(page, '.used-by')).toContain(t('bundles.usedBy', { names: names.join('、') }))

  // Another answer asks for a new plan with it; a tick sends the members ticked.
  const question = plan.questions[0]
  const other = question.options.find((o) => o !== question.answer)
  await page.instance.answer({ currentTarget: { dataset: { key: question.key, value: other } } })
  expect(asked[asked.length - 1]).toEqual({ answers: { [question.key]: other } })
  const unchosen = plan.members.find((m) => !m.chosen)
  await page.instance.tick({ currentTarget: { dataset: { code: unchosen.itemCode } } })
  const ticked = asked[asked.length - 1].members
  expect(ticked).toEqual(plan.members.filter((m) => m.chosen || m === unchosen).map((m) => m.itemCode))

  // Start: a failed try and its retry carry one key; then the bundle's page.
  const started = recorded('bundle.start')
  const starts = []
  fake.route('POST', '/api/v1/bundles', (req) => {
    starts.push(req)
    return starts.length === 1 ? { status: 503, body: { code: 'SERVICE_UNAVAILABLE', title: '服务暂不可用，请稍后再试' } } : started
  })
  expect(await page.instance.start()).toBe(false)
  expect(await page.instance.start()).toBe(true)
  expect(starts[0].header['Idempotency-Key']).toBe(starts[1].header['Idempotency-Key'])
  expect(starts[1].data.bundleCode).toBe(plan.bundleCode)
  expect(fake.calls.navigate).toEqual([`/pages/bundle/index?id=${started.id}`])
})

test('one form: each fact once, one upload per document, every problem before any call', async () => {
  const { render, texts } = require('../helpers/render')
  let current = recorded('bundle.start')
  fake.route('GET', `/api/v1/bundles/${current.id}`, () => current)
  const page = render('pages/bundle/index')
  await page.instance.onLoad({ id: current.id })
  await settle()
  expect(texts(page, '.status')).toEqual([t('bundles.status.draft')])
  const labels = texts(page, '.field .label').map((x) => x.replace(/\*$/, ''))
  expect(labels).toEqual(current.form.map((f) => f.label))
  expect(new Set(current.form.map((f) => f.key)).size).toBe(current.form.length)
  expect(current.form.some((f) => f.uses.length > 1)).toBe(true)

  // Nothing filled: every problem listed (fields and documents), nothing sent.
  const sent = fake.calls.request.length
  expect(await page.instance.submit()).toBe(false)
  await settle()
  const problems = texts(page, '.messages .error')
  const missing = current.materials.filter((m) => m.required && !m.tolerance && !m.satisfied)
  for (const m of missing) expect(problems).toContain(t('bundles.materialMissing', { name: m.name }))
  expect(fake.calls.request.length).toBe(sent)

  // One upload for the shared document: one call, to the bundle's route.
  const shared = current.materials.find((m) => m.uses.length > 1)
  fake.route('POST', `/api/v1/bundles/${current.id}/materials/${shared.key}`, () => recorded('material.upload'))
  fake.answers.file = { path: '/tmp/id.jpg', name: 'id.jpg', size: 2048 }
  expect(await page.instance.upload({ currentTarget: { dataset: { key: shared.key } } })).toBe(true)
  expect(fake.calls.upload.map((u) => u.path)).toEqual([`/api/v1/bundles/${current.id}/materials/${shared.key}`])

  // Filled and given: saved, then submitted once with a key.
  // (Recorded before its uploads: given here, a value change, not a shape one.)
  const filled = recorded('bundle.save-form')
  filled.materials.forEach((m) => {
    m.satisfied = true
  })
  current.form.forEach((f) => page.instance.onField({ currentTarget: { dataset: { key: f.key, type: f.type } }, detail: { value: f.type === 'select' ? 0 : filled.formData[f.key] } }))
  current = { ...filled }
  fake.route('PATCH', `/api/v1/bundles/${current.id}`, () => filled)
  const submits = []
  const submittedBody = recorded('bundle.submit')
  fake.route('POST', `/api/v1/bundles/${current.id}/submit`, (req) => {
    submits.push(req)
    return submittedBody
  })
  page.instance.show(filled, {})
  expect(await page.instance.submit()).toBe(true)
  await settle()
  expect(submits).toHaveLength(1)
  expect(submits[0].header['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
  expect(texts(page, '.status')).toEqual([t(`bundles.status.${submittedBody.status}`)])
  expect(page.querySelectorAll('.form')).toHaveLength(0)
})

test('lanes timeline: a lane per department, members apart, the results', async () => {
  const { render, texts } = require('../helpers/render')
  const detail = replay(fake, 'bundle.detail')
  const page = render('pages/bundle/index')
  await page.instance.onLoad({ id: detail.id })
  await settle()
  expect(texts(page, '.status')).toEqual([t(`bundles.status.${detail.status}`)])
  expect(texts(page, '.lane-department')).toEqual(detail.lanes.map((l) => l.department.name))
  expect(detail.lanes.length).toBe(2)
  const timelines = page.querySelectorAll('.timeline')
  expect(timelines).toHaveLength(detail.lanes.length)
  timelines.forEach((timeline, i) => {
    // Newest first, each lane its own department's steps.
    expect(texts(timeline, '.state')).toHaveLength(detail.lanes[i].entries.length)
    expect(detail.lanes[i].entries.length).toBeGreaterThan(0)
  })
  // The first member completed; the one after it started only then.
  const statuses = texts(page, '.member-status')
  expect(statuses).toEqual(detail.members.map((m) => t(`bundles.state.${m.state}`)))
  expect(texts(page, '.result-name')).toEqual(detail.results.map((r) => r.itemName))
  // A member opens its own case (its own progress and supplement requests).
  page.querySelector('.member').dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigate).toEqual([`/pages/declaration/index?id=${detail.members[0].declarationId}`])

  // A member held up says why.
  replay(fake, 'bundle.detail', (body) => {
    body.members[1].status = 'blocked'
    body.members[1].problem = '所需的“出生登记（新生儿落户）”未能办结（落户地址不符）'
  })
  await page.instance.onLoad({ id: detail.id })
  await settle()
  expect(texts(page, '.problem')).toEqual(['所需的“出生登记（新生儿落户）”未能办结（落户地址不符）'])
  expect(texts(page, '.member-status')[1]).toBe(t('bundles.member.blocked'))
})
