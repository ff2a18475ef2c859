#!/usr/bin/env bash
# End-to-end: Twilio's official Node.js helper library (npm package "twilio",
# the version pinned in twilio-node/package-lock.json) against
# `autovoice sandbox`. twilio-node/check.js creates, fetches and lists calls
# (over several pages), sends a message and provokes Twilio's errors; every
# answer must be one the library accepts. Usage: twilio_client_test.sh path/to/autovoice
#
# Needs node and npm (scripts/setup installs them) and the npm registry, or an
# npm cache that already holds the locked packages ($AUTOVOICE_NPM_CACHE,
# default ${TMPDIR:-/tmp}/autovoice-npm-cache, kept between runs).
set -uo pipefail
bin=$(realpath "${1:?usage: twilio_client_test.sh path/to/autovoice}")
here=$(cd "$(dirname "$0")" && pwd)
project=$here/twilio-node
account=AC0123456789abcdef0123456789abcdef
token=sandbox-test-token

# Without node or npm the test is skipped (exit 0), so a machine set up
# before scripts/setup listed them still runs the other tests. CI sets
# AUTOVOICE_REQUIRE_NODE, and then a missing node or npm fails the test
# instead: CI must never pass by skipping it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ -n "${AUTOVOICE_REQUIRE_NODE:-}" ]; then
    echo "FAIL: node and npm are required (AUTOVOICE_REQUIRE_NODE is set) but not installed; run scripts/setup"
    exit 1
  fi
  echo "SKIP: node and npm are not installed (run scripts/setup); Twilio's Node.js library was not tried"
  exit 0
fi

work=$(mktemp -d)
sandbox_pid='' child_pid=''
cleanup() {
  if [ -n "$child_pid" ] && kill -0 "$child_pid" 2>/dev/null; then
    kill -TERM "$child_pid" 2>/dev/null
    wait "$child_pid" 2>/dev/null
  fi
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$sandbox_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$sandbox_pid" 2>/dev/null
    wait "$sandbox_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "FAIL: $*"; exit 1; }
# run CMD...: runs CMD in the background and waits for it, so that a signal
# ends this script at once (and cleanup ends CMD); sets $rc.
run() {
  "$@" &
  child_pid=$!
  wait "$child_pid"
  rc=$?
  child_pid=
}

echo "node $(node --version), npm $(npm --version 2>/dev/null)"

# One install and run at a time per cache: `npm ci` replaces twilio-node/node_modules.
cache=${AUTOVOICE_NPM_CACHE:-${TMPDIR:-/tmp}/autovoice-npm-cache}
mkdir -p "$cache" || fail "cannot create the npm cache $cache"
if command -v flock >/dev/null; then
  exec 9>"$cache/.twilio-node.lock"
  flock -w 300 9 || fail "another run held $cache/.twilio-node.lock for 300 s"
fi

run npm ci --prefix "$project" --no-audit --no-fund --prefer-offline --loglevel=error \
  --cache "$cache" >"$work/npm.log" 2>&1
if [ "$rc" -ne 0 ]; then
  cat "$work/npm.log"
  fail "npm ci in $project exited $rc"
fi
twilio_version=$(cd "$project" && node -p 'require("twilio/package.json").version') ||
  fail "the twilio package is not installed in $project/node_modules"
echo "twilio $twilio_version (npm package) installed"

# The sandbox on a free loopback port.
TWILIO_ACCOUNT_SID=$account TWILIO_AUTH_TOKEN=$token AUTOVOICE_ENV_FILE=/dev/null \
  "$bin" sandbox --port 0 --port-file "$work/port" --speed 20 >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
port=
for _ in $(seq 100); do
  if [ -s "$work/port" ]; then port=$(tr -dc 0-9 <"$work/port"); [ -n "$port" ] && break; fi
  kill -0 "$sandbox_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  cat "$work/sandbox.log"
  fail "the sandbox did not write its port within 10 s"
fi
echo "sandbox on http://127.0.0.1:$port"

# The library reads TWILIO_EDGE and TWILIO_REGION (they would change the host
# it addresses) and a proxy from the environment: none of them applies here.
run env -u TWILIO_EDGE -u TWILIO_REGION -u TWILIO_LOG_LEVEL -u HTTP_PROXY -u HTTPS_PROXY \
  -u http_proxy -u https_proxy AUTOVOICE_SANDBOX_URL="http://127.0.0.1:$port" \
  TWILIO_ACCOUNT_SID="$account" TWILIO_AUTH_TOKEN="$token" \
  timeout 180 node "$project/check.js"
checks_rc=$rc

kill -TERM "$sandbox_pid"
for _ in $(seq 150); do kill -0 "$sandbox_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sandbox_pid" 2>/dev/null; then
  cat "$work/sandbox.log"
  fail "the sandbox was still running 15 s after SIGTERM"
fi
wait "$sandbox_pid"
sandbox_rc=$?
sandbox_pid=
if [ "$checks_rc" -ne 0 ] || [ "$sandbox_rc" -ne 0 ]; then
  echo "-- sandbox log"
  cat "$work/sandbox.log"
fi
[ "$checks_rc" -eq 0 ] || fail "check.js exited $checks_rc"
[ "$sandbox_rc" -eq 0 ] || fail "the sandbox exited $sandbox_rc on SIGTERM, expected 0"
echo "ok - the sandbox stopped on SIGTERM with exit status 0"
