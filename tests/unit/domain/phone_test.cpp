// PhoneNumber: E.164 parsing and the masking every log line relies on.

#include "domain/phone.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace autovoice {
namespace {

using ::testing::HasSubstr;

TEST(PhoneNumberTest, AcceptsE164Numbers) {
  const char* const cases[] = {
      "+15551234567",      // NANP
      "+442079460958",     // UK
      "+12345678",         // shortest: 8 digits
      "+123456789012345",  // longest: 15 digits
      "+919876543210",     // India
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    auto phone = PhoneNumber::parse(text);
    ASSERT_TRUE(phone.ok()) << phone.error().message;
    EXPECT_EQ(phone->str(), text);
    EXPECT_FALSE(phone->empty());
  }
}

TEST(PhoneNumberTest, RejectsAnythingButE164NamingWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "empty"},
      {"15551234567", "must start with '+'"},
      {"(555) 123-4567", "must start with '+'"},
      {"+1 555 123 4567", "only digits"},
      {"+1-555-123-4567", "only digits"},
      {"++15551234567", "only digits"},
      {"+1555123456x", "only digits"},
      {"+", "has 0 digits"},
      {"+1234567", "has 7 digits"},
      {"+1234567890123456", "has 16 digits"},
      {"+05551234567", "starting with 0"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.text);
    auto phone = PhoneNumber::parse(tc.text);
    ASSERT_FALSE(phone.ok());
    EXPECT_EQ(phone.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(phone.error().field, "phone");
    EXPECT_THAT(phone.error().message, HasSubstr(tc.says));
  }
}

TEST(PhoneNumberTest, MaskedKeepsCountryDigitAndLastFour) {
  struct Case {
    const char* e164;
    const char* masked;
  };
  const Case cases[] = {
      {"+15551234567", "+1******4567"},
      {"+442079460958", "+4*******0958"},
      {"+12345678", "+1***5678"},
      {"+123456789012345", "+1**********2345"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.e164);
    auto phone = PhoneNumber::parse(tc.e164);
    ASSERT_TRUE(phone.ok());
    EXPECT_EQ(phone->masked(), tc.masked);
  }
}

TEST(PhoneNumberTest, MaskPhoneMasksNumbersInsideRawText) {
  struct Case {
    const char* text;
    const char* masked;
  };
  const Case cases[] = {
      {"+15551234567", "+1******4567"},
      {"call (555) 123-4567 now", "call (5**) ***-4567 now"},
      {"5551234567", "5*****4567"},
      {"123456", "1*3456"},
      {"12345", "12345"},  // too short to hide anything and still show four digits
      {"no digits here", "no digits here"},
      {"", ""},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.text);
    EXPECT_EQ(mask_phone(tc.text), tc.masked);
  }
}

TEST(PhoneNumberTest, LeadingDigitIsTheCountryCodesFirstDigit) {
  struct Case {
    const char* text;
    char digit;
  };
  const Case cases[] = {{"+15551234567", '1'}, {"+442079460958", '4'}, {"+919876543210", '9'}};
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.text);
    auto phone = PhoneNumber::parse(tc.text);
    ASSERT_TRUE(phone.ok());
    EXPECT_EQ(phone->leading_digit(), tc.digit);
  }
  EXPECT_EQ(PhoneNumber{}.leading_digit(), '\0');
}

TEST(PhoneNumberTest, DefaultConstructedIsEmpty) {
  const PhoneNumber none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(none.masked(), "");
}

TEST(PhoneNumberTest, EqualityComparesTheNumber) {
  auto a = PhoneNumber::parse("+15551234567");
  auto b = PhoneNumber::parse("+15551234567");
  auto c = PhoneNumber::parse("+15551234568");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

}  // namespace
}  // namespace autovoice
