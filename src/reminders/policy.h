// The reminder job's rules, as pure functions of the records and the clock:
// which local day a sweep reminds, whether and when each appointment is
// called, what a finished call leads to (done, a retry, the SMS fallback), and
// what is said to the carrier. Everything that touches the store or the
// carrier is in reminder_job.h; everything decided is here, where the unit
// tests reach it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.h"
#include "domain/phone.h"
#include "domain/time.h"
#include "domain/types.h"
#include "reminders/calling_window.h"
#include "telephony/carrier.h"

namespace autovoice::reminders {

// Why a reminder is not (or no longer) called. Stored in Reminder::reason.
namespace reason {
inline constexpr std::string_view kTestNumberOnly = "test_number_only";  // YOUR_TEST_NUMBER is another number
inline constexpr std::string_view kOptedOut = "opted_out";
inline constexpr std::string_view kInvalidNumber = "invalid_number";
inline constexpr std::string_view kTooLate = "too_late";  // the appointment starts before a call could be made
inline constexpr std::string_view kAlreadyReminded = "already_reminded";  // a summary count; never stored
// How a reminder ended (done) or failed.
inline constexpr std::string_view kAnswered = "answered";
inline constexpr std::string_view kVoicemail = "voicemail";
inline constexpr std::string_view kSmsSent = "sms_sent";
inline constexpr std::string_view kNoAnswer = "no_answer";      // busy / no-answer / failed, attempts used up
inline constexpr std::string_view kCarrierRejected = "carrier_rejected";  // a permanent carrier error
inline constexpr std::string_view kSmsFailed = "sms_failed";
inline constexpr std::string_view kOutcomeUnknown = "outcome_unknown";  // an SMS whose sending is in doubt
}  // namespace reason

inline constexpr std::string_view kReminderIntent = "appointment_reminder";
inline constexpr std::string_view kSmsIntent = "appointment_reminder_sms";

struct Policy {
  const TimeZone* shop_zone = nullptr;
  int days_before = 1;
  std::optional<PhoneNumber> test_number;  // set: only this number is called
  CallingHours hours;
  int max_attempts = 2;  // calls in all, the first included
  std::chrono::minutes retry_delay{15};
  bool sms_fallback = false;
  std::string shop_name;
  std::optional<PhoneNumber> shop_phone;

  // REQUIRES: settings validated (Settings::load); the shop zone resolves.
  static Result<Policy> from_settings(const Settings& settings);
};

// The UTC interval of the local day `days_before` days after `fire_time`'s
// local date, in the shop's zone: the appointments a sweep at `fire_time`
// reminds.
Interval reminder_window(TimePoint fire_time, const Policy& policy);

// The zone a customer is called in: theirs, or the shop's when theirs is
// empty or unknown.
const TimeZone* customer_zone(const Customer& customer, const Policy& policy);

// A number no carrier can ring: within the North American Numbering Plan
// (+1), 10 digits whose area code and exchange start with 2-9; elsewhere,
// E.164's bounds (already guaranteed by PhoneNumber).
bool dialable(const PhoneNumber& phone);

// What to do about one appointment now.
struct Decision {
  enum class Kind { kCall, kDefer, kSkip };
  Kind kind = Kind::kCall;
  TimePoint due_at{};  // kCall: now; kDefer: the next calling moment
  std::string reason;  // kSkip: why (reason::...)
};
// The checks, in this order: the test number, opt-out, a dialable number, and
// whether a call can be made within calling hours before the appointment.
Decision decide(const Appointment& appointment, const Customer& customer, TimePoint now,
                const Policy& policy);

// What a reminder's finished call leads to.
struct FollowUp {
  enum class Kind { kDone, kRetry, kSms, kFailed };
  Kind kind = Kind::kDone;
  TimePoint due_at{};  // kRetry, kSms: when
  std::string reason;  // kDone: how (answered, voicemail); kFailed: why
  std::string detail;
};
// `call` has a final status; `attempts` calls have been made. Answered by a
// person or a machine: done. Busy, no answer, or failed without a permanent
// carrier error: another call after retry_delay (moved into calling hours)
// while attempts remain and it is still before the appointment; then the
// SMS fallback when enabled, else failed. A permanent error: failed at once.
FollowUp after_call(const CallLog& call, int attempts, const Appointment& appointment,
                    const Customer& customer, TimePoint now, const Policy& policy);

// Twilio error codes that calling again cannot fix: the number is invalid,
// unreachable by policy, or blocked.
bool permanent_call_error(int twilio_code);
// A create_call refusal that concerns the number itself (To), as opposed to
// the account or the request (credentials, From, Url), which stops a sweep.
bool number_rejected(const telephony::CarrierError& error);

// The carrier requests.
struct Endpoints {
  std::string server_api_url;  // SERVER_API_URL, e.g. https://shop.example/api/v1
  std::string from;            // TWILIO_PHONE_NUMBER
};
telephony::CallRequest call_request(const Appointment& appointment, const Customer& customer,
                                    const Endpoints& endpoints);
// The SMS fallback's text: the shop's name, the appointment in the customer's
// zone, the Y / N / R replies, and how to opt out.
std::string sms_text(const Appointment& appointment, const Customer& customer, const Policy& policy);

// How long to wait before asking the carrier again after the `failures`-th
// consecutive retryable error (1 s doubling, at most 30 s).
std::chrono::seconds carrier_backoff(int failures);

}  // namespace autovoice::reminders
