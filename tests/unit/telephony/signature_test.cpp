// X-Twilio-Signature: Twilio's documented example, tampering, default ports,
// repeated names, UTF-8 values and the bodySHA256 variant. Expected values
// other than Twilio's own example were computed independently (Python hmac).
#include "telephony/signature.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace autovoice::telephony {
namespace {

constexpr std::string_view kToken = "12345";
constexpr std::string_view kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr std::string_view kDocumentedSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

FormParams documented_params() {
  return {{"CallSid", "CA1234567890ABCDE"},
          {"Caller", "+12349013030"},
          {"Digits", "1234"},
          {"From", "+12349013030"},
          {"To", "+18005551212"}};
}

TEST(SignatureTest, ComputesTwiliosDocumentedExample) {
  EXPECT_EQ(compute_signature(kToken, kUrl, documented_params()), kDocumentedSignature);
}

TEST(SignatureTest, AcceptsTwiliosDocumentedExample) {
  EXPECT_TRUE(validate_signature(kToken, kUrl, documented_params(), kDocumentedSignature));
}

TEST(SignatureTest, SignsParametersInNameOrderWhateverOrderTheyArrive) {
  FormParams reversed = documented_params();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_TRUE(validate_signature(kToken, kUrl, reversed, kDocumentedSignature));
}

struct TamperCase {
  const char* name;
  std::string token;
  std::string url;
  FormParams params;
  std::string header;
};

class SignatureTamperTest : public ::testing::TestWithParam<TamperCase> {};

TEST_P(SignatureTamperTest, RejectsTamperedRequest) {
  const auto& c = GetParam();
  EXPECT_FALSE(validate_signature(c.token, c.url, c.params, c.header));
}

FormParams with_changed_digits() {
  auto p = documented_params();
  p[2].value = "1235";
  return p;
}

FormParams with_added_param() {
  auto p = documented_params();
  p.push_back({"CallStatus", "completed"});
  return p;
}

FormParams with_removed_param() {
  auto p = documented_params();
  p.pop_back();
  return p;
}

FormParams with_renamed_param() {
  auto p = documented_params();
  p[2].name = "digits";
  return p;
}

INSTANTIATE_TEST_SUITE_P(
    Tampering, SignatureTamperTest,
    ::testing::Values(
        TamperCase{"Signature", "12345", std::string(kUrl), documented_params(),
                   "1/KCTR6DLpKmkAf8muzZqo1nDgQ="},
        TamperCase{"Token", "12346", std::string(kUrl), documented_params(),
                   std::string(kDocumentedSignature)},
        TamperCase{"EmptyToken", "", std::string(kUrl), documented_params(),
                   std::string(kDocumentedSignature)},
        TamperCase{"UrlQuery", "12345", "https://mycompany.com/myapp.php?foo=1&bar=3",
                   documented_params(), std::string(kDocumentedSignature)},
        TamperCase{"UrlScheme", "12345", "http://mycompany.com/myapp.php?foo=1&bar=2",
                   documented_params(), std::string(kDocumentedSignature)},
        TamperCase{"NonDefaultPort", "12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
                   documented_params(), std::string(kDocumentedSignature)},
        TamperCase{"ParameterValue", "12345", std::string(kUrl), with_changed_digits(),
                   std::string(kDocumentedSignature)},
        TamperCase{"ParameterName", "12345", std::string(kUrl), with_renamed_param(),
                   std::string(kDocumentedSignature)},
        TamperCase{"AddedParameter", "12345", std::string(kUrl), with_added_param(),
                   std::string(kDocumentedSignature)},
        TamperCase{"RemovedParameter", "12345", std::string(kUrl), with_removed_param(),
                   std::string(kDocumentedSignature)},
        TamperCase{"EmptyHeader", "12345", std::string(kUrl), documented_params(), ""},
        TamperCase{"TruncatedHeader", "12345", std::string(kUrl), documented_params(),
                   "0/KCTR6DLpKmkAf8muzZqo1nDgQ"},
        TamperCase{"HeaderWithTrailingBytes", "12345", std::string(kUrl), documented_params(),
                   "0/KCTR6DLpKmkAf8muzZqo1nDgQ=="}),
    [](const ::testing::TestParamInfo<TamperCase>& param_info) { return std::string(param_info.param.name); });

TEST(SignatureTest, AcceptsUrlWithExplicitDefaultPortWhenSignedWithout) {
  EXPECT_TRUE(validate_signature(kToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                                 documented_params(), kDocumentedSignature));
}

TEST(SignatureTest, AcceptsUrlWithoutPortWhenSignedWithDefaultPort) {
  const std::string with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
  const std::string signature = compute_signature(kToken, with_port, documented_params());
  EXPECT_EQ(signature, "EpDEmp1PyjDYp77YxYU3GILBWzE=");
  EXPECT_TRUE(validate_signature(kToken, kUrl, documented_params(), signature));
  EXPECT_TRUE(validate_signature(kToken, with_port, documented_params(), signature));
}

TEST(SignatureTest, AcceptsHttpUrlWithAndWithoutPort80) {
  const std::string signature =
      compute_signature(kToken, "http://shop.example/status", documented_params());
  EXPECT_TRUE(
      validate_signature(kToken, "http://shop.example:80/status", documented_params(), signature));
  EXPECT_FALSE(validate_signature(kToken, "http://shop.example:443/status", documented_params(),
                                  signature));
}

TEST(SignatureTest, SignsRepeatedNamesSortedByValueAndIdenticalPairsOnce) {
  const FormParams params = {{"Digits", "9"}, {"Digits", "1"}, {"Digits", "1"}, {"To", "+1"}};
  EXPECT_EQ(compute_signature(kToken, "https://mycompany.com/voice", params),
            "8x1awQXREd6Fx6ANjZfd9Bmd4BE=");
  const FormParams reordered = {{"To", "+1"}, {"Digits", "1"}, {"Digits", "9"}};
  EXPECT_TRUE(validate_signature(kToken, "https://mycompany.com/voice", reordered,
                                 "8x1awQXREd6Fx6ANjZfd9Bmd4BE="));
}

TEST(SignatureTest, RejectsRepeatedNameWithDifferentValue) {
  const FormParams params = {{"Digits", "9"}, {"Digits", "2"}, {"To", "+1"}};
  EXPECT_FALSE(validate_signature(kToken, "https://mycompany.com/voice", params,
                                  "8x1awQXREd6Fx6ANjZfd9Bmd4BE="));
}

TEST(SignatureTest, SignsUtf8ValuesAsTheirBytes) {
  const FormParams params = {{"SpeechResult", "Sí, confirmo — 明天"}, {"To", "+18005551212"}};
  const std::string signature = compute_signature(kToken, "https://mycompany.com/voice", params);
  EXPECT_EQ(signature, "o70DxnCBdf/vRQFw0xYFtW84yvg=");
  EXPECT_TRUE(validate_signature(kToken, "https://mycompany.com/voice", params, signature));
}

TEST(SignatureTest, ComputesSignatureOfUrlAloneWhenThereAreNoParameters) {
  const std::string url =
      "https://mycompany.com/myapp.php?bodySHA256="
      "e852ec28d46c49841e1e6687b51c3dbf2b3da45f0b5f73184b3220daaa45ab3b";
  EXPECT_EQ(compute_signature(kToken, url, {}), "C8sJ7v4QWOODDruoAbJ+vnu8RQ4=");
}

// --- bodySHA256 (JSON bodies) ---

constexpr std::string_view kJsonBody = R"({"CallSid":"CA1234567890ABCDE"})";
constexpr std::string_view kBodyHash =
    "e852ec28d46c49841e1e6687b51c3dbf2b3da45f0b5f73184b3220daaa45ab3b";
constexpr std::string_view kBodyUrl =
    "https://mycompany.com/myapp.php?bodySHA256="
    "e852ec28d46c49841e1e6687b51c3dbf2b3da45f0b5f73184b3220daaa45ab3b";
constexpr std::string_view kBodySignature = "C8sJ7v4QWOODDruoAbJ+vnu8RQ4=";

TEST(SignatureWithBodyTest, HashesBodyAsLowercaseHexSha256) {
  EXPECT_EQ(body_sha256_hex(kJsonBody), kBodyHash);
}

TEST(SignatureWithBodyTest, AcceptsMatchingBodyAndSignature) {
  EXPECT_TRUE(validate_signature_with_body(kToken, kBodyUrl, kJsonBody, kBodySignature));
}

TEST(SignatureWithBodyTest, AcceptsExplicitDefaultPort) {
  const std::string url = "https://mycompany.com:443/myapp.php?bodySHA256=" + std::string(kBodyHash);
  EXPECT_TRUE(validate_signature_with_body(kToken, url, kJsonBody, kBodySignature));
}

TEST(SignatureWithBodyTest, RejectsTamperedBody) {
  EXPECT_FALSE(validate_signature_with_body(kToken, kBodyUrl,
                                            R"({"CallSid":"CA1234567890ABCDF"})", kBodySignature));
}

TEST(SignatureWithBodyTest, RejectsBodyHashNotSignedByTwilio) {
  // An attacker recomputes bodySHA256 for their own body but cannot re-sign the URL.
  const std::string body = R"({"CallSid":"CAevil"})";
  const std::string url = "https://mycompany.com/myapp.php?bodySHA256=" + body_sha256_hex(body);
  EXPECT_FALSE(validate_signature_with_body(kToken, url, body, kBodySignature));
}

TEST(SignatureWithBodyTest, RejectsTamperedSignature) {
  EXPECT_FALSE(validate_signature_with_body(kToken, kBodyUrl, kJsonBody,
                                            "D8sJ7v4QWOODDruoAbJ+vnu8RQ4="));
}

TEST(SignatureWithBodyTest, RejectsUrlWithoutBodyHash) {
  const std::string url = "https://mycompany.com/myapp.php";
  EXPECT_FALSE(
      validate_signature_with_body(kToken, url, kJsonBody, compute_signature(kToken, url, {})));
}

}  // namespace
}  // namespace autovoice::telephony
