// TwilioClient against a scripted HTTP server on 127.0.0.1: what it sends, how
// it reads Twilio's answers, and how each failure is classified.
#include "telephony/twilio_client.h"

#include <gtest/gtest.h>

#include <boost/url/url.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "support/fake_http_server.h"

namespace autovoice::telephony {
namespace {

using autovoice::testing::FakeHttpServer;
using autovoice::testing::FakeResponse;
using namespace std::chrono_literals;

constexpr const char* kAccountSid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kAuthToken = "s3cr3t-auth-token-value";
constexpr const char* kCallSid = "CAfedcba9876543210fedcba9876543210";

// A Calls.json answer as Twilio gives it for a freshly queued call.
std::string queued_call_json(const std::string& sid = kCallSid) {
  return R"({"account_sid": "AC0123456789abcdef0123456789abcdef", "annotation": null,
    "answered_by": null, "api_version": "2010-04-01", "caller_name": null,
    "date_created": "Tue, 31 Aug 2010 20:36:28 +0000",
    "date_updated": "Tue, 31 Aug 2010 20:36:28 +0000", "direction": "outbound-api",
    "duration": null, "end_time": null, "forwarded_from": null, "from": "+15005550006",
    "from_formatted": "(500) 555-0006", "group_sid": null, "parent_call_sid": null,
    "phone_number_sid": "PN0123456789abcdef0123456789abcdef", "price": null,
    "price_unit": "USD", "queue_time": "0", "sid": ")" +
         sid + R"(", "start_time": null, "status": "queued",
    "subresource_uris": {"notifications": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls/)" +
         sid + R"(/Notifications.json"},
    "to": "+14155551212", "to_formatted": "(415) 555-1212", "trunk_sid": null,
    "uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls/)" +
         sid + R"(.json"})";
}

// The same call after it was answered by a person and finished.
std::string completed_call_json() {
  return R"({"sid": "CAfedcba9876543210fedcba9876543210", "status": "completed",
    "to": "+14155551212", "from": "+15005550006", "direction": "outbound-api",
    "start_time": "Tue, 31 Aug 2010 20:36:29 +0000", "end_time": "Tue, 31 Aug 2010 20:36:44 +0000",
    "duration": "15", "answered_by": "human", "price": "-0.03000", "price_unit": "USD"})";
}

std::string twilio_error_json(int code, const std::string& message, int status) {
  return R"({"code": )" + std::to_string(code) + R"(, "message": ")" + message +
         R"(", "more_info": "https://www.twilio.com/docs/errors/)" + std::to_string(code) +
         R"(", "status": )" + std::to_string(status) + "}";
}

CallRequest reminder_call() {
  CallRequest request;
  request.to = "+14155551212";
  request.from = "+15005550006";
  request.url = "https://shop.example.com/api/v1/voice/incoming-reminder?appointment_id=42&kind=day before";
  request.status_callback = "https://shop.example.com/api/v1/webhooks/twilio/status";
  request.timeout_seconds = 30;
  request.machine_detection = "Enable";
  return request;
}

// Decoded form or query fields, in order.
std::vector<std::pair<std::string, std::string>> decode_fields(const std::string& encoded) {
  boost::urls::url url;
  url.set_encoded_query(encoded);
  std::vector<std::pair<std::string, std::string>> out;
  for (auto param : url.params()) out.emplace_back(param.key, param.value);
  return out;
}

class TwilioClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<TwilioClient> make_client(std::chrono::milliseconds timeout = 2000ms) {
    TwilioClientOptions options;
    options.api_base = server_.base_url();
    options.account_sid = kAccountSid;
    options.auth_token = Secret(kAuthToken);
    options.connect_timeout = 1000ms;
    options.request_timeout = timeout;
    auto client = TwilioClient::create(std::move(options));
    EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().message);
    return std::move(client).value();
  }

  static std::string calls_path() {
    return std::string("/2010-04-01/Accounts/") + kAccountSid + "/Calls.json";
  }

  FakeHttpServer server_;
};

TEST_F(TwilioClientTest, CreateCallPostsExactlyTheDocumentedFormFieldsWithBasicAuth) {
  server_.enqueue({201, queued_call_json()});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_TRUE(call.ok()) << call.error().message;
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, calls_path());
  EXPECT_EQ(request.header("Content-Type"), "application/x-www-form-urlencoded");
  // base64("AC0123456789abcdef0123456789abcdef:s3cr3t-auth-token-value")
  EXPECT_EQ(request.header("Authorization"),
            "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpzM2NyM3QtYXV0aC10b2tlbi12YWx1ZQ==");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"To", "+14155551212"},
      {"From", "+15005550006"},
      {"Url", "https://shop.example.com/api/v1/voice/incoming-reminder?appointment_id=42&kind=day before"},
      {"Method", "POST"},
      {"StatusCallback", "https://shop.example.com/api/v1/webhooks/twilio/status"},
      {"StatusCallbackEvent", "initiated"},
      {"StatusCallbackEvent", "ringing"},
      {"StatusCallbackEvent", "answered"},
      {"StatusCallbackEvent", "completed"},
      {"StatusCallbackMethod", "POST"},
      {"Timeout", "30"},
      {"MachineDetection", "Enable"},
  };
  EXPECT_EQ(decode_fields(request.body), expected);
  // '+', '&', '?' and spaces are percent-encoded, never sent raw.
  EXPECT_NE(request.body.find("To=%2B14155551212"), std::string::npos) << request.body;
  EXPECT_EQ(request.body.find(' '), std::string::npos);
}

TEST_F(TwilioClientTest, CreateCallReadsTheQueuedCallFromTwiliosAnswer) {
  server_.enqueue({201, queued_call_json()});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->sid, kCallSid);
  EXPECT_EQ(call->status, "queued");
  EXPECT_EQ(call->to, "+14155551212");
  EXPECT_EQ(call->from, "+15005550006");
  EXPECT_EQ(call->direction, "outbound-api");
  EXPECT_FALSE(call->start_time.has_value());
  EXPECT_FALSE(call->end_time.has_value());
  EXPECT_FALSE(call->duration_seconds.has_value());
  EXPECT_EQ(call->answered_by, "");
}

TEST_F(TwilioClientTest, InvalidToNumberIsAPermanentErrorNamingTheToField) {
  server_.enqueue({400, twilio_error_json(21211, "The 'To' number +15005550001 is not a valid phone number.", 400)});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_FALSE(call.ok());
  const CarrierError& e = call.error();
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.twilio_code, 21211);
  EXPECT_EQ(e.field, "To");
  EXPECT_EQ(e.more_info, "https://www.twilio.com/docs/errors/21211");
  EXPECT_NE(e.message.find("21211"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("+15005550001"), std::string::npos) << "unmasked number: " << e.message;
  EXPECT_FALSE(e.outcome_unknown);
}

TEST_F(TwilioClientTest, EachTwilioRequestErrorNamesItsField) {
  const std::pair<int, const char*> cases[] = {
      {21212, "From"}, {21205, "Url"}, {21217, "To"}};
  auto client = make_client();
  for (const auto& [code, field] : cases) {
    server_.enqueue({400, twilio_error_json(code, "rejected", 400)});
    auto call = client->create_call(reminder_call());
    ASSERT_FALSE(call.ok());
    EXPECT_EQ(call.error().twilio_code, code);
    EXPECT_EQ(call.error().field, field) << code;
    EXPECT_FALSE(call.error().retryable()) << code;
  }
}

TEST_F(TwilioClientTest, BadCredentialsArePermanent) {
  server_.enqueue({401, twilio_error_json(20003, "Authenticate", 401)});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_FALSE(call.ok());
  EXPECT_FALSE(call.error().retryable());
  EXPECT_EQ(call.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(call.error().http_status, 401);
  EXPECT_EQ(call.error().twilio_code, 20003);
}

TEST_F(TwilioClientTest, TooManyRequestsIsRetryable) {
  server_.enqueue({429, twilio_error_json(20429, "Too Many Requests", 429)});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_FALSE(call.ok());
  EXPECT_TRUE(call.error().retryable());
  EXPECT_EQ(call.error().http_status, 429);
  EXPECT_EQ(call.error().twilio_code, 20429);
  EXPECT_FALSE(call.error().outcome_unknown);
}

TEST_F(TwilioClientTest, ServerErrorsAreRetryable) {
  auto client = make_client();
  for (int status : {500, 503}) {
    server_.enqueue({status, twilio_error_json(20500, "Internal Server Error", status)});
    auto call = client->create_call(reminder_call());
    ASSERT_FALSE(call.ok());
    EXPECT_TRUE(call.error().retryable()) << status;
    EXPECT_EQ(call.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(call.error().http_status, status);
  }
}

TEST_F(TwilioClientTest, ErrorBodyThatIsNotJsonGivesAClearErrorWithTheHttpStatus) {
  server_.enqueue({502, "<html><body>Bad Gateway</body></html>", 0ms, false, "text/html"});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_FALSE(call.ok());
  EXPECT_TRUE(call.error().retryable());
  EXPECT_EQ(call.error().http_status, 502);
  EXPECT_EQ(call.error().twilio_code, 0);
  EXPECT_NE(call.error().message.find("HTTP 502"), std::string::npos) << call.error().message;
  EXPECT_NE(call.error().message.find("not Twilio error JSON"), std::string::npos);
}

TEST_F(TwilioClientTest, SuccessBodyThatIsNotJsonIsAnInternalErrorWithUnknownOutcome) {
  server_.enqueue({201, "this is not json"});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(call.error().retryable());
  EXPECT_TRUE(call.error().outcome_unknown);
  EXPECT_NE(call.error().message.find("HTTP 201"), std::string::npos) << call.error().message;
}

TEST_F(TwilioClientTest, AnswerSlowerThanTheTimeoutIsARetryableTimeoutWithUnknownOutcome) {
  server_.enqueue({201, queued_call_json(), 2000ms});
  auto client = make_client(300ms);

  const auto started = std::chrono::steady_clock::now();
  auto call = client->create_call(reminder_call());
  const auto elapsed = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(call.ok());
  EXPECT_TRUE(call.error().retryable());
  EXPECT_TRUE(call.error().outcome_unknown);
  EXPECT_NE(call.error().message.find("timed out"), std::string::npos) << call.error().message;
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(TwilioClientTest, DroppedConnectionIsRetryable) {
  server_.enqueue({201, "", 0ms, /*drop_connection=*/true});
  auto client = make_client();

  auto call = client->create_call(reminder_call());

  ASSERT_FALSE(call.ok());
  EXPECT_TRUE(call.error().retryable());
  EXPECT_TRUE(call.error().outcome_unknown);
  EXPECT_EQ(call.error().http_status, 0);
}

TEST(TwilioClientConnectTest, RefusedConnectionIsRetryableAndKnownNotToHaveReachedTwilio) {
  std::string base;
  {
    FakeHttpServer gone;
    base = gone.base_url();
  }  // the port is closed now
  TwilioClientOptions options;
  options.api_base = base;
  options.account_sid = kAccountSid;
  options.auth_token = Secret(kAuthToken);
  auto client = TwilioClient::create(std::move(options));
  ASSERT_TRUE(client.ok());

  auto call = (*client)->create_call(reminder_call());

  ASSERT_FALSE(call.ok());
  EXPECT_TRUE(call.error().retryable());
  EXPECT_FALSE(call.error().outcome_unknown);
}

TEST_F(TwilioClientTest, FetchCallGetsTheCallPathAndParsesRfc2822Dates) {
  server_.enqueue({200, completed_call_json()});
  auto client = make_client();

  auto call = client->fetch_call(kCallSid);

  ASSERT_TRUE(call.ok()) << call.error().message;
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path,
            std::string("/2010-04-01/Accounts/") + kAccountSid + "/Calls/" + kCallSid + ".json");
  EXPECT_EQ(call->status, "completed");
  ASSERT_TRUE(call->start_time.has_value());
  ASSERT_TRUE(call->end_time.has_value());
  EXPECT_EQ(format_utc(*call->start_time), "2010-08-31T20:36:29Z");
  EXPECT_EQ(format_utc(*call->end_time), "2010-08-31T20:36:44Z");
  EXPECT_EQ(call->duration_seconds, 15);
  EXPECT_EQ(call->answered_by, "human");
}

TEST_F(TwilioClientTest, FetchCallOfAnUnknownSidIsNotFound) {
  server_.enqueue({404, twilio_error_json(20404, "The requested resource was not found", 404)});
  auto client = make_client();

  auto call = client->fetch_call(kCallSid);

  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(call.error().retryable());
}

TEST_F(TwilioClientTest, FetchCallRejectsATextThatIsNotACallSidWithoutSending) {
  auto client = make_client();

  auto call = client->fetch_call("../Messages");

  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(TwilioClientTest, ListCallsEncodesToAndStartTimeAfterAndFollowsPages) {
  const std::string next_page = calls_path() + "?To=%2B14155551212&PageSize=100&Page=1&PageToken=PAabc";
  server_.enqueue({200, R"({"calls": [)" + completed_call_json() + R"(], "next_page_uri": ")" +
                            next_page + R"(", "page": 0, "page_size": 100})"});
  server_.enqueue({200, R"({"calls": [)" + queued_call_json("CA00000000000000000000000000000001") +
                            R"(], "next_page_uri": null, "page": 1, "page_size": 100})"});
  auto client = make_client();
  CallFilter filter;
  filter.to = "+14155551212";
  filter.started_after = TimePoint{date::sys_days{date::year{2026} / 11 / 25}} + 14h;

  auto calls = client->list_calls(filter);

  ASSERT_TRUE(calls.ok()) << calls.error().message;
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].sid, kCallSid);
  EXPECT_EQ((*calls)[1].sid, "CA00000000000000000000000000000001");
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path, calls_path());
  EXPECT_EQ(requests[0].query, "To=%2B14155551212&StartTime%3E=2026-11-25T14%3A00%3A00Z&PageSize=100");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"To", "+14155551212"}, {"StartTime>", "2026-11-25T14:00:00Z"}, {"PageSize", "100"}};
  EXPECT_EQ(decode_fields(requests[0].query), expected);
  EXPECT_EQ(requests[1].target, next_page);
}

TEST_F(TwilioClientTest, SendSmsPostsToMessagesJson) {
  server_.enqueue({201, R"({"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued",
    "to": "+14155551212", "from": "+15005550006", "body": "Reply Y to confirm",
    "error_code": null, "error_message": null, "num_segments": "1"})"});
  auto client = make_client();
  SmsRequest sms{"+14155551212", "+15005550006", "Reply Y / N / R & see you", ""};

  auto message = client->send_sms(sms);

  ASSERT_TRUE(message.ok()) << message.error().message;
  EXPECT_EQ(message->sid, "SM0123456789abcdef0123456789abcdef");
  EXPECT_EQ(message->status, "queued");
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, std::string("/2010-04-01/Accounts/") + kAccountSid + "/Messages.json");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"To", "+14155551212"}, {"From", "+15005550006"}, {"Body", "Reply Y / N / R & see you"}};
  EXPECT_EQ(decode_fields(requests[0].body), expected);
}

TEST_F(TwilioClientTest, ConcurrentCreateCallsFromManyThreadsAllSucceed) {
  server_.set_default({201, queued_call_json(), 50ms});
  auto client = make_client();
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 3;
  std::atomic<int> succeeded{0};

  std::vector<std::thread> threads;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kCallsPerThread; ++j) {
        if (client->create_call(reminder_call()).ok()) ++succeeded;
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto elapsed = std::chrono::steady_clock::now() - started;

  EXPECT_EQ(succeeded.load(), kThreads * kCallsPerThread);
  EXPECT_EQ(server_.request_count(), static_cast<std::size_t>(kThreads * kCallsPerThread));
  // In flight together: far less than 24 x 50 ms one after another.
  EXPECT_LT(elapsed, 800ms);
}

TEST_F(TwilioClientTest, SequentialRequestsReuseOneConnection) {
  server_.set_default({201, queued_call_json()});
  auto client = make_client();

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->create_call(reminder_call()).ok());

  EXPECT_EQ(server_.request_count(), 5u);
  EXPECT_EQ(server_.connection_count(), 1u);
}

TEST_F(TwilioClientTest, AuthTokenNeverAppearsInAnyErrorMessage) {
  auto client = make_client(300ms);
  const std::string echo = std::string("Authenticate with token ") + kAuthToken;
  const FakeResponse answers[] = {
      {401, twilio_error_json(20003, echo, 401)},
      {400, twilio_error_json(21211, echo, 400)},
      {500, echo, 0ms, false, "text/plain"},
      {429, twilio_error_json(20429, echo, 429)},
      {201, echo},
      {201, queued_call_json(), 1000ms},
      {201, "", 0ms, true},
  };
  for (const auto& answer : answers) {
    server_.enqueue(answer);
    auto call = client->create_call(reminder_call());
    ASSERT_FALSE(call.ok());
    EXPECT_EQ(call.error().message.find(kAuthToken), std::string::npos) << call.error().message;
    EXPECT_EQ(call.error().to_error().message.find(kAuthToken), std::string::npos);
  }
}

TEST(TwilioClientOptionsTest, PlainHttpIsAcceptedOnlyForALoopbackHost) {
  auto make = [](std::string base) {
    TwilioClientOptions options;
    options.api_base = std::move(base);
    options.account_sid = kAccountSid;
    options.auth_token = Secret(kAuthToken);
    return TwilioClient::create(std::move(options));
  };
  EXPECT_TRUE(make("https://api.twilio.com").ok());
  EXPECT_TRUE(make("http://127.0.0.1:8089").ok());
  EXPECT_TRUE(make("http://localhost:8089/").ok());
  auto remote = make("http://api.twilio.com");
  ASSERT_FALSE(remote.ok());
  EXPECT_EQ(remote.error().field, "TWILIO_API_BASE");
  EXPECT_FALSE(make("ftp://127.0.0.1").ok());
  EXPECT_FALSE(make("https://api.twilio.com/2010-04-01").ok());
  EXPECT_FALSE(make("not a url").ok());
}

TEST(TwilioClientOptionsTest, MissingCredentialsAreRefusedNamingTheVariable) {
  TwilioClientOptions options;
  options.account_sid = kAccountSid;
  auto client = TwilioClient::create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().field, "TWILIO_AUTH_TOKEN");
}

}  // namespace
}  // namespace autovoice::telephony
