-- bench/declarations.py: a citizen's declaration written as the mini-program writes it, one
-- chain per wrk thread (one connection each): create the draft, save its form, submit it
-- (with an Idempotency-Key of its own), then the next draft. Every answer is a write's.
-- BENCH_AUTHORIZATION: the real-name citizen's bearer header; BENCH_ITEM: an item without
-- required materials; BENCH_FORM: a complete form (JSON object).
local authorization = os.getenv("BENCH_AUTHORIZATION")
local item = os.getenv("BENCH_ITEM")
local form = os.getenv("BENCH_FORM")
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("chain", next_thread)
end

local step = 0
local declaration = nil
local submitted = 0

function request()
  local headers = {["Authorization"] = authorization, ["Content-Type"] = "application/json"}
  if step == 0 then
    return wrk.format("POST", "/api/v1/declarations", headers, '{"itemCode":"' .. item .. '"}')
  elseif step == 1 then
    return wrk.format("PATCH", "/api/v1/declarations/" .. declaration, headers,
      '{"formData":' .. form .. '}')
  else
    submitted = submitted + 1
    headers["Idempotency-Key"] = "bench-" .. chain .. "-" .. submitted .. "-" .. declaration
    return wrk.format("POST", "/api/v1/declarations/" .. declaration .. "/submit", headers)
  end
end

function response(status, headers, body)
  if status ~= 200 then
    step = 0  -- counted by wrk as a non-2xx answer: the bench reports it
    return
  end
  if step == 0 then
    declaration = string.match(body, '"id":"([0-9a-f%-]+)"')
    step = 1
  elseif step == 1 then
    step = 2
  else
    step = 0
  end
end
