#include "telephony/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace autovoice::telephony {
namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(bytes("")), "");
  EXPECT_EQ(base64_encode(bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(bytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  for (const auto& [text, plain] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg==", "foob"},
           {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}, {"+/+/", "\xfb\xff\xbf"}}) {
    auto r = base64_decode(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(*r, bytes(plain)) << text;
  }
}

TEST(Base64Test, RoundTripsRandomBytes) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 300; ++n) {
    std::vector<uint8_t> in(n);
    for (auto& b : in) b = static_cast<uint8_t>(rng());
    auto out = base64_decode(base64_encode(in));
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, in);
  }
}

TEST(Base64Test, RejectsBadInput) {
  for (const std::string& text : std::initializer_list<std::string>{"Zg=", "Zg", "Z", "Zm9v!", "Zm 9v", "Zm9\n", "Zm-_", "=Zm9", "Z===", "====", "Zm=v",
        "Zg==Zg==", "Zh==", "Zm9=", std::string("Zm\0v", 4), "Zm9v\xff\xff\xff\xff"}) {
    auto r = base64_decode(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, "base64");
  }
}

TEST(Base64Test, NamesTheOffsetOfABadCharacter) {
  auto r = base64_decode("AAAAAA*A");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("offset 6"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace autovoice::telephony
