-- wrk script for the benchmarks: optional JSON POST body and bearer key from the environment, an optional random
-- pause between a connection's requests (for a given mean request rate), and a JSON summary line at the end.
local body = os.getenv("BENCH_BODY")
local key = os.getenv("BENCH_KEY")
local auth = os.getenv("BENCH_AUTH")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
elseif key and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

-- The pause is drawn uniformly from 0 to twice the mean: with one fixed pause the connections start together and stay
-- in step, so requests arrive in bursts of 16 instead of at the rate asked for (B2 measured 61-90 ms instead of 18 ms on
-- the same server; see docs/benchmarks.md).
function delay()
  if delay_ms <= 0 then return 0 end
  return math.random(0, 2 * delay_ms)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, "mean_us": %d}\n',
    summary.requests, summary.duration, errors, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
