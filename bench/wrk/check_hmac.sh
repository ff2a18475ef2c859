#!/usr/bin/env bash
# Checks bench/wrk/hmac_sha1.lua (SHA-1, HMAC-SHA1, base64 in LuaJIT) against
# Python's hashlib/hmac/base64: message lengths around every padding boundary,
# keys shorter than, equal to and longer than SHA-1's 64-byte block, and
# signature-like inputs. The Lua runs inside wrk (no separate LuaJIT needed);
# check_hmac.lua exits before wrk opens a connection.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
vectors=$(mktemp)
trap 'rm -f "$vectors"' EXIT
python3 - >"$vectors" <<'PY'
import base64, hashlib, hmac, random
rng = random.Random(20261125)
def line(key, msg):
    mac = base64.b64encode(hmac.new(key, msg, hashlib.sha1).digest()).decode()
    return f"{key.hex()} {msg.hex()} {hashlib.sha1(msg).hexdigest()} {mac}"
lengths = [0, 1, 2, 3, 19, 20, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 300, 1000, 4099]
keys = [b"", b"k", b"bench-token", bytes(range(64)), bytes(rng.randrange(256) for _ in range(65)),
        bytes(rng.randrange(256) for _ in range(200))]
for n in lengths:
    for key in keys:
        print(line(key, bytes(rng.randrange(256) for _ in range(n))))
print(line(b"bench-token", b"http://127.0.0.1:8080/api/v1/webhooks/twilio/status"
           b"AccountSidAC0123456789abcdef0123456789abcdefCallSidCA00000000000000000000000000000001"
           b"CallStatuscompletedTimestampWed, 25 Nov 2026 14:00:00 +0000"))
PY
AUTOVOICE_WRK_DIR="$dir" AUTOVOICE_HMAC_VECTORS="$vectors" \
  wrk -t1 -c1 -d1s -s "$dir/check_hmac.lua" http://127.0.0.1:9
