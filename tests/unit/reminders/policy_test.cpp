// The reminder job's rules: calling hours in the customer's zone (DST
// included), the reminder window, what each appointment gets, what a finished
// call leads to, the carrier requests and the SMS text, and the token bucket.
#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reminders/calling_window.h"
#include "reminders/policy.h"
#include "reminders/rate_limiter.h"

namespace autovoice::reminders {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TimePoint utc(std::string_view text) {
  auto t = parse_datetime(text, nullptr, "t");
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : TimePoint{};
}

const TimeZone* zone(std::string_view name) {
  auto z = find_time_zone(name);
  EXPECT_TRUE(z.ok()) << name;
  return z.ok() ? *z : nullptr;
}

PhoneNumber phone(std::string_view text) {
  auto p = PhoneNumber::parse(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? *p : PhoneNumber{};
}

Policy new_york_policy() {
  Policy p;
  p.shop_zone = zone("America/New_York");
  p.shop_name = "Main Street Auto Care";
  return p;
}

Customer customer(std::string_view number = "+12125550100", std::string time_zone = "") {
  Customer c;
  c.id = 7;
  c.first_name = "Maria";
  c.phone = phone(number);
  c.time_zone = std::move(time_zone);
  return c;
}

Appointment appointment(TimePoint start) {
  Appointment a;
  a.id = 42;
  a.customer_id = 7;
  a.start = start;
  a.service_type = "Oil change";
  a.status = AppointmentStatus::kConfirmed;
  return a;
}

// --- calling hours -----------------------------------------------------------------------

TEST(CallingHoursTest, WithinIsInclusiveOfStartAndExclusiveOfEnd) {
  const TimeZone* ny = zone("America/New_York");
  const CallingHours hours;  // 08:00-21:00
  EXPECT_FALSE(within_calling_hours(utc("2026-11-25T12:59:59Z"), ny, hours));  // 07:59:59 EST
  EXPECT_TRUE(within_calling_hours(utc("2026-11-25T13:00:00Z"), ny, hours));   // 08:00 EST
  EXPECT_TRUE(within_calling_hours(utc("2026-11-26T01:59:59Z"), ny, hours));   // 20:59:59 EST
  EXPECT_FALSE(within_calling_hours(utc("2026-11-26T02:00:00Z"), ny, hours));  // 21:00 EST
}

TEST(CallingHoursTest, NextMomentIsTodaysStartBeforeItAndTomorrowsAfterTheEnd) {
  const TimeZone* ny = zone("America/New_York");
  const CallingHours hours;
  EXPECT_EQ(next_calling_moment(utc("2026-11-25T08:00:00Z"), ny, hours), utc("2026-11-25T13:00:00Z"));  // 03:00 -> 08:00
  EXPECT_EQ(next_calling_moment(utc("2026-11-25T15:00:00Z"), ny, hours), utc("2026-11-25T15:00:00Z"));  // within
  EXPECT_EQ(next_calling_moment(utc("2026-11-26T03:30:00Z"), ny, hours), utc("2026-11-26T13:00:00Z"));  // 22:30 -> next 08:00
}

TEST(CallingHoursTest, UsesTheZonesOwnOffsetAcrossDaylightSavingChanges) {
  const TimeZone* ny = zone("America/New_York");
  const CallingHours hours;
  // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT. 06:00Z on the 8th is
  // 01:00 EST; the next 08:00 local is EDT, 12:00Z (not 13:00Z).
  EXPECT_EQ(next_calling_moment(utc("2026-03-08T06:00:00Z"), ny, hours), utc("2026-03-08T12:00:00Z"));
  // 2026-11-01: back from 02:00 EDT to 01:00 EST. 21:00 EST on the 1st is 02:00Z on the 2nd.
  EXPECT_TRUE(within_calling_hours(utc("2026-11-02T01:59:00Z"), ny, hours));
  EXPECT_FALSE(within_calling_hours(utc("2026-11-02T02:00:00Z"), ny, hours));
  // A start time inside a spring-forward gap maps to the gap's end.
  const CallingHours at_two{LocalTimeOfDay{2 * 60 + 30}, LocalTimeOfDay{21 * 60}};
  EXPECT_EQ(next_calling_moment(utc("2026-03-08T06:00:00Z"), ny, at_two), utc("2026-03-08T07:00:00Z"));
}

TEST(CallingHoursTest, AnotherZoneIsCalledOnItsOwnClock) {
  const TimeZone* la = zone("America/Los_Angeles");
  const CallingHours hours;
  // 14:00Z is 09:00 in New York but 06:00 in Los Angeles: wait until 08:00 PST.
  EXPECT_EQ(next_calling_moment(utc("2026-11-25T14:00:00Z"), la, hours), utc("2026-11-25T16:00:00Z"));
}

// --- the window --------------------------------------------------------------------------

TEST(ReminderWindowTest, IsTheShopsLocalDayDaysBeforeAhead) {
  Policy p = new_york_policy();
  const Interval w = reminder_window(utc("2026-11-25T14:00:00Z"), p);
  EXPECT_EQ(w.begin, utc("2026-11-26T05:00:00Z"));
  EXPECT_EQ(w.end, utc("2026-11-27T05:00:00Z"));
  p.days_before = 0;
  EXPECT_EQ(reminder_window(utc("2026-11-25T14:00:00Z"), p).begin, utc("2026-11-25T05:00:00Z"));
  // A fire late in the evening local time is still that local day: 03:00Z on
  // the 26th is 22:00 on the 25th in New York.
  p.days_before = 1;
  EXPECT_EQ(reminder_window(utc("2026-11-26T03:00:00Z"), p).begin, utc("2026-11-26T05:00:00Z"));
}

TEST(ReminderWindowTest, TheSpringForwardDayHas23HoursAndTheFallBackDay25) {
  const Policy p = new_york_policy();
  const Interval spring = reminder_window(utc("2026-03-07T14:00:00Z"), p);
  EXPECT_EQ(spring.end - spring.begin, 23h);
  const Interval fall = reminder_window(utc("2026-10-31T14:00:00Z"), p);
  EXPECT_EQ(fall.end - fall.begin, 25h);
}

// --- decisions ---------------------------------------------------------------------------

TEST(DecideTest, CallsNowWithinCallingHours) {
  const Decision d = decide(appointment(utc("2026-11-26T15:00:00Z")), customer(), utc("2026-11-25T14:00:00Z"),
                            new_york_policy());
  EXPECT_EQ(d.kind, Decision::Kind::kCall);
  EXPECT_EQ(d.due_at, utc("2026-11-25T14:00:00Z"));
}

TEST(DecideTest, SkipsWithTheFirstReasonThatApplies) {
  Policy p = new_york_policy();
  const Appointment a = appointment(utc("2026-11-26T15:00:00Z"));
  const TimePoint now = utc("2026-11-25T14:00:00Z");
  Customer opted = customer();
  opted.opted_out = true;
  EXPECT_EQ(decide(a, opted, now, p).reason, reason::kOptedOut);
  EXPECT_EQ(decide(a, customer("+15550100001"), now, p).reason, reason::kInvalidNumber);  // exchange 010
  EXPECT_EQ(decide(a, customer("+11235550100"), now, p).reason, reason::kInvalidNumber);  // area code 123
  EXPECT_EQ(decide(a, customer("+442079460958"), now, p).kind, Decision::Kind::kCall);    // not NANP
  p.test_number = phone("+12125550199");
  EXPECT_EQ(decide(a, customer(), now, p).reason, reason::kTestNumberOnly);
  EXPECT_EQ(decide(a, opted, now, p).reason, reason::kTestNumberOnly);  // the safety net comes first
  EXPECT_EQ(decide(a, customer("+12125550199"), now, p).kind, Decision::Kind::kCall);
}

TEST(DecideTest, DefersToTheCustomersCallingHours) {
  const Policy p = new_york_policy();
  const Appointment a = appointment(utc("2026-11-26T18:00:00Z"));
  // 14:00Z: 09:00 in New York, 06:00 in Los Angeles.
  const Decision d = decide(a, customer("+14155550102", "America/Los_Angeles"), utc("2026-11-25T14:00:00Z"), p);
  EXPECT_EQ(d.kind, Decision::Kind::kDefer);
  EXPECT_EQ(d.due_at, utc("2026-11-25T16:00:00Z"));
  // An unknown zone falls back to the shop's.
  EXPECT_EQ(decide(a, customer("+14155550102", "Mars/Olympus"), utc("2026-11-25T14:00:00Z"), p).kind,
            Decision::Kind::kCall);
}

TEST(DecideTest, TooLateWhenNoCallCanBeMadeBeforeTheAppointment) {
  const Policy p = new_york_policy();
  // 22:00 local on the 25th; the appointment is at 07:30 on the 26th, before calling hours open.
  const Decision d = decide(appointment(utc("2026-11-26T12:30:00Z")), customer(), utc("2026-11-26T03:00:00Z"), p);
  EXPECT_EQ(d.kind, Decision::Kind::kSkip);
  EXPECT_EQ(d.reason, reason::kTooLate);
}

// --- after a call -------------------------------------------------------------------------

CallLog ended(CallStatus status, std::string answered_by = "", std::optional<int> error = std::nullopt) {
  CallLog c;
  c.call_sid = "CA00000000000000000000000000000001";
  c.status = status;
  c.answered_by = std::move(answered_by);
  c.error_code = error;
  return c;
}

TEST(AfterCallTest, AnsweredByAPersonOrAMachineIsDone) {
  const Policy p = new_york_policy();
  const Appointment a = appointment(utc("2026-11-26T15:00:00Z"));
  const TimePoint now = utc("2026-11-25T14:00:00Z");
  EXPECT_EQ(after_call(ended(CallStatus::kCompleted, "human"), 1, a, customer(), now, p).reason, reason::kAnswered);
  const FollowUp machine = after_call(ended(CallStatus::kCompleted, "machine_end_beep"), 1, a, customer(), now, p);
  EXPECT_EQ(machine.kind, FollowUp::Kind::kDone);
  EXPECT_EQ(machine.reason, reason::kVoicemail);
}

TEST(AfterCallTest, BusyIsRetriedAfterTheDelayWithinCallingHours) {
  const Policy p = new_york_policy();  // two attempts, 15 minutes apart
  const Appointment a = appointment(utc("2026-11-26T15:00:00Z"));
  const FollowUp f = after_call(ended(CallStatus::kBusy), 1, a, customer(), utc("2026-11-25T14:00:00Z"), p);
  EXPECT_EQ(f.kind, FollowUp::Kind::kRetry);
  EXPECT_EQ(f.due_at, utc("2026-11-25T14:15:00Z"));
  // At 20:50 local the retry would fall after 21:00: it waits for 08:00.
  const FollowUp late = after_call(ended(CallStatus::kNoAnswer), 1, a, customer(), utc("2026-11-26T01:50:00Z"), p);
  EXPECT_EQ(late.kind, FollowUp::Kind::kRetry);
  EXPECT_EQ(late.due_at, utc("2026-11-26T13:00:00Z"));
}

TEST(AfterCallTest, WhenAttemptsRunOutTheSmsFallbackOrFailure) {
  Policy p = new_york_policy();
  const Appointment a = appointment(utc("2026-11-26T15:00:00Z"));
  const TimePoint now = utc("2026-11-25T14:20:00Z");
  const FollowUp failed = after_call(ended(CallStatus::kNoAnswer), 2, a, customer(), now, p);
  EXPECT_EQ(failed.kind, FollowUp::Kind::kFailed);
  EXPECT_EQ(failed.reason, reason::kNoAnswer);
  p.sms_fallback = true;
  const FollowUp sms = after_call(ended(CallStatus::kNoAnswer), 2, a, customer(), now, p);
  EXPECT_EQ(sms.kind, FollowUp::Kind::kSms);
  EXPECT_EQ(sms.due_at, now);
}

TEST(AfterCallTest, APermanentCarrierErrorIsNotRetried) {
  const Policy p = new_york_policy();
  const Appointment a = appointment(utc("2026-11-26T15:00:00Z"));
  const FollowUp f = after_call(ended(CallStatus::kFailed, "", 13224), 1, a, customer(), utc("2026-11-25T14:00:00Z"), p);
  EXPECT_EQ(f.kind, FollowUp::Kind::kFailed);
  EXPECT_EQ(f.reason, reason::kCarrierRejected);
  EXPECT_THAT(f.detail, HasSubstr("13224"));
  // A failure without a permanent code is retried like busy.
  EXPECT_EQ(after_call(ended(CallStatus::kFailed), 1, a, customer(), utc("2026-11-25T14:00:00Z"), p).kind,
            FollowUp::Kind::kRetry);
}

TEST(AfterCallTest, NoRetryOrSmsThatWouldArriveAfterTheAppointment) {
  Policy p = new_york_policy();
  p.sms_fallback = true;
  const Appointment a = appointment(utc("2026-11-25T14:10:00Z"));
  const FollowUp f = after_call(ended(CallStatus::kBusy), 1, a, customer(), utc("2026-11-25T14:00:00Z"), p);
  EXPECT_EQ(f.kind, FollowUp::Kind::kSms);  // the retry is too late, the SMS not
  const FollowUp none = after_call(ended(CallStatus::kBusy), 1, a, customer(), utc("2026-11-25T14:10:00Z"), p);
  EXPECT_EQ(none.kind, FollowUp::Kind::kFailed);
}

// --- carrier errors and requests -----------------------------------------------------------

TEST(CarrierErrorTest, OnlyANumberProblemFailsTheReminder) {
  telephony::CarrierError to{ErrorCode::kInvalidArgument, "bad To", "To", 400, 21211};
  telephony::CarrierError url{ErrorCode::kInvalidArgument, "bad Url", "Url", 400, 21205};
  telephony::CarrierError auth{ErrorCode::kFailedPrecondition, "bad credentials", "", 401, 20003};
  telephony::CarrierError busy{ErrorCode::kUnavailable, "429", "", 429, 20429};
  EXPECT_TRUE(number_rejected(to));
  EXPECT_FALSE(number_rejected(url));
  EXPECT_FALSE(number_rejected(auth));
  EXPECT_FALSE(number_rejected(busy));
}

TEST(CarrierRequestTest, PointsTheCarrierAtOurServer) {
  const auto r = call_request(appointment(utc("2026-11-26T15:00:00Z")), customer(),
                              Endpoints{"https://shop.example/api/v1", "+15550009999"});
  EXPECT_EQ(r.to, "+12125550100");
  EXPECT_EQ(r.from, "+15550009999");
  EXPECT_EQ(r.url, "https://shop.example/api/v1/voice/incoming-reminder?appointment_id=42");
  EXPECT_EQ(r.status_callback, "https://shop.example/api/v1/webhooks/twilio/status");
  EXPECT_THAT(r.status_callback_events, ::testing::ElementsAre("initiated", "ringing", "answered", "completed"));
  EXPECT_EQ(r.machine_detection, "Enable");
}

TEST(SmsTextTest, NamesTheShopTheTimeInTheCustomersZoneAndTheReplies) {
  Policy p = new_york_policy();
  p.shop_phone = phone("+12125559876");
  const std::string text = sms_text(appointment(utc("2026-11-26T18:00:00Z")),
                                    customer("+14155550102", "America/Los_Angeles"), p);
  EXPECT_THAT(text, HasSubstr("Main Street Auto Care"));
  EXPECT_THAT(text, HasSubstr("Thu Nov 26 at 10:00 AM"));  // 18:00Z in Los Angeles
  EXPECT_THAT(text, HasSubstr("Reply Y to confirm, N to cancel, R to reschedule"));
  EXPECT_THAT(text, HasSubstr("Reply STOP to opt out"));
  EXPECT_THAT(text, HasSubstr("+12125559876"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("CANCEL")));  // a carrier opt-out keyword
}

TEST(CarrierBackoffTest, DoublesFromOneSecondUpToThirty) {
  EXPECT_EQ(carrier_backoff(1), 1s);
  EXPECT_EQ(carrier_backoff(2), 2s);
  EXPECT_EQ(carrier_backoff(5), 16s);
  EXPECT_EQ(carrier_backoff(6), 30s);
  EXPECT_EQ(carrier_backoff(60), 30s);
}

// --- the token bucket --------------------------------------------------------------------------

TEST(TokenBucketTest, PacesAtTheRate) {
  TokenBucket bucket(10);  // one token every 100 ms, burst 1
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  EXPECT_EQ(bucket.try_take(t0), TokenBucket::Clock::duration::zero());
  const auto wait = bucket.try_take(t0);
  EXPECT_GT(wait, 99ms);
  EXPECT_LE(wait, 100ms);
  EXPECT_GT(bucket.try_take(t0 + 50ms), 49ms);
  EXPECT_EQ(bucket.try_take(t0 + 100ms), TokenBucket::Clock::duration::zero());
  // Idle time earns at most the burst: after 10 s, one token, then a wait.
  EXPECT_EQ(bucket.try_take(t0 + 10s), TokenBucket::Clock::duration::zero());
  EXPECT_GT(bucket.try_take(t0 + 10s), 0ms);
}

TEST(TokenBucketTest, HundredsTakenInSimulatedTimeMatchTheRate) {
  TokenBucket bucket(100, 1);
  auto now = TokenBucket::Clock::time_point{} + 1h;
  const auto start = now;
  for (int taken = 0; taken < 200;) {
    const auto wait = bucket.try_take(now);
    if (wait == TokenBucket::Clock::duration::zero()) {
      ++taken;
    } else {
      now += wait;
    }
  }
  // 200 tokens at 100/s: the first at once, the 200th 1.99 s later.
  EXPECT_NEAR(std::chrono::duration<double>(now - start).count(), 1.99, 0.001);
}

TEST(TokenBucketTest, ZeroRateIsNoLimit) {
  TokenBucket bucket(0);
  EXPECT_TRUE(bucket.unlimited());
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(bucket.try_take(t0), TokenBucket::Clock::duration::zero());
  EXPECT_TRUE(bucket.take(std::stop_token{}));
}

}  // namespace
}  // namespace autovoice::reminders
