-- A GET with the bearer token of BENCH_AUTHORIZATION: the same wrk shape as the chained
-- scripts beside it (one connection per thread), for their baselines.
local authorization = os.getenv("BENCH_AUTHORIZATION")

function request()
  return wrk.format("GET", nil, {["Authorization"] = authorization})
end
