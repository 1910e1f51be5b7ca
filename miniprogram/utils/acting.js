// Whom the mini-program acts for (身份切换): me, a company I am an agent of, or a person who
// authorised me (委托代办). Kept by utils/session.js (actingAs/setActingAs), which
// utils/http.js reads to send X-Acting-As on the routes that act; this adds listeners, so the
// switcher on an open page follows a change made elsewhere.
const session = require('./session')

const listeners = new Set()

// null: acting as myself.
function current() {
  return session.actingAs()
}

function set(party) {
  session.setActingAs(party && party.role !== 'self' ? party : null)
  const now = current()
  listeners.forEach((fn) => fn(now))
}

function onChange(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

module.exports = { current, set, onChange }
