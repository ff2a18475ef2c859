// Store: where autovoice keeps customers, vehicles, appointments and call logs.
//
// Two backends implement it: SQLite (the embedded default, "sqlite:///path.db")
// and PostgreSQL ("postgresql://..."); both pass the same contract suite
// (tests/integration/store_contract_test.cpp), so callers never ask which one
// they have.
//
// Thread safety: a Store is safe for concurrent use from multiple threads
// without external synchronization. Calls block on database I/O, so servers
// call it from their database pool, never from an event-loop thread.
//
// Failures are values: every method returns a Result. Bad input gives
// kInvalidArgument naming the field, a missing referenced record kNotFound,
// a uniqueness clash kConflict, an unreachable database kUnavailable. A method
// that fails changes nothing stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "domain/result.h"
#include "domain/types.h"

namespace autovoice {

// The schema version this binary's migrations bring a database to.
int latest_schema_version();

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<int> applied;  // versions applied by this call, in order
};

struct Page {
  int limit = 100;  // 1..10000
  int offset = 0;
};

struct AppointmentQuery {
  std::optional<TimePoint> from;  // start >= from
  std::optional<TimePoint> to;    // start < to
  std::optional<AppointmentStatus> status;
  std::optional<CustomerId> customer_id;
  Page page;
};

// The scheduler's record of one fire of a job (see cron/scheduler.h).
enum class FireOutcome { kSucceeded, kFailed, kSkipped };

struct FireClaim {
  enum class State {
    kClaimed,        // this worker holds the fire now, until held_until
    kDone,           // the fire has finished (any outcome); nothing to do
    kHeldElsewhere,  // another worker holds a live claim, until held_until
  };
  State state = State::kClaimed;
  TimePoint held_until{};
};

// Held by a running worker; released when destroyed.
class WorkerLock {
 public:
  virtual ~WorkerLock() = default;
  // True when no other worker can be running on this database while the
  // lock is held (SQLite: one worker per file), so any claim not made by
  // this process is known to be dead.
  virtual bool exclusive() const = 0;
};

// How a status callback changed the call log (Store::apply_call_status).
struct CallStatusApplied {
  CallLog log;           // the row as it now is
  bool applied = false;  // false: a duplicate or an out-of-order (earlier) callback, nothing changed
  bool created = false;  // the CallSid was unknown; a row was made from the callback
};

// Counts for the server's metrics.
struct CallLogCounts {
  std::vector<std::pair<std::string, std::int64_t>> by_status;  // "completed" -> n, ordered by status
  // Outbound reminder calls (intent "appointment_reminder") by outcome; an
  // empty outcome counts as "none". Ordered by outcome.
  std::vector<std::pair<std::string, std::int64_t>> reminders_by_outcome;
};

struct CallLogQuery {
  std::optional<CustomerId> customer_id;
  std::optional<AppointmentId> appointment_id;
  Page page;
};

// --- reminders (see Reminder in domain/types.h) ---------------------------------

// What a sweep decided for one appointment (Store::plan_reminders).
struct ReminderPlan {
  AppointmentId appointment_id = 0;
  TimePoint appointment_start{};
  CustomerId customer_id = 0;
  ReminderState state = ReminderState::kPending;  // kPending (from due_at) or kSkipped (reason says why)
  TimePoint due_at{};
  std::string reason;  // kSkipped: why ("opted_out", "invalid_number", ...)
  std::string detail;
};

struct PlannedReminder {
  Reminder reminder;     // the row as it now is
  bool written = false;  // false: a reminder beyond "skipped" already existed; it is returned unchanged
};

// A reminder claimed for dialling, with its appointment and customer as they
// are stored at the moment of the claim (re-read in the claim's transaction).
struct ReminderClaim {
  Reminder reminder;
  Appointment appointment;
  Customer customer;
};

// The attempt a claim led to (Store::record_reminder_attempt): a call the
// carrier accepted (next = kCalling), or an SMS it queued (next = kDone).
struct ReminderAttempt {
  ReminderId id = 0;
  std::string worker;  // must hold the claim
  CallLog log;         // the call log row to write: call_sid, direction, status, intent, from, to, ...
  ReminderState next = ReminderState::kCalling;
  std::string reason;  // kept on the reminder (e.g. "sms_sent")
};

// A compare-and-set move of one reminder (Store::transition_reminder).
struct ReminderTransition {
  ReminderId id = 0;
  ReminderState from = ReminderState::kDialling;  // the state it must be in
  std::string worker;    // from kDialling: the claim must be this worker's
  std::string call_sid;  // from kCalling: it must be waiting on this call
  ReminderState to = ReminderState::kPending;
  std::optional<ReminderChannel> channel;  // set: the channel changes (SMS fallback)
  TimePoint due_at{};  // to kPending: when it is next due
  std::string reason;
  std::string detail;
};

// A reminder waiting on its call, with the call's log (unset when no row has
// that SID, which should not happen).
struct AwaitedCall {
  Reminder reminder;
  std::optional<CallLog> call;
};

struct ReminderQuery {
  std::optional<ReminderState> state;
  std::optional<AppointmentId> appointment_id;
  std::optional<TimePoint> from;  // appointment_start >= from
  std::optional<TimePoint> to;    // appointment_start < to
  Page page;
};

class Store {
 public:
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- schema ---------------------------------------------------------------
  // Applies every migration newer than the database's version, each in its own
  // transaction, and records it in schema_version. Idempotent: a current
  // database gets an empty `applied`. A database newer than
  // latest_schema_version() is refused with kFailedPrecondition.
  virtual Result<MigrationReport> migrate() = 0;
  // The database's schema version; 0 for an empty database.
  virtual Result<int> schema_version() = 0;

  // --- customers --------------------------------------------------------------
  // Stores a new customer (c.id is ignored; created_at is set to `now`) and
  // returns it with its id. kConflict when the phone number is taken.
  virtual Result<Customer> add_customer(const Customer& c, TimePoint now) = 0;
  virtual Result<Customer> customer(CustomerId id) = 0;  // kNotFound if absent
  virtual Result<std::optional<Customer>> customer_by_phone(const PhoneNumber& phone) = 0;
  // Ordered by id.
  virtual Result<std::vector<Customer>> list_customers(Page page) = 0;
  // Replaces c.id's first_name, last_name, phone, email and time_zone (opt-out
  // and created_at are kept). kNotFound if absent, kConflict when the phone
  // number belongs to another customer.
  virtual Result<Customer> update_customer(const Customer& c) = 0;
  // Deletes the customer with their vehicles and appointments; their call
  // logs stay, no longer linked. kNotFound if absent.
  virtual Status delete_customer(CustomerId id) = 0;
  // Opting out records `at`; opting back in clears it. Returns the customer.
  virtual Result<Customer> set_customer_opt_out(CustomerId id, bool opted_out, TimePoint at) = 0;

  // --- vehicles ---------------------------------------------------------------
  // kNotFound when the owner does not exist. created_at is set to `now`.
  virtual Result<Vehicle> add_vehicle(const Vehicle& v, TimePoint now) = 0;
  virtual Result<Vehicle> vehicle(VehicleId id) = 0;
  // Ordered by id; all customers' when customer_id is empty.
  virtual Result<std::vector<Vehicle>> list_vehicles(std::optional<CustomerId> customer_id, Page page) = 0;
  // Replaces v.id's year, make, model, vin and plate (the owner is kept).
  // kNotFound if absent.
  virtual Result<Vehicle> update_vehicle(const Vehicle& v) = 0;
  // kNotFound if absent; kConflict while any appointment refers to it.
  virtual Status delete_vehicle(VehicleId id) = 0;

  // --- appointments -------------------------------------------------------------
  // kNotFound when the customer or vehicle does not exist; kInvalidArgument
  // (field vehicle_id) when the vehicle belongs to another customer.
  // created_at and updated_at are set to `now`.
  virtual Result<Appointment> add_appointment(const Appointment& a, TimePoint now) = 0;
  // Bulk load for seeding and benchmarks: all rows in one transaction, all or
  // nothing, with the same checks as add_appointment. Returns the count stored.
  virtual Result<std::size_t> add_appointments(std::span<const Appointment> rows, TimePoint now) = 0;
  virtual Result<Appointment> appointment(AppointmentId id) = 0;
  // Ordered by start, then id.
  virtual Result<std::vector<Appointment>> list_appointments(const AppointmentQuery& q) = 0;
  // Appointments with `status` starting in [from, to), ordered by start, then
  // id. The reminder job's query; served by an index in O(log n + k).
  virtual Result<std::vector<Appointment>> appointments_starting(AppointmentStatus status,
                                                                 TimePoint from, TimePoint to) = 0;
  virtual Result<Appointment> set_appointment_status(AppointmentId id, AppointmentStatus status,
                                                     TimePoint now) = 0;
  // Replaces a.id's vehicle_id, start, duration_minutes, service_type, status
  // and notes (customer_id and created_at are kept; updated_at = now), with
  // add_appointment's checks. kNotFound if absent.
  virtual Result<Appointment> update_appointment(const Appointment& a, TimePoint now) = 0;
  // kNotFound if absent. Its call logs stay, no longer linked.
  virtual Status delete_appointment(AppointmentId id) = 0;

  // --- call logs ----------------------------------------------------------------
  // kConflict when call_sid is already logged. created_at/updated_at = now.
  virtual Result<CallLog> add_call_log(const CallLog& c, TimePoint now) = 0;
  virtual Result<CallLog> call_log_by_sid(std::string_view call_sid) = 0;  // kNotFound
  // Newest first (created_at, then id, descending).
  virtual Result<std::vector<CallLog>> list_call_logs(const CallLogQuery& q) = 0;
  // Applies a status callback to the call's log atomically (safe when the
  // same CallSid's callbacks arrive concurrently): when supersedes() allows
  // it, status and the update's present fields are written (started_at =
  // timestamp, or now, on in-progress; ended_at likewise on a final status;
  // duration, answered_by, error code and message when given) and the
  // sequence number remembered; otherwise nothing changes. An unknown CallSid
  // creates a row from the update (its direction, from and to; no customer).
  // kInvalidArgument for an empty call_sid.
  virtual Result<CallStatusApplied> apply_call_status(const CallStatusUpdate& u, TimePoint now) = 0;
  virtual Result<CallLogCounts> call_log_counts() = 0;

  // --- reminders ----------------------------------------------------------------------
  // Records a sweep's decisions, all in one transaction (all or nothing;
  // kInvalidArgument naming the field for a bad plan, kNotFound for an
  // unknown appointment). Per (appointment_id, appointment_start): no row ->
  // inserted (attempts 0, channel call); a kSkipped row -> takes the plan
  // (decided again); any other row -> left as it is (written = false). The
  // appointment's other pending or skipped reminders, for another start
  // time, are dropped with reason "rescheduled". Results follow `plans`' order.
  virtual Result<std::vector<PlannedReminder>> plan_reminders(std::span<const ReminderPlan> plans,
                                                              TimePoint now) = 0;
  // Pending and skipped reminders whose appointment is no longer CONFIRMED
  // (reason "appointment_cancelled", or "appointment_" + the status in lower
  // case) or starts at another time ("rescheduled") become kDropped. Returns
  // them, ordered by id.
  virtual Result<std::vector<Reminder>> drop_stale_reminders(TimePoint now) = 0;
  // Claims up to `limit` (1..1000) pending reminders with due_at <= now,
  // earliest due first (then id), for `worker`: kDialling, claimed_at = now,
  // lease_until = now + lease. Never two of one customer at once: a reminder
  // whose customer has another one dialling is left for later. Several
  // workers claim disjoint reminders. The appointment and customer are read
  // in the same transaction.
  virtual Result<std::vector<ReminderClaim>> claim_due_reminders(std::string_view worker, TimePoint now,
                                                                  std::chrono::seconds lease, int limit) = 0;
  // Takes over claims whose holder is gone: kDialling reminders of another
  // worker whose lease has ended (lease_until <= now), and, when
  // `claimed_before` is set, any kDialling reminder (of any worker, `worker`
  // included) claimed at or before it — for a caller that knows no other
  // worker is alive. They pass to `worker` with lease_until = now + lease;
  // claimed_at is kept (the carrier is asked about calls since then).
  virtual Result<std::vector<ReminderClaim>> take_over_stale_claims(std::string_view worker, TimePoint now,
                                                                    std::chrono::seconds lease,
                                                                    std::optional<TimePoint> claimed_before) = 0;
  // The claim led to a call (or an SMS): in one transaction the reminder
  // moves to `next` with call_sid = log.call_sid, attempts + 1 and its claim
  // cleared, and the log row is written — inserted, or, when a status
  // callback made the row first, given the log's customer, appointment,
  // intent, direction, from and to while its status and times are kept.
  // kConflict when `worker` does not hold the claim (nothing written).
  virtual Result<Reminder> record_reminder_attempt(const ReminderAttempt& attempt, TimePoint now) = 0;
  // Moves a reminder only if it is as `t` expects (state, claim holder,
  // call); kConflict otherwise, kNotFound if absent. Moving to kPending sets
  // due_at; leaving kDialling clears the claim. reason and detail replace
  // the reminder's.
  virtual Result<Reminder> transition_reminder(const ReminderTransition& t, TimePoint now) = 0;
  // kCalling reminders whose call has ended (its log has a final status), or
  // that have waited since at or before `waiting_since` (updated_at), oldest
  // first, at most `limit` (1..1000).
  virtual Result<std::vector<AwaitedCall>> calls_to_follow_up(TimePoint waiting_since, int limit) = 0;
  virtual Result<Reminder> reminder(ReminderId id) = 0;  // kNotFound
  // Ordered by appointment_start, then id.
  virtual Result<std::vector<Reminder>> list_reminders(const ReminderQuery& q) = 0;

  // --- scheduled job fires -----------------------------------------------------------
  // One row per (job, fire_time) makes each fire run on exactly one worker,
  // however many share the database.
  //
  // The latest fire time of `job` that finished (any outcome); nullopt if none.
  virtual Result<std::optional<TimePoint>> last_finished_fire(std::string_view job) = 0;
  // Claims (job, fire_time) for `worker` until now + lease. kClaimed when no
  // row existed, when `worker` already held it, or when the holder's lease had
  // ended (held_until <= now: it died): the claim passes to `worker`. kDone
  // when the fire has finished (held_until is then empty). kHeldElsewhere,
  // with the holder's held_until, otherwise.
  virtual Result<FireClaim> claim_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                                       TimePoint now, std::chrono::seconds lease) = 0;
  // Extends `worker`'s claim to now + lease. kConflict when the row is not
  // running or names another worker. (A holder whose lease ended but whom
  // nobody took over still holds it.)
  virtual Status renew_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                            TimePoint now, std::chrono::seconds lease) = 0;
  // Records how the fire ended, with a short detail (an error message; kept
  // to 1000 bytes, as valid text). For kSkipped no claim is needed (the row is
  // created, or an ended claim taken over). kConflict when the fire has already
  // finished, when another worker holds a live claim, or, for kSucceeded and
  // kFailed, when `worker` does not hold the claim.
  virtual Status finish_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                             FireOutcome outcome, std::string_view detail, TimePoint now) = 0;

  // --- workers ------------------------------------------------------------------------
  // Registers a long-running worker for as long as the returned lock lives.
  // SQLite serves one worker per database file: a second gets
  // kFailedPrecondition saying another worker (with its id) is running.
  // PostgreSQL serves any number (fires are shared out through claim_fire).
  virtual Result<std::unique_ptr<WorkerLock>> lock_worker(std::string_view worker) = 0;

 protected:
  Store() = default;
};

// Opens the database a DATABASE_URL names: "sqlite:///abs/path.db",
// "sqlite://relative.db", "sqlite::memory:" or "postgresql://user@host:port/db"
// (also "postgres://"). The schema is not migrated here; use migrate(). A
// database whose schema is newer than this binary is refused
// (kFailedPrecondition). An unknown scheme is kInvalidArgument on field
// DATABASE_URL; an unreachable server kUnavailable.
Result<std::unique_ptr<Store>> open_store(const std::string& database_url);

// Caps the memory SQLite keeps (chiefly its page caches) in this process at
// about `bytes`; beyond it, cached pages are recycled. For long-running
// workers, whose caches would otherwise grow to the 64 MiB a bulk load is
// given. No effect on PostgreSQL.
void limit_sqlite_memory(std::int64_t bytes);

// The store's schema version; fails with kFailedPrecondition and a message
// saying to run `autovoice migrate` when it is older than this binary's.
Result<int> require_current_schema(Store& store);

// --- migrations (embedded from src/store/migrations/<dialect>/NNNN_name.sql) ---
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};
std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgres_migrations();

std::string_view to_string(FireOutcome outcome);  // "succeeded", "failed", "skipped"

}  // namespace autovoice
