// Standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /, '=' padding).
//
// The decoder is strict: the input length must be a multiple of four, only the
// alphabet is accepted (no whitespace, no URL-safe alphabet), '=' may appear
// only as the last one or two characters, and the unused bits of the last
// group must be zero (only canonical encodings are accepted). Every function is
// pure and thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.h"

namespace autovoice::telephony {

// Encoded length of `n` bytes (with padding).
constexpr std::size_t base64_encoded_size(std::size_t n) { return (n + 2) / 3 * 4; }

// The padded base64 text of `bytes`.
std::string base64_encode(std::span<const uint8_t> bytes);
// Appends the padded base64 text of `bytes` to `out`.
void base64_encode_append(std::span<const uint8_t> bytes, std::string& out);

// The bytes `text` encodes, or kInvalidArgument (field "base64") naming the
// offset of the first bad character or the bad length.
Result<std::vector<uint8_t>> base64_decode(std::string_view text);
// As base64_decode, but replaces the contents of `out` (reusing its capacity).
// On failure `out` holds unspecified bytes.
Status base64_decode_into(std::string_view text, std::vector<uint8_t>& out);

}  // namespace autovoice::telephony
