// Subscribe-message permission: asked at the taps where a message will follow (submit, pay),
// then reported to the backend, which keeps the quota per template. It never blocks the tap:
// a refusal or a failure of the popup only means no WeChat message later.
const config = require('../config')

const ANSWERS = ['accept', 'reject', 'ban', 'filter']

function templatesFor(purposes) {
  return purposes
    .map((p) => config.templates[p])
    .filter(Boolean)
    .slice(0, 3) // WeChat takes at most 3 templates per popup
}

function popup(tmplIds) {
  return new Promise((resolve) => {
    if (!tmplIds.length || typeof wx.requestSubscribeMessage !== 'function') {
      resolve({})
      return
    }
    wx.requestSubscribeMessage({
      tmplIds,
      success: (res) => resolve(res || {}),
      fail: () => resolve({}),
    })
  })
}

// Must be called synchronously from a tap handler (WeChat opens the popup only then).
// Resolves to the backend's quotas, or null when nothing was reported.
async function askAndReport(purposes, report) {
  const tmplIds = templatesFor(purposes)
  const answer = await popup(tmplIds)
  const results = {}
  tmplIds.forEach((id) => {
    if (ANSWERS.includes(answer[id])) results[id] = answer[id]
  })
  if (!Object.keys(results).length) return null
  try {
    return await report(results)
  } catch (e) {
    return null
  }
}

module.exports = { askAndReport, templatesFor }
