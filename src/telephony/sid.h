// Twilio resource identifiers: a two-letter prefix and 32 lowercase hex
// digits ("CA" calls, "SM" messages, "AC" accounts, "MZ" media streams).
#pragma once

#include <string>
#include <string_view>

#include "domain/result.h"

namespace autovoice::telephony {

// True when `sid` is `prefix` followed by exactly 32 hex digits (any case).
bool is_sid(std::string_view sid, std::string_view prefix);
// kInvalidArgument naming `field` unless is_sid(sid, prefix).
Status check_sid(std::string_view sid, std::string_view prefix, std::string_view field);

}  // namespace autovoice::telephony
