#!/usr/bin/env bash
# End-to-end: `autovoice sandbox` refuses bad options with one clear line and
# exit 2, and starts, answers and stops cleanly with good ones.
# Usage: sandbox_cli_test.sh path/to/autovoice
set -uo pipefail
bin=$(realpath "${1:?usage: sandbox_cli_test.sh path/to/autovoice}")
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export AUTOVOICE_ENV_FILE=/dev/null
export TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_AUTH_TOKEN=cli-test-token
passed=0 failed=0

check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
# Runs the sandbox with ARGS for at most 5 s: sets $err, $rc.
run() {
  timeout 5 "$bin" sandbox "$@" 2>"$work/stderr" >/dev/null; rc=$?; err=$(cat "$work/stderr")
}
bad() {  # bad NAME EXPECTED-TEXT ARGS...
  local name=$1 expect=$2; shift 2
  run --port 0 "$@"
  check "$name exits 2" test "$rc" -eq 2
  check "$name says why" grep -q -- "$expect" <<<"$err"
  check "$name prints one line" test "$(wc -l <<<"$err")" -eq 1
}

echo '{"numbers": {"+15550100001": {"answer": "sometimes"}}}' >bad-answer.json
echo '{"numbers": {"5550100": {}}}' >bad-number.json
echo '{"default": {"answer_after_s": 1}, "numbers": {"+15550100001": {"answer": "busy"}}}' >good.json

bad "non-loopback host" "loopback only" --host 0.0.0.0
bad "host that is not an address" "not an IP address" --host example.com
bad "speed below 1" "outside \[1, 1000\]" --speed 0.5
bad "rate above 1" "error_500_rate" --error-500-rate 1.5
bad "rates summing over 1" "more than 1" --error-500-rate 0.6 --drop-rate 0.6
bad "negative latency" "latency_ms" --latency-ms -5
bad "missing callee file" "cannot read the callee file" --callees "$work/nope.json"
bad "unknown answer in callee file" "numbers.+15550100001.answer" --callees bad-answer.json
bad "callee number not E.164" "5550100" --callees bad-number.json
err=$(env -u TWILIO_AUTH_TOKEN timeout 5 "$bin" sandbox --port 0 2>&1 >/dev/null); rc=$?
check "missing credentials exit 2" test "$rc" -eq 2
check "missing credentials say which variables" grep -q "TWILIO_AUTH_TOKEN" <<<"$err"

# A good start: listens, answers /healthz, stops on SIGTERM with status 0.
"$bin" sandbox --port 0 --port-file "$work/port" --callees good.json --no-speech 2>"$work/run.log" &
pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port" 2>/dev/null)
check "writes its port" test -n "$port"
check "answers /healthz" bash -c "curl -sf http://127.0.0.1:$port/healthz | grep -q ok"
check "says where it listens" grep -q "Twilio API on http://127.0.0.1:$port" "$work/run.log"
check "never prints the auth token" bash -c "! grep -q cli-test-token '$work/run.log'"
# A second sandbox on the same port fails (exit 1: the port is not free).
run --port "$port"
check "port in use exits 1" test "$rc" -eq 1
check "port in use says so" grep -q "cannot listen" <<<"$err"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
check "stops on SIGTERM with status 0" test "$rc" -eq 0

echo "sandbox_cli_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
