// Local display preferences (elderly mode), with listeners so open pages follow a change.
const KEY = 'handheld.elderly'
const listeners = new Set()

function elderly() {
  return wx.getStorageSync(KEY) === true
}

function setElderly(on) {
  wx.setStorageSync(KEY, Boolean(on))
  listeners.forEach((fn) => fn(Boolean(on)))
}

function onChange(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

module.exports = { elderly, setElderly, onChange, KEY }
