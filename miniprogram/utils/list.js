// Lists come back bare or wrapped in {items}; pages take either.
module.exports = function items(body) {
  if (Array.isArray(body)) return body
  return (body && body.items) || []
}
