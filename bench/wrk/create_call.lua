-- wrk script: POST Calls.json to the sandbox, each request to a new number.
-- Environment: AUTOVOICE_BENCH_AUTH (base64 of "ACCOUNT_SID:AUTH_TOKEN"),
-- AUTOVOICE_BENCH_PATH (/2010-04-01/Accounts/{AC}/Calls.json).
local auth = os.getenv("AUTOVOICE_BENCH_AUTH")
local path = os.getenv("AUTOVOICE_BENCH_PATH")
local counter = 0
local thread_id = 0

setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

request = function()
  counter = counter + 1
  local to = string.format("%%2B1556%d%06d", thread_id % 10, counter % 1000000)
  local body = "To=" .. to .. "&From=%2B15550009999&Url=http%3A%2F%2F127.0.0.1%3A9%2Fvoice"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. auth,
  }, body)
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("created/s %.0f; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; errors %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout))
end
