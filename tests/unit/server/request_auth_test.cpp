#include "server/request_auth.h"

#include <gtest/gtest.h>

#include "telephony/signature.h"

namespace autovoice::server {
namespace {

namespace http = boost::beast::http;
namespace tel = telephony;

constexpr std::string_view kToken = "test-auth-token";
constexpr std::string_view kBase = "https://shop.example.com";

Request form_post(std::string target, std::string body) {
  Request req{http::verb::post, target, 11};
  req.set(http::field::content_type, "application/x-www-form-urlencoded");
  req.body() = std::move(body);
  return req;
}

void sign(Request& req, std::string_view base, bool websocket = false) {
  auto form = tel::decode_form(req.body());
  ASSERT_TRUE(form.ok());
  req.set(tel::kSignatureHeader,
          tel::compute_signature(kToken, carrier_url(base, req.target(), websocket), *form));
}

TEST(RequestAuthTest, CarrierUrlIsBaseUrlPlusTarget) {
  EXPECT_EQ(carrier_url("https://h.example", "/a?b=1", false), "https://h.example/a?b=1");
  EXPECT_EQ(carrier_url("https://h.example/", "/a", false), "https://h.example/a");
  EXPECT_EQ(carrier_url("https://h.example", "/ws", true), "wss://h.example/ws");
  EXPECT_EQ(carrier_url("http://127.0.0.1:8080", "/ws", true), "ws://127.0.0.1:8080/ws");
}

TEST(RequestAuthTest, WebsocketBaseKeepsPortAndPrefix) {
  EXPECT_EQ(websocket_base("https://h.example:8443/av/"), "wss://h.example:8443/av");
  EXPECT_EQ(websocket_base("http://127.0.0.1:9"), "ws://127.0.0.1:9");
}

TEST(RequestAuthTest, AcceptsASignedFormWebhookAndReturnsItsForm) {
  Request req = form_post("/api/v1/voice/incoming-reminder?appointment_id=7", "CallSid=CA1&From=%2B15550100");
  sign(req, kBase);
  auto form = check_carrier_request(req, kBase, kToken, false);
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(tel::form_value(*form, "From").value_or(""), "+15550100");
}

TEST(RequestAuthTest, RejectsMissingWrongOrMisdirectedSignatures) {
  Request unsigned_req = form_post("/x", "a=1");
  EXPECT_EQ(check_carrier_request(unsigned_req, kBase, kToken, false).error().problem, Problem::kForbidden);

  Request tampered = form_post("/x", "a=1");
  sign(tampered, kBase);
  tampered.body() = "a=2";
  EXPECT_EQ(check_carrier_request(tampered, kBase, kToken, false).error().problem, Problem::kForbidden);

  Request query_changed = form_post("/x?appointment_id=1", "a=1");
  sign(query_changed, kBase);
  query_changed.target("/x?appointment_id=2");
  EXPECT_EQ(check_carrier_request(query_changed, kBase, kToken, false).error().problem,
            Problem::kForbidden);

  Request other_host = form_post("/x", "a=1");
  sign(other_host, "https://attacker.example");
  EXPECT_EQ(check_carrier_request(other_host, kBase, kToken, false).error().problem, Problem::kForbidden);

  Request other_key = form_post("/x", "a=1");
  sign(other_key, kBase);
  EXPECT_EQ(check_carrier_request(other_key, kBase, "another-token", false).error().problem,
            Problem::kForbidden);
}

TEST(RequestAuthTest, UpgradeIsSignedOverTheWebsocketUrl) {
  Request req{http::verb::get, "/api/v1/voice/media-stream", 11};
  sign(req, kBase, true);
  EXPECT_TRUE(check_carrier_request(req, kBase, kToken, true).ok());
  // The same signature over the https URL is not the upgrade's.
  EXPECT_FALSE(check_carrier_request(req, kBase, kToken, false).ok());
}

TEST(RequestAuthTest, MalformedFormBodyIsBadRequest) {
  Request req = form_post("/x", "a=%zz");
  req.set(tel::kSignatureHeader, "c2lnbmF0dXJl");
  EXPECT_EQ(check_carrier_request(req, kBase, kToken, false).error().problem, Problem::kBadRequest);
}

TEST(RequestAuthTest, JsonBodiesUseTheBodyHash) {
  const std::string body = R"({"a":1})";
  const std::string target = "/x?bodySHA256=" + tel::body_sha256_hex(body);
  Request req{http::verb::post, target, 11};
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.set(tel::kSignatureHeader, tel::compute_signature(kToken, std::string(kBase) + target, {}));
  EXPECT_TRUE(check_carrier_request(req, kBase, kToken, false).ok());
  req.body() = R"({"a":2})";
  EXPECT_FALSE(check_carrier_request(req, kBase, kToken, false).ok());
}

TEST(RequestAuthTest, ApiKeyNeedsTheBearerSchemeAndTheExactKey) {
  const std::string key = "0123456789abcdef-key";
  EXPECT_TRUE(api_key_matches("Bearer " + key, key));
  EXPECT_TRUE(api_key_matches("bearer " + key, key));
  EXPECT_FALSE(api_key_matches(key, key));
  EXPECT_FALSE(api_key_matches("Basic " + key, key));
  EXPECT_FALSE(api_key_matches("Bearer " + key + "x", key));
  EXPECT_FALSE(api_key_matches("Bearer " + key.substr(1), key));
  EXPECT_FALSE(api_key_matches("Bearer ", key));
  EXPECT_FALSE(api_key_matches("", key));
  EXPECT_FALSE(api_key_matches("Bearer ", ""));  // no key configured: nobody gets in
}

}  // namespace
}  // namespace autovoice::server
