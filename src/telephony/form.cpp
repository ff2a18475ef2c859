#include "telephony/form.h"

#include <boost/url.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace autovoice::telephony {
namespace {

constexpr std::size_t kMaxQuotedBytes = 32;

boost::urls::encoding_opts form_opts() {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return opts;
}

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most
// U+10FFFF) and holds no NUL byte.
bool is_clean_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    if (c < 0x80) {
      if (c == 0) return false;
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (n - i < len) return false;
    const auto second = static_cast<std::uint8_t>(s[i + 1]);
    if (second < lo || second > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      const auto cont = static_cast<std::uint8_t>(s[i + k]);
      if (cont < 0x80 || cont > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

// `text` in double quotes, printable ASCII kept, other bytes as \xNN, cut
// after kMaxQuotedBytes: safe to put in a log line or an HTTP error body.
std::string quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxQuotedBytes; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  if (text.size() > kMaxQuotedBytes) out += "...";
  out += '"';
  return out;
}

// "?" + query: a relative reference whose query is `query`.
std::string as_relative_ref(std::string_view query) {
  std::string out;
  out.reserve(query.size() + 1);
  out += '?';
  out += query;
  return out;
}

// Names the first '&'-separated segment Boost.URL rejects (error path only).
Error malformed_body(std::string_view body) {
  std::size_t index = 1;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view segment = body.substr(start, end - start);
    const auto url = boost::urls::parse_relative_ref(as_relative_ref(segment));
    if (!url || url->has_fragment()) {
      return Error::invalid("body", "malformed form body: parameter " + std::to_string(index) +
                                        " " + quoted(segment) +
                                        " has a bad %-escape or a character not allowed in a "
                                        "form body");
    }
    ++index;
    start = end + 1;
  }
  return Error::invalid("body", "malformed form body");
}

}  // namespace

Result<FormParams> decode_form(std::string_view body) {
  FormParams params;
  if (body.empty()) return params;
  // Boost 1.81's parse_query re-measures its input with strlen (reading past a
  // view that is not NUL-terminated, boostorg/url#946) and iterating a bare
  // query_rule result crashed under the fuzzer; the URL parser's own query
  // handling is the well-trodden path, so parse "?" + body as a relative ref.
  const std::string query = as_relative_ref(body);
  const auto url = boost::urls::parse_relative_ref(query);
  if (!url || url->has_fragment()) return malformed_body(body);  // a raw '#' is not form data
  const auto parsed = url->encoded_params();
  const auto opts = form_opts();
  params.reserve(parsed.size());
  std::size_t index = 0;
  for (const auto param : parsed) {
    ++index;
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2", trailing '&'
    FormParam decoded{param.key.decode(opts), param.value.decode(opts)};
    if (!is_clean_utf8(decoded.name) || !is_clean_utf8(decoded.value)) {
      return Error::invalid("body", "malformed form body: parameter " + std::to_string(index) +
                                        " " + quoted(decoded.name) +
                                        " decodes to invalid UTF-8 or a NUL byte");
    }
    params.push_back(std::move(decoded));
  }
  return params;
}

std::string encode_form(const FormParams& params) {
  const auto opts = form_opts();
  const auto& safe = boost::urls::unreserved_chars;
  std::size_t size = 0;
  for (const auto& p : params) {
    size += boost::urls::encoded_size(p.name, safe, opts) +
            boost::urls::encoded_size(p.value, safe, opts) + 2;
  }
  std::string out;
  out.reserve(size);
  for (const auto& p : params) {
    if (!out.empty()) out += '&';
    boost::urls::encode(p.name, safe, opts, boost::urls::string_token::append_to(out));
    out += '=';
    boost::urls::encode(p.value, safe, opts, boost::urls::string_token::append_to(out));
  }
  return out;
}

std::optional<std::string_view> form_value(const FormParams& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.name == name) return std::string_view(p.value);
  }
  return std::nullopt;
}

}  // namespace autovoice::telephony
