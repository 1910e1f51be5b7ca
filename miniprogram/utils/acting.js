// Whom the mini-program acts for (身份切换): me, a company I am an agent of, or a person who
// authorised me (委托代办). Kept in storage; every call to a route that acts sends the party's
// id as X-Acting-As (utils/api.js), and the backend checks the authorisation on each request.
const KEY = 'handheld.acting'
const listeners = new Set()

// null: acting as myself.
function current() {
  return wx.getStorageSync(KEY) || null
}

function set(party) {
  const value = party && party.role !== 'self' ? { id: party.id, name: party.name, kind: party.kind, role: party.role } : null
  wx.setStorageSync(KEY, value)
  listeners.forEach((fn) => fn(value))
}

function header() {
  const party = current()
  return party ? { 'X-Acting-As': party.id } : {}
}

function onChange(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

module.exports = { current, set, header, onChange, KEY }
