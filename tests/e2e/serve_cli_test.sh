#!/usr/bin/env bash
# End-to-end: `autovoice serve` refuses to start without what it needs, with one
# clear line; warns when signature checks are off; logs JSON lines (or text)
# with request ids and masked numbers; answers; and stops cleanly on SIGTERM.
# Usage: serve_cli_test.sh path/to/autovoice
set -uo pipefail
bin=$(realpath "${1:?usage: serve_cli_test.sh path/to/autovoice}")
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export AUTOVOICE_ENV_FILE=/dev/null
export DATABASE_URL="sqlite://$work/av.db" TWILIO_AUTH_TOKEN=cli-test-token API_KEY=cli-test-api-key-0123
passed=0 failed=0

check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
# Runs serve with ARGS for at most 5 s; sets $rc and $err.
run() {
  timeout 5 "$bin" serve "$@" 2>"$work/stderr" >/dev/null; rc=$?; err=$(cat "$work/stderr")
}
# Starts serve in the background with ARGS; waits for its port file.
start() {
  rm -f "$work/port"
  "$bin" serve --port 0 --port-file "$work/port" "$@" 2>"$work/log" >/dev/null &
  pid=$!
  for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  port=$(cat "$work/port" 2>/dev/null || echo 0)
}
stop() {  # SIGTERM; sets $rc
  kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
}

# --- refusals -----------------------------------------------------------------------------
run --port 0
check "an unmigrated database exits 2" test "$rc" -eq 2
check "an unmigrated database says to migrate" grep -q "autovoice migrate" <<<"$err"
check "an unmigrated database prints one line" test "$(wc -l <<<"$err")" -eq 1

"$bin" migrate >/dev/null 2>&1
TWILIO_AUTH_TOKEN= run --port 0
check "no auth token exits 2" test "$rc" -eq 2
check "no auth token names the variable and the flag" grep -q "TWILIO_AUTH_TOKEN.*--dev-skip-signature-check" <<<"$err"
check "no auth token prints one line" test "$(wc -l <<<"$err")" -eq 1

run --port 70000
check "a bad port exits 2" test "$rc" -eq 2
run --host not-an-address --port 0
check "a bad host exits 2" test "$rc" -eq 2
check "a bad host says why" grep -q "not an IP address" <<<"$err"
run --port 0 --log-format yaml
check "a bad log format exits 2" test "$rc" -eq 2
PORT=abc run
check "a bad PORT exits 2" test "$rc" -eq 2
check "a bad PORT names it" grep -q "PORT" <<<"$err"

# --- a running server ----------------------------------------------------------------------
start
check "starts and writes its port" test "$port" -gt 0
health=$(curl -s "http://127.0.0.1:$port/healthz")
check "healthz answers" test "$health" = '{"status":"ok"}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/voice/incoming" \
  --data-urlencode "From=+15550100001" --data-urlencode "CallSid=CA0123456789abcdef0123456789abcdef")
check "an unsigned webhook is 403" test "$code" = 403
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer cli-test-api-key-0123" \
  "http://127.0.0.1:$port/api/v1/customers")
check "the CRM API answers with the key" test "$code" = 200

# Port taken by the running server: a second one fails to start.
run --port "$port"
check "a port in use exits 1" test "$rc" -eq 1
check "a port in use says so" grep -q "cannot listen" <<<"$err"

stop
check "SIGTERM exits 0" test "$rc" -eq 0
check "every log line is a JSON object" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$work/log"
check "request lines carry a request id" grep -q '"msg":"request".*"request_id":"' "$work/log"
check "the signature rejection is logged" grep -q '"msg":"carrier signature rejected"' "$work/log"
check "the log never shows the token" bash -c "! grep -q cli-test-token '$work/log'"
check "the log never shows the API key" bash -c "! grep -q cli-test-api-key '$work/log'"
check "shutdown is logged" grep -q '"msg":"server stopped"' "$work/log"

# --- development flag and text logs ------------------------------------------------------------
start --dev-skip-signature-check --log-format text
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/voice/incoming" \
  --data-urlencode "From=+15550100001" --data-urlencode "CallSid=CA0123456789abcdef0123456789abcdef")
check "with the development flag an unsigned webhook is served" test "$code" = 200
stop
check "the development flag warns at start" grep -q "X-Twilio-Signature checks are OFF" "$work/log"
check "text logs are not JSON" bash -c "! head -1 '$work/log' | grep -q '^{'"
check "the caller's number is masked" bash -c "grep -q '+1\*\*\*\*\*\*0001' '$work/log' && ! grep -q '+15550100001' '$work/log'"

echo "serve_cli_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
