global.wx = require('./helpers/fake-wx').createFakeWx().wx
const v = require('../utils/validate')

const fields = [
  { key: 'name', label: '姓名', type: 'text', required: true, maxLength: 4 },
  { key: 'amount', label: '金额', type: 'number', required: false },
  { key: 'day', label: '日期', type: 'date', required: true },
  { key: 'kind', label: '类型', type: 'select', required: true, options: ['甲', '乙'] },
]

test('form fields: required, length, number, real dates, options; all problems at once', () => {
  expect(v.validateForm(fields, { name: '张三', day: '2026-02-28', kind: '甲' })).toEqual({})
  const errors = v.validateForm(fields, { name: '张三丰大侠', amount: '12a', day: '2026-02-30', kind: '丙' })
  expect(errors).toEqual({
    name: '姓名不能超过 4 个字',
    amount: '金额须为数字',
    day: '日期须为日期（年-月-日）',
    kind: '请从选项中选择类型',
  })
  expect(v.validateForm(fields, {})).toEqual({ name: '请填写姓名', day: '请填写日期', kind: '请填写类型' })
})

test('files: format from the guide, size limit, empty file', () => {
  const m = { name: '户籍证明', formats: ['pdf', 'jpg'], maxSizeKb: 1024 }
  expect(v.validateFile(m, { name: 'a.PDF', size: 10 })).toBeNull()
  expect(v.validateFile(m, { name: 'a.jpeg', size: 10 })).toBeNull()
  expect(v.validateFile(m, { name: 'a.png', size: 10 })).toBe('“户籍证明”仅支持 pdf、jpg 格式')
  expect(v.validateFile(m, { name: 'a.pdf', size: 1024 * 1024 + 1 })).toBe('“户籍证明”不能超过 1 MB')
  expect(v.validateFile(m, { name: 'a.pdf', size: 0 })).toBe('文件为空')
})

test('materials: 容缺 ones may be missing, replaced ones count as missing', () => {
  const materials = [
    { code: 'a', name: 'A', required: true, tolerance: false, file: { id: 1 } },
    { code: 'b', name: 'B', required: true, tolerance: true },
    { code: 'c', name: 'C', required: true, tolerance: false, licenceNumber: 'L', needsReplacement: true },
    { code: 'd', name: 'D', required: false, tolerance: false },
  ]
  expect(v.missingMaterials(materials).map((m) => m.code)).toEqual(['c'])
  const check = v.checkDeclaration({ form: fields, materials }, { name: '张三', day: '2026-01-01', kind: '乙' })
  expect(check).toEqual({ ok: false, fieldErrors: {}, messages: ['请上传“C”'] })
})
