#!/usr/bin/env bash
# End-to-end: the autovoice binary against a real SQLite file. Usage: cli_test.sh path/to/autovoice
set -uo pipefail
bin=$(realpath "${1:?usage: cli_test.sh path/to/autovoice}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export DATABASE_URL="sqlite://$work/cli.db" AUTOVOICE_ENV_FILE=/dev/null SHOP_TIMEZONE=America/New_York
passed=0 failed=0

check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
run() {  # run ARGS... : sets $out, $err, $rc
  out=$("$bin" "$@" 2>"$work/stderr"); rc=$?; err=$(cat "$work/stderr")
}
count_ids() { grep -c '"id":' <<<"$1" || true; }

# Before migrate, commands say what to do.
run customers list
check "unmigrated database exits 2" test "$rc" -eq 2
check "unmigrated database says run migrate" grep -q "autovoice migrate" <<<"$err"

run migrate
check "migrate succeeds" test "$rc" -eq 0
check "migrate reports what it applied" grep -q "applied migration 1" <<<"$out"
run migrate
check "migrate again is a no-op" grep -q "schema is current" <<<"$out"

run seed --demo
check "seed --demo succeeds" test "$rc" -eq 0
check "seed --demo summarises" grep -q "36 customers" <<<"$out"
run customers list --json
customers=$(count_ids "$out")
check "36 customers seeded" test "$customers" -eq 36
check "one customer opted out" test "$(grep -c '"opted_out": true' <<<"$out")" -eq 1
check "one foreign number" grep -q '"+442079460958"' <<<"$out"

run seed --demo
check "seeding twice is refused" test "$rc" -eq 2
check "refusal is one line" test "$(wc -l <<<"$err")" -eq 1
run customers list --json
check "refused seed wrote nothing" test "$(count_ids "$out")" -eq "$customers"

run appointments list --date tomorrow
check "tomorrow's appointments listed" grep -q CONFIRMED <<<"$out"
check "tomorrow includes the 2021 Honda Civic" grep -q "2021 Honda Civic" <<<"$out"
run appointments list --date tomorrow --status confirmed --json
check "status filter keeps only CONFIRMED" bash -c '! grep -q "\"status\": \"SCHEDULED\"" <<<"$1"' _ "$out"

# Bad input of every kind: exit 2, one line, nothing written.
bad() {  # bad NAME EXPECTED-TEXT ARGS...
  local name=$1 expect=$2; shift 2
  run "$@"
  check "$name exits 2" test "$rc" -eq 2
  check "$name says why" grep -q -- "$expect" <<<"$err"
  check "$name prints one line" test "$(wc -l <<<"$err")" -eq 1
}
bad "phone without +" "must start with '+'" customers add --first-name Ann --phone 5550100
bad "phone with spaces" "only digits" customers add --first-name Ann --phone "+1 555 0100"
bad "phone too short" "8 to 15" customers add --first-name Ann --phone +1234567
bad "unknown time zone" "unknown time zone" customers add --first-name Ann --phone +15550100777 --tz Mars/Base
bad "duplicate phone" "already" customers add --first-name Ann --phone +12125550100
bad "bad email" "email" customers add --first-name Ann --phone +15550100778 --email not-an-email
bad "vehicle of unknown customer" "does not exist" vehicles add --customer 999999 --year 2020 --make Ford --model Focus
bad "bad VIN" "VIN" vehicles add --customer 1 --year 2020 --make Ford --model Focus --vin SHORT
bad "vehicle year out of range" "year" vehicles add --customer 1 --year 1800 --make Ford --model T
bad "appointment for unknown vehicle" "does not exist" appointments add --customer 1 --vehicle 999999 --start "2030-01-02 10:00" --service Oil
bad "appointment with another customer's vehicle" "vehicle" appointments add --customer 2 --vehicle 1 --start "2030-01-02 10:00" --service Oil
bad "appointment in a DST gap" "does not exist" appointments add --customer 1 --vehicle 1 --start "2027-03-14 02:30" --service Oil
bad "appointment with a malformed time" "YYYY-MM-DD" appointments add --customer 1 --vehicle 1 --start "tomorrow 10am" --service Oil
bad "unknown status" "is not one of" appointments set-status 1 WAITING
bad "unknown appointment" "does not exist" appointments set-status 999999 CONFIRMED
bad "opt-out of unknown customer" "does not exist" customers opt-out 999999
bad "non-numeric id" "" appointments set-status abc CONFIRMED
bad "impossible date filter" "does not exist" appointments list --date 2026-13-01
bad "malformed date filter" "YYYY-MM-DD" appointments list --date "next week"
SHOP_TIMEZONE=Nowhere/City bad "bad configuration" "SHOP_TIMEZONE" config check
run customers list --json
check "bad input wrote no customer" test "$(count_ids "$out")" -eq "$customers"

# Good input round-trips.
run customers add --first-name "José" --last-name "Núñez" --phone +15550100555 --tz America/Chicago --json
check "customer added" test "$rc" -eq 0
cid=$(grep -o '"id": [0-9]*' <<<"$out" | head -1 | grep -o '[0-9]*$')
run vehicles add --customer "$cid" --year 2021 --make Honda --model Civic --vin 1HGCM82633A004352 --json
check "vehicle added" test "$rc" -eq 0
vid=$(grep -o '"id": [0-9]*' <<<"$out" | head -1 | grep -o '[0-9]*$')
run appointments add --customer "$cid" --vehicle "$vid" --start "2030-01-02 10:00" --service "Oil change" --status CONFIRMED --json
check "appointment added" test "$rc" -eq 0
check "shop-local 10:00 stored as 15:00 UTC" grep -q '"start": "2030-01-02T15:00:00Z"' <<<"$out"
aid=$(grep -o '"id": [0-9]*' <<<"$out" | head -1 | grep -o '[0-9]*$')
run appointments set-status "$aid" cancelled --json
check "status changed" grep -q '"status": "CANCELLED"' <<<"$out"
run customers opt-out "$cid" --json
check "opt-out recorded" grep -q '"opted_out": true' <<<"$out"
run calls list
check "calls list works on an empty log" test "$rc" -eq 0

# --help on every subcommand.
for cmd in "" "config check" migrate seed "customers add" "customers list" "customers opt-out" \
           "vehicles add" "vehicles list" "appointments add" "appointments list" \
           "appointments set-status" "calls list"; do
  # shellcheck disable=SC2086
  run $cmd --help
  check "help for '$cmd'" test "$rc" -eq 0 -a -n "$out"
done

echo "$passed passed, $failed failed"
test "$failed" -eq 0
