// Server-sent events over one wx.request with chunked transfer (base library ≥ 2.20.1): each
// `event:`/`data:` block goes to handlers[event]. Where chunks are not delivered (an older
// base library, a dropped stream) the page falls back to asking every few seconds.
const config = require('../config')
const session = require('./session')

const POLL_MS = 5000

// UTF-8 bytes to text, without TextDecoder (not in every base library). `carry` holds the
// bytes of a character split across two chunks.
function decoder() {
  let carry = []
  return (buffer) => {
    const bytes = carry.concat(Array.from(new Uint8Array(buffer)))
    let end = bytes.length
    // Back off over an unfinished multi-byte sequence at the end.
    for (let i = Math.max(0, end - 3); i < end; i += 1) {
      const b = bytes[i]
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
      if (need > 1 && i + need > end) {
        end = i
        break
      }
    }
    carry = bytes.slice(end)
    let s = ''
    for (let i = 0; i < end; i += 1) s += String.fromCharCode(bytes[i])
    return decodeURIComponent(escape(s))
  }
}

// Feed text in; complete events come out as (event, data) calls.
function parser(onEvent) {
  let buffer = ''
  return (text) => {
    buffer += text.replace(/\r\n/g, '\n')
    let at = buffer.indexOf('\n\n')
    while (at >= 0) {
      const block = buffer.slice(0, at)
      buffer = buffer.slice(at + 2)
      let event = 'message'
      const data = []
      block.split('\n').forEach((line) => {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      })
      if (data.length) onEvent(event, data.join('\n'))
      at = buffer.indexOf('\n\n')
    }
  }
}

// path: the API path of the stream; handlers: { [event]: fn(decodedJson) , poll: fn() }.
function follow(path, handlers) {
  let closed = false
  let timer = null
  let task = null
  const poll = () => {
    if (closed || timer) return
    const tick = () => {
      if (closed) return
      Promise.resolve(handlers.poll && handlers.poll()).catch(() => {})
      timer = setTimeout(tick, POLL_MS)
    }
    tick()
  }
  const current = session.get()
  const header = { Accept: 'text/event-stream' }
  if (current) header.Authorization = `Bearer ${current.accessToken}`
  const decode = decoder()
  const feed = parser((event, data) => {
    const handler = handlers[event]
    if (!handler) return
    try {
      handler(JSON.parse(data))
    } catch (e) {
      // A malformed event is skipped; the next one carries the whole state again.
    }
  })
  task = wx.request({
    url: `${config.baseUrl}${path}`,
    method: 'GET',
    header,
    enableChunked: true,
    responseType: 'arraybuffer',
    success: () => poll(), // the stream ended: keep the page current by asking
    fail: () => poll(),
  })
  if (task && typeof task.onChunkReceived === 'function') {
    task.onChunkReceived((res) => feed(decode(res.data)))
  } else {
    poll()
  }
  return {
    close() {
      closed = true
      if (timer) clearTimeout(timer)
      if (task && typeof task.abort === 'function') task.abort()
    },
  }
}

module.exports = { follow, parser, decoder }
