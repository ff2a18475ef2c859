#include "telephony/sid.h"

#include <cctype>

namespace autovoice::telephony {

namespace {
constexpr std::size_t kHexDigits = 32;
}  // namespace

bool is_sid(std::string_view sid, std::string_view prefix) {
  if (sid.size() != prefix.size() + kHexDigits || !sid.starts_with(prefix)) return false;
  for (char c : sid.substr(prefix.size())) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

Status check_sid(std::string_view sid, std::string_view prefix, std::string_view field) {
  if (is_sid(sid, prefix)) return ok_status();
  return Error::invalid(std::string(field), std::string(field) + " '" + std::string(sid.substr(0, 40)) +
                                                "' is not " + std::string(prefix) +
                                                " followed by 32 hexadecimal digits");
}

}  // namespace autovoice::telephony
