// application/x-www-form-urlencoded bodies and URL query strings, as Twilio
// sends its webhook parameters and as its REST API takes request bodies.
//
// A form is an ordered list of (name, value) pairs: repeated names are kept,
// each occurrence in the order it appeared. Decoding is strict: the input must
// be a well-formed query string (RFC 3986 query characters, every '%' followed
// by two hex digits); '+' decodes to a space as HTML forms do. Decoded names
// and values must be valid UTF-8 without NUL bytes — anything else is rejected
// at the boundary rather than handed to storage or logs. Empty segments
// ("a=1&&b=2", a trailing '&') are skipped; a name without '=' has an empty
// value.
//
// All functions are pure and safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.h"

namespace autovoice::telephony {

struct FormParam {
  std::string name;
  std::string value;

  friend bool operator==(const FormParam&, const FormParam&) = default;
};

// In the order the parameters appeared (or are to be sent).
using FormParams = std::vector<FormParam>;

// Decodes a form body (or a query string without its leading '?').
// On success: the pairs in input order; "" gives an empty list.
// On failure: kInvalidArgument with field "body" and a message naming the
// parameter at fault by position and quoted, truncated text (a bad '%'
// escape, a character not allowed in a query such as a raw space, '#' or
// non-ASCII byte, or invalid UTF-8 / NUL after decoding).
Result<FormParams> decode_form(std::string_view body);

// Encodes pairs as a form body: "name=value&name=value" in the given order.
// Bytes other than ALPHA / DIGIT / "-._~" are percent-encoded with uppercase
// hex digits, a space as '+'. Byte-stable: the same pairs always give the same
// bytes, and decode_form(encode_form(p)) == p whenever every name and value
// is valid UTF-8 without NUL (every '=' is written, so empty pairs survive).
std::string encode_form(const FormParams& params);

// The value of the first parameter called `name`, or nullopt. The view points
// into `params`.
std::optional<std::string_view> form_value(const FormParams& params, std::string_view name);

}  // namespace autovoice::telephony
