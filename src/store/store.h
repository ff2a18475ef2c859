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
