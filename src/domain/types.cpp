#include "domain/types.h"

#include <array>
#include <cctype>
#include <utility>

namespace autovoice {

namespace {

constexpr std::size_t kMaxNameLength = 100;
constexpr std::size_t kMaxTextLength = 2000;
constexpr int kMinVehicleYear = 1900;
constexpr int kMaxVehicleYear = 2100;
constexpr int kMaxDurationMinutes = 24 * 60;

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view text) { return "'" + std::string(text.substr(0, 60)) + "'"; }

Status require_text(std::string_view field, std::string_view value, std::size_t max_length) {
  bool blank = true;
  for (char c : value) blank = blank && std::isspace(static_cast<unsigned char>(c)) != 0;
  if (blank) return Error::invalid(std::string(field), std::string(field) + " must not be empty");
  if (value.size() > max_length) {
    return Error::invalid(std::string(field), std::string(field) + " is longer than " +
                                                  std::to_string(max_length) + " characters");
  }
  return ok_status();
}

template <typename Enum, std::size_t N>
Result<Enum> parse_enum(std::string_view field, std::string_view text,
                        const std::array<std::pair<Enum, std::string_view>, N>& names,
                        bool upper_case) {
  const std::string wanted = upper_case ? upper(text) : [&] {
    std::string s(text);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  std::string valid;
  for (const auto& [value, name] : names) {
    if (name == wanted) return value;
    valid += valid.empty() ? "" : ", ";
    valid += name;
  }
  return Error::invalid(std::string(field), std::string(field) + " " + quoted(text) +
                                                " is not one of " + valid);
}

constexpr std::array<std::pair<AppointmentStatus, std::string_view>, 5> kAppointmentStatuses{{
    {AppointmentStatus::kScheduled, "SCHEDULED"},
    {AppointmentStatus::kConfirmed, "CONFIRMED"},
    {AppointmentStatus::kCancelled, "CANCELLED"},
    {AppointmentStatus::kCompleted, "COMPLETED"},
    {AppointmentStatus::kNoShow, "NO_SHOW"},
}};

constexpr std::array<std::pair<CallDirection, std::string_view>, 2> kDirections{{
    {CallDirection::kInbound, "inbound"},
    {CallDirection::kOutbound, "outbound"},
}};

constexpr std::array<std::pair<CallStatus, std::string_view>, 9> kCallStatuses{{
    {CallStatus::kQueued, "queued"},
    {CallStatus::kInitiated, "initiated"},
    {CallStatus::kRinging, "ringing"},
    {CallStatus::kInProgress, "in-progress"},
    {CallStatus::kCompleted, "completed"},
    {CallStatus::kBusy, "busy"},
    {CallStatus::kNoAnswer, "no-answer"},
    {CallStatus::kFailed, "failed"},
    {CallStatus::kCanceled, "canceled"},
}};

constexpr std::array<std::pair<ReminderState, std::string_view>, 7> kReminderStates{{
    {ReminderState::kPending, "pending"},
    {ReminderState::kDialling, "dialling"},
    {ReminderState::kCalling, "calling"},
    {ReminderState::kDone, "done"},
    {ReminderState::kFailed, "failed"},
    {ReminderState::kSkipped, "skipped"},
    {ReminderState::kDropped, "dropped"},
}};

constexpr std::array<std::pair<ReminderChannel, std::string_view>, 2> kReminderChannels{{
    {ReminderChannel::kCall, "call"},
    {ReminderChannel::kSms, "sms"},
}};

template <typename Enum, std::size_t N>
std::string_view name_of(Enum value, const std::array<std::pair<Enum, std::string_view>, N>& names) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

bool valid_email(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = email.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  for (char c : email) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || std::iscntrl(static_cast<unsigned char>(c)) != 0) {
      return false;
    }
  }
  return email.size() <= 254;
}

}  // namespace

std::string Vehicle::describe() const { return std::to_string(year) + " " + make + " " + model; }

std::string_view to_string(AppointmentStatus s) { return name_of(s, kAppointmentStatuses); }
Result<AppointmentStatus> parse_appointment_status(std::string_view text) {
  return parse_enum<AppointmentStatus>("status", text, kAppointmentStatuses, true);
}

std::string_view to_string(ReminderState s) { return name_of(s, kReminderStates); }
Result<ReminderState> parse_reminder_state(std::string_view text) {
  return parse_enum<ReminderState>("state", text, kReminderStates, false);
}
bool is_final(ReminderState s) {
  return s == ReminderState::kDone || s == ReminderState::kFailed || s == ReminderState::kDropped;
}
std::string_view to_string(ReminderChannel c) { return name_of(c, kReminderChannels); }
Result<ReminderChannel> parse_reminder_channel(std::string_view text) {
  return parse_enum<ReminderChannel>("channel", text, kReminderChannels, false);
}

std::string_view to_string(CallDirection d) { return name_of(d, kDirections); }
Result<CallDirection> parse_call_direction(std::string_view text) {
  return parse_enum<CallDirection>("direction", text, kDirections, false);
}
std::string_view to_string(CallStatus s) { return name_of(s, kCallStatuses); }
Result<CallStatus> parse_call_status(std::string_view text) {
  return parse_enum<CallStatus>("call_status", text, kCallStatuses, false);
}

bool is_final(CallStatus s) {
  switch (s) {
    case CallStatus::kCompleted:
    case CallStatus::kBusy:
    case CallStatus::kNoAnswer:
    case CallStatus::kFailed:
    case CallStatus::kCanceled:
      return true;
    default:
      return false;
  }
}

int status_rank(CallStatus s) {
  switch (s) {
    case CallStatus::kQueued:
      return 0;
    case CallStatus::kInitiated:
      return 1;
    case CallStatus::kRinging:
      return 2;
    case CallStatus::kInProgress:
      return 3;
    case CallStatus::kCompleted:
    case CallStatus::kBusy:
    case CallStatus::kNoAnswer:
    case CallStatus::kFailed:
    case CallStatus::kCanceled:
      break;
  }
  return 4;
}

bool supersedes(CallStatus next, std::optional<int> next_sequence, CallStatus current,
                std::optional<int> current_sequence) {
  if (is_final(current)) return false;
  const int next_rank = status_rank(next);
  const int current_rank = status_rank(current);
  if (next_rank != current_rank) return next_rank > current_rank;
  // The same status again: only a callback known to come later counts.
  return next_sequence && (!current_sequence || *next_sequence > *current_sequence);
}

Status validate(const Customer& c) {
  if (auto s = require_text("first_name", c.first_name, kMaxNameLength); !s) return s;
  if (c.last_name.size() > kMaxNameLength) {
    return Error::invalid("last_name", "last_name is longer than 100 characters");
  }
  if (c.phone.empty()) return Error::invalid("phone", "phone is required");
  if (!c.email.empty() && !valid_email(c.email)) {
    return Error::invalid("email", "email " + quoted(c.email) + " is not an address like name@example.com");
  }
  if (!c.time_zone.empty()) {
    if (auto z = find_time_zone(c.time_zone, "time_zone"); !z) return std::move(z).error();
  }
  if (c.opted_out_at && !c.opted_out) {
    return Error::invalid("opted_out_at", "opted_out_at is set but the customer is not opted out");
  }
  return ok_status();
}

Status validate(const Vehicle& v) {
  if (v.customer_id <= 0) return Error::invalid("customer_id", "customer_id is required");
  if (v.year < kMinVehicleYear || v.year > kMaxVehicleYear) {
    return Error::invalid("year", "year " + std::to_string(v.year) + " is out of range 1900-2100");
  }
  if (auto s = require_text("make", v.make, kMaxNameLength); !s) return s;
  if (auto s = require_text("model", v.model, kMaxNameLength); !s) return s;
  if (!v.vin.empty()) {
    if (v.vin.size() != 17) {
      return Error::invalid("vin", "vin " + quoted(v.vin) + " has " + std::to_string(v.vin.size()) +
                                       " characters; a VIN has 17");
    }
    for (char c : v.vin) {
      const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 || u == 'I' || u == 'O' || u == 'Q') {
        return Error::invalid("vin", "vin " + quoted(v.vin) +
                                         " may contain only letters and digits, never I, O or Q");
      }
    }
  }
  if (v.plate.size() > 16) return Error::invalid("plate", "plate is longer than 16 characters");
  return ok_status();
}

Status validate(const Appointment& a) {
  if (a.customer_id <= 0) return Error::invalid("customer_id", "customer_id is required");
  if (a.vehicle_id <= 0) return Error::invalid("vehicle_id", "vehicle_id is required");
  if (a.start == TimePoint{}) return Error::invalid("start", "start is required");
  if (a.duration_minutes <= 0 || a.duration_minutes > kMaxDurationMinutes) {
    return Error::invalid("duration_minutes", "duration_minutes " + std::to_string(a.duration_minutes) +
                                                  " is out of range 1-1440");
  }
  if (auto s = require_text("service_type", a.service_type, kMaxNameLength); !s) return s;
  if (a.notes.size() > kMaxTextLength) return Error::invalid("notes", "notes are longer than 2000 characters");
  return ok_status();
}

Status validate(const CallLog& c) {
  if (auto s = require_text("call_sid", c.call_sid, 64); !s) return s;
  if (c.intent.size() > kMaxNameLength) return Error::invalid("intent", "intent is longer than 100 characters");
  if (c.duration_seconds && *c.duration_seconds < 0) {
    return Error::invalid("duration_seconds", "duration_seconds must not be negative");
  }
  if (c.error_message.size() > kMaxTextLength) {
    return Error::invalid("error_message", "error_message is longer than 2000 characters");
  }
  return ok_status();
}

Status validate(const Reminder& r) {
  if (r.appointment_id <= 0) return Error::invalid("appointment_id", "appointment_id must be positive");
  if (r.customer_id <= 0) return Error::invalid("customer_id", "customer_id must be positive");
  if (r.attempts < 0) return Error::invalid("attempts", "attempts must not be negative");
  if (r.reason.size() > kMaxNameLength) return Error::invalid("reason", "reason is longer than 100 characters");
  if (r.detail.size() > kMaxTextLength) return Error::invalid("detail", "detail is longer than 2000 characters");
  return ok_status();
}

std::optional<std::string> reminder_stale_reason(const Appointment& appointment, TimePoint reminder_start) {
  if (appointment.status == AppointmentStatus::kCancelled) return std::string("appointment_cancelled");
  if (appointment.status != AppointmentStatus::kConfirmed) {
    std::string reason = "appointment_";
    for (char c : to_string(appointment.status)) {
      reason += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return reason;
  }
  if (appointment.start != reminder_start) return std::string("rescheduled");
  return std::nullopt;
}

}  // namespace autovoice
