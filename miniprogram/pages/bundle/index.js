// One 一件事 bundle. A draft: the one form (each fact asked once, given to every member) and
// one upload per document, then one submission for every member. Submitted: one status for
// the matter, each member's progress (its own case, deadline, supplement request, or why it is
// held up), a lane per department on one timeline, and the results.
const api = require('../../utils/api')
const http = require('../../utils/http')
const page = require('../../behaviors/page')
const validate = require('../../utils/validate')
const { date } = require('../../utils/format')
const { t } = require('../../i18n/index')

function fieldRows(detail, formData, errors) {
  return detail.form.map((f) => ({
    key: f.key,
    label: f.label,
    type: f.type,
    required: f.required,
    options: f.options,
    maxLength: f.maxLength,
    shared: f.uses.length > 1,
    value: formData[f.key] === undefined ? '' : String(formData[f.key]),
    index: f.type === 'select' ? f.options.indexOf(formData[f.key]) : -1,
    error: errors[f.key] || '',
  }))
}

function names(detail) {
  const out = {}
  detail.members.forEach((m) => {
    out[m.itemCode] = m.itemName
  })
  return out
}

function materialRows(detail, progress) {
  const byCode = names(detail)
  return detail.materials.map((m) => ({
    key: m.key,
    name: m.name,
    required: m.required && !m.tolerance,
    formats: m.formats.join('、'),
    usedBy: t('bundles.usedBy', { names: m.uses.map((u) => byCode[u.itemCode]).join('、') }),
    done: m.satisfied,
    status: m.fileName
      ? t('bundles.given', { name: m.fileName })
      : m.licenceNumber
        ? t('bundles.licenceGiven', { number: m.licenceNumber })
        : '',
    licences: m.satisfied ? [] : m.licenceSuggestions.map((n) => ({ number: n, label: t('bundles.useLicence', { number: n }) })),
    uploading: progress[m.key] !== undefined,
    percent: progress[m.key] || 0,
  }))
}

function memberRows(detail) {
  const byCode = names(detail)
  return detail.members.map((m) => ({
    id: m.declarationId,
    name: m.itemName,
    department: m.department.name,
    status:
      m.status === 'waiting' || m.status === 'blocked' || m.status === 'draft'
        ? t(`bundles.member.${m.status}`)
        : t(`bundles.state.${m.state}`, {}),
    attention: m.status === 'blocked' || ['needs_supplement', 'platform_refused', 'refused', 'not_accepted'].includes(m.state),
    after: m.after.length && m.status === 'waiting' ? t('bundles.after', { names: m.after.map((c) => byCode[c]).join('、') }) : '',
    due: m.promisedDue ? date(m.promisedDue) : '',
    problem: m.problem || '',
    supplement: m.supplementNotice || '',
    caseNumber: m.caseNumber || '',
  }))
}

function laneRows(detail) {
  const byCode = names(detail)
  return detail.lanes.map((lane) => ({
    key: lane.department.code,
    department: lane.department.name,
    items: lane.items.map((c) => byCode[c]).join('、'),
    entries: lane.entries,
  }))
}

function resultRows(detail) {
  return detail.results.map((r) => ({
    key: r.itemCode,
    name: r.itemName,
    text: r.licenceNumber ? t('bundles.licence', { number: r.licenceNumber }) : r.resultType,
  }))
}

Component({
  behaviors: [page(['bundles'])],
  data: {
    detail: null,
    draft: false,
    statusText: '',
    fields: [],
    materials: [],
    members: [],
    lanes: [],
    results: [],
    messages: [],
    busy: false,
    error: '',
  },
  methods: {
    async onLoad(query) {
      this.id = query.id
      this.formData = {}
      this.progress = {}
      this.submitKey = null
      try {
        this.show(await api.bundle(this.id), {})
        return true
      } catch (e) {
        this.setData({ error: e.message })
        return false
      }
    },
    onShow() {
      if (this.detail && !this.data.draft) this.onLoad({ id: this.id })
    },
    show(detail, errors) {
      this.detail = detail
      if (detail.state === 'draft') this.formData = { ...detail.formData, ...this.formData }
      this.setData({
        detail,
        draft: detail.state === 'draft',
        statusText: t(`bundles.status.${detail.status}`),
        fields: fieldRows(detail, this.formData, errors || {}),
        materials: materialRows(detail, this.progress),
        members: memberRows(detail),
        lanes: laneRows(detail),
        results: resultRows(detail),
      })
    },
    onField(e) {
      const { key, type } = e.currentTarget.dataset
      let value = e.detail.value
      if (type === 'select') {
        const field = this.detail.form.find((f) => f.key === key)
        value = field.options[Number(value)]
      }
      this.formData[key] = value
      const message = validate.validateField(this.detail.form.find((f) => f.key === key), value)
      this.setData({ fields: fieldRows(this.detail, this.formData, message ? { [key]: message } : {}) })
    },
    async save() {
      try {
        this.show(await api.saveBundleForm(this.id, this.formData), {})
        this.toast(t('common.saved'))
        return true
      } catch (e) {
        this.setData({ error: e.message })
        return false
      }
    },
    chooseFile(material) {
      const formats = material.formats.map((f) => f.toLowerCase())
      const imagesOnly = formats.every((f) => ['jpg', 'jpeg', 'png'].includes(f))
      return new Promise((resolve, reject) => {
        if (imagesOnly) {
          wx.chooseMedia({
            count: 1,
            mediaType: ['image'],
            success: (res) => {
              const f = res.tempFiles[0]
              resolve({ path: f.tempFilePath, name: f.tempFilePath.split('/').pop(), size: f.size })
            },
            fail: reject,
          })
        } else {
          wx.chooseMessageFile({ count: 1, type: 'file', extension: formats, success: (res) => resolve(res.tempFiles[0]), fail: reject })
        }
      })
    },
    // One upload of a document, for every member that asks for it.
    async upload(e) {
      const key = e.currentTarget.dataset.key
      const material = this.detail.materials.find((m) => m.key === key)
      let file
      try {
        file = await this.chooseFile(material)
      } catch (err) {
        return false // the picker was closed
      }
      const problem = validate.validateFile(material, file)
      if (problem) {
        this.setData({ error: problem })
        return false
      }
      this.progress[key] = 0
      this.setData({ error: '', materials: materialRows(this.detail, this.progress) })
      try {
        await api.uploadBundleMaterial(this.id, key, file, (percent) => {
          this.progress[key] = percent
          this.setData({ materials: materialRows(this.detail, this.progress) })
        })
        delete this.progress[key]
        this.show(await api.bundle(this.id), {})
        return true
      } catch (err) {
        delete this.progress[key]
        this.setData({ error: err.message, materials: materialRows(this.detail, this.progress) })
        return false
      }
    },
    async useLicence(e) {
      const { key, number } = e.currentTarget.dataset
      try {
        this.show(await api.useBundleLicence(this.id, key, number), {})
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      }
    },
    check() {
      const messages = []
      const errors = {}
      this.detail.form.forEach((f) => {
        const message = validate.validateField(f, this.formData[f.key])
        if (message) {
          errors[f.key] = message
          messages.push(message)
        }
      })
      this.detail.materials.forEach((m) => {
        if (m.required && !m.tolerance && !m.satisfied) messages.push(t('bundles.materialMissing', { name: m.name }))
      })
      return { messages, errors }
    },
    async submit() {
      const { messages, errors } = this.check()
      if (messages.length) {
        this.setData({ messages })
        this.show(this.detail, errors)
        return false
      }
      this.setData({ busy: true, messages: [], error: '' })
      try {
        await api.saveBundleForm(this.id, this.formData)
        this.submitKey = this.submitKey || http.uuid4() // kept for a retry of this tap
        const detail = await api.submitBundle(this.id, this.submitKey)
        this.submitKey = null
        this.show(detail, {})
        this.toast(t('bundles.submitted'))
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      } finally {
        this.setData({ busy: false })
      }
    },
    openCase(e) {
      wx.navigateTo({ url: `/pages/declaration/index?id=${e.currentTarget.dataset.id}` })
    },
  },
})
