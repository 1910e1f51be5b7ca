// Checks the mini-program makes before calling the backend (which checks again): the
// item's form fields and the material files against the guide.
const { t } = require('../i18n/index')

const DATE = /^\d{4}-\d{2}-\d{2}$/

function isBlank(value) {
  return value === undefined || value === null || String(value).trim() === ''
}

function validateField(field, value) {
  const label = field.label
  if (isBlank(value)) return field.required ? t('validate.required', { label }) : null
  const text = String(value)
  switch (field.type) {
    case 'number':
      if (!/^-?\d+(\.\d+)?$/.test(text)) return t('validate.number', { label })
      break
    case 'date': {
      const d = new Date(`${text}T00:00:00Z`)
      if (!DATE.test(text) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) {
        return t('validate.date', { label })
      }
      break
    }
    case 'select':
      if (field.options && field.options.length && !field.options.includes(text)) {
        return t('validate.option', { label })
      }
      break
    default:
      break
  }
  const max = field.maxLength || 200
  if (field.type !== 'number' && text.length > max) return t('validate.tooLong', { label, max })
  return null
}

// → {key: message} for every field in error; empty when the form is fine.
function validateForm(fields, data) {
  const errors = {}
  ;(fields || []).forEach((field) => {
    const message = validateField(field, (data || {})[field.key])
    if (message) errors[field.key] = message
  })
  return errors
}

function formatSize(kb) {
  return kb >= 1024 ? `${Math.round(kb / 102.4) / 10} MB` : `${kb} KB`
}

// file: {name, size}; material: the guide's RequiredMaterial.
function validateFile(material, file) {
  const ext = String(file.name || '').split('.').pop().toLowerCase()
  const formats = (material.formats || []).map((f) => f.toLowerCase())
  const aliases = ext === 'jpeg' ? ['jpeg', 'jpg'] : [ext]
  if (formats.length && !aliases.some((a) => formats.includes(a))) {
    return t('validate.format', { name: material.name, formats: formats.join('、') })
  }
  if (!file.size) return t('validate.empty')
  if (material.maxSizeKb && file.size > material.maxSizeKb * 1024) {
    return t('validate.size', { name: material.name, max: formatSize(material.maxSizeKb) })
  }
  return null
}

function isSatisfied(material) {
  return Boolean((material.file || material.licenceNumber) && !material.needsReplacement)
}

// Required materials still missing (容缺 ones may be missing at submission).
function missingMaterials(materials) {
  return (materials || []).filter((m) => m.required && !m.tolerance && !isSatisfied(m))
}

// Every problem at once (一次性告知): form fields first, then materials.
function checkDeclaration(detail, formData) {
  const fieldErrors = validateForm(detail.form, formData)
  const messages = Object.values(fieldErrors)
  missingMaterials(detail.materials).forEach((m) =>
    messages.push(t('validate.materialMissing', { name: m.name })),
  )
  return { ok: messages.length === 0, fieldErrors, messages }
}

// A resident ID number (GB 11643-1999): 17 digits and the ISO 7064 MOD 11-2 check character.
function idNumber(value) {
  const text = String(value || '').toUpperCase()
  if (!/^\d{17}[\dX]$/.test(text)) return false
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = weights.reduce((acc, w, i) => acc + w * Number(text[i]), 0)
  return '10X98765432'[sum % 11] === text[17]
}

module.exports = {
  idNumber,
  validateField,
  validateForm,
  validateFile,
  missingMaterials,
  isSatisfied,
  checkDeclaration,
  formatSize,
}
