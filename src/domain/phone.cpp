#include "domain/phone.h"

#include <cctype>

namespace autovoice {

namespace {
constexpr std::size_t kMinDigits = 8;
constexpr std::size_t kMaxDigits = 15;
constexpr std::size_t kVisibleTail = 4;
}  // namespace

Result<PhoneNumber> PhoneNumber::parse(std::string_view text) {
  const std::string shown = "'" + std::string(text.substr(0, 40)) + "'";
  if (text.empty()) return Error::invalid("phone", "phone number is empty; expected E.164 like +15551234567");
  if (text.front() != '+') {
    return Error::invalid("phone", "phone number " + shown +
                                       " must start with '+' and the country code (E.164, e.g. +15551234567)");
  }
  const std::string_view digits = text.substr(1);
  for (char c : digits) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return Error::invalid("phone", "phone number " + shown +
                                         " may contain only digits after '+' (no spaces, dashes or brackets)");
    }
  }
  if (digits.size() < kMinDigits || digits.size() > kMaxDigits) {
    return Error::invalid("phone", "phone number " + shown + " has " + std::to_string(digits.size()) +
                                       " digits; E.164 allows 8 to 15");
  }
  if (digits.front() == '0') {
    return Error::invalid("phone", "phone number " + shown + " has a country code starting with 0");
  }
  return PhoneNumber(std::string(text));
}

std::string PhoneNumber::masked() const { return mask_phone(e164_); }

std::string mask_phone(std::string_view text) {
  std::string out(text);
  std::size_t digits = 0;
  for (char c : text) digits += std::isdigit(static_cast<unsigned char>(c)) != 0 ? 1 : 0;
  if (digits <= kVisibleTail + 1) return out;
  // Keep the first digit and the last four digits; star the digits between.
  std::size_t seen = 0;
  for (char& c : out) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) continue;
    ++seen;
    if (seen > 1 && seen <= digits - kVisibleTail) c = '*';
  }
  return out;
}

}  // namespace autovoice
