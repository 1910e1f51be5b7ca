// The API base URL follows the build WeChat reports (develop, trial, release).
function load(envVersion) {
  jest.resetModules()
  global.wx = envVersion === undefined ? undefined : {
    getAccountInfoSync: () => ({ miniProgram: { envVersion } }),
  }
  const config = require('../config')
  delete global.wx
  return config
}

test('each build talks to its own API', () => {
  expect(load('release').baseUrl).toBe('https://handheld.xiling.gov.cn')
  expect(load('trial').baseUrl).toBe('https://handheld-trial.xiling.gov.cn')
  expect(load('develop').baseUrl).toBe('http://127.0.0.1:8000')
})

test('outside WeChat, or an unknown build, is development', () => {
  expect(load(undefined).env).toBe('develop')
  expect(load('something-new').baseUrl).toBe('http://127.0.0.1:8000')
})

test('production builds use HTTPS', () => {
  for (const env of ['trial', 'release']) expect(load(env).baseUrl.startsWith('https://')).toBe(true)
})

// DevTools' urlCheck would refuse the plain-HTTP development API; it is off for that reason only:
// trial and release are HTTPS, and WeChat checks their domains on the phone regardless.
test('urlCheck is off because development is plain HTTP, and only then', () => {
  const project = JSON.parse(require('fs').readFileSync(require('path').join(__dirname, '../project.config.json'), 'utf8'))
  const develop = load('develop').baseUrl
  expect(develop.startsWith('http://')).toBe(true)
  expect(project.setting.urlCheck).toBe(false)
  for (const env of ['trial', 'release']) {
    expect(load(env).baseUrl.startsWith('https://')).toBe(true)
    load(env).departmentServices.forEach((s) => expect(s.url.startsWith('https://')).toBe(true))
  }
})
