// PhoneNumber: a telephone number in E.164 form ("+" and 8 to 15 digits, the
// first digit not 0). The only way to make one is parse(), so a PhoneNumber in
// hand is always valid. Logs show masked(), never str().
#pragma once

#include <string>
#include <string_view>

#include "domain/result.h"

namespace autovoice {

class PhoneNumber {
 public:
  PhoneNumber() = default;  // empty; only for default-constructed records

  // Accepts exactly "+" followed by 8-15 digits, first digit 1-9. On failure the
  // error's message says what is wrong with the text ("must start with '+'", ...).
  static Result<PhoneNumber> parse(std::string_view text);

  const std::string& str() const { return e164_; }
  bool empty() const { return e164_.empty(); }
  // "+1******7890": the country's first digit and the last four stay visible.
  std::string masked() const;
  // The country calling code's first digit (1 = NANP), for demo and policy checks.
  char leading_digit() const { return e164_.size() > 1 ? e164_[1] : '\0'; }

  friend bool operator==(const PhoneNumber&, const PhoneNumber&) = default;

 private:
  explicit PhoneNumber(std::string e164) : e164_(std::move(e164)) {}
  std::string e164_;
};

// Masks any text that may hold a phone number the same way (for logging raw input).
std::string mask_phone(std::string_view text);

}  // namespace autovoice
