// The records autovoice keeps: customers, their vehicles, appointments and the
// log of every call. Plain values; validate() checks one record's own fields
// (references to other records are checked by the Store).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/phone.h"
#include "domain/result.h"
#include "domain/time.h"

namespace autovoice {

using CustomerId = std::int64_t;
using VehicleId = std::int64_t;
using AppointmentId = std::int64_t;
using CallLogId = std::int64_t;
using ReminderId = std::int64_t;

struct Customer {
  CustomerId id = 0;  // 0 until stored
  std::string first_name;
  std::string last_name;
  PhoneNumber phone;
  std::string email;      // empty when unknown
  std::string time_zone;  // IANA name; empty means the shop's zone
  bool opted_out = false;
  std::optional<TimePoint> opted_out_at;
  TimePoint created_at{};

  friend bool operator==(const Customer&, const Customer&) = default;
};

struct Vehicle {
  VehicleId id = 0;
  CustomerId customer_id = 0;
  int year = 0;
  std::string make;
  std::string model;
  std::string vin;    // empty when unknown; else 17 characters, no I, O or Q
  std::string plate;  // empty when unknown
  TimePoint created_at{};

  // "2021 Honda Civic"
  std::string describe() const;
  friend bool operator==(const Vehicle&, const Vehicle&) = default;
};

enum class AppointmentStatus { kScheduled, kConfirmed, kCancelled, kCompleted, kNoShow };

std::string_view to_string(AppointmentStatus s);  // "SCHEDULED", ...
// Accepts the names in any case ("confirmed", "NO_SHOW"); error lists the valid ones.
Result<AppointmentStatus> parse_appointment_status(std::string_view text);

struct Appointment {
  AppointmentId id = 0;
  CustomerId customer_id = 0;
  VehicleId vehicle_id = 0;
  TimePoint start{};  // UTC
  int duration_minutes = 60;
  std::string service_type;
  AppointmentStatus status = AppointmentStatus::kScheduled;
  std::string notes;
  TimePoint created_at{};
  TimePoint updated_at{};

  friend bool operator==(const Appointment&, const Appointment&) = default;
};

enum class CallDirection { kInbound, kOutbound };
std::string_view to_string(CallDirection d);  // "inbound" / "outbound"
Result<CallDirection> parse_call_direction(std::string_view text);

// The carrier's call status, as Twilio names it.
enum class CallStatus {
  kQueued,
  kInitiated,
  kRinging,
  kInProgress,
  kCompleted,
  kBusy,
  kNoAnswer,
  kFailed,
  kCanceled,
};
std::string_view to_string(CallStatus s);  // "queued", "in-progress", "no-answer", ...
Result<CallStatus> parse_call_status(std::string_view text);
// completed, busy, no-answer, failed and canceled end a call.
bool is_final(CallStatus s);

struct CallLog {
  CallLogId id = 0;
  std::string call_sid;  // unique; "CA" + 32 hex from Twilio
  std::optional<CustomerId> customer_id;
  std::optional<AppointmentId> appointment_id;
  CallDirection direction = CallDirection::kOutbound;
  CallStatus status = CallStatus::kQueued;
  std::string intent;  // e.g. "appointment_reminder"
  std::string from;    // as the carrier gave it (usually E.164)
  std::string to;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> ended_at;
  std::optional<int> duration_seconds;
  std::string answered_by;  // "human", "machine_end_beep", ... empty when unknown
  std::string outcome;      // what the conversation achieved: "confirmed", ...
  std::optional<int> error_code;
  std::string error_message;
  TimePoint created_at{};
  TimePoint updated_at{};

  friend bool operator==(const CallLog&, const CallLog&) = default;
};

// A status callback from the carrier, as the server read it: what it says
// about one call at one moment.
struct CallStatusUpdate {
  std::string call_sid;
  CallStatus status = CallStatus::kQueued;
  std::optional<int> sequence_number;  // SequenceNumber: the callback's place in the call's order
  std::optional<TimePoint> timestamp;  // Timestamp: when the carrier saw the event
  std::optional<int> duration_seconds;  // CallDuration (final statuses)
  std::string answered_by;               // AnsweredBy, empty when absent
  std::optional<int> error_code;         // ErrorCode, when the carrier gave one
  std::string error_message;
  // Used only when the call is not logged yet (a call autovoice did not place).
  CallDirection direction = CallDirection::kOutbound;
  std::string from;
  std::string to;
};

// The order in which a call's statuses happen: queued < initiated < ringing <
// in-progress < every final status (all final statuses share the last rank).
int status_rank(CallStatus s);

// Whether a callback saying `next` (with its sequence number) may replace a
// log that says `current` (last changed by a callback with `current_sequence`).
// A final status is never replaced; a later status replaces an earlier one;
// among equal ranks the higher sequence number wins and a duplicate (same
// number, or none) changes nothing.
bool supersedes(CallStatus next, std::optional<int> next_sequence, CallStatus current,
                std::optional<int> current_sequence);

// A reminder: the durable record that one appointment, at one start time, is
// (or is not) reminded. Unique per (appointment_id, appointment_start), so a
// second sweep, a restarted worker or a second worker never reminds twice; a
// rescheduled appointment gets a new one.
//
//   pending ──claim──> dialling ──call placed──> calling ──call ended──> done
//      ^                  │  │                     │                    failed
//      └── carrier error ─┘  └─ rejected number ──>│ failed             pending (retry, SMS)
//   skipped: not to be called (reason); decided again by the next sweep
//   dropped: the appointment was cancelled or moved before the call
enum class ReminderState { kPending, kDialling, kCalling, kDone, kFailed, kSkipped, kDropped };
std::string_view to_string(ReminderState s);  // "pending", "dialling", ...
Result<ReminderState> parse_reminder_state(std::string_view text);
// done, failed and dropped end a reminder.
bool is_final(ReminderState s);

// How the reminder reaches the customer next: a call, or the SMS sent when
// every call attempt failed (SMS_FALLBACK).
enum class ReminderChannel { kCall, kSms };
std::string_view to_string(ReminderChannel c);  // "call" / "sms"
Result<ReminderChannel> parse_reminder_channel(std::string_view text);

struct Reminder {
  ReminderId id = 0;
  AppointmentId appointment_id = 0;
  TimePoint appointment_start{};  // the start this reminder is for (UTC)
  CustomerId customer_id = 0;
  ReminderState state = ReminderState::kPending;
  ReminderChannel channel = ReminderChannel::kCall;
  int attempts = 0;   // calls placed (or SMS sent) so far
  TimePoint due_at{};  // pending: not to be dialled before this
  std::string claimed_by;               // dialling: the worker holding the claim
  std::optional<TimePoint> claimed_at;  // dialling: since when (the carrier is asked about calls since then)
  std::optional<TimePoint> lease_until;  // dialling: the claim is the holder's until then
  std::string call_sid;  // the latest call's (or SMS's) SID; empty before the first
  // Why it is skipped, dropped or failed ("opted_out", "invalid_number", ...),
  // or how it ended when done ("answered", "voicemail", "sms_sent").
  std::string reason;
  std::string detail;  // a human-readable detail (a carrier's error message), may be empty
  TimePoint created_at{};
  TimePoint updated_at{};

  friend bool operator==(const Reminder&, const Reminder&) = default;
};

// Each returns the first problem found, naming the field and the value.
Status validate(const Customer& c);
Status validate(const Vehicle& v);
Status validate(const Appointment& a);
Status validate(const CallLog& c);
Status validate(const Reminder& r);

// Why a reminder made for an appointment starting at `reminder_start` no
// longer stands, given the appointment as stored now: "appointment_cancelled",
// "appointment_" + another non-CONFIRMED status in lower case, or
// "rescheduled" when it starts at another time; nullopt when it stands.
std::optional<std::string> reminder_stale_reason(const Appointment& appointment, TimePoint reminder_start);

}  // namespace autovoice
