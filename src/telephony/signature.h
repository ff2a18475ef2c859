// X-Twilio-Signature: Twilio's proof that a webhook request came from Twilio.
//
// Algorithm (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
// take the full URL Twilio requested (scheme, host, path and query string,
// exactly as configured), append every POST parameter as name followed by
// value with no separators, parameters sorted by name (repeated names: by
// value too, byte order); HMAC-SHA1 that string keyed with the account's auth
// token; base64-encode the 20-byte digest. Like Twilio's helper libraries, an
// identical (name, value) pair that occurs more than once is signed once.
//
// JSON bodies are not signed as parameters: Twilio adds
// bodySHA256=<hex SHA-256 of the raw body> to the URL's query string and signs
// the URL alone; the receiver checks both the signature and the body's hash.
//
// All functions are pure, allocation-light on the success path and safe to
// call concurrently from any number of threads (OpenSSL state is per thread).
#pragma once

#include <string>
#include <string_view>

#include "telephony/form.h"

namespace autovoice::telephony {

inline constexpr std::string_view kSignatureHeader = "X-Twilio-Signature";

// The base64 signature Twilio would send for a POST of `params` to `url`.
// Used by the sandbox carrier and by tests; `url` is signed byte for byte.
std::string compute_signature(std::string_view auth_token, std::string_view url,
                              const FormParams& params);

// True when `header` (the X-Twilio-Signature value) is the signature of
// `params` posted to `url`, compared in constant time. As Twilio's helper
// libraries do, the URL is accepted both with and without its scheme's
// default port: "https://h/p" also checks "https://h:443/p" and vice versa
// (http and :80 alike); a non-default port is never added or removed. False
// for an empty or malformed header, or an empty auth token.
[[nodiscard]] bool validate_signature(std::string_view auth_token, std::string_view url,
                                      const FormParams& params, std::string_view header);

// For requests with a JSON (or other non-form) body: true when `url` carries
// a bodySHA256 query parameter equal (hex, either case) to the SHA-256 of
// `body`, and `header` is the signature of `url` with no parameters (with the
// same default-port leniency as validate_signature). False when bodySHA256 is
// missing or the URL's query string is malformed.
[[nodiscard]] bool validate_signature_with_body(std::string_view auth_token, std::string_view url,
                                                std::string_view body, std::string_view header);

// Lowercase hex SHA-256 of `body`: the bodySHA256 value Twilio puts in the URL.
std::string body_sha256_hex(std::string_view body);

}  // namespace autovoice::telephony
