// The sandbox carrier end to end: the real `autovoice sandbox` binary on
// loopback, driven through its REST API, calling a minimal TwiML application
// (tests/support/twiml_app.h) and recording what the network saw.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "support/sandbox_process.h"
#include "telephony/form.h"
#include "support/twiml_app.h"

namespace autovoice::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string form(const telephony::FormParams& params) { return telephony::encode_form(params); }

std::string str(const json::value& v, std::string_view key) {
  const auto* p = v.as_object().if_contains(key);
  if (!p || !p->is_string()) return {};
  return std::string(p->as_string());
}

std::string param(const AppWebhook& hook, std::string_view name) {
  return std::string(telephony::form_value(hook.params, name).value_or(""));
}

// Events of a call's record with the given "event" name.
std::vector<json::object> events_named(const json::value& record, std::string_view name) {
  std::vector<json::object> out;
  for (const auto& e : record.as_object().at("events").as_array()) {
    if (e.as_object().at("event").as_string() == name) out.push_back(e.as_object());
  }
  return out;
}

class SandboxTest : public ::testing::Test {
 protected:
  // Creates a call and returns its SID (asserting a 201).
  std::string create_call(SandboxProcess& sandbox, const std::string& to, const std::string& url,
                          telephony::FormParams extra = {}) {
    telephony::FormParams params{{"To", to}, {"From", "+15550009999"}, {"Url", url},
                                 {"StatusCallback", app.url("/status")}};
    for (const auto* e : {"initiated", "ringing", "answered", "completed"}) {
      params.push_back({"StatusCallbackEvent", e});
    }
    params.insert(params.end(), extra.begin(), extra.end());
    auto r = sandbox.post_api("Calls.json", form(params));
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    return str(r.json(), "sid");
  }

  TwimlApp app{kTestAuthToken, /*prompt_frames=*/25, /*tail_frames=*/1500};
};

// --- REST ----------------------------------------------------------------------

TEST_F(SandboxTest, CreatesCallsWithTwiliosResourceShape) {
  SandboxProcess sandbox({"--speed", "20"});
  auto r = sandbox.post_api("Calls.json", form({{"To", "+15550100001"},
                                                {"From", "+15550009999"},
                                                {"Url", app.url("/voice/say")}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto call = r.json().as_object();
  EXPECT_TRUE(std::regex_match(std::string(call.at("sid").as_string()),
                               std::regex("CA[0-9a-f]{32}")));
  EXPECT_EQ(call.at("status").as_string(), "queued");
  EXPECT_EQ(call.at("direction").as_string(), "outbound-api");
  EXPECT_EQ(call.at("account_sid").as_string(), kTestAccountSid);
  EXPECT_EQ(call.at("to").as_string(), "+15550100001");
  EXPECT_EQ(call.at("api_version").as_string(), "2010-04-01");
  EXPECT_TRUE(call.at("duration").is_null());
  EXPECT_EQ(call.at("uri").as_string(), "/2010-04-01/Accounts/" + std::string(kTestAccountSid) +
                                            "/Calls/" + std::string(call.at("sid").as_string()) +
                                            ".json");
  // Fetch returns the same call.
  auto fetched = sandbox.get_api("Calls/" + std::string(call.at("sid").as_string()) + ".json");
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.json().as_object().at("sid"), call.at("sid"));
}

TEST_F(SandboxTest, RejectsBadCredentialsWithTwiliosError) {
  SandboxProcess sandbox;
  for (const auto& auth : {basic_auth(kTestAccountSid, "wrong"), std::string(""),
                           std::string("Bearer x"), basic_auth("AC00000000000000000000000000000000",
                                                               kTestAuthToken)}) {
    auto r = http_call("POST", sandbox.api("Calls.json"),
                       form({{"To", "+15550100001"}, {"From", "+15550009999"},
                             {"Url", app.url("/voice/say")}}),
                       {{"Authorization", auth}});
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(r.json().as_object().at("code").as_int64(), 20003);
  }
  auto list = http_call("GET", sandbox.base_url() + "/sandbox/calls");
  EXPECT_TRUE(list.json().as_object().at("calls").as_array().empty()) << "nothing was created";
}

TEST_F(SandboxTest, ValidatesCallParametersWithTwiliosCodes) {
  SandboxProcess sandbox;
  struct Case {
    telephony::FormParams params;
    int code;
  } cases[] = {
      {{{"To", "5550100"}, {"From", "+15550009999"}, {"Url", app.url("/voice/say")}}, 21211},
      {{{"To", "+15550100001"}, {"From", "nobody"}, {"Url", app.url("/voice/say")}}, 21212},
      {{{"To", "+15550100001"}, {"From", "+15550009999"}, {"Url", "not a url"}}, 21205},
      {{{"To", "+15550100001"}, {"From", "+15550009999"}}, 21205},
      {{{"From", "+15550009999"}, {"Url", app.url("/voice/say")}}, 21201},
  };
  for (const auto& c : cases) {
    auto r = sandbox.post_api("Calls.json", form(c.params));
    EXPECT_EQ(r.status, 400) << form(c.params);
    EXPECT_EQ(r.json().as_object().at("code").as_int64(), c.code) << r.body;
    EXPECT_EQ(r.json().as_object().at("more_info").as_string(),
              "https://www.twilio.com/docs/errors/" + std::to_string(c.code));
  }
  auto unknown = sandbox.get_api("Calls/CA00000000000000000000000000000000.json");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json().as_object().at("code").as_int64(), 20404);
}

TEST_F(SandboxTest, ANumberNotInServiceIsRefusedWith21211AndNoCallExists) {
  SandboxProcess sandbox({"--speed", "50"}, R"({"numbers": {"+12125550199": {"answer": "invalid"}}})");
  auto r = sandbox.post_api("Calls.json", form({{"To", "+12125550199"},
                                                {"From", "+15550009999"},
                                                {"Url", app.url("/voice/say")}}));
  ASSERT_EQ(r.status, 400) << r.body;
  const json::value body = r.json();
  EXPECT_EQ(body.at("code").as_int64(), 21211) << r.body;
  EXPECT_EQ(body.at("status").as_int64(), 400);
  EXPECT_EQ(body.at("message").as_string(), "The 'To' number +12125550199 is not a valid phone number.");
  EXPECT_EQ(body.at("more_info").as_string(), "https://www.twilio.com/docs/errors/21211");
  // Another number is called as usual.
  EXPECT_FALSE(create_call(sandbox, "+12125550198", app.url("/voice/say")).empty());

  auto calls = http_call("GET", sandbox.base_url() + "/sandbox/calls?to=%2B12125550199");
  ASSERT_EQ(calls.status, 200);
  EXPECT_TRUE(calls.json().at("calls").as_array().empty()) << calls.body;
  auto listed = sandbox.get_api("Calls.json?To=%2B12125550199");
  ASSERT_EQ(listed.status, 200);
  EXPECT_TRUE(listed.json().at("calls").as_array().empty()) << listed.body;
  const json::value stats = http_call("GET", sandbox.base_url() + "/sandbox/stats").json();
  EXPECT_EQ(stats.at("calls_rejected").as_int64(), 1) << stats;
  EXPECT_EQ(stats.at("calls_created").as_int64(), 1) << stats;
}

TEST_F(SandboxTest, ListsCallsFilteredByToAndStartTime) {
  SandboxProcess sandbox({"--speed", "50"});
  const std::string a = create_call(sandbox, "+15550100001", app.url("/voice/say"));
  create_call(sandbox, "+15550100002", app.url("/voice/say"));
  const std::string c = create_call(sandbox, "+15550100001", app.url("/voice/say"));
  auto r = sandbox.get_api("Calls.json?To=%2B15550100001&StartTime%3E=2020-01-01");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value listed = r.json();
  const auto& calls = listed.as_object().at("calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  std::set<std::string> sids{str(calls[0], "sid"), str(calls[1], "sid")};
  EXPECT_EQ(sids, (std::set<std::string>{a, c}));
  auto future = sandbox.get_api("Calls.json?StartTime%3E=2999-01-01");
  ASSERT_EQ(future.status, 200);
  EXPECT_TRUE(future.json().as_object().at("calls").as_array().empty());
  auto bad = sandbox.get_api("Calls.json?StartTime%3E=yesterday");
  EXPECT_EQ(bad.status, 400);
}

TEST_F(SandboxTest, SendsMessagesAndTheirSignedStatusCallbacks) {
  SandboxProcess sandbox({"--speed", "20"});
  auto r = sandbox.post_api("Messages.json", form({{"To", "+15550100001"},
                                                   {"From", "+15550009999"},
                                                   {"Body", "Reply Y to confirm"},
                                                   {"StatusCallback", app.url("/sms")}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(std::regex_match(str(r.json(), "sid"), std::regex("SM[0-9a-f]{32}")));
  ASSERT_TRUE(TwimlApp::wait_until([&] { return app.webhooks("/sms").size() == 2; }, 5s));
  const auto hooks = app.webhooks("/sms");
  EXPECT_EQ(param(hooks[0], "MessageStatus"), "sent");
  EXPECT_EQ(param(hooks[1], "MessageStatus"), "delivered");
  for (const auto& h : hooks) EXPECT_TRUE(h.signature_valid);
  auto missing = sandbox.post_api("Messages.json", form({{"To", "+15550100001"},
                                                         {"From", "+15550009999"}}));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json().as_object().at("code").as_int64(), 21602);
}

// --- the call lifecycle -------------------------------------------------------------

TEST_F(SandboxTest, StatusCallbacksArriveSignedAndInOrder) {
  SandboxProcess sandbox({"--speed", "20"});
  const std::string sid = create_call(sandbox, "+15550100001", app.url("/voice/say"),
                                      {{"MachineDetection", "Enable"}});
  ASSERT_FALSE(sid.empty());
  const auto record = sandbox.wait_for_end(sid);
  EXPECT_EQ(str(record, "status"), "completed");
  ASSERT_TRUE(TwimlApp::wait_until([&] { return app.webhooks("/status").size() == 4; }, 5s));
  const auto hooks = app.webhooks("/status");
  const std::vector<std::string> expected{"initiated", "ringing", "in-progress", "completed"};
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    EXPECT_TRUE(hooks[i].signature_valid) << i;
    EXPECT_EQ(param(hooks[i], "CallStatus"), expected[i]);
    EXPECT_EQ(param(hooks[i], "SequenceNumber"), std::to_string(i));
    EXPECT_EQ(param(hooks[i], "CallSid"), sid);
    EXPECT_EQ(param(hooks[i], "AccountSid"), kTestAccountSid);
    EXPECT_EQ(param(hooks[i], "Direction"), "outbound-api");
    EXPECT_EQ(param(hooks[i], "ApiVersion"), "2010-04-01");
    EXPECT_FALSE(param(hooks[i], "Timestamp").empty());
  }
  EXPECT_EQ(param(hooks[2], "AnsweredBy"), "human");
  EXPECT_FALSE(param(hooks[3], "CallDuration").empty());
  // The TwiML was fetched once, signed, with the call's parameters.
  const auto voice = app.webhooks("/voice/say");
  ASSERT_EQ(voice.size(), 1u);
  EXPECT_TRUE(voice[0].signature_valid);
  EXPECT_EQ(param(voice[0], "CallStatus"), "in-progress");
  EXPECT_EQ(param(voice[0], "To"), "+15550100001");
  EXPECT_EQ(events_named(record, "say").size(), 1u);
}

TEST_F(SandboxTest, BusyNoAnswerAndFailedCalleesNeverReachTheApplication) {
  SandboxProcess sandbox({"--speed", "50"}, R"({"numbers": {
      "+15550100010": {"answer": "busy"},
      "+15550100011": {"answer": "no-answer"},
      "+15550100012": {"answer": "fail"}}})");
  const std::string busy = create_call(sandbox, "+15550100010", app.url("/voice/say"));
  const std::string none = create_call(sandbox, "+15550100011", app.url("/voice/say"),
                                       {{"Timeout", "5"}});
  const std::string failed = create_call(sandbox, "+15550100012", app.url("/voice/say"));
  EXPECT_EQ(str(sandbox.wait_for_end(busy), "status"), "busy");
  EXPECT_EQ(str(sandbox.wait_for_end(none), "status"), "no-answer");
  EXPECT_EQ(str(sandbox.wait_for_end(failed), "status"), "failed");
  EXPECT_TRUE(app.webhooks("/voice/say").empty());
  ASSERT_TRUE(TwimlApp::wait_until([&] {
    int finals = 0;
    for (const auto& h : app.webhooks("/status")) {
      const auto s = param(h, "CallStatus");
      finals += s == "busy" || s == "no-answer" || s == "failed";
    }
    return finals == 3;
  }, 5s));
}

TEST_F(SandboxTest, VoicemailIsAnsweredByAMachine) {
  SandboxProcess sandbox({"--speed", "50"},
                         R"({"numbers": {"+15550100020": {"answer": "voicemail", "hangup_after_s": 4}}})");
  const std::string sid = create_call(sandbox, "+15550100020", app.url("/voice/say"),
                                      {{"MachineDetection", "DetectMessageEnd"}});
  const auto record = sandbox.wait_for_end(sid);
  EXPECT_EQ(str(record, "answered_by"), "machine_end_beep");
  const auto voice = app.webhooks("/voice/say");
  ASSERT_EQ(voice.size(), 1u);
  EXPECT_EQ(param(voice[0], "AnsweredBy"), "machine_end_beep");
}

// --- TwiML ----------------------------------------------------------------------------

TEST_F(SandboxTest, MediaStreamCarriesParametersDtmfAndMarks) {
  // Speed 5: the 25-frame prompt (500 ms) plays in 100 ms; the callee presses
  // 2 (clear) at 3 s and # (the application hangs up) at 6 s: 600 ms of wall
  // time after the clear, for its mark to come back even on a loaded machine.
  SandboxProcess sandbox({"--speed", "5"}, R"({"numbers": {"+15550100030": {
      "answer_after_s": 1, "keys": [{"at_s": 3, "digits": "2"}, {"at_s": 6, "digits": "#"}]}}})");
  const std::string sid = create_call(sandbox, "+15550100030",
                                      app.url("/voice/stream?appointment_id=77"));
  const auto record = sandbox.wait_for_end(sid);
  EXPECT_EQ(str(record, "status"), "completed");
  const auto streams = app.streams();
  ASSERT_EQ(streams.size(), 1u);
  const AppStream& s = streams[0];
  EXPECT_TRUE(s.signature_valid);
  ASSERT_GE(s.events.size(), 3u);
  EXPECT_EQ(s.events[0], "connected");
  EXPECT_EQ(s.events[1], "start");
  EXPECT_EQ(s.custom_parameters.at("call_type"), "outbound_reminder");
  EXPECT_EQ(s.custom_parameters.at("appointment_id"), "77");
  EXPECT_EQ(s.call_sid, sid);
  EXPECT_TRUE(std::regex_match(s.stream_sid, std::regex("MZ[0-9a-f]{32}")));
  EXPECT_EQ(s.dtmf, (std::vector<std::string>{"2", "#"}));
  // Callee audio: about 50 frames a second of network time for ~3 s.
  EXPECT_GT(s.media_frames, 100);
  EXPECT_TRUE(s.chunks_in_order);
  // The prompt's mark came back after its 500 ms (100 ms real) had played.
  ASSERT_EQ(s.marks.size(), 2u);
  EXPECT_EQ(s.marks[0], "prompt");
  EXPECT_GE(s.prompt_mark_at - s.prompt_sent_at, 90ms);
  // The 30 s tail (6 s on the wall) was cleared by key 2 at 3 s: its mark came
  // back then, long before the tail could have played.
  EXPECT_EQ(s.marks[1], "tail");
  EXPECT_LT(s.tail_mark_at - s.tail_sent_at, 3000ms);
  // The record saw the same: the stream, the frames both ways, the clear.
  EXPECT_EQ(events_named(record, "stream").size(), 1u);
  EXPECT_EQ(events_named(record, "clear").size(), 1u);
  EXPECT_EQ(events_named(record, "dtmf").size(), 2u);
  EXPECT_GE(record.as_object().at("media").as_object().at("messages_received").as_int64(), 1525);
}

TEST_F(SandboxTest, CalleeSpeechReachesTheStreamAsAudio) {
  SandboxProcess sandbox({"--speed", "5"}, R"({"numbers": {"+15550100032": {
      "answer_after_s": 1, "hangup_after_s": 6,
      "say": [{"at_s": 2, "text": "yes that works for me"}]}}})");
  const std::string sid = create_call(sandbox, "+15550100032", app.url("/voice/stream"));
  const auto record = sandbox.wait_for_end(sid);
  ASSERT_TRUE(TwimlApp::wait_until([&] {
    auto s = app.streams();
    return s.size() == 1 && s[0].closed;
  }, 5s));
  const AppStream s = app.streams()[0];
  // espeak-ng says it in well over half a second: 25+ frames with sound;
  // everything else is silence.
  EXPECT_GT(s.voiced_frames, 25);
  EXPECT_LT(s.voiced_frames, s.media_frames / 2);
  EXPECT_EQ(events_named(record, "speech").size(), 1u);
}

TEST_F(SandboxTest, StreamGetsStopWhenTheCalleeHangsUp) {
  SandboxProcess sandbox({"--speed", "10"},
                         R"({"numbers": {"+15550100031": {"answer_after_s": 1, "hangup_after_s": 3}}})");
  const std::string sid = create_call(sandbox, "+15550100031", app.url("/voice/stream"));
  const auto record = sandbox.wait_for_end(sid);
  EXPECT_EQ(str(record, "status"), "completed");
  EXPECT_EQ(record.as_object().at("duration").as_int64(), 3);
  ASSERT_TRUE(TwimlApp::wait_until([&] {
    auto s = app.streams();
    return s.size() == 1 && s[0].closed;
  }, 5s));
  const AppStream s = app.streams()[0];
  EXPECT_TRUE(s.stop_received);
  EXPECT_EQ(s.events.back(), "stop");
}

TEST_F(SandboxTest, GatherPostsDigitsToItsAction) {
  SandboxProcess sandbox({"--speed", "10"},
                         R"({"numbers": {"+15550100040": {"keys": [{"at_s": 1, "digits": "1"}]}}})");
  const std::string sid = create_call(sandbox, "+15550100040", app.url("/voice/gather"));
  const auto record = sandbox.wait_for_end(sid);
  EXPECT_EQ(str(record, "status"), "completed");
  const auto gathered = app.webhooks("/voice/gathered");
  ASSERT_EQ(gathered.size(), 1u);
  EXPECT_TRUE(gathered[0].signature_valid);
  EXPECT_EQ(param(gathered[0], "Digits"), "1");
  EXPECT_EQ(param(gathered[0], "CallSid"), sid);
  // "Thank you", then <Hangup/>; "We did not hear you" was never reached.
  const auto says = events_named(record, "say");
  ASSERT_EQ(says.size(), 2u);
  EXPECT_EQ(says[1].at("text").as_string(), "Thank you");
}

TEST_F(SandboxTest, GatherPostsSpeechWithConfidence) {
  SandboxProcess sandbox({"--speed", "10", "--no-speech"}, R"({"numbers": {"+15550100041": {
      "say": [{"at_s": 1.5, "text": "yes that works", "confidence": 0.87}]}}})");
  const std::string sid = create_call(sandbox, "+15550100041", app.url("/voice/gather"));
  sandbox.wait_for_end(sid);
  const auto gathered = app.webhooks("/voice/gathered");
  ASSERT_EQ(gathered.size(), 1u);
  EXPECT_EQ(param(gathered[0], "SpeechResult"), "yes that works");
  EXPECT_EQ(param(gathered[0], "Confidence"), "0.87");
}

TEST_F(SandboxTest, GatherWithoutInputGoesOnToTheNextVerb) {
  SandboxProcess sandbox({"--speed", "20"}, R"({"default": {"silent": true}})");
  const std::string sid = create_call(sandbox, "+15550100042", app.url("/voice/gather"));
  const auto record = sandbox.wait_for_end(sid);
  EXPECT_TRUE(app.webhooks("/voice/gathered").empty());
  const auto says = events_named(record, "say");
  ASSERT_EQ(says.size(), 2u);
  EXPECT_EQ(says[1].at("text").as_string(), "We did not hear you");
  EXPECT_EQ(events_named(record, "gather_timeout").size(), 1u);
}

TEST_F(SandboxTest, RedirectIsFollowed) {
  SandboxProcess sandbox({"--speed", "20"});
  const std::string sid = create_call(sandbox, "+15550100050", app.url("/voice/redirect"));
  const auto record = sandbox.wait_for_end(sid);
  EXPECT_EQ(app.webhooks("/voice/say").size(), 1u);
  EXPECT_TRUE(app.webhooks("/voice/say")[0].signature_valid);
  EXPECT_EQ(events_named(record, "say").size(), 1u);
}

TEST_F(SandboxTest, ApplicationErrorsEndTheCallWithoutRetrying) {
  SandboxProcess sandbox({"--speed", "20", "--webhook-timeout-ms", "300"});
  app.set_route_status("/voice/say", 500);
  app.set_route_delay("/voice/gather", 2000ms);
  const std::string failing = create_call(sandbox, "+15550100060", app.url("/voice/say"));
  const std::string slow = create_call(sandbox, "+15550100061", app.url("/voice/gather"));
  const std::string bad = create_call(sandbox, "+15550100062", app.url("/voice/bad"));
  for (const auto& [sid, code] : {std::pair{failing, 11200}, std::pair{slow, 11205},
                                   std::pair{bad, 12100}}) {
    const auto record = sandbox.wait_for_end(sid);
    EXPECT_EQ(str(record, "status"), "completed");
    const auto errors = events_named(record, "error");
    ASSERT_EQ(errors.size(), 1u) << sid;
    EXPECT_EQ(errors[0].at("code").as_int64(), code);
  }
  EXPECT_EQ(app.webhooks("/voice/say").size(), 1u) << "a failed webhook is not retried";
  EXPECT_EQ(app.webhooks("/voice/gather").size(), 1u);
}

// --- faults ----------------------------------------------------------------------------

TEST_F(SandboxTest, FaultsAreSetAtRunTimeAndValidated) {
  SandboxProcess sandbox({"--speed", "50"});
  auto bad = http_call("POST", sandbox.base_url() + "/sandbox/faults", R"({"error_500_rate": 2})",
                       {{"Content-Type", "application/json"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(str(bad.json(), "field"), "error_500_rate");
  auto unknown = http_call("POST", sandbox.base_url() + "/sandbox/faults", R"({"typo": 1})");
  EXPECT_EQ(unknown.status, 400);
  const auto calls_before = [&] {
    return http_call("GET", sandbox.base_url() + "/sandbox/calls").json().as_object().at("calls").as_array().size();
  };

  auto set = [&](const std::string& body) {
    auto r = http_call("POST", sandbox.base_url() + "/sandbox/faults", body);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  const std::string call_body = form({{"To", "+15550100070"}, {"From", "+15550009999"},
                                      {"Url", app.url("/voice/say")}});

  set(R"({"error_500_rate": 1})");
  auto r500 = sandbox.post_api("Calls.json", call_body);
  EXPECT_EQ(r500.status, 500);
  EXPECT_EQ(r500.json().as_object().at("code").as_int64(), 20500);

  set(R"({"error_500_rate": 0, "error_429_rate": 1})");
  auto r429 = sandbox.post_api("Calls.json", call_body);
  EXPECT_EQ(r429.status, 429);
  EXPECT_EQ(r429.json().as_object().at("code").as_int64(), 20429);

  set(R"({"error_429_rate": 0, "drop_rate": 1})");
  auto dropped = sandbox.post_api("Calls.json", call_body);
  EXPECT_EQ(dropped.status, 0) << "the connection is closed without an answer";
  EXPECT_EQ(calls_before(), 0u) << "500, 429 and dropped requests create nothing";

  set(R"({"drop_rate": 0, "hang_rate": 1, "hang_ms": 400})");
  auto hung = sandbox.post_api("Calls.json", call_body);
  EXPECT_EQ(hung.status, 201);
  EXPECT_GE(hung.elapsed, 400ms);
  auto timed_out = http_call("POST", sandbox.api("Calls.json"), call_body,
                             {{"Authorization", basic_auth(kTestAccountSid, kTestAuthToken)}}, 100ms);
  EXPECT_EQ(timed_out.status, 0) << "the client gave up";
  EXPECT_EQ(calls_before(), 2u) << "a hung request is carried out all the same";

  set(R"({"hang_rate": 0, "latency_ms": 250})");
  auto slow = sandbox.post_api("Calls.json", call_body);
  EXPECT_EQ(slow.status, 201);
  EXPECT_GE(slow.elapsed, 250ms);
}

TEST_F(SandboxTest, CallsBeyondTheCallsPerSecondLimitAreQueued) {
  SandboxProcess sandbox({"--cps", "5", "--no-speech"}, R"({"default": {"answer": "busy"}})");
  std::vector<std::string> sids;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    sids.push_back(create_call(sandbox, "+1555010008" + std::to_string(i), app.url("/voice/say")));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1000ms) << "created without waiting";
  ASSERT_TRUE(TwimlApp::wait_until([&] {
    int initiated = 0;
    for (const auto& h : app.webhooks("/status")) initiated += param(h, "CallStatus") == "initiated";
    return initiated == 6;
  }, 5s));
  std::vector<std::chrono::steady_clock::time_point> at;
  for (const auto& h : app.webhooks("/status")) {
    if (param(h, "CallStatus") == "initiated") at.push_back(h.at);
  }
  // Six calls at 5 per second: the last starts about 1 s after the first.
  EXPECT_GE(at.back() - at.front(), 900ms);
  auto record = sandbox.call_record(sids.back());
  EXPECT_EQ(events_named(record, "queued").size(), 1u);
}

TEST_F(SandboxTest, CallbacksCanBeDuplicatedAndReordered) {
  SandboxProcess sandbox({"--speed", "20", "--duplicate-rate", "1"});
  const std::string sid = create_call(sandbox, "+15550100090", app.url("/voice/say"));
  sandbox.wait_for_end(sid);
  ASSERT_TRUE(TwimlApp::wait_until([&] { return app.webhooks("/status").size() == 8; }, 5s));
  const auto hooks = app.webhooks("/status");
  for (std::size_t i = 0; i < hooks.size(); i += 2) {
    EXPECT_EQ(param(hooks[i], "SequenceNumber"), param(hooks[i + 1], "SequenceNumber"));
  }

  SandboxProcess reordering({"--speed", "20", "--reorder-rate", "1"});
  TwimlApp other{kTestAuthToken};
  auto r = reordering.post_api("Calls.json",
                               form({{"To", "+15550100091"}, {"From", "+15550009999"},
                                     {"Url", other.url("/voice/say")},
                                     {"StatusCallback", other.url("/status")},
                                     {"StatusCallbackEvent", "initiated"},
                                     {"StatusCallbackEvent", "ringing"},
                                     {"StatusCallbackEvent", "answered"},
                                     {"StatusCallbackEvent", "completed"}}));
  ASSERT_EQ(r.status, 201);
  ASSERT_TRUE(TwimlApp::wait_until([&] { return other.webhooks("/status").size() == 4; }, 10s));
  std::vector<std::string> order;
  for (const auto& h : other.webhooks("/status")) order.push_back(param(h, "CallStatus"));
  EXPECT_NE(order, (std::vector<std::string>{"initiated", "ringing", "in-progress", "completed"}));
  std::multiset<std::string> seen(order.begin(), order.end());
  EXPECT_EQ(seen, (std::multiset<std::string>{"initiated", "ringing", "in-progress", "completed"}));
}

// --- the record ------------------------------------------------------------------------

TEST_F(SandboxTest, WritesTheRecordAsJsonLines) {
  std::string record_path;
  std::string sid;
  {
    SandboxProcess sandbox({"--speed", "20"});
    record_path = sandbox.record_path();
    sid = create_call(sandbox, "+15550100100", app.url("/voice/say"));
    sandbox.wait_for_end(sid);
    ASSERT_TRUE(TwimlApp::wait_until([&] { return app.webhooks("/status").size() == 4; }, 5s));
    EXPECT_EQ(sandbox.stop(), 0);
    std::ifstream in(record_path);
    std::string line;
    std::set<std::string> kinds;
    int lines = 0;
    while (std::getline(in, line)) {
      auto v = json::parse(line);
      ++lines;
      const auto& o = v.as_object();
      if (auto* s = o.if_contains("call_sid"); s && s->as_string() == sid) {
        kinds.insert(std::string(o.at("event").as_string()));
      }
    }
    EXPECT_GT(lines, 5);
    for (const char* k : {"created", "status", "webhook", "say", "hangup"}) {
      EXPECT_TRUE(kinds.count(k)) << k;
    }
  }
}

TEST_F(SandboxTest, StopsCleanlyEndingCallsStillUp) {
  SandboxProcess sandbox({"--speed", "5"}, R"({"default": {"answer_after_s": 1}})");
  const std::string sid = create_call(sandbox, "+15550100110", app.url("/voice/stream"));
  ASSERT_TRUE(TwimlApp::wait_until([&] { return !app.streams().empty(); }, 5s));
  EXPECT_EQ(sandbox.stop(), 0);
  ASSERT_TRUE(TwimlApp::wait_until([&] {
    auto s = app.streams();
    return s[0].closed;
  }, 5s));
  EXPECT_TRUE(app.streams()[0].stop_received);
  const auto hooks = app.webhooks("/status");
  ASSERT_FALSE(hooks.empty());
  EXPECT_EQ(param(hooks.back(), "CallStatus"), "completed") << "the final callback was delivered";
}

}  // namespace
}  // namespace autovoice::testing
