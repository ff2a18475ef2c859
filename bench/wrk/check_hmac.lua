-- Run by check_hmac.sh through wrk (which embeds LuaJIT), before wrk connects
-- anywhere: checks hmac_sha1.lua against the vectors in the file named by
-- AUTOVOICE_HMAC_VECTORS (lines "KEY_HEX MSG_HEX SHA1_HEX HMAC_BASE64"), then
-- exits 0 when every one matches, 1 otherwise.
local dir = os.getenv("AUTOVOICE_WRK_DIR")
local hmac = dofile(dir .. "/hmac_sha1.lua")

local function unhex(h)
  return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end
local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local checked, failed = 0, 0
for line in io.lines(os.getenv("AUTOVOICE_HMAC_VECTORS")) do
  local key, msg, sha, mac = line:match("^(%x*) (%x*) (%x+) (%S+)$")
  key, msg = unhex(key), unhex(msg)
  local got_sha, got_mac = hex(hmac.sha1(msg)), hmac.base64(hmac.hmac_sha1(key, msg))
  checked = checked + 1
  if got_sha ~= sha or got_mac ~= mac then
    failed = failed + 1
    io.write(string.format("MISMATCH key %d bytes, message %d bytes: sha1 %s (want %s), hmac %s (want %s)\n",
      #key, #msg, got_sha, sha, got_mac, mac))
  end
end
io.write(string.format("hmac_sha1.lua: %d of %d vectors match Python's hashlib/hmac\n", checked - failed, checked))
os.exit(failed == 0 and checked > 0 and 0 or 1)
