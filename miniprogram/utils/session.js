// The signed-in citizen's tokens, kept in the mini-program's storage.
const KEY = 'handheld.session'

function get() {
  return wx.getStorageSync(KEY) || null
}

function save(pair) {
  const session = {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    // Refresh a little early: the clock of the phone is not the server's.
    expiresAt: Date.now() + Math.max(0, (pair.expiresIn || 0) - 30) * 1000,
    citizen: pair.citizen,
    assuranceLevel: pair.sessionAssuranceLevel || 0,
  }
  wx.setStorageSync(KEY, session)
  return session
}

function updateCitizen(citizen) {
  const session = get()
  if (!session) return
  session.citizen = citizen
  wx.setStorageSync(KEY, session)
}

function clear() {
  wx.removeStorageSync(KEY)
  wx.removeStorageSync(ACTING_KEY)
}

// Acting as (docs/acting-as.md): the party the next requests act for — a company the citizen
// is an agent of, or (委托代办) a person who authorised them. Sent as X-Acting-As by
// utils/http.js on the routes that act; null: the citizen themselves.
const ACTING_KEY = 'handheld.actingAs'

function actingAs() {
  return wx.getStorageSync(ACTING_KEY) || null
}

// party: {id, name, kind} from GET /api/v1/parties; null (or the citizen's own id) for me.
function setActingAs(party) {
  const current = get()
  const self = current && current.citizen && current.citizen.id
  if (!party || !party.id || party.id === self) wx.removeStorageSync(ACTING_KEY)
  else wx.setStorageSync(ACTING_KEY, { id: party.id, name: party.name || '', kind: party.kind })
}

function isSignedIn() {
  return Boolean(get())
}

module.exports = {
  get,
  save,
  clear,
  updateCitizen,
  isSignedIn,
  actingAs,
  setActingAs,
  KEY,
  ACTING_KEY,
}
