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

#include <memory>
#include <optional>
#include <span>
#include <string>
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
  // Stores a new customer (c.id and c.created_at are ignored) and returns it
  // with its id and creation time. kConflict when the phone number is taken.
  virtual Result<Customer> add_customer(const Customer& c) = 0;
  virtual Result<Customer> customer(CustomerId id) = 0;  // kNotFound if absent
  virtual Result<std::optional<Customer>> customer_by_phone(const PhoneNumber& phone) = 0;
  // Ordered by id.
  virtual Result<std::vector<Customer>> list_customers(Page page) = 0;
  // Opting out records `at`; opting back in clears it. Returns the customer.
  virtual Result<Customer> set_customer_opt_out(CustomerId id, bool opted_out, TimePoint at) = 0;

  // --- vehicles ---------------------------------------------------------------
  // kNotFound when the owner does not exist.
  virtual Result<Vehicle> add_vehicle(const Vehicle& v) = 0;
  virtual Result<Vehicle> vehicle(VehicleId id) = 0;
  // Ordered by id; all customers' when customer_id is empty.
  virtual Result<std::vector<Vehicle>> list_vehicles(std::optional<CustomerId> customer_id, Page page) = 0;

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

  // --- call logs ----------------------------------------------------------------
  // kConflict when call_sid is already logged. created_at/updated_at = now.
  virtual Result<CallLog> add_call_log(const CallLog& c, TimePoint now) = 0;
  virtual Result<CallLog> call_log_by_sid(std::string_view call_sid) = 0;  // kNotFound
  // Newest first (created_at, then id, descending).
  virtual Result<std::vector<CallLog>> list_call_logs(const CallLogQuery& q) = 0;

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

// Fails with kFailedPrecondition and a message saying to run `autovoice migrate`
// when the store's schema is older than this binary's.
Status require_current_schema(Store& store);

// --- migrations (embedded from src/store/migrations/<dialect>/NNNN_name.sql) ---
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};
std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgres_migrations();

}  // namespace autovoice
