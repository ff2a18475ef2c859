// Form decoding and encoding (application/x-www-form-urlencoded).
#include "telephony/form.h"

#include <gtest/gtest.h>

#include <string>

namespace autovoice::telephony {
namespace {

struct DecodeCase {
  const char* name;
  std::string body;
  FormParams expected;
};

class FormDecodeTest : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(FormDecodeTest, DecodesToOrderedPairs) {
  const auto& c = GetParam();
  const auto decoded = decode_form(c.body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, FormDecodeTest,
    ::testing::Values(
        DecodeCase{"EmptyBody", "", {}},
        DecodeCase{"OnePair", "CallSid=CA123", {{"CallSid", "CA123"}}},
        DecodeCase{"PlusIsSpace", "SpeechResult=yes+please", {{"SpeechResult", "yes please"}}},
        DecodeCase{"Percent20IsSpace", "SpeechResult=yes%20please", {{"SpeechResult", "yes please"}}},
        DecodeCase{"Percent2BIsPlus", "From=%2B12349013030", {{"From", "+12349013030"}}},
        DecodeCase{"LowercaseHexEscape", "Body=a%2fb", {{"Body", "a/b"}}},
        DecodeCase{"EncodedSeparators", "Body=a%26b%3Dc", {{"Body", "a&b=c"}}},
        DecodeCase{"EmptyValue", "Digits=&To=%2B1", {{"Digits", ""}, {"To", "+1"}}},
        DecodeCase{"KeyWithoutEquals", "flag&To=1", {{"flag", ""}, {"To", "1"}}},
        DecodeCase{"EmptyName", "=x", {{"", "x"}}},
        DecodeCase{"EqualsInValue", "a=b=c", {{"a", "b=c"}}},
        DecodeCase{"RepeatedKeysKeptInOrder", "d=3&x=0&d=1&d=3",
                   {{"d", "3"}, {"x", "0"}, {"d", "1"}, {"d", "3"}}},
        DecodeCase{"EmptySegmentsSkipped", "a=1&&b=2&", {{"a", "1"}, {"b", "2"}}},
        DecodeCase{"Utf8Value", "SpeechResult=S%C3%AD%2C+ma%C3%B1ana",
                   {{"SpeechResult", "Sí, mañana"}}},
        DecodeCase{"FourByteUtf8", "e=%F0%9F%9A%97", {{"e", "\xF0\x9F\x9A\x97"}}},
        DecodeCase{"QueryPunctuationAllowed", "Url=https://x.example/a?b",
                   {{"Url", "https://x.example/a?b"}}}),
    [](const ::testing::TestParamInfo<DecodeCase>& param_info) { return std::string(param_info.param.name); });

struct MalformedCase {
  const char* name;
  std::string body;
  std::string message_part;  // the message must quote the parameter at fault
};

class FormMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(FormMalformedTest, RejectsWithMessageNamingBody) {
  const auto& c = GetParam();
  const auto decoded = decode_form(c.body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(decoded.error().field, "body");
  EXPECT_NE(decoded.error().message.find(c.message_part), std::string::npos)
      << decoded.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, FormMalformedTest,
    ::testing::Values(
        MalformedCase{"NonHexEscape", "a=1&Digits=%G1", "parameter 2 \"Digits=%G1\""},
        MalformedCase{"TruncatedEscape", "Digits=12%4", "\"Digits=12%4\""},
        MalformedCase{"LonePercent", "a=%", "\"a=%\""},
        MalformedCase{"RawSpace", "a=b c", "\"a=b c\""},
        MalformedCase{"RawHash", "a=b#c", "\"a=b#c\""},
        MalformedCase{"RawNonAscii", "a=\xC3\xAD", "\"a=\\xC3\\xAD\""},
        MalformedCase{"InvalidUtf8AfterDecoding", "a=%FF", "invalid UTF-8"},
        MalformedCase{"OverlongUtf8", "a=%C0%AF", "invalid UTF-8"},
        MalformedCase{"EncodedSurrogate", "a=%ED%A0%80", "invalid UTF-8"},
        MalformedCase{"TruncatedUtf8", "a=%E6%98", "invalid UTF-8"},
        MalformedCase{"NulByte", "a=x%00y", "NUL"}),
    [](const ::testing::TestParamInfo<MalformedCase>& param_info) {
      return std::string(param_info.param.name);
    });

// Regression: boost::urls::parse_query read past the end of a view that is
// not NUL-terminated (found by fuzz/form_fuzz.cpp under ASan).
TEST(FormDecodeBoundsTest, ReadsOnlyTheGivenView) {
  const std::string buffer = "a=1&b=2&evil=3";
  const auto decoded = decode_form(std::string_view(buffer).substr(0, 7));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, (FormParams{{"a", "1"}, {"b", "2"}}));
}

TEST(FormEncodeTest, EncodesPairsInOrderWithPlusForSpace) {
  const FormParams params = {{"To", "+18005551212"},
                             {"Url", "https://shop.example/voice?a=1&b=2"},
                             {"Say", "Hi there"},
                             {"Empty", ""}};
  EXPECT_EQ(encode_form(params),
            "To=%2B18005551212&Url=https%3A%2F%2Fshop.example%2Fvoice%3Fa%3D1%26b%3D2"
            "&Say=Hi+there&Empty=");
}

TEST(FormEncodeTest, EncodesNothingAsEmptyBody) { EXPECT_EQ(encode_form({}), ""); }

TEST(FormEncodeTest, EncodesUtf8AsUppercasePercentEscapes) {
  EXPECT_EQ(encode_form({{"SpeechResult", "Sí"}}), "SpeechResult=S%C3%AD");
}

TEST(FormEncodeTest, RoundTripsThroughDecode) {
  const FormParams params = {{"d", "3"},        {"d", "1"},          {"", ""},
                             {"a b", "+c&d=e"}, {"emoji", "🚗 ok"},  {"pct", "100%"},
                             {"tilde~", "-._~*'()!"}};
  const auto decoded = decode_form(encode_form(params));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, params);
}

TEST(FormValueTest, ReturnsFirstValueOfName) {
  const FormParams params = {{"d", "3"}, {"d", "1"}};
  EXPECT_EQ(form_value(params, "d"), "3");
  EXPECT_EQ(form_value(params, "D"), std::nullopt);
}

}  // namespace
}  // namespace autovoice::telephony
