// The accessibility check (tests/helpers/a11y.js) sees what it must: a page broken on purpose,
// rendered in this file's own module registry and document, so no page checked before it
// (tests/a11y.test.js) can leave anything behind in the tree it reads.
const fs = require('fs')
const path = require('path')
const { createFakeWx, settle } = require('./helpers/fake-wx')
const { trackAttributes, problems } = require('./helpers/a11y')

const ROOT = path.resolve(__dirname, '..')

test('the check sees a missing label, a small target, low contrast and small elderly text', async () => {
  // A page of the app with its stylesheet, broken on purpose in a copy.
  const dir = path.join(ROOT, 'pages', '__a11y_probe__')
  fs.mkdirSync(dir, { recursive: true })
  try {
    fs.writeFileSync(path.join(dir, 'index.js'), "Component({ data: { elderly: true }, methods: { onLoad() {}, noop() {} } })\n")
    fs.writeFileSync(path.join(dir, 'index.json'), '{ "usingComponents": {} }\n')
    fs.writeFileSync(path.join(dir, 'index.wxss'), '@import "../../styles/theme.wxss";\n.pale { color: #999999; }\n.small { font-size: 24rpx; }\n')
    fs.writeFileSync(
      path.join(dir, 'index.wxml'),
      '<view class="page elderly"><view class="x" bindtap="noop">a</view><text class="pale">b</text><text class="small">c</text><image src="x.png" /></view>\n',
    )
    jest.resetModules()
    trackAttributes()
    global.wx = createFakeWx().wx
    const { render } = require('./helpers/render')
    const page = render('pages/__a11y_probe__/index')
    await settle()
    const found = problems(page, true).join('\n')
    expect(found).toMatch(/view\.x "a": no aria-label/)
    expect(found).toMatch(/view\.x "a": no aria-role/)
    expect(found).toMatch(/view\.x "a": tap target/)
    expect(found).toMatch(/text\.pale "b": contrast/)
    expect(found).toMatch(/text\.small "c": 24rpx text in elderly mode/)
    expect(found).toMatch(/image\. "": no aria-label/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
