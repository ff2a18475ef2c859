// A sandbox call's status timeline for each callee behaviour, which events are
// POSTed for a given StatusCallbackEvent, and the signed callback parameters.
#include "sandbox/lifecycle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "telephony/signature.h"

namespace autovoice::sandbox {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

const Account kAccount{"AC0123456789abcdef0123456789abcdef", "secret-token"};

CallCreate request(std::string machine_detection = {}, int timeout_s = 60) {
  CallCreate r;
  r.to = "+15550100001";
  r.from = "+15550109999";
  r.url = "https://shop.example/twiml";
  r.status_callback = "https://shop.example/status";
  r.timeout_s = timeout_s;
  r.machine_detection = std::move(machine_detection);
  return r;
}

CalleeBehaviour callee(Answer answer, milliseconds answer_after = 1000ms,
                       std::optional<milliseconds> hangup_after = std::nullopt) {
  CalleeBehaviour b;
  b.answer = answer;
  b.answer_after = answer_after;
  b.hangup_after = hangup_after;
  return b;
}

std::vector<StatusEvent> ev(std::initializer_list<StatusEvent> events) { return events; }

struct PlanCase {
  const char* name;
  CallCreate request;
  CalleeBehaviour callee;
  std::vector<StatusEvent> expected;
  bool open_ended;
};

TEST(LifecycleTest, PlansTheTimelineOfEachBehaviour) {
  const std::vector<PlanCase> cases = {
      {"human answers then hangs up", request(), callee(Answer::kHuman, 2000ms, 15200ms),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {kRingingAfter + 2000ms, "in-progress", "", std::nullopt},
           {kRingingAfter + 17200ms, "completed", "", 16}}),
       false},
      {"human stays on the line", request(), callee(Answer::kHuman),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {kRingingAfter + 1000ms, "in-progress", "", std::nullopt}}),
       true},
      {"human with machine detection", request("Enable"), callee(Answer::kHuman, 1000ms, 5000ms),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {kRingingAfter + 1000ms, "in-progress", "human", std::nullopt},
           {kRingingAfter + 6000ms, "completed", "human", 5}}),
       false},
      {"busy", request(), callee(Answer::kBusy),
       ev({{0ms, "initiated", "", std::nullopt}, {kBusyAfter, "busy", "", 0}}), false},
      {"fail", request(), callee(Answer::kFail),
       ev({{0ms, "initiated", "", std::nullopt}, {kFailAfter, "failed", "", 0}}), false},
      {"no-answer rings out the Timeout", request({}, 20), callee(Answer::kNoAnswer),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {20000ms, "no-answer", "", 0}}),
       false},
      {"answering after the Timeout is no-answer", request({}, 10),
       callee(Answer::kHuman, 12000ms, 5000ms),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {10000ms, "no-answer", "", 0}}),
       false},
      {"voicemail without machine detection", request(), callee(Answer::kVoicemail, 3000ms, 8000ms),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {kRingingAfter + 3000ms, "in-progress", "", std::nullopt},
           {kRingingAfter + 11000ms, "completed", "", 8}}),
       false},
      {"voicemail with DetectMessageEnd", request("DetectMessageEnd"),
       callee(Answer::kVoicemail, 3000ms, 8000ms),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {kRingingAfter + 3000ms, "in-progress", "machine_end_beep", std::nullopt},
           {kRingingAfter + 11000ms, "completed", "machine_end_beep", 8}}),
       false},
      {"voicemail with Enable", request("Enable"), callee(Answer::kVoicemail, 3000ms, 8000ms),
       ev({{0ms, "initiated", "", std::nullopt},
           {kRingingAfter, "ringing", "", std::nullopt},
           {kRingingAfter + 3000ms, "in-progress", "machine_start", std::nullopt},
           {kRingingAfter + 11000ms, "completed", "machine_start", 8}}),
       false},
  };
  for (const auto& c : cases) {
    const CallPlan plan = plan_call(c.request, c.callee);
    EXPECT_EQ(plan.events, c.expected) << c.name;
    EXPECT_EQ(plan.open_ended, c.open_ended) << c.name;
  }
}

TEST(LifecycleTest, CompletesAnOpenEndedCallWhenTheApplicationHangsUp) {
  const CallPlan plan = plan_call(request("Enable"), callee(Answer::kHuman));
  ASSERT_TRUE(plan.open_ended);
  ASSERT_TRUE(plan.answered_at.has_value());
  const StatusEvent done = completion_event(plan, *plan.answered_at + 12001ms);
  EXPECT_EQ(done, (StatusEvent{*plan.answered_at + 12001ms, "completed", "human", 13}));
}

struct FilterCase {
  const char* name;
  std::vector<std::string> events;
  std::vector<std::string> posted_statuses;
};

TEST(LifecycleTest, PostsTheEventsAskedForAndAlwaysTheFinalStatus) {
  const std::vector<FilterCase> cases = {
      {"none asked: final only", {}, {"completed"}},
      {"completed", {"completed"}, {"completed"}},
      {"all four",
       {"initiated", "ringing", "answered", "completed"},
       {"initiated", "ringing", "in-progress", "completed"}},
      {"answered without completed", {"answered"}, {"in-progress", "completed"}},
      {"unknown words match nothing", {"queued", "bogus"}, {"completed"}},
  };
  for (const auto& c : cases) {
    CallCreate r = request();
    r.status_callback_events = c.events;
    std::vector<std::string> statuses;
    for (const auto& e : posted_events(r, plan_call(r, callee(Answer::kHuman, 1000ms, 3000ms)))) {
      statuses.push_back(e.status);
    }
    EXPECT_EQ(statuses, c.posted_statuses) << c.name;
  }
}

TEST(LifecycleTest, PostsFinalFailuresEvenWhenOnlyProgressWasAsked) {
  CallCreate r = request();
  r.status_callback_events = {"ringing"};
  std::vector<std::string> statuses;
  for (const auto& e : posted_events(r, plan_call(r, callee(Answer::kBusy)))) {
    statuses.push_back(e.status);
  }
  EXPECT_EQ(statuses, std::vector<std::string>{"busy"});
}

TEST(LifecycleTest, PostsNothingWithoutAStatusCallback) {
  CallCreate r = request();
  r.status_callback.clear();
  r.status_callback_events = {"initiated", "completed"};
  EXPECT_TRUE(posted_events(r, plan_call(r, callee(Answer::kHuman, 1000ms, 3000ms))).empty());
}

CallRecord created_call(CallCreate r) {
  CallRecord call;
  call.sid = new_sid("CA", 9);
  call.request = std::move(r);
  call.date_created = date::sys_days{date::year{2026} / 3 / 2} + std::chrono::hours{14};
  call.date_updated = call.date_created;
  return call;
}

TEST(LifecycleTest, ApplyingTheEventsBringsTheRecordToItsFinalState) {
  CallRecord call = created_call(request("DetectMessageEnd"));
  for (const auto& e : plan_call(call.request, callee(Answer::kVoicemail, 2000ms, 9000ms)).events) {
    apply_event(call, e);
  }
  EXPECT_EQ(call.status, "completed");
  EXPECT_EQ(call.start_time, call.date_created);
  EXPECT_EQ(call.end_time, call.date_created + std::chrono::seconds{11});
  EXPECT_EQ(call.duration_s, 9);
  EXPECT_EQ(call.answered_by, "machine_end_beep");
}

TEST(LifecycleTest, TheCallResourceStaysQueuedUntilItRings) {
  CallRecord call = created_call(request());
  const auto events = plan_call(call.request, callee(Answer::kHuman)).events;
  apply_event(call, events[0]);
  EXPECT_EQ(events[0].status, "initiated");
  EXPECT_EQ(call.status, "queued") << "Twilio's Call resource has no initiated status";
  EXPECT_EQ(call.start_time, call.date_created);
  apply_event(call, events[1]);
  EXPECT_EQ(call.status, "ringing");
}

std::optional<std::string> param(const FormParams& params, std::string_view name) {
  auto v = telephony::form_value(params, name);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

TEST(LifecycleTest, CallbackParametersAreTwiliosAndSignable) {
  const CallRecord call = created_call(request("Enable"));
  const StatusEvent done{15000ms, "completed", "human", 14};
  const FormParams params = status_callback_params(call, done, 3, kAccount);
  const std::vector<std::pair<const char*, std::string>> expected = {
      {"AccountSid", kAccount.sid},
      {"AnsweredBy", "human"},
      {"ApiVersion", "2010-04-01"},
      {"CallDuration", "14"},
      {"CallSid", call.sid},
      {"CallStatus", "completed"},
      {"CallbackSource", "call-progress-events"},
      {"Called", "+15550100001"},
      {"Caller", "+15550109999"},
      {"Direction", "outbound-api"},
      {"From", "+15550109999"},
      {"SequenceNumber", "3"},
      {"Timestamp", "Mon, 02 Mar 2026 14:00:15 +0000"},
      {"To", "+15550100001"},
  };
  ASSERT_EQ(params.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(params[i].name, expected[i].first);
    EXPECT_EQ(params[i].value, expected[i].second) << expected[i].first;
  }
  const std::string signature =
      telephony::compute_signature(kAccount.auth_token, call.request.status_callback, params);
  EXPECT_TRUE(telephony::validate_signature(kAccount.auth_token, call.request.status_callback,
                                            params, signature));
  EXPECT_FALSE(telephony::validate_signature("other-token", call.request.status_callback, params,
                                             signature));
}

TEST(LifecycleTest, ProgressCallbacksCarryNoDurationAndNoAnsweredByWithoutDetection) {
  const CallRecord call = created_call(request());
  const FormParams ringing =
      status_callback_params(call, {kRingingAfter, "ringing", "", std::nullopt}, 1, kAccount);
  EXPECT_EQ(param(ringing, "CallStatus"), "ringing");
  EXPECT_FALSE(param(ringing, "CallDuration").has_value());
  EXPECT_FALSE(param(ringing, "AnsweredBy").has_value());
  const FormParams busy = status_callback_params(call, {kBusyAfter, "busy", "", 0}, 2, kAccount);
  EXPECT_EQ(param(busy, "CallDuration"), "0");
  EXPECT_FALSE(param(busy, "AnsweredBy").has_value());
}

TEST(LifecycleTest, VoiceRequestsCarryTheCallAndTheGatheredInput) {
  CallRecord call = created_call(request("Enable"));
  call.status = "in-progress";
  call.answered_by = "human";
  const FormParams params =
      voice_request_params(call, kAccount, {{"Digits", "1"}, {"FinishedOnKey", "#"}});
  std::vector<std::string> names;
  for (const auto& p : params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"AccountSid", "AnsweredBy", "ApiVersion", "CallSid",
                                             "CallStatus", "Called", "Caller", "Digits",
                                             "Direction", "FinishedOnKey", "From", "To"}));
  EXPECT_EQ(param(params, "CallStatus"), "in-progress");
  EXPECT_EQ(param(params, "Digits"), "1");
  EXPECT_EQ(param(params, "AnsweredBy"), "human");
  // Without machine detection there is no AnsweredBy.
  CallRecord plain = created_call(request());
  plain.answered_by = "human";
  EXPECT_FALSE(param(voice_request_params(plain, kAccount), "AnsweredBy").has_value());
}

TEST(LifecycleTest, MessageCallbacksNameTheMessageAndItsStatus) {
  MessageRecord m;
  m.sid = "SM0123456789abcdef0123456789abcdef";
  m.request.to = "+15550100001";
  m.request.from = "+15550109999";
  const FormParams params = message_callback_params(m, "delivered", kAccount);
  EXPECT_EQ(param(params, "MessageSid"), m.sid);
  EXPECT_EQ(param(params, "MessageStatus"), "delivered");
  EXPECT_EQ(param(params, "SmsStatus"), "delivered");
  EXPECT_TRUE(std::is_sorted(params.begin(), params.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
}

}  // namespace
}  // namespace autovoice::sandbox
