// The rules and messages every Store backend applies the same way: page
// bounds, "does not exist" errors, the fire ledger's claim decision. One
// place, so SQLite and PostgreSQL answer alike (the contract suite checks it).
// Internal to src/store.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace autovoice::store_rules {

inline constexpr int kMaxPageLimit = 10000;

// limit 1..kMaxPageLimit, offset >= 0; else kInvalidArgument on that field.
Status check_page(const Page& page);

Error customer_missing(CustomerId id);
Error vehicle_missing(VehicleId id);
Error appointment_missing(AppointmentId id);
// kInvalidArgument on field vehicle_id.
Error vehicle_of_other_customer(VehicleId vehicle, CustomerId owner, CustomerId wanted);
// kConflict on field phone: another customer has the number (shown masked).
Error phone_taken(const PhoneNumber& phone);
// kConflict: appointments still refer to the vehicle.
Error vehicle_has_appointments(VehicleId id);
// kFailedPrecondition when `version` is newer than this binary's schema.
Status refuse_newer_schema(int version);

// kInvalidArgument naming `field` when value is empty.
Status require_name(const char* field, std::string_view value);
// validate() of what an update replaces. The fields an update keeps (a
// customer's opt-out, a vehicle's owner, an appointment's customer) come from
// the stored row, so the caller's values of them are not held against it.
Status validate_update(const Customer& c);
Status validate_update(const Vehicle& v);
Status validate_update(const Appointment& a);

// --- apply_call_status ---------------------------------------------------------
// The intent of the reminder calls whose outcomes call_log_counts reports.
inline constexpr std::string_view kReminderIntent = "appointment_reminder";
// The row a callback for an unknown CallSid makes (id 0; no customer,
// appointment or intent): its direction, from and to, with the update applied.
// validate() of it is the check of the update.
CallLog call_log_from_callback(const CallStatusUpdate& u, TimePoint now);
// Writes a callback that supersedes() lets through into `log`: its status;
// started_at (the callback's timestamp, or now) on the first in-progress;
// ended_at likewise on a final status; duration, answered_by, error code and
// message when the callback has them; updated_at = now.
void apply_call_status_to(CallLog& log, const CallStatusUpdate& u, TimePoint now);

// job and worker non-empty, lease positive; else kInvalidArgument naming the field.
Status check_fire_names(std::string_view job, std::string_view worker);
Status check_lease(std::chrono::seconds lease);

// A job_fires row as both backends read it back.
struct StoredFire {
  std::string worker;
  std::string state;  // "running", or the FireOutcome it finished with
  TimePoint lease_until;
};
// What a claim attempt means, read from the row after the upsert.
FireClaim claim_from(const StoredFire& row, std::string_view worker);
// Why `worker` may not renew or finish the fire.
Error fire_conflict(std::string_view job, TimePoint fire_time, std::string_view worker,
                    const std::optional<StoredFire>& row);

// --- reminders -----------------------------------------------------------------------
inline constexpr int kMaxReminderBatch = 1000;
// A plan's own fields: ids positive, state kPending or kSkipped, reason and
// detail within bounds. kInvalidArgument naming the field.
Status check_plan(const ReminderPlan& plan);
// limit 1..kMaxReminderBatch; else kInvalidArgument on field limit.
Status check_batch_limit(int limit);
Error reminder_missing(ReminderId id);
// A transition's own fields: to is not kDialling, worker set when from is
// kDialling, call_sid set when from is kCalling.
Status check_transition(const ReminderTransition& t);
// kConflict when the stored reminder is not as `t` expects; ok otherwise.
Status check_transition_against(const ReminderTransition& t, const Reminder& stored);
// An attempt's own fields: a worker, next kCalling or kDone, a valid log and
// reason. kInvalidArgument naming the field.
Status check_attempt(const ReminderAttempt& attempt);
// kConflict unless `stored` is dialling and claimed by `worker`.
Status check_claim_holder(const Reminder& stored, std::string_view worker, std::string_view what);
// Why a pending or skipped reminder for `reminder_start` is dropped, given its
// appointment as stored now; nullopt when it still stands.
std::optional<std::string> stale_reason(const Appointment& appointment, TimePoint reminder_start);

}  // namespace autovoice::store_rules
