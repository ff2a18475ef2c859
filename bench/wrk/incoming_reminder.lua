-- wrk script: the carrier's voice webhook for an answered reminder call,
-- POST /api/v1/voice/incoming-reminder?appointment_id=N, the same signed
-- request every time (no database work on the server: it answers TwiML).
-- Environment (bench/run-server-bench computes them):
--   AUTOVOICE_BENCH_PATH       path and query, e.g. /api/v1/voice/incoming-reminder?appointment_id=42
--   AUTOVOICE_BENCH_BODY       the form body (application/x-www-form-urlencoded)
--   AUTOVOICE_BENCH_SIGNATURE  its X-Twilio-Signature
-- The request is static, so wrk sends it without calling into Lua; answers
-- are not inspected one by one either: "status >= 400" is wrk's own count of
-- error statuses (this route answers 200 or an error, never 1xx or 3xx).
wrk.method = "POST"
wrk.path = os.getenv("AUTOVOICE_BENCH_PATH")
wrk.body = os.getenv("AUTOVOICE_BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = os.getenv("AUTOVOICE_BENCH_SIGNATURE")

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "incoming-reminder: %.0f requests/s (%d in %.1f s); latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; " ..
    "status >= 400: %d (%.3f%%); socket errors %d\n",
    summary.requests / seconds, summary.requests, seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, 100 * e.status / math.max(summary.requests, 1),
    e.connect + e.read + e.write + e.timeout))
end
