// Helpers for libpq connection URIs ("postgresql://user:secret@host:port/db?k=v")
// that keep the password out of every message autovoice shows or logs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace autovoice::postgres {

// The URI with the password (in the user-info part or a password= parameter)
// replaced by "***", for messages.
std::string redact_url(std::string_view url);

// Every spelling of the URI's password (as written and percent-decoded), so
// that text from libpq can be scrubbed of it. Empty when there is none.
std::vector<std::string> url_secrets(std::string_view url);

// `text` with each secret replaced by "***".
std::string scrub(std::string text, const std::vector<std::string>& secrets);

// The URI with `key=value` added as a query parameter unless `key` is present.
std::string with_default_param(std::string url, std::string_view key, std::string_view value);

}  // namespace autovoice::postgres
