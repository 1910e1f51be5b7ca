// The backend's own answers, recorded by a pytest run against the live API and the stand-ins
// (tests/miniprogram/test_recorded_responses.py; `make record` refreshes them). Each file is
// one exchange: {method, path, query, status, body}, with ids, tokens, times and the numbers
// the platform makes up replaced by stable placeholders of the same type. Tests answer their
// fake wx.request with these instead of shapes written by hand, so a page that reads a member
// the backend does not send fails here.
const fs = require('fs')
const path = require('path')

const DIR = path.resolve(__dirname, '../fixtures/recorded')

// A fresh copy of the exchange on each call: tests may edit what they get.
function recording(name) {
  const file = path.join(DIR, `${name}.json`)
  return JSON.parse(fs.readFileSync(file, 'utf8'))
}

function recorded(name) {
  return recording(name).body
}

// Answer the recorded request (method and path) with the recorded status and body; `edit`
// may change a copy of the body first (a value, never the shape). Returns that body.
function replay(fake, name, edit) {
  const exchange = recording(name)
  const body = edit ? edit(exchange.body) || exchange.body : exchange.body
  fake.route(exchange.method, exchange.path, () => ({ status: exchange.status, body: JSON.parse(JSON.stringify(body)) }))
  return body
}

function names() {
  return fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}

module.exports = { recording, recorded, replay, names, DIR }
