// The domain records: validate() of each, and the enums' names.

#include "domain/types.h"

#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace autovoice {
namespace {

using ::testing::HasSubstr;

TimePoint utc(const char* text) {
  auto t = parse_datetime(text, nullptr);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : TimePoint{};
}

Customer valid_customer() {
  Customer c;
  c.first_name = "Ada";
  c.last_name = "Lovelace";
  c.phone = *PhoneNumber::parse("+15551234567");
  return c;
}

Vehicle valid_vehicle() {
  Vehicle v;
  v.customer_id = 1;
  v.year = 2021;
  v.make = "Honda";
  v.model = "Civic";
  return v;
}

Appointment valid_appointment() {
  Appointment a;
  a.customer_id = 1;
  a.vehicle_id = 2;
  a.start = utc("2026-03-03T09:00:00Z");
  a.duration_minutes = 60;
  a.service_type = "Oil change";
  return a;
}

CallLog valid_call_log() {
  CallLog c;
  c.call_sid = "CA0123456789abcdef0123456789abcdef";
  return c;
}

// One table row: a change to a valid record and the field validate() must
// then name ("" when the change keeps the record valid).
template <typename Record>
struct Case {
  const char* name;
  void (*change)(Record&);
  const char* field;
};

template <typename Record>
void expect_validation(Record (*make_valid)(), const std::vector<Case<Record>>& cases) {
  ASSERT_TRUE(validate(make_valid()).ok());
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    Record r = make_valid();
    tc.change(r);
    const Status status = validate(r);
    if (std::string(tc.field).empty()) {
      EXPECT_TRUE(status.ok()) << status.error().message;
    } else {
      ASSERT_FALSE(status.ok());
      EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
      EXPECT_EQ(status.error().field, tc.field);
      EXPECT_FALSE(status.error().message.empty());
    }
  }
}

TEST(ValidateTest, CustomerNeedsNameAndPhoneAndChecksOptionalFields) {
  expect_validation<Customer>(
      valid_customer,
      {
          {"empty first name", [](Customer& c) { c.first_name = ""; }, "first_name"},
          {"blank first name", [](Customer& c) { c.first_name = " \t "; }, "first_name"},
          {"first name too long", [](Customer& c) { c.first_name = std::string(101, 'a'); },
           "first_name"},
          {"first name at the limit", [](Customer& c) { c.first_name = std::string(100, 'a'); },
           ""},
          {"no last name", [](Customer& c) { c.last_name = ""; }, ""},
          {"last name too long", [](Customer& c) { c.last_name = std::string(101, 'a'); },
           "last_name"},
          {"no phone", [](Customer& c) { c.phone = PhoneNumber{}; }, "phone"},
          {"no email", [](Customer& c) { c.email = ""; }, ""},
          {"email", [](Customer& c) { c.email = "ada@example.com"; }, ""},
          {"email without @", [](Customer& c) { c.email = "ada.example.com"; }, "email"},
          {"email with two @", [](Customer& c) { c.email = "ada@@example.com"; }, "email"},
          {"email without local part", [](Customer& c) { c.email = "@example.com"; }, "email"},
          {"email without domain dot", [](Customer& c) { c.email = "ada@localhost"; }, "email"},
          {"email with space", [](Customer& c) { c.email = "ada l@example.com"; }, "email"},
          {"time zone", [](Customer& c) { c.time_zone = "Europe/Paris"; }, ""},
          {"unknown time zone", [](Customer& c) { c.time_zone = "Europe/Atlantis"; }, "time_zone"},
          {"opted out with time",
           [](Customer& c) {
             c.opted_out = true;
             c.opted_out_at = utc("2026-01-01T00:00:00Z");
           },
           ""},
          {"opted out without time", [](Customer& c) { c.opted_out = true; }, ""},
          {"opt-out time but not opted out",
           [](Customer& c) { c.opted_out_at = utc("2026-01-01T00:00:00Z"); }, "opted_out_at"},
      });
}

TEST(ValidateTest, VehicleNeedsOwnerYearMakeModelAndAValidVin) {
  expect_validation<Vehicle>(
      valid_vehicle,
      {
          {"no owner", [](Vehicle& v) { v.customer_id = 0; }, "customer_id"},
          {"negative owner", [](Vehicle& v) { v.customer_id = -3; }, "customer_id"},
          {"year 1899", [](Vehicle& v) { v.year = 1899; }, "year"},
          {"year 1900", [](Vehicle& v) { v.year = 1900; }, ""},
          {"year 2100", [](Vehicle& v) { v.year = 2100; }, ""},
          {"year 2101", [](Vehicle& v) { v.year = 2101; }, "year"},
          {"blank make", [](Vehicle& v) { v.make = " "; }, "make"},
          {"blank model", [](Vehicle& v) { v.model = ""; }, "model"},
          {"model too long", [](Vehicle& v) { v.model = std::string(101, 'm'); }, "model"},
          {"vin", [](Vehicle& v) { v.vin = "1HGCM82633A004352"; }, ""},
          {"lower-case vin", [](Vehicle& v) { v.vin = "1hgcm82633a004352"; }, ""},
          {"vin of 16", [](Vehicle& v) { v.vin = "1HGCM82633A00435"; }, "vin"},
          {"vin of 18", [](Vehicle& v) { v.vin = "1HGCM82633A0043521"; }, "vin"},
          {"vin with I", [](Vehicle& v) { v.vin = "1HGCM82633I004352"; }, "vin"},
          {"vin with O", [](Vehicle& v) { v.vin = "1HGCM82633O004352"; }, "vin"},
          {"vin with q", [](Vehicle& v) { v.vin = "1HGCM82633q004352"; }, "vin"},
          {"vin with dash", [](Vehicle& v) { v.vin = "1HGCM82633-004352"; }, "vin"},
          {"plate of 16", [](Vehicle& v) { v.plate = std::string(16, 'P'); }, ""},
          {"plate of 17", [](Vehicle& v) { v.plate = std::string(17, 'P'); }, "plate"},
      });
}

TEST(ValidateTest, AppointmentNeedsReferencesStartDurationAndService) {
  expect_validation<Appointment>(
      valid_appointment,
      {
          {"no customer", [](Appointment& a) { a.customer_id = 0; }, "customer_id"},
          {"no vehicle", [](Appointment& a) { a.vehicle_id = 0; }, "vehicle_id"},
          {"no start", [](Appointment& a) { a.start = TimePoint{}; }, "start"},
          {"zero minutes", [](Appointment& a) { a.duration_minutes = 0; }, "duration_minutes"},
          {"one minute", [](Appointment& a) { a.duration_minutes = 1; }, ""},
          {"a whole day", [](Appointment& a) { a.duration_minutes = 1440; }, ""},
          {"over a day", [](Appointment& a) { a.duration_minutes = 1441; }, "duration_minutes"},
          {"blank service", [](Appointment& a) { a.service_type = "  "; }, "service_type"},
          {"notes at the limit", [](Appointment& a) { a.notes = std::string(2000, 'n'); }, ""},
          {"notes too long", [](Appointment& a) { a.notes = std::string(2001, 'n'); }, "notes"},
          {"any status", [](Appointment& a) { a.status = AppointmentStatus::kNoShow; }, ""},
      });
}

TEST(ValidateTest, CallLogNeedsASidAndSaneOptionalFields) {
  expect_validation<CallLog>(
      valid_call_log,
      {
          {"empty sid", [](CallLog& c) { c.call_sid = ""; }, "call_sid"},
          {"sid of 64", [](CallLog& c) { c.call_sid = std::string(64, 'a'); }, ""},
          {"sid of 65", [](CallLog& c) { c.call_sid = std::string(65, 'a'); }, "call_sid"},
          {"intent too long", [](CallLog& c) { c.intent = std::string(101, 'i'); }, "intent"},
          {"zero duration", [](CallLog& c) { c.duration_seconds = 0; }, ""},
          {"negative duration", [](CallLog& c) { c.duration_seconds = -1; }, "duration_seconds"},
          {"error message too long", [](CallLog& c) { c.error_message = std::string(2001, 'e'); },
           "error_message"},
          {"no customer or appointment (inbound from a stranger)",
           [](CallLog& c) {
             c.customer_id.reset();
             c.appointment_id.reset();
           },
           ""},
      });
}

TEST(AppointmentStatusTest, NamesRoundTripAndParseIgnoresCase) {
  struct Case {
    AppointmentStatus status;
    const char* name;
  };
  const Case cases[] = {
      {AppointmentStatus::kScheduled, "SCHEDULED"}, {AppointmentStatus::kConfirmed, "CONFIRMED"},
      {AppointmentStatus::kCancelled, "CANCELLED"}, {AppointmentStatus::kCompleted, "COMPLETED"},
      {AppointmentStatus::kNoShow, "NO_SHOW"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    EXPECT_EQ(to_string(tc.status), tc.name);
    auto parsed = parse_appointment_status(tc.name);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, tc.status);
  }
  EXPECT_EQ(*parse_appointment_status("confirmed"), AppointmentStatus::kConfirmed);
  EXPECT_EQ(*parse_appointment_status("No_Show"), AppointmentStatus::kNoShow);
}

TEST(AppointmentStatusTest, UnknownNameListsTheValidOnes) {
  for (const char* text : {"", "DONE", "CANCELED", "no-show", " CONFIRMED"}) {
    SCOPED_TRACE(text);
    auto parsed = parse_appointment_status(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().field, "status");
    EXPECT_THAT(parsed.error().message,
                HasSubstr("SCHEDULED, CONFIRMED, CANCELLED, COMPLETED, NO_SHOW"));
  }
}

TEST(CallDirectionTest, NamesRoundTripAndUnknownIsRejected) {
  struct Case {
    CallDirection direction;
    const char* name;
  };
  const Case cases[] = {{CallDirection::kInbound, "inbound"},
                        {CallDirection::kOutbound, "outbound"}};
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    EXPECT_EQ(to_string(tc.direction), tc.name);
    EXPECT_EQ(*parse_call_direction(tc.name), tc.direction);
  }
  EXPECT_EQ(*parse_call_direction("Outbound"), CallDirection::kOutbound);
  auto bad = parse_call_direction("outbound-api");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "direction");
}

TEST(CallStatusTest, TwilioNamesRoundTripAndFinalOnesEndTheCall) {
  struct Case {
    CallStatus status;
    const char* name;
    bool final;
  };
  const Case cases[] = {
      {CallStatus::kQueued, "queued", false},      {CallStatus::kInitiated, "initiated", false},
      {CallStatus::kRinging, "ringing", false},    {CallStatus::kInProgress, "in-progress", false},
      {CallStatus::kCompleted, "completed", true}, {CallStatus::kBusy, "busy", true},
      {CallStatus::kNoAnswer, "no-answer", true},  {CallStatus::kFailed, "failed", true},
      {CallStatus::kCanceled, "canceled", true},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    EXPECT_EQ(to_string(tc.status), tc.name);
    auto parsed = parse_call_status(tc.name);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, tc.status);
    EXPECT_EQ(is_final(tc.status), tc.final);
  }
  EXPECT_EQ(*parse_call_status("In-Progress"), CallStatus::kInProgress);
  for (const char* text : {"in_progress", "cancelled", "answered", ""}) {
    SCOPED_TRACE(text);
    auto bad = parse_call_status(text);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().field, "call_status");
    EXPECT_THAT(bad.error().message, HasSubstr("no-answer"));
  }
}

TEST(CallStatusTest, RankFollowsTheCallsLifecycleAndFinalStatusesShareTheLast) {
  struct Case {
    CallStatus status;
    int rank;
  };
  const Case cases[] = {
      {CallStatus::kQueued, 0},     {CallStatus::kInitiated, 1}, {CallStatus::kRinging, 2},
      {CallStatus::kInProgress, 3}, {CallStatus::kCompleted, 4}, {CallStatus::kBusy, 4},
      {CallStatus::kNoAnswer, 4},   {CallStatus::kFailed, 4},    {CallStatus::kCanceled, 4},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(std::string(to_string(tc.status)));
    EXPECT_EQ(status_rank(tc.status), tc.rank);
  }
}

TEST(CallStatusTest, SupersedesOnlyALaterStatusOrALaterCallbackOfTheSameOne) {
  constexpr std::optional<int> kNone;
  struct Case {
    const char* name;
    CallStatus next;
    std::optional<int> next_sequence;
    CallStatus current;
    std::optional<int> current_sequence;
    bool supersedes;
  };
  const Case cases[] = {
      // A later status replaces an earlier one, whatever the sequence numbers say.
      {"initiated after queued", CallStatus::kInitiated, 1, CallStatus::kQueued, 0, true},
      {"ringing after initiated", CallStatus::kRinging, 1, CallStatus::kInitiated, 0, true},
      {"in-progress after ringing", CallStatus::kInProgress, 2, CallStatus::kRinging, 1, true},
      {"completed after in-progress", CallStatus::kCompleted, 3, CallStatus::kInProgress, 2, true},
      {"skipping statuses", CallStatus::kNoAnswer, 2, CallStatus::kInitiated, 0, true},
      {"later status without numbers", CallStatus::kRinging, kNone, CallStatus::kQueued, kNone,
       true},
      {"later status with a lower number", CallStatus::kInProgress, 1, CallStatus::kRinging, 5,
       true},
      {"later status after one with no number", CallStatus::kInProgress, 3, CallStatus::kRinging,
       kNone, true},
      // An earlier status never replaces a later one.
      {"ringing after in-progress", CallStatus::kRinging, 9, CallStatus::kInProgress, 2, false},
      {"queued after initiated", CallStatus::kQueued, kNone, CallStatus::kInitiated, kNone, false},
      {"initiated after ringing", CallStatus::kInitiated, 4, CallStatus::kRinging, kNone, false},
      // A final status is never replaced.
      {"ringing after completed", CallStatus::kRinging, 9, CallStatus::kCompleted, 3, false},
      {"in-progress after busy", CallStatus::kInProgress, kNone, CallStatus::kBusy, kNone, false},
      {"another final status", CallStatus::kFailed, 9, CallStatus::kCompleted, 3, false},
      {"another final status without numbers", CallStatus::kCanceled, kNone, CallStatus::kNoAnswer,
       kNone, false},
      {"the same final status, later", CallStatus::kCompleted, 4, CallStatus::kCompleted, 3, false},
      // The same status: only a higher sequence number replaces it.
      {"same status, higher number", CallStatus::kRinging, 3, CallStatus::kRinging, 2, true},
      {"same status, number after none", CallStatus::kInProgress, 3, CallStatus::kInProgress, kNone,
       true},
      {"same status, same number (duplicate)", CallStatus::kRinging, 2, CallStatus::kRinging, 2,
       false},
      {"same status, lower number", CallStatus::kRinging, 1, CallStatus::kRinging, 2, false},
      {"same status, no number", CallStatus::kRinging, kNone, CallStatus::kRinging, 2, false},
      {"same status, no numbers at all", CallStatus::kQueued, kNone, CallStatus::kQueued, kNone,
       false},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    EXPECT_EQ(supersedes(tc.next, tc.next_sequence, tc.current, tc.current_sequence),
              tc.supersedes);
  }
}

TEST(VehicleTest, DescribeSaysYearMakeModel) {
  Vehicle v = valid_vehicle();
  EXPECT_EQ(v.describe(), "2021 Honda Civic");
}

TEST(ErrorCodeTest, EveryCodeHasASnakeCaseName) {
  struct Case {
    ErrorCode code;
    const char* name;
  };
  const Case cases[] = {
      {ErrorCode::kInvalidArgument, "invalid_argument"},
      {ErrorCode::kNotFound, "not_found"},
      {ErrorCode::kConflict, "conflict"},
      {ErrorCode::kUnavailable, "unavailable"},
      {ErrorCode::kFailedPrecondition, "failed_precondition"},
      {ErrorCode::kInternal, "internal"},
  };
  for (const Case& tc : cases) {
    EXPECT_STREQ(error_code_name(tc.code), tc.name);
  }
}

}  // namespace
}  // namespace autovoice
