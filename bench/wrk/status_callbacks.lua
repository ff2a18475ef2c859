-- wrk script: the carrier's call status callbacks,
-- POST /api/v1/webhooks/twilio/status, every request a different callback
-- signed afresh, so every one is a real database write. Each wrk thread has
-- its own CallSid prefix and plays its calls one after another through
-- initiated (SequenceNumber 0), ringing (1), in-progress (2) and completed
-- (3, with CallDuration), then starts a new CallSid. A thread's requests go
-- out over several connections, so one call's callbacks may arrive out of
-- order, as they can from the carrier; the server orders them by
-- SequenceNumber, and every call whose four callbacks were answered ends
-- "completed".
-- Environment (bench/run-server-bench sets them):
--   AUTOVOICE_WRK_DIR       this folder (for hmac_sha1.lua)
--   AUTOVOICE_BENCH_URL     the full URL the server signs, BASE_URL .. path
--   AUTOVOICE_BENCH_TOKEN   TWILIO_AUTH_TOKEN
--   AUTOVOICE_BENCH_ACCOUNT TWILIO_ACCOUNT_SID
--   AUTOVOICE_BENCH_RUN     a number (< 2^31) that makes this run's CallSids unique
-- Prints one summary line and one "counts:" line that the run script checks
-- against the database.
local hmac = dofile(os.getenv("AUTOVOICE_WRK_DIR") .. "/hmac_sha1.lua")
local url = os.getenv("AUTOVOICE_BENCH_URL")
local account = os.getenv("AUTOVOICE_BENCH_ACCOUNT")
local run = tonumber(os.getenv("AUTOVOICE_BENCH_RUN") or "0")
local sign = hmac.signer(os.getenv("AUTOVOICE_BENCH_TOKEN"))
local path = url:match("^https?://[^/]+(/.*)$")
local format, concat = string.format, table.concat

local kStatuses = { [0] = "initiated", "ringing", "in-progress", "completed" }
local kShop = "+15550009999"

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return format("%%%02X", c:byte()) end))
end

-- Per thread (each wrk thread runs its own copy of this script).
thread_id = 0
sent = 0        -- requests made
calls = 0       -- CallSids started (initiated sent)
completed = 0   -- completed callbacks sent
answers = {}    -- status code -> count
local step = 4  -- the next callback's SequenceNumber; 4 = start a new call
local sid, to

local threads = {}
setup = function(thread)
  thread:set("thread_id", #threads)
  threads[#threads + 1] = thread
end

request = function()
  if step == 4 then
    calls = calls + 1
    step = 0
    sid = format("CA%08x%08x%016x", run, thread_id, calls)
    to = format("+1556%07d", calls % 10000000)
  end
  local status = kStatuses[step]
  -- Sorted by name, byte order, as the signature needs.
  local params = {
    { "AccountSid", account },
    { "ApiVersion", "2010-04-01" },
    step == 3 and { "CallDuration", "47" } or nil,
    { "CallSid", sid },
    { "CallStatus", status },
    { "CallbackSource", "call-progress-events" },
    { "Called", to },
    { "Caller", kShop },
    { "Direction", "outbound-api" },
    { "From", kShop },
    { "SequenceNumber", tostring(step) },
    { "Timestamp", format("Wed, 25 Nov 2026 14:00:%02d +0000", step * 10) },
    { "To", to },
  }
  local signed, body = { url }, {}
  for i = 1, 13 do
    local p = params[i]
    if p then
      signed[#signed + 1] = p[1] .. p[2]
      body[#body + 1] = p[1] .. "=" .. encode(p[2])
    end
  end
  if step == 3 then completed = completed + 1 end
  step = step + 1
  sent = sent + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = hmac.base64(sign(concat(signed))),
  }, concat(body, "&"))
end

response = function(status, headers, body)
  answers[status] = (answers[status] or 0) + 1
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local total = { sent = 0, calls = 0, completed = 0, ok = 0, other = 0 }
  local others = {}
  for _, t in ipairs(threads) do
    total.sent = total.sent + t:get("sent")
    total.calls = total.calls + t:get("calls")
    total.completed = total.completed + t:get("completed")
    for code, n in pairs(t:get("answers")) do
      if code >= 200 and code < 300 then
        total.ok = total.ok + n
      else
        total.other = total.other + n
        others[code] = (others[code] or 0) + n
      end
    end
  end
  local other_codes = {}
  for code, n in pairs(others) do other_codes[#other_codes + 1] = format("%d x%d", code, n) end
  io.write(format(
    "status callbacks: %.0f requests/s (%d in %.1f s); latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; " ..
    "non-2xx: %d (%.3f%%)%s; socket errors %d\n",
    summary.requests / seconds, summary.requests, seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    total.other, 100 * total.other / math.max(total.ok + total.other, 1),
    #other_codes > 0 and (" [" .. concat(other_codes, ", ") .. "]") or "",
    e.connect + e.read + e.write + e.timeout))
  io.write(format("counts: sent %d answered %d calls %d completed %d non2xx %d\n",
    total.sent, total.ok + total.other, total.calls, total.completed, total.other))
end
