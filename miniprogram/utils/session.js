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
}

function isSignedIn() {
  return Boolean(get())
}

module.exports = { get, save, clear, updateCitizen, isSignedIn, KEY }
