// The sandbox's Twilio REST semantics: auth, validation error codes, SIDs,
// response JSON shapes (checked against the fields TwilioClient reads) and
// list filtering.
#include "sandbox/rest.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "telephony/base64.h"
#include "telephony/sid.h"

namespace autovoice::sandbox {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const Account kAccount{"AC0123456789abcdef0123456789abcdef", "secret-token"};

// A JSON string member as std::string ("<not a string>" otherwise).
std::string text(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : "<not a string: " + json::serialize(v) + ">";
}

std::string basic(std::string_view user_pass) {
  const std::string text(user_pass);
  return "Basic " + telephony::base64_encode(std::span<const uint8_t>(
                        reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

FormParams valid_call() {
  return {{"To", "+15550100001"}, {"From", "+15550109999"}, {"Url", "https://shop.example/twiml"}};
}

FormParams with(FormParams base, std::string_view name, std::string value) {
  std::erase_if(base, [&](const auto& p) { return p.name == name; });
  base.push_back({std::string(name), std::move(value)});
  return base;
}

FormParams without(FormParams base, std::string_view name) {
  std::erase_if(base, [&](const auto& p) { return p.name == name; });
  return base;
}

TimePoint at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}} + std::chrono::hours{hh} +
         std::chrono::minutes{mm} + std::chrono::seconds{ss};
}

TEST(RestAuthTest, AcceptsTheAccountSidAndToken) {
  EXPECT_TRUE(authenticate(kAccount, basic(kAccount.sid + ":" + kAccount.auth_token)).ok());
  EXPECT_TRUE(authenticate(kAccount, "basic " + basic(kAccount.sid + ":secret-token").substr(6)).ok());
}

TEST(RestAuthTest, RejectsEverythingElseWithTwilios20003) {
  const std::vector<std::string> headers = {
      "",
      "Bearer abc",
      "Basic",
      "Basic !!!notbase64",
      basic(kAccount.sid + ":wrong-token"),
      basic("AC00000000000000000000000000000000:secret-token"),
      basic(kAccount.sid),
      basic(kAccount.sid + ":secret-token:extra"),
  };
  for (const auto& header : headers) {
    auto r = authenticate(kAccount, header);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.error(), (ApiError{401, 20003, "Authenticate",
                                   "https://www.twilio.com/docs/errors/20003"}))
        << header;
  }
}

TEST(RestValidationTest, AcceptsAMinimalCallWithTwiliosDefaults) {
  auto call = validate_create_call(valid_call());
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->to, "+15550100001");
  EXPECT_EQ(call->from, "+15550109999");
  EXPECT_EQ(call->url, "https://shop.example/twiml");
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(call->status_callback_method, "POST");
  EXPECT_EQ(call->timeout_s, 60);
  EXPECT_TRUE(call->status_callback.empty());
  EXPECT_TRUE(call->status_callback_events.empty());
  EXPECT_FALSE(call->machine_detection_asked());
}

TEST(RestValidationTest, ReadsEveryOptionalCallParameter) {
  FormParams p = valid_call();
  p.push_back({"Method", "get"});
  p.push_back({"StatusCallback", "http://127.0.0.1:8080/status"});
  p.push_back({"StatusCallbackEvent", "initiated ringing"});
  p.push_back({"StatusCallbackEvent", "Answered"});
  p.push_back({"StatusCallbackEvent", "ringing"});
  p.push_back({"StatusCallbackEvent", "completed"});
  p.push_back({"StatusCallbackMethod", "GET"});
  p.push_back({"Timeout", "25"});
  p.push_back({"MachineDetection", "DetectMessageEnd"});
  auto call = validate_create_call(p);
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->method, "GET");
  EXPECT_EQ(call->status_callback, "http://127.0.0.1:8080/status");
  EXPECT_EQ(call->status_callback_events,
            (std::vector<std::string>{"initiated", "ringing", "answered", "completed"}));
  EXPECT_EQ(call->status_callback_method, "GET");
  EXPECT_EQ(call->timeout_s, 25);
  EXPECT_EQ(call->machine_detection, "DetectMessageEnd");
}

TEST(RestValidationTest, ClampsTimeoutToFiveToSixHundredSeconds) {
  EXPECT_EQ(validate_create_call(with(valid_call(), "Timeout", "1"))->timeout_s, 5);
  EXPECT_EQ(validate_create_call(with(valid_call(), "Timeout", "600"))->timeout_s, 600);
  EXPECT_EQ(validate_create_call(with(valid_call(), "Timeout", "9999"))->timeout_s, 600);
}

struct CallErrorCase {
  const char* name;
  FormParams params;
  int code;
};

TEST(RestValidationTest, RejectsBadCallsWithTwiliosErrorCodes) {
  const std::vector<CallErrorCase> cases = {
      {"missing To", without(valid_call(), "To"), 21201},
      {"empty To", with(valid_call(), "To", ""), 21201},
      {"To not E.164", with(valid_call(), "To", "5550100001"), 21211},
      {"To with letters", with(valid_call(), "To", "+1555CALLME"), 21211},
      {"missing From", without(valid_call(), "From"), 21213},
      {"From not E.164", with(valid_call(), "From", "shop"), 21212},
      {"missing Url", without(valid_call(), "Url"), 21205},
      {"relative Url", with(valid_call(), "Url", "/twiml"), 21205},
      {"ftp Url", with(valid_call(), "Url", "ftp://shop.example/twiml"), 21205},
      {"Url without host", with(valid_call(), "Url", "https:///twiml"), 21205},
      {"bad Method", with(valid_call(), "Method", "PUT"), 20001},
      {"bad StatusCallbackMethod", with(valid_call(), "StatusCallbackMethod", "DELETE"), 20001},
      {"bad StatusCallback", with(valid_call(), "StatusCallback", "not a url"), 21609},
      {"Timeout not a number", with(valid_call(), "Timeout", "ten"), 21208},
      {"Timeout zero", with(valid_call(), "Timeout", "0"), 21208},
      {"Timeout negative", with(valid_call(), "Timeout", "-5"), 21208},
      {"bad MachineDetection", with(valid_call(), "MachineDetection", "yes"), 20001},
  };
  for (const auto& c : cases) {
    auto r = validate_create_call(c.params);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, c.code) << c.name;
    EXPECT_EQ(r.error().http_status, 400) << c.name;
    EXPECT_EQ(r.error().more_info, "https://www.twilio.com/docs/errors/" + std::to_string(c.code))
        << c.name;
    EXPECT_FALSE(r.error().message.empty()) << c.name;
  }
}

TEST(RestValidationTest, AnUnassignedNumberIsTwilios21211NamingIt) {
  const ApiError e = unassigned_number_error("+12125550199");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.code, 21211);
  EXPECT_EQ(e.message, "The 'To' number +12125550199 is not a valid phone number.");
  EXPECT_EQ(e.more_info, "https://www.twilio.com/docs/errors/21211");
  const json::object body = error_json(e);
  EXPECT_EQ(body.at("code").as_int64(), 21211);
  EXPECT_EQ(body.at("status").as_int64(), 400);
  EXPECT_EQ(text(body.at("more_info")), "https://www.twilio.com/docs/errors/21211");
}

FormParams valid_message() {
  return {{"To", "+15550100001"}, {"From", "+15550109999"}, {"Body", "Reply Y to confirm"}};
}

TEST(RestValidationTest, AcceptsAMessage) {
  auto m = validate_create_message(with(valid_message(), "StatusCallback", "https://h/sms"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->body, "Reply Y to confirm");
  EXPECT_EQ(m->status_callback, "https://h/sms");
  // 1600 code points are allowed, even when multi-byte.
  std::string long_body;
  for (int i = 0; i < 1600; ++i) long_body += "\xC3\xA9";
  EXPECT_TRUE(validate_create_message(with(valid_message(), "Body", long_body)).ok());
}

TEST(RestValidationTest, RejectsBadMessagesWithTwiliosErrorCodes) {
  const std::vector<CallErrorCase> cases = {
      {"missing To", without(valid_message(), "To"), 21604},
      {"invalid To", with(valid_message(), "To", "12"), 21211},
      {"missing From", without(valid_message(), "From"), 21603},
      {"invalid From", with(valid_message(), "From", "+0123"), 21212},
      {"missing Body", without(valid_message(), "Body"), 21602},
      {"empty Body", with(valid_message(), "Body", ""), 21602},
      {"Body over 1600", with(valid_message(), "Body", std::string(1601, 'x')), 21617},
      {"bad StatusCallback", with(valid_message(), "StatusCallback", "mailto:x@y"), 21609},
  };
  for (const auto& c : cases) {
    auto r = validate_create_message(c.params);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, c.code) << c.name;
    EXPECT_EQ(r.error().http_status, 400) << c.name;
  }
}

TEST(RestSidTest, IsPrefixAnd32LowercaseHexAndDeterministic) {
  std::set<std::string> seen;
  for (uint64_t seed : {0ULL, 1ULL, 2ULL, 42ULL, ~0ULL}) {
    const std::string sid = new_sid("CA", seed);
    EXPECT_TRUE(telephony::is_sid(sid, "CA")) << sid;
    EXPECT_EQ(sid.find_first_of("ABCDEF", 2), std::string::npos) << sid;
    EXPECT_EQ(sid, new_sid("CA", seed));
    seen.insert(sid);
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_TRUE(telephony::is_sid(new_sid("SM", 7), "SM"));
}

TEST(RestJsonTest, FormatsDatesInRfc2822LikeTwilio) {
  EXPECT_EQ(format_rfc2822(at(2010, 8, 31, 20, 36, 28)), "Tue, 31 Aug 2010 20:36:28 +0000");
  EXPECT_EQ(format_rfc2822(at(2026, 1, 5, 9, 5, 3)), "Mon, 05 Jan 2026 09:05:03 +0000");
}

CallRecord queued_call() {
  CallRecord call;
  call.sid = new_sid("CA", 1);
  call.request = *validate_create_call(valid_call());
  call.date_created = at(2026, 3, 2, 14, 0, 0);
  call.date_updated = call.date_created;
  return call;
}

TEST(RestJsonTest, QueuedCallHasTwiliosFieldsWithNullsForUnsetValues) {
  const json::object obj = call_json(queued_call(), kAccount);
  for (const char* key :
       {"account_sid", "annotation", "answered_by", "api_version", "caller_name", "date_created",
        "date_updated", "direction", "duration", "end_time", "forwarded_from", "from",
        "from_formatted", "group_sid", "parent_call_sid", "phone_number_sid", "price",
        "price_unit", "queue_time", "sid", "start_time", "status", "subresource_uris", "to",
        "to_formatted", "trunk_sid", "uri"}) {
    EXPECT_TRUE(obj.contains(key)) << key;
  }
  EXPECT_EQ(obj.size(), 27u);
  const std::string sid = new_sid("CA", 1);
  EXPECT_EQ(text(obj.at("sid")), sid);
  EXPECT_EQ(text(obj.at("account_sid")), kAccount.sid);
  EXPECT_EQ(text(obj.at("status")), "queued");
  EXPECT_EQ(text(obj.at("direction")), "outbound-api");
  EXPECT_EQ(text(obj.at("api_version")), "2010-04-01");
  EXPECT_EQ(text(obj.at("to")), "+15550100001");
  EXPECT_EQ(text(obj.at("to_formatted")), "(555) 010-0001");
  EXPECT_EQ(text(obj.at("from")), "+15550109999");
  EXPECT_EQ(text(obj.at("date_created")), "Mon, 02 Mar 2026 14:00:00 +0000");
  EXPECT_TRUE(obj.at("start_time").is_null());
  EXPECT_TRUE(obj.at("end_time").is_null());
  EXPECT_TRUE(obj.at("duration").is_null());
  EXPECT_TRUE(obj.at("answered_by").is_null());
  EXPECT_TRUE(obj.at("price").is_null());
  EXPECT_EQ(text(obj.at("uri")), "/2010-04-01/Accounts/" + kAccount.sid + "/Calls/" + sid + ".json");
  EXPECT_EQ(text(obj.at("subresource_uris").at("recordings")),
            "/2010-04-01/Accounts/" + kAccount.sid + "/Calls/" + sid + "/Recordings.json");
}

TEST(RestJsonTest, FinishedCallCarriesTimesDurationAsStringAndAnsweredBy) {
  CallRecord call = queued_call();
  call.status = "completed";
  call.start_time = at(2026, 3, 2, 14, 0, 1);
  call.end_time = at(2026, 3, 2, 14, 0, 16);
  call.duration_s = 15;
  call.answered_by = "human";
  const json::object obj = call_json(call, kAccount);
  EXPECT_EQ(text(obj.at("duration")), "15");
  EXPECT_EQ(text(obj.at("start_time")), "Mon, 02 Mar 2026 14:00:01 +0000");
  EXPECT_EQ(text(obj.at("end_time")), "Mon, 02 Mar 2026 14:00:16 +0000");
  EXPECT_EQ(text(obj.at("answered_by")), "human");
}

// The same reading TwilioClient's parse_call does: strings for sid/status/to/
// from/direction/answered_by, duration as a number or numeric string, and
// start_time/end_time parsed with "%a, %d %b %Y %T %z".
TEST(RestJsonTest, CallJsonReadsBackThroughTheClientsExpectations) {
  CallRecord call = queued_call();
  call.status = "completed";
  call.start_time = at(2026, 3, 2, 14, 0, 1);
  call.end_time = at(2026, 3, 2, 14, 0, 16);
  call.duration_s = 15;
  const json::value round_trip = json::parse(json::serialize(call_json(call, kAccount)));
  const json::object& obj = round_trip.as_object();
  for (const char* key : {"sid", "status", "to", "from", "direction"}) {
    ASSERT_TRUE(obj.at(key).is_string()) << key;
  }
  EXPECT_EQ(std::stoi(std::string(obj.at("duration").as_string())), 15);
  for (auto [key, expected] : {std::pair{"start_time", *call.start_time},
                               std::pair{"end_time", *call.end_time}}) {
    std::istringstream in(std::string(obj.at(key).as_string()));
    in.imbue(std::locale::classic());
    TimePoint tp;
    in >> date::parse("%a, %d %b %Y %T %z", tp);
    ASSERT_FALSE(in.fail()) << key;
    EXPECT_EQ(tp, expected) << key;
  }
}

TEST(RestJsonTest, MessageHasTwiliosFields) {
  MessageRecord m;
  m.sid = new_sid("SM", 3);
  m.request = *validate_create_message(valid_message());
  m.date_created = at(2026, 3, 2, 14, 0, 0);
  m.date_updated = m.date_created;
  const json::object obj = message_json(m, kAccount);
  for (const char* key :
       {"account_sid", "api_version", "body", "date_created", "date_sent", "date_updated",
        "direction", "error_code", "error_message", "from", "messaging_service_sid", "num_media",
        "num_segments", "price", "price_unit", "sid", "status", "subresource_uris", "to", "uri"}) {
    EXPECT_TRUE(obj.contains(key)) << key;
  }
  EXPECT_EQ(text(obj.at("status")), "queued");
  EXPECT_EQ(text(obj.at("num_segments")), "1");
  EXPECT_TRUE(obj.at("date_sent").is_null());
  EXPECT_EQ(text(obj.at("uri")), "/2010-04-01/Accounts/" + kAccount.sid + "/Messages/" + m.sid + ".json");
}

TEST(RestJsonTest, ErrorJsonIsTwiliosFourFields) {
  const ApiError e = ApiError::make(400, 21211, "The 'To' number 12 is not a valid phone number.");
  EXPECT_EQ(json::serialize(error_json(e)),
            R"({"code":21211,"message":"The 'To' number 12 is not a valid phone number.",)"
            R"("more_info":"https://www.twilio.com/docs/errors/21211","status":400})");
  const ApiError nf = not_found_error("/2010-04-01/Accounts/AC1/Calls/CA1.json");
  EXPECT_EQ(nf.http_status, 404);
  EXPECT_EQ(nf.code, 20404);
  EXPECT_EQ(nf.message, "The requested resource /2010-04-01/Accounts/AC1/Calls/CA1.json was not found");
}

std::vector<CallRecord> three_calls() {
  std::vector<CallRecord> calls;
  for (int i = 0; i < 3; ++i) {
    CallRecord c = queued_call();
    c.sid = new_sid("CA", static_cast<uint64_t>(i));
    c.request.to = i == 1 ? "+15550100002" : "+15550100001";
    c.date_created = at(2026, 3, 2, 14, i, 0);
    if (i == 0) c.start_time = at(2026, 3, 2, 14, 0, 1);
    calls.push_back(c);
  }
  return calls;
}

std::vector<std::string> listed_sids(const json::object& page) {
  std::vector<std::string> sids;
  for (const auto& c : page.at("calls").as_array()) sids.emplace_back(c.at("sid").as_string());
  return sids;
}

TEST(RestListTest, ListsNewestFirstWithTwiliosPagingFields) {
  auto query = parse_call_list_query({});
  ASSERT_TRUE(query.ok());
  const json::object page = calls_page_json(three_calls(), *query, kAccount);
  EXPECT_EQ(listed_sids(page),
            (std::vector<std::string>{new_sid("CA", 2), new_sid("CA", 1), new_sid("CA", 0)}));
  EXPECT_TRUE(page.at("next_page_uri").is_null());
  EXPECT_TRUE(page.at("previous_page_uri").is_null());
  EXPECT_EQ(page.at("page"), 0);
  EXPECT_EQ(page.at("page_size"), 50);
  EXPECT_EQ(page.at("start"), 0);
  EXPECT_EQ(page.at("end"), 2);
  EXPECT_TRUE(page.at("uri").as_string().starts_with("/2010-04-01/Accounts/" + kAccount.sid +
                                                      "/Calls.json?"));
}

struct FilterCase {
  const char* name;
  FormParams query;
  std::vector<uint64_t> expected_seeds;
};

TEST(RestListTest, FiltersByToAndStartTimeOnOrAfter) {
  const std::vector<FilterCase> cases = {
      {"To", {{"To", "+15550100001"}}, {2, 0}},
      {"other To", {{"To", "+15550100002"}}, {1}},
      {"unknown To", {{"To", "+15550100009"}}, {}},
      {"StartTime> as the client sends it", {{"StartTime>", "2026-03-02T14:01:00Z"}}, {2, 1}},
      {"StartTime> with an offset", {{"StartTime>", "2026-03-02T09:02:00-05:00"}}, {2}},
      {"StartTime> as a date", {{"StartTime>", "2026-03-02"}}, {2, 1, 0}},
      {"StartTime> the next day", {{"StartTime>", "2026-03-03"}}, {}},
      {"both", {{"To", "+15550100001"}, {"StartTime>", "2026-03-02T14:00:30Z"}}, {2}},
  };
  for (const auto& c : cases) {
    auto query = parse_call_list_query(c.query);
    ASSERT_TRUE(query.ok()) << c.name;
    std::vector<std::string> expected;
    for (uint64_t seed : c.expected_seeds) expected.push_back(new_sid("CA", seed));
    EXPECT_EQ(listed_sids(calls_page_json(three_calls(), *query, kAccount)), expected) << c.name;
  }
}

TEST(RestListTest, PagesWithANextPageUriTheClientCanFollow) {
  auto query = parse_call_list_query({{"To", "+15550100001"}, {"PageSize", "1"}});
  ASSERT_TRUE(query.ok());
  const json::object first = calls_page_json(three_calls(), *query, kAccount);
  EXPECT_EQ(listed_sids(first), std::vector<std::string>{new_sid("CA", 2)});
  const std::string next(first.at("next_page_uri").as_string());
  ASSERT_TRUE(next.starts_with("/2010-04-01/Accounts/" + kAccount.sid + "/Calls.json?"));
  auto decoded = telephony::decode_form(next.substr(next.find('?') + 1));
  ASSERT_TRUE(decoded.ok());
  auto second_query = parse_call_list_query(*decoded);
  ASSERT_TRUE(second_query.ok());
  const json::object second = calls_page_json(three_calls(), *second_query, kAccount);
  EXPECT_EQ(listed_sids(second), std::vector<std::string>{new_sid("CA", 0)});
  EXPECT_TRUE(second.at("next_page_uri").is_null());
  EXPECT_FALSE(second.at("previous_page_uri").is_null());
}

TEST(RestListTest, RejectsMalformedQueryParameters) {
  for (const FormParams& q : std::vector<FormParams>{{{"StartTime>", "yesterday"}},
                                                     {{"PageSize", "0"}},
                                                     {{"PageSize", "1001"}},
                                                     {{"Page", "-1"}}}) {
    auto r = parse_call_list_query(q);
    ASSERT_FALSE(r.ok()) << q[0].name;
    EXPECT_EQ(r.error().http_status, 400);
    EXPECT_EQ(r.error().code, 20001);
  }
}

}  // namespace
}  // namespace autovoice::sandbox
