// Apply: the item's form, its materials (upload with progress, an e-licence, or a file already
// in my library), drafts (autosaved), submission; and the supplement of a returned case.
const api = require('../../utils/api')
const http = require('../../utils/http')
const page = require('../../behaviors/page')
const subscribe = require('../../utils/subscribe')
const validate = require('../../utils/validate')
const { t } = require('../../i18n/index')

// In 容缺 mode (after acceptance) only the materials accepted as missing are shown and sent.
function materialRows(detail, progress, only) {
  const shown = only ? detail.materials.filter((m) => (detail.toleratedMissing || []).includes(m.code)) : detail.materials
  return shown.map((m) => ({
    code: m.code,
    name: m.name,
    required: m.required,
    tolerance: m.tolerance,
    formats: m.formats.join('、'),
    done: validate.isSatisfied(m),
    status: m.file
      ? t('apply.uploaded', { name: m.file.displayName })
      : m.licenceNumber
        ? t('apply.licenceUsed', { number: m.licenceNumber })
        : '',
    problem: m.needsReplacement ? t('apply.needsReplacement', { problem: m.problem || '' }) : '',
    licences: (m.licenceSuggestions || []).map((n) => ({ number: n, label: t('apply.useLicence', { number: n }) })),
    library: (m.suggestions || []).map((f) => ({ id: f.id, label: t('apply.reuse', { name: f.displayName }) })),
    uploadLabel: t(validate.isSatisfied(m) ? 'apply.reuploadLabel' : 'apply.uploadLabel', { name: m.name }),
    uploading: progress[m.code] !== undefined,
    percent: progress[m.code] || 0,
  }))
}

function fieldRows(detail, formData, errors) {
  return detail.form.map((f) => ({
    ...f,
    value: formData[f.key] === undefined ? '' : String(formData[f.key]),
    index: f.type === 'select' ? f.options.indexOf(formData[f.key]) : -1,
    error: errors[f.key] || '',
  }))
}

Component({
  behaviors: [page(['apply', 'declarations'])],
  data: {
    detail: null,
    fields: [],
    materials: [],
    applicant: '',
    messages: [],
    supplementMode: false,
    toleratedMode: false,
    busy: false,
    error: '',
  },
  methods: {
    // Another identity chosen: this page was the previous one's; back to where it came from.
    onActing() {
      wx.navigateBack()
    },
    async onLoad(query) {
      this.formData = {}
      this.progress = {}
      this.submitKey = null
      this.tolerated = query.tolerated === '1'
      try {
        let detail
        if (query.id) detail = await api.declaration(query.id)
        else {
          // An unfinished draft of the same item is continued, not duplicated.
          const drafts = await api.listDeclarations({ state: 'draft' })
          const draft = drafts.items.find((d) => d.itemCode === query.code)
          detail = draft ? await api.declaration(draft.id) : await api.createDeclaration(query.code)
        }
        this.formData = { ...detail.formData }
        this.show(detail, {})
      } catch (e) {
        this.setData({ error: e.message })
      }
    },
    show(detail, errors) {
      const p = detail.prefill || {}
      this.detail = detail
      this.setData({
        detail,
        fields: fieldRows(detail, this.formData, errors || {}),
        materials: materialRows(detail, this.progress, this.toleratedMode()),
        applicant: p.name ? t('apply.applicant', { name: p.name, idNumber: p.idNumber || '' }) : '',
        supplementMode: detail.state === 'needs_supplement',
        toleratedMode: this.toleratedMode(),
      })
    },
    toleratedMode() {
      return Boolean(this.tolerated && this.detail && ['accepted', 'processing'].includes(this.detail.state))
    },
    // 容缺: the late materials, once attached, go to the platform (POST …/tolerated-materials).
    async sendTolerated() {
      const missing = this.detail.materials.filter(
        (m) => (this.detail.toleratedMissing || []).includes(m.code) && !validate.isSatisfied(m),
      )
      if (missing.length) {
        this.setData({ messages: missing.map((m) => t('validate.materialMissing', { name: m.name })) })
        return false
      }
      this.setData({ busy: true, messages: [], error: '' })
      try {
        const detail = await api.sendTolerated(this.detail.id)
        this.toast(t('apply.toleratedSent'))
        wx.redirectTo({ url: `/pages/declaration/index?id=${detail.id}` })
        return true
      } catch (err) {
        this.setData({ error: err.message })
        return false
      } finally {
        this.setData({ busy: false })
      }
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
      const errors = {}
      this.data.fields.forEach((f) => {
        if (f.error && f.key !== key) errors[f.key] = f.error
      })
      if (message) errors[key] = message
      this.setData({ fields: fieldRows(this.detail, this.formData, errors) })
    },
    async saveDraft() {
      try {
        const detail = await api.saveForm(this.detail.id, this.formData)
        this.show(detail, {})
        this.toast(t('apply.draftSaved'))
      } catch (e) {
        this.setData({ error: e.message })
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
          wx.chooseMessageFile({
            count: 1,
            type: 'file',
            extension: formats,
            success: (res) => resolve(res.tempFiles[0]),
            fail: reject,
          })
        }
      })
    },
    async upload(e) {
      const code = e.currentTarget.dataset.code
      const material = this.detail.materials.find((m) => m.code === code)
      let file
      try {
        file = await this.chooseFile(material)
      } catch (err) {
        return // the citizen closed the picker
      }
      return this.uploadFile(code, file)
    },
    async uploadFile(code, file) {
      const material = this.detail.materials.find((m) => m.code === code)
      const problem = validate.validateFile(material, file)
      if (problem) {
        this.setData({ error: problem })
        return
      }
      this.progress[code] = 0
      this.setData({ error: '', materials: materialRows(this.detail, this.progress, this.toleratedMode()) })
      try {
        await api.uploadMaterial(this.detail.id, code, file, (percent) => {
          this.progress[code] = percent
          this.setData({ materials: materialRows(this.detail, this.progress, this.toleratedMode()) })
        })
        delete this.progress[code]
        this.show(await api.declaration(this.detail.id), {})
      } catch (err) {
        delete this.progress[code]
        this.setData({ error: err.message, materials: materialRows(this.detail, this.progress, this.toleratedMode()) })
      }
    },
    async useLicence(e) {
      const { code, number } = e.currentTarget.dataset
      try {
        this.show(await api.useLicence(this.detail.id, code, number), {})
      } catch (err) {
        this.setData({ error: err.message })
      }
    },
    async reuse(e) {
      const { code, id } = e.currentTarget.dataset
      try {
        this.show(await api.reuseMaterial(this.detail.id, code, id), {})
      } catch (err) {
        this.setData({ error: err.message })
      }
    },
    // A tap: the subscribe popup must open inside it, before anything is awaited.
    submit() {
      const check = validate.checkDeclaration(this.detail, this.formData)
      if (!check.ok) {
        this.setData({ messages: check.messages })
        this.show(this.detail, check.fieldErrors)
        return Promise.resolve(false)
      }
      const asked = subscribe.askAndReport(['progress', 'result'], api.reportSubscriptions)
      return asked.then(() => this.send())
    },
    async send() {
      this.setData({ busy: true, messages: [], error: '' })
      try {
        let detail
        if (this.detail.state === 'needs_supplement') {
          detail = await api.supplement(this.detail.id)
        } else {
          await api.saveForm(this.detail.id, this.formData)
          this.submitKey = this.submitKey || http.uuid4() // kept for a retry of this tap
          detail = await api.submit(this.detail.id, this.submitKey)
          this.submitKey = null
        }
        this.show(detail, {})
        this.toast(t('apply.submitted'))
        wx.redirectTo({ url: `/pages/declaration/index?id=${detail.id}` })
        return true
      } catch (err) {
        const items = (err.problem && err.problem.errors) || []
        this.setData({ error: err.message, messages: items.map((i) => i.message || String(i)) })
        return false
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
