-- A POST of BENCH_BODY (JSON): the same wrk shape as the chained scripts beside it (one
-- connection per thread), for their baselines.
local body = os.getenv("BENCH_BODY")

function request()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
