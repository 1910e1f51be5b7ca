-- bench/auth.py: refresh-token rotation, one chain per wrk thread (one connection each).
-- Each thread gets its own session's refresh token (BENCH_REFRESH_TOKENS, comma-separated,
-- one per thread) and sends back the one each answer rotates it to: a token sent twice would
-- revoke the session (reuse detection), so a broken chain is reported.
local tokens = {}
for token in string.gmatch(os.getenv("BENCH_REFRESH_TOKENS") or "", "[^,]+") do
  table.insert(tokens, token)
end
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("token", tokens[next_thread])
end

function request()
  return wrk.format("POST", "/api/v1/auth/refresh", {["Content-Type"] = "application/json"},
    '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  local rotated = string.match(body, '"refreshToken":"([^"]+)"')
  if status == 200 and rotated ~= nil then
    token = rotated
  end
end

function done(summary, latency, requests)
  if summary.errors.status > 0 then
    io.write("chain broken: " .. summary.errors.status .. " refused\n")
  end
end
