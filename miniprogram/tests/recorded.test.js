// The recorded answers the page tests replay (tests/fixtures/recorded, written by
// `make record`): each is one exchange on a route of the mini-program's routes table.
const endpoints = require('../utils/endpoints')
const { names, recording } = require('./helpers/recorded')

function matches(template, path) {
  const pattern = template.replace(/\{[^}]+\}/g, '[^/]+')
  return new RegExp(`^${pattern}$`).test(path)
}

test('there are recordings, each a whole exchange', () => {
  expect(names().length).toBeGreaterThan(20)
  for (const name of names()) {
    const r = recording(name)
    expect([name, typeof r.method, typeof r.path, typeof r.status, 'body' in r]).toEqual([name, 'string', 'string', 'number', true])
  }
})

test('every recording is the answer of a route the mini-program calls', () => {
  const strays = names().filter((name) => {
    const r = recording(name)
    return !Object.values(endpoints).some((ep) => ep.method === r.method && matches(ep.path, r.path))
  })
  expect(strays).toEqual([])
})
