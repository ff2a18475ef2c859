#include "store/store_rules.h"


namespace autovoice::store_rules {

namespace {
constexpr std::size_t kMaxQuotedLength = 64;
// Stands in for a stored reference an update keeps, which is valid by construction.
constexpr std::int64_t kKeptId = 1;
std::string in_quotes(std::string_view text) {
  return "'" + std::string(text.substr(0, kMaxQuotedLength)) + "'";
}
}  // namespace

Status check_page(const Page& page) {
  if (page.limit < 1 || page.limit > kMaxPageLimit) {
    return Error::invalid("limit", "limit " + std::to_string(page.limit) + " is out of range 1-" +
                                       std::to_string(kMaxPageLimit));
  }
  if (page.offset < 0) {
    return Error::invalid("offset",
                          "offset " + std::to_string(page.offset) + " must not be negative");
  }
  return ok_status();
}

Error customer_missing(CustomerId id) {
  return Error::not_found("customer " + std::to_string(id) + " does not exist");
}
Error vehicle_missing(VehicleId id) {
  return Error::not_found("vehicle " + std::to_string(id) + " does not exist");
}
Error appointment_missing(AppointmentId id) {
  return Error::not_found("appointment " + std::to_string(id) + " does not exist");
}

Error vehicle_of_other_customer(VehicleId vehicle, CustomerId owner, CustomerId wanted) {
  return Error::invalid("vehicle_id", "vehicle " + std::to_string(vehicle) +
                                          " belongs to customer " + std::to_string(owner) +
                                          ", not customer " + std::to_string(wanted));
}

Error phone_taken(const PhoneNumber& phone) {
  Error e = Error::conflict("phone " + phone.masked() + " is already used by another customer");
  e.field = "phone";
  return e;
}

Error vehicle_has_appointments(VehicleId id) {
  return Error::conflict("vehicle " + std::to_string(id) +
                         " has appointments: delete them or move them to another vehicle first");
}

Status refuse_newer_schema(int version) {
  if (version <= latest_schema_version()) return ok_status();
  return Error::precondition("database schema is at version " + std::to_string(version) +
                             ", newer than version " + std::to_string(latest_schema_version()) +
                             " that this autovoice knows: upgrade autovoice");
}

Status require_name(const char* field, std::string_view value) {
  if (!value.empty()) return ok_status();
  return Error::invalid(field, std::string(field) + " must not be empty");
}

Status validate_update(const Customer& c) {
  Customer replaced = c;
  replaced.opted_out = false;
  replaced.opted_out_at.reset();
  return validate(replaced);
}

Status validate_update(const Vehicle& v) {
  Vehicle replaced = v;
  replaced.customer_id = kKeptId;
  return validate(replaced);
}

Status validate_update(const Appointment& a) {
  Appointment replaced = a;
  replaced.customer_id = kKeptId;
  return validate(replaced);
}

CallLog call_log_from_callback(const CallStatusUpdate& u, TimePoint now) {
  CallLog log;
  log.call_sid = u.call_sid;
  log.direction = u.direction;
  log.from = u.from;
  log.to = u.to;
  log.created_at = now;
  apply_call_status_to(log, u, now);
  return log;
}

void apply_call_status_to(CallLog& log, const CallStatusUpdate& u, TimePoint now) {
  log.status = u.status;
  const TimePoint seen = u.timestamp.value_or(now);
  if (u.status == CallStatus::kInProgress && !log.started_at) log.started_at = seen;
  if (is_final(u.status)) log.ended_at = seen;
  if (u.duration_seconds) log.duration_seconds = u.duration_seconds;
  if (!u.answered_by.empty()) log.answered_by = u.answered_by;
  if (u.error_code) log.error_code = u.error_code;
  if (!u.error_message.empty()) log.error_message = u.error_message;
  log.updated_at = now;
}

Status check_fire_names(std::string_view job, std::string_view worker) {
  if (auto s = require_name("job", job); !s) return s;
  return require_name("worker", worker);
}

Status check_lease(std::chrono::seconds lease) {
  if (lease > std::chrono::seconds::zero()) return ok_status();
  return Error::invalid("lease",
                        "lease of " + std::to_string(lease.count()) + " s must be positive");
}

FireClaim claim_from(const StoredFire& row, std::string_view worker) {
  if (row.state != "running") return FireClaim{FireClaim::State::kDone, TimePoint{}};
  if (row.worker == worker) return FireClaim{FireClaim::State::kClaimed, row.lease_until};
  return FireClaim{FireClaim::State::kHeldElsewhere, row.lease_until};
}

Error fire_conflict(std::string_view job, TimePoint fire_time, std::string_view worker,
                    const std::optional<StoredFire>& row) {
  std::string message = "the fire of job " + in_quotes(job) + " at " + format_utc(fire_time);
  if (!row) {
    message += " was never claimed";
  } else if (row->state != "running") {
    message += " has already finished (" + row->state + ")";
  } else {
    message +=
        " is held by worker " + in_quotes(row->worker) + " until " + format_utc(row->lease_until);
  }
  return Error::conflict(message + ", not by worker " + in_quotes(worker));
}

// --- reminders -----------------------------------------------------------------------

Status check_plan(const ReminderPlan& plan) {
  if (plan.appointment_id <= 0) {
    return Error::invalid("appointment_id", "appointment_id must be positive");
  }
  if (plan.customer_id <= 0) return Error::invalid("customer_id", "customer_id must be positive");
  if (plan.state != ReminderState::kPending && plan.state != ReminderState::kSkipped) {
    return Error::invalid("state", "a plan's state must be pending or skipped, not " +
                                       std::string(to_string(plan.state)));
  }
  if (plan.state == ReminderState::kSkipped && plan.reason.empty()) {
    return Error::invalid("reason", "a skipped reminder needs a reason");
  }
  Reminder r;
  r.appointment_id = plan.appointment_id;
  r.customer_id = plan.customer_id;
  r.reason = plan.reason;
  r.detail = plan.detail;
  return validate(r);
}

Status check_batch_limit(int limit) {
  if (limit < 1 || limit > kMaxReminderBatch) {
    return Error::invalid("limit", "limit " + std::to_string(limit) + " is not between 1 and " +
                                       std::to_string(kMaxReminderBatch));
  }
  return ok_status();
}

Error reminder_missing(ReminderId id) {
  return Error::not_found("reminder " + std::to_string(id) + " does not exist");
}

Status check_transition(const ReminderTransition& t) {
  if (t.to == ReminderState::kDialling) {
    return Error::invalid("to", "a reminder becomes dialling only by being claimed");
  }
  if (t.from == ReminderState::kDialling && t.worker.empty()) {
    return Error::invalid("worker", "moving a dialling reminder needs the claim holder");
  }
  if (t.from == ReminderState::kCalling && t.call_sid.empty()) {
    return Error::invalid("call_sid", "moving a calling reminder needs its call's SID");
  }
  Reminder r;
  r.appointment_id = 1;
  r.customer_id = 1;
  r.reason = t.reason;
  r.detail = t.detail;
  return validate(r);
}

Status check_transition_against(const ReminderTransition& t, const Reminder& stored) {
  const std::string which = "reminder " + std::to_string(stored.id);
  if (stored.state != t.from) {
    return Error::conflict(which + " is " + std::string(to_string(stored.state)) + ", not " +
                           std::string(to_string(t.from)));
  }
  if (t.from == ReminderState::kDialling && stored.claimed_by != t.worker) {
    return Error::conflict(which + " is claimed by " + stored.claimed_by + ", not " + t.worker);
  }
  if (t.from == ReminderState::kCalling && stored.call_sid != t.call_sid) {
    return Error::conflict(which + " waits on call " + stored.call_sid + ", not " + t.call_sid);
  }
  return ok_status();
}

Status check_attempt(const ReminderAttempt& attempt) {
  if (auto s = require_name("worker", attempt.worker); !s) return s;
  if (attempt.next != ReminderState::kCalling && attempt.next != ReminderState::kDone) {
    return Error::invalid("next", "an attempt leads to calling or done, not " + std::string(to_string(attempt.next)));
  }
  if (auto s = validate(attempt.log); !s) return s;
  Reminder r;
  r.appointment_id = 1;
  r.customer_id = 1;
  r.reason = attempt.reason;
  return validate(r);
}

Status check_claim_holder(const Reminder& stored, std::string_view worker, std::string_view what) {
  if (stored.state != ReminderState::kDialling || stored.claimed_by != worker) {
    return Error::conflict("cannot " + std::string(what) + ": reminder " + std::to_string(stored.id) +
                           " is " + std::string(to_string(stored.state)) +
                           (stored.claimed_by.empty() ? std::string() : " by " + stored.claimed_by) +
                           ", not claimed by " + std::string(worker));
  }
  return ok_status();
}

std::optional<std::string> stale_reason(const Appointment& appointment, TimePoint reminder_start) {
  return reminder_stale_reason(appointment, reminder_start);
}

}  // namespace autovoice::store_rules
