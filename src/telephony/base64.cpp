#include "telephony/base64.h"

#include <array>

namespace autovoice::telephony {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kBad = 0xFF;

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kBad;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

Error bad_char(std::size_t offset) {
  return Error::invalid("base64", "base64: invalid character at offset " + std::to_string(offset));
}

}  // namespace

void base64_encode_append(std::span<const uint8_t> bytes, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + base64_encoded_size(bytes.size()));
  char* dst = out.data() + start;
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{bytes[i]} << 16;
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = '=';
    *dst++ = '=';
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = '=';
  }
}

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out;
  base64_encode_append(bytes, out);
  return out;
}

Status base64_decode_into(std::string_view text, std::vector<uint8_t>& out) {
  const std::size_t n = text.size();
  if (n % 4 != 0) {
    return Error::invalid("base64", "base64: length " + std::to_string(n) +
                                        " is not a multiple of 4");
  }
  out.resize(n / 4 * 3);
  if (n == 0) return ok_status();
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  uint8_t* dst = out.data();
  const std::size_t full = n - 4;  // the last group may carry padding
  for (std::size_t i = 0; i < full; i += 4) {
    const uint8_t a = kDecode[src[i]], b = kDecode[src[i + 1]], c = kDecode[src[i + 2]],
                  d = kDecode[src[i + 3]];
    if (((a | b | c | d) & 0xC0) != 0) {  // some character is outside the alphabet
      for (std::size_t k = i; k < i + 4; ++k) {
        if (kDecode[src[k]] == kBad) return bad_char(k);
      }
    }
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    *dst++ = static_cast<uint8_t>(v >> 16);
    *dst++ = static_cast<uint8_t>(v >> 8);
    *dst++ = static_cast<uint8_t>(v);
  }
  // Last group: "xxxx", "xxx=" or "xx==".
  const std::size_t i = full;
  std::size_t pad = 0;
  if (src[i + 3] == '=') pad = (src[i + 2] == '=') ? 2 : 1;
  const std::size_t data_chars = 4 - pad;
  uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    uint8_t d = 0;
    if (k < data_chars) {
      d = kDecode[src[i + k]];
      if (d == kBad) return bad_char(i + k);
    }
    v = (v << 6) | d;
  }
  if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) {
    return Error::invalid("base64", "base64: non-zero padding bits in the last group");
  }
  *dst++ = static_cast<uint8_t>(v >> 16);
  if (pad < 2) *dst++ = static_cast<uint8_t>(v >> 8);
  if (pad < 1) *dst++ = static_cast<uint8_t>(v);
  out.resize(out.size() - pad);
  return ok_status();
}

Result<std::vector<uint8_t>> base64_decode(std::string_view text) {
  std::vector<uint8_t> out;
  auto status = base64_decode_into(text, out);
  if (!status) return std::move(status).error();
  return out;
}

}  // namespace autovoice::telephony
