-- SHA-1, HMAC-SHA1 and base64 in plain LuaJIT (its `bit` library), for wrk
-- scripts that sign every request the way the carrier does
-- (X-Twilio-Signature = base64(HMAC-SHA1(auth token, url .. params))).
-- bench/wrk/check_hmac.sh compares it with Python's hmac on many inputs.
--
--   local hmac = dofile(dir .. "/hmac_sha1.lua")
--   local sign = hmac.signer(key)      -- the key's two pad blocks hashed once
--   local b64 = hmac.base64(sign(msg)) -- sign(msg) is the 20-byte digest
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rol, lshift, rshift, tobit = bit.rol, bit.lshift, bit.rshift, bit.tobit
local byte, char, rep, sub = string.byte, string.char, string.rep, string.sub
local concat = table.concat

local M = {}

local w = {}  -- the message schedule, reused

-- Folds the 64-byte block of `s` at `pos` (1-based) into state h (5 words).
local function compress(h, s, pos)
  for i = 0, 15 do
    local a, b, c, d = byte(s, pos + 4 * i, pos + 4 * i + 3)
    w[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
  end
  for i = 16, 79 do
    w[i] = rol(bxor(w[i - 3], w[i - 8], w[i - 14], w[i - 16]), 1)
  end
  local a, b, c, d, e = h[1], h[2], h[3], h[4], h[5]
  for i = 0, 79 do
    local f, k
    if i < 20 then
      f, k = bor(band(b, c), band(bnot(b), d)), 0x5A827999
    elseif i < 40 then
      f, k = bxor(b, c, d), 0x6ED9EBA1
    elseif i < 60 then
      f, k = bor(band(b, c), band(b, d), band(c, d)), 0x8F1BBCDC
    else
      f, k = bxor(b, c, d), 0xCA62C1D6
    end
    local t = tobit(rol(a, 5) + f + e + k + w[i])
    e, d, c, b, a = d, c, rol(b, 30), a, t
  end
  h[1], h[2], h[3], h[4], h[5] = tobit(h[1] + a), tobit(h[2] + b), tobit(h[3] + c),
      tobit(h[4] + d), tobit(h[5] + e)
end

local function word_bytes(x)
  return char(band(rshift(x, 24), 255), band(rshift(x, 16), 255), band(rshift(x, 8), 255), band(x, 255))
end

-- Hashes `msg` from state `start` (nil: SHA-1's initial state), as if
-- `prefix_len` bytes (a multiple of 64) had already been folded into it.
local function sha1_from(start, prefix_len, msg)
  local h = start and { start[1], start[2], start[3], start[4], start[5] }
      or { tobit(0x67452301), tobit(0xEFCDAB89), tobit(0x98BADCFE), tobit(0x10325476), tobit(0xC3D2E1F0) }
  local bits = (prefix_len + #msg) * 8
  -- Padding: 0x80, zeros to 56 mod 64, then the length in bits (64-bit big endian).
  local pad = 64 - ((#msg + 9) % 64)
  if pad == 64 then pad = 0 end
  local hi = math.floor(bits / 4294967296)
  local s = msg .. "\128" .. rep("\0", pad) .. word_bytes(tobit(hi)) .. word_bytes(tobit(bits % 4294967296))
  for pos = 1, #s, 64 do compress(h, s, pos) end
  return h
end

local function digest_bytes(h)
  return word_bytes(h[1]) .. word_bytes(h[2]) .. word_bytes(h[3]) .. word_bytes(h[4]) .. word_bytes(h[5])
end

function M.sha1(msg)
  return digest_bytes(sha1_from(nil, 0, msg))
end

-- A function msg -> HMAC-SHA1(key, msg) (20 raw bytes). The states after the
-- key's inner and outer pad blocks are computed once, here.
function M.signer(key)
  if #key > 64 then key = M.sha1(key) end
  key = key .. rep("\0", 64 - #key)
  local ipad, opad = {}, {}
  for i = 1, 64 do
    local k = byte(key, i)
    ipad[i] = char(bxor(k, 0x36))
    opad[i] = char(bxor(k, 0x5c))
  end
  local init = function()
    return { tobit(0x67452301), tobit(0xEFCDAB89), tobit(0x98BADCFE), tobit(0x10325476), tobit(0xC3D2E1F0) }
  end
  local inner, outer = init(), init()
  compress(inner, concat(ipad), 1)
  compress(outer, concat(opad), 1)
  return function(msg)
    return digest_bytes(sha1_from(outer, 64, digest_bytes(sha1_from(inner, 64, msg))))
  end
end

function M.hmac_sha1(key, msg)
  return M.signer(key)(msg)
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64 = {}
for i = 0, 63 do b64[i] = sub(alphabet, i + 1, i + 1) end

-- Standard base64 with '=' padding.
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = lshift(a, 16) + lshift(b or 0, 8) + (c or 0)
    out[#out + 1] = b64[band(rshift(n, 18), 63)] .. b64[band(rshift(n, 12), 63)] ..
        (b and b64[band(rshift(n, 6), 63)] or "=") .. (c and b64[band(n, 63)] or "=")
  end
  return concat(out)
end

return M
