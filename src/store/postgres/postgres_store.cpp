// The PostgreSQL Store: libpqxx over a ConnectionPool.
//
// Times cross the wire as Unix seconds (to_timestamp(n) in, extract(epoch)
// out), so a TimePoint round-trips exactly whatever the session time zone.
// Reads run as single statements outside a transaction; every write runs in a
// pqxx::work, so a connection that breaks before COMMIT stored nothing and the
// call can be retried on a fresh connection (a break during COMMIT is
// pqxx::in_doubt_error and is never retried).
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "domain/phone.h"
#include "domain/time.h"
#include "store/store_rules.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/postgres_url.h"

namespace autovoice {

namespace {

using postgres::ConnectionPool;
using namespace store_rules;  // the rules both backends share

// How long a caller waits for a pooled connection before kUnavailable.
constexpr std::chrono::seconds kPoolWaitLimit{30};
// libpq waits forever for an unroutable host unless told otherwise.
constexpr std::string_view kConnectTimeoutSeconds = "10";
// pg_advisory_xact_lock key serialising migrations across processes ("autovoic").
constexpr std::int64_t kMigrationLockKey = 0x6175746f766f6963;
// Rows per INSERT in add_appointments: large enough that round trips do not
// matter, small enough that one statement's arrays stay a few megabytes.
constexpr std::size_t kBulkChunkRows = 20000;

// --- SQL -----------------------------------------------------------------------

constexpr std::string_view kCustomerColumns =
    "id, first_name, last_name, phone, email, time_zone, opted_out, "
    "extract(epoch from opted_out_at)::bigint, extract(epoch from created_at)::bigint";
constexpr std::string_view kVehicleColumns =
    "id, customer_id, year, make, model, vin, plate, extract(epoch from created_at)::bigint";
constexpr std::string_view kAppointmentColumns =
    "id, customer_id, vehicle_id, extract(epoch from start_at)::bigint, duration_minutes, "
    "service_type, status, notes, extract(epoch from created_at)::bigint, "
    "extract(epoch from updated_at)::bigint";
constexpr std::string_view kCallLogColumns =
    "id, call_sid, customer_id, appointment_id, direction, status, intent, from_number, "
    "to_number, extract(epoch from started_at)::bigint, extract(epoch from ended_at)::bigint, "
    "duration_seconds, answered_by, outcome, error_code, error_message, "
    "extract(epoch from created_at)::bigint, extract(epoch from updated_at)::bigint";

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

// Prepared on every pooled connection: the queries the server and the reminder
// job run most.
constexpr const char* kCustomerById = "customer_by_id";
constexpr const char* kCustomerByPhone = "customer_by_phone";
constexpr const char* kAppointmentsStarting = "appointments_starting";
constexpr const char* kAddAppointment = "add_appointment";
constexpr const char* kCallLogBySid = "call_log_by_sid";
constexpr const char* kLockCallStatus = "lock_call_status";
constexpr const char* kInsertCallStatus = "insert_call_status";
constexpr const char* kUpdateCallStatus = "update_call_status";

void prepare_statements(pqxx::connection& conn) {
  conn.prepare(kCustomerById,
               sql({"SELECT ", kCustomerColumns, " FROM customers WHERE id = $1::bigint"}));
  conn.prepare(kCustomerByPhone,
               sql({"SELECT ", kCustomerColumns, " FROM customers WHERE phone = $1::text"}));
  // Served by appointments_by_status_start (status, start_at).
  conn.prepare(
      kAppointmentsStarting,
      sql({"SELECT ", kAppointmentColumns,
           " FROM appointments WHERE status = $1::text"
           " AND start_at >= to_timestamp($2::bigint) AND start_at < to_timestamp($3::bigint)"
           " ORDER BY start_at, id"}));
  // One round trip checks the customer, the vehicle's owner and inserts; the
  // insert happens only when both checks pass, and the caller learns which failed.
  conn.prepare(
      kAddAppointment,
      "WITH c AS (SELECT id FROM customers WHERE id = $1::bigint),"
      " v AS (SELECT customer_id FROM vehicles WHERE id = $2::bigint),"
      " ins AS ("
      "  INSERT INTO appointments (customer_id, vehicle_id, start_at, duration_minutes,"
      "   service_type, status, notes, created_at, updated_at)"
      "  SELECT $1::bigint, $2::bigint, to_timestamp($3::bigint), $4::integer, $5::text,"
      "   $6::text, $7::text, to_timestamp($8::bigint), to_timestamp($8::bigint)"
      "  WHERE EXISTS (SELECT 1 FROM c)"
      "   AND EXISTS (SELECT 1 FROM v WHERE customer_id = $1::bigint)"
      "  RETURNING id)"
      " SELECT EXISTS (SELECT 1 FROM c), (SELECT customer_id FROM v), (SELECT id FROM ins)");
  conn.prepare(kCallLogBySid,
               sql({"SELECT ", kCallLogColumns, " FROM call_logs WHERE call_sid = $1::text"}));
  // apply_call_status: the call's row with its status sequence, locked until
  // the transaction ends; the row an unknown CallSid's callback makes; the
  // columns a callback changes.
  conn.prepare(kLockCallStatus, sql({"SELECT ", kCallLogColumns,
                                     ", status_sequence FROM call_logs WHERE call_sid = $1::text"
                                     " FOR UPDATE"}));
  conn.prepare(
      kInsertCallStatus,
      "INSERT INTO call_logs (call_sid, direction, status, status_sequence, from_number,"
      " to_number, started_at, ended_at, duration_seconds, answered_by, error_code, error_message,"
      " created_at, updated_at)"
      " VALUES ($1::text, $2::text, $3::text, $4::integer, $5::text, $6::text,"
      "  to_timestamp($7::bigint), to_timestamp($8::bigint), $9::integer, $10::text, $11::integer,"
      "  $12::text, to_timestamp($13::bigint), to_timestamp($14::bigint))"
      " ON CONFLICT (call_sid) DO NOTHING"
      " RETURNING id");
  conn.prepare(kUpdateCallStatus,
               "UPDATE call_logs SET status = $2::text, status_sequence = $3::integer,"
               " started_at = to_timestamp($4::bigint), ended_at = to_timestamp($5::bigint),"
               " duration_seconds = $6::integer, answered_by = $7::text, error_code = $8::integer,"
               " error_message = $9::text, updated_at = to_timestamp($10::bigint)"
               " WHERE id = $1::bigint");
}

void set_up_connection(pqxx::connection& conn) {
  // set_variable (not a bare SET) so pqxx restores it if it ever reconnects.
  // Notices ("relation already exists, skipping") would otherwise go to stderr.
  conn.set_variable("client_min_messages", "warning");
  prepare_statements(conn);
}

// --- conversions -----------------------------------------------------------------

std::int64_t epoch(TimePoint t) { return t.time_since_epoch().count(); }

std::optional<std::int64_t> epoch(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return epoch(*t);
}

TimePoint time_from(const pqxx::field& f) {
  return TimePoint{std::chrono::seconds{f.as<std::int64_t>()}};
}

std::optional<TimePoint> optional_time_from(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return time_from(f);
}

template <typename T>
std::optional<T> optional_from(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

// A PostgreSQL array literal ("{1,2}" or {"a","b"}) built by appending, for
// passing a column of a bulk load as one parameter.
class ArrayLiteral {
 public:
  ArrayLiteral() { text_.push_back('{'); }
  void add_number(std::int64_t value) {
    separate();
    text_.append(std::to_string(value));
  }
  // Always quoted, so empty strings, spaces and the word NULL stay text.
  void add_text(std::string_view value) {
    separate();
    text_.push_back('"');
    for (char c : value) {
      if (c == '"' || c == '\\') text_.push_back('\\');
      text_.push_back(c);
    }
    text_.push_back('"');
  }
  std::string finish() {
    text_.push_back('}');
    return std::move(text_);
  }

 private:
  void separate() {
    if (text_.size() > 1) text_.push_back(',');
  }
  std::string text_;
};

// The first line of a server error without its "ERROR:  " prefix, phone
// numbers masked (a unique-violation DETAIL quotes the key).
std::string server_message(std::string_view what) {
  std::string_view text = what;
  constexpr std::string_view kPrefix = "ERROR:";
  if (text.starts_with(kPrefix)) text.remove_prefix(kPrefix.size());
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (const auto newline = text.find('\n'); newline != std::string_view::npos) {
    text = text.substr(0, newline);
  }
  return mask_phone(text);
}

Error corrupt(std::string_view what, std::int64_t id, const Error& cause) {
  return Error::internal("stored " + std::string(what) + " " + std::to_string(id) +
                         " is unreadable: " + cause.message);
}

Result<Customer> customer_from(const pqxx::row& r) {
  Customer c;
  c.id = r[0].as<CustomerId>();
  c.first_name = r[1].c_str();
  c.last_name = r[2].c_str();
  auto phone = PhoneNumber::parse(r[3].c_str());
  if (!phone) return corrupt("customer", c.id, phone.error());
  c.phone = *std::move(phone);
  c.email = r[4].c_str();
  c.time_zone = r[5].c_str();
  c.opted_out = r[6].as<bool>();
  c.opted_out_at = optional_time_from(r[7]);
  c.created_at = time_from(r[8]);
  return c;
}

Vehicle vehicle_from(const pqxx::row& r) {
  Vehicle v;
  v.id = r[0].as<VehicleId>();
  v.customer_id = r[1].as<CustomerId>();
  v.year = r[2].as<int>();
  v.make = r[3].c_str();
  v.model = r[4].c_str();
  v.vin = r[5].c_str();
  v.plate = r[6].c_str();
  v.created_at = time_from(r[7]);
  return v;
}

Result<Appointment> appointment_from(const pqxx::row& r) {
  Appointment a;
  a.id = r[0].as<AppointmentId>();
  a.customer_id = r[1].as<CustomerId>();
  a.vehicle_id = r[2].as<VehicleId>();
  a.start = time_from(r[3]);
  a.duration_minutes = r[4].as<int>();
  a.service_type = r[5].c_str();
  auto status = parse_appointment_status(r[6].c_str());
  if (!status) return corrupt("appointment", a.id, status.error());
  a.status = *status;
  a.notes = r[7].c_str();
  a.created_at = time_from(r[8]);
  a.updated_at = time_from(r[9]);
  return a;
}

Result<CallLog> call_log_from(const pqxx::row& r) {
  CallLog c;
  c.id = r[0].as<CallLogId>();
  c.call_sid = r[1].c_str();
  c.customer_id = optional_from<CustomerId>(r[2]);
  c.appointment_id = optional_from<AppointmentId>(r[3]);
  auto direction = parse_call_direction(r[4].c_str());
  if (!direction) return corrupt("call log", c.id, direction.error());
  c.direction = *direction;
  auto status = parse_call_status(r[5].c_str());
  if (!status) return corrupt("call log", c.id, status.error());
  c.status = *status;
  c.intent = r[6].c_str();
  c.from = r[7].c_str();
  c.to = r[8].c_str();
  c.started_at = optional_time_from(r[9]);
  c.ended_at = optional_time_from(r[10]);
  c.duration_seconds = optional_from<int>(r[11]);
  c.answered_by = r[12].c_str();
  c.outcome = r[13].c_str();
  c.error_code = optional_from<int>(r[14]);
  c.error_message = r[15].c_str();
  c.created_at = time_from(r[16]);
  c.updated_at = time_from(r[17]);
  return c;
}

// Reminder queries call the reminders table, or the rows a statement changed,
// "r".
constexpr std::string_view kReminderColumns =
    "r.id, r.appointment_id, extract(epoch from r.appointment_start)::bigint, r.customer_id,"
    " r.state, r.channel, r.attempts, extract(epoch from r.due_at)::bigint, r.claimed_by,"
    " extract(epoch from r.claimed_at)::bigint, extract(epoch from r.lease_until)::bigint,"
    " r.call_sid, r.reason, r.detail, extract(epoch from r.created_at)::bigint,"
    " extract(epoch from r.updated_at)::bigint";
constexpr pqxx::row::size_type kReminderColumnCount = 16;
constexpr pqxx::row::size_type kAppointmentColumnCount = 10;
constexpr pqxx::row::size_type kCustomerColumnCount = 9;
constexpr pqxx::row::size_type kCallLogColumnCount = 18;

Result<Reminder> reminder_from(const pqxx::row& r) {
  Reminder m;
  m.id = r[0].as<ReminderId>();
  m.appointment_id = r[1].as<AppointmentId>();
  m.appointment_start = time_from(r[2]);
  m.customer_id = r[3].as<CustomerId>();
  auto state = parse_reminder_state(r[4].c_str());
  if (!state) return corrupt("reminder", m.id, state.error());
  m.state = *state;
  auto channel = parse_reminder_channel(r[5].c_str());
  if (!channel) return corrupt("reminder", m.id, channel.error());
  m.channel = *channel;
  m.attempts = r[6].as<int>();
  m.due_at = time_from(r[7]);
  m.claimed_by = r[8].c_str();
  m.claimed_at = optional_time_from(r[9]);
  m.lease_until = optional_time_from(r[10]);
  m.call_sid = r[11].c_str();
  m.reason = r[12].c_str();
  m.detail = r[13].c_str();
  m.created_at = time_from(r[14]);
  m.updated_at = time_from(r[15]);
  return m;
}

// The tail of a claiming statement whose changed rows are the CTE "claimed":
// each with its appointment and customer, read by the same statement (so in
// the claim's transaction). Rows come as kReminderColumns, kAppointmentColumns,
// kCustomerColumns (reminder_claim_from).
std::string claimed_with_appointment_and_customer() {
  return sql({" SELECT ", kReminderColumns, ", a.*, c.* FROM claimed r",
              " CROSS JOIN LATERAL (SELECT ", kAppointmentColumns,
              " FROM appointments WHERE id = r.appointment_id) a",
              " CROSS JOIN LATERAL (SELECT ", kCustomerColumns,
              " FROM customers WHERE id = a.customer_id) c"});
}

Result<ReminderClaim> reminder_claim_from(const pqxx::row& row) {
  constexpr auto kAppointmentEnd = kReminderColumnCount + kAppointmentColumnCount;
  ReminderClaim claim;
  auto reminder = reminder_from(row);
  if (!reminder) return std::move(reminder).error();
  claim.reminder = *std::move(reminder);
  auto appointment = appointment_from(row.slice(kReminderColumnCount, kAppointmentEnd));
  if (!appointment) return std::move(appointment).error();
  claim.appointment = *std::move(appointment);
  auto customer =
      customer_from(row.slice(kAppointmentEnd, kAppointmentEnd + kCustomerColumnCount));
  if (!customer) return std::move(customer).error();
  claim.customer = *std::move(customer);
  return claim;
}

template <typename T>
Result<std::vector<T>> rows_to(const pqxx::result& result, Result<T> (*convert)(const pqxx::row&)) {
  std::vector<T> out;
  out.reserve(result.size());
  for (const auto& row : result) {
    auto item = convert(row);
    if (!item) return std::move(item).error();
    out.push_back(*std::move(item));
  }
  return out;
}



// --- job fires and workers ----------------------------------------------------------------

// A fire's detail (a failed job's message) is kept, but not without bound.
constexpr std::size_t kMaxDetailBytes = 1000;




// Length of the valid UTF-8 sequence starting at text[i]; 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xBF;
  if (lead >= 0x01 && lead <= 0x7F) return 1;  // NUL is not storable in text
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // no overlong forms
    if (lead == 0xED) max_second = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;
    if (lead == 0xF4) max_second = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// `detail` as text PostgreSQL accepts (NUL and invalid UTF-8 become '?'), cut
// to at most kMaxDetailBytes between characters. A job's error message must
// never stop its outcome being recorded.
std::string stored_detail(std::string_view detail) {
  std::string out;
  out.reserve(std::min(detail.size(), kMaxDetailBytes));
  for (std::size_t i = 0; i < detail.size();) {
    const std::size_t length = utf8_sequence_length(detail, i);
    if (out.size() + std::max<std::size_t>(length, 1) > kMaxDetailBytes) break;
    if (length > 0) {
      out.append(detail.substr(i, length));
    } else {
      out.push_back('?');
    }
    i += std::max<std::size_t>(length, 1);
  }
  return out;
}

// One row of job_fires, as far as claims care.

// Why `worker` may not renew or finish the fire `row` describes (nullopt: no row).

constexpr const char* kLoadFireSql =
    "SELECT worker, state, extract(epoch from lease_until)::bigint FROM job_fires"
    " WHERE job = $1 AND fire_time = to_timestamp($2::bigint)";

std::optional<StoredFire> load_fire(pqxx::transaction_base& tx, std::string_view job,
                                    TimePoint fire_time) {
  const auto r = tx.exec_params(kLoadFireSql, std::string(job), epoch(fire_time));
  if (r.empty()) return std::nullopt;
  return StoredFire{r[0][0].c_str(), r[0][1].c_str(), time_from(r[0][2])};
}

// PostgreSQL shares fires out through claim_fire, so a worker holds nothing
// (and costs no connection).
class SharedWorkerLock final : public WorkerLock {
 public:
  bool exclusive() const override { return false; }
};

// Builds "... $1 ... $2" with the parameters beside it, for the list queries
// whose filters vary.
class QueryBuilder {
 public:
  explicit QueryBuilder(std::string head) : sql_(std::move(head)) {}
  // Appends `clause` with "$?" replaced by the next parameter number.
  void add(std::string_view clause, std::string value) {
    params_.push_back(std::move(value));
    const std::string number = "$" + std::to_string(params_.size());
    const auto mark = clause.find("$?");
    sql_.append(clause.substr(0, mark));
    if (mark != std::string_view::npos) {
      sql_.append(number);
      sql_.append(clause.substr(mark + 2));
    }
  }
  void append(std::string_view text) { sql_.append(text); }
  const std::string& sql() const { return sql_; }
  const std::vector<std::string>& params() const { return params_; }

 private:
  std::string sql_;
  std::vector<std::string> params_;
};

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, std::size_t pool_size)
      : pool_(postgres::with_default_param(
                  postgres::with_default_param(url, "connect_timeout", kConnectTimeoutSeconds),
                  "application_name", "autovoice"),
              postgres::redact_url(url), postgres::url_secrets(url), pool_size, set_up_connection,
              kPoolWaitLimit) {}

  Result<MigrationReport> migrate() override;
  Result<int> schema_version() override;

  Result<Customer> add_customer(const Customer& c, TimePoint now) override;
  Result<Customer> customer(CustomerId id) override;
  Result<std::optional<Customer>> customer_by_phone(const PhoneNumber& phone) override;
  Result<std::vector<Customer>> list_customers(Page page) override;
  Result<Customer> set_customer_opt_out(CustomerId id, bool opted_out, TimePoint at) override;
  Result<Customer> update_customer(const Customer& c) override;
  Status delete_customer(CustomerId id) override;

  Result<Vehicle> add_vehicle(const Vehicle& v, TimePoint now) override;
  Result<Vehicle> vehicle(VehicleId id) override;
  Result<std::vector<Vehicle>> list_vehicles(std::optional<CustomerId> customer_id,
                                             Page page) override;
  Result<Vehicle> update_vehicle(const Vehicle& v) override;
  Status delete_vehicle(VehicleId id) override;

  Result<Appointment> add_appointment(const Appointment& a, TimePoint now) override;
  Result<std::size_t> add_appointments(std::span<const Appointment> rows, TimePoint now) override;
  Result<Appointment> appointment(AppointmentId id) override;
  Result<std::vector<Appointment>> list_appointments(const AppointmentQuery& q) override;
  Result<std::vector<Appointment>> appointments_starting(AppointmentStatus status, TimePoint from,
                                                         TimePoint to) override;
  Result<Appointment> set_appointment_status(AppointmentId id, AppointmentStatus status,
                                             TimePoint now) override;
  Result<Appointment> update_appointment(const Appointment& a, TimePoint now) override;
  Status delete_appointment(AppointmentId id) override;

  Result<CallLog> add_call_log(const CallLog& c, TimePoint now) override;
  Result<CallLog> call_log_by_sid(std::string_view call_sid) override;
  Result<std::vector<CallLog>> list_call_logs(const CallLogQuery& q) override;
  Result<CallStatusApplied> apply_call_status(const CallStatusUpdate& u, TimePoint now) override;
  Result<CallLogCounts> call_log_counts() override;

  Result<std::vector<PlannedReminder>> plan_reminders(std::span<const ReminderPlan> plans,
                                                      TimePoint now) override;
  Result<std::vector<Reminder>> drop_stale_reminders(TimePoint now) override;
  Result<std::vector<ReminderClaim>> claim_due_reminders(std::string_view worker, TimePoint now,
                                                         std::chrono::seconds lease,
                                                         int limit) override;
  Result<std::vector<ReminderClaim>> take_over_stale_claims(
      std::string_view worker, TimePoint now, std::chrono::seconds lease,
      std::optional<TimePoint> claimed_before) override;
  Result<Reminder> record_reminder_attempt(const ReminderAttempt& attempt, TimePoint now) override;
  Result<Reminder> transition_reminder(const ReminderTransition& t, TimePoint now) override;
  Result<std::vector<AwaitedCall>> calls_to_follow_up(TimePoint waiting_since, int limit) override;
  Result<Reminder> reminder(ReminderId id) override;
  Result<std::vector<Reminder>> list_reminders(const ReminderQuery& q) override;

  Result<std::optional<TimePoint>> last_finished_fire(std::string_view job) override;
  Result<FireClaim> claim_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                               TimePoint now, std::chrono::seconds lease) override;
  Status renew_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                    TimePoint now, std::chrono::seconds lease) override;
  Status finish_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                     FireOutcome outcome, std::string_view detail, TimePoint now) override;

  Result<std::unique_ptr<WorkerLock>> lock_worker(std::string_view worker) override;

 private:
  // Runs fn(lease) on a pooled connection and turns every exception into an
  // Error. A pooled connection found broken (the server restarted while it
  // sat idle; nothing was stored) is dropped and fn retried; after a restart
  // every idle connection is stale, so this goes on until a connection opened
  // for this call, which gives the real answer.
  template <typename Fn>
  auto with_connection(Fn&& fn) -> decltype(fn(std::declval<ConnectionPool::Lease&>()));

  ConnectionPool pool_;
};

template <typename Fn>
auto PostgresStore::with_connection(Fn&& fn)
    -> decltype(fn(std::declval<ConnectionPool::Lease&>())) {
  // Each retry drops one idle connection, so pool size + 1 attempts end with a
  // fresh one unless other threads keep handing back stale ones.
  const std::size_t max_attempts = pool_.size() + 1;
  for (std::size_t attempt = 1;; ++attempt) {
    auto lease = pool_.acquire();
    if (!lease) return std::move(lease).error();
    try {
      return fn(*lease);
    } catch (const pqxx::in_doubt_error& e) {
      lease->discard();
      return Error::unavailable(pool_.describe_failure(e.what()) +
                                " (the connection broke during COMMIT: the change may or may not "
                                "be stored)");
    } catch (const pqxx::broken_connection& e) {
      lease->discard();
      if (lease->reused() && attempt < max_attempts) continue;
      return Error::unavailable(pool_.describe_failure(e.what()));
    } catch (const pqxx::transaction_rollback& e) {
      // Deadlock or serialization failure: nothing was stored; a retry may pass.
      return Error::unavailable("PostgreSQL rolled the transaction back: " +
                                server_message(e.what()));
    } catch (const pqxx::unique_violation& e) {
      return Error::conflict(server_message(e.what()));
    } catch (const pqxx::foreign_key_violation& e) {
      return Error::not_found(server_message(e.what()));
    } catch (const pqxx::data_exception& e) {
      // A value the server cannot take (e.g. text that is not UTF-8).
      return Error::invalid("", "PostgreSQL rejected a value: " + server_message(e.what()));
    } catch (const pqxx::sql_error& e) {
      return Error::internal("PostgreSQL: " + server_message(e.what()));
    } catch (const std::exception& e) {
      // Not a server error (a conversion, a pqxx usage error): the connection may
      // be mid-statement, so it is not handed to the next caller.
      lease->discard();
      return Error::internal("PostgreSQL client: " + server_message(e.what()));
    } catch (...) {
      lease->discard();
      return Error::internal("PostgreSQL client: unknown exception");
    }
  }
}

// --- schema ------------------------------------------------------------------------

Result<int> read_schema_version(pqxx::transaction_base& tx) {
  const auto exists = tx.exec("SELECT to_regclass('schema_version') IS NOT NULL");
  if (!exists[0][0].as<bool>()) return 0;
  const auto version = tx.exec("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  return version[0][0].as<int>();
}

Result<int> PostgresStore::schema_version() {
  return with_connection([&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction tx(lease.connection());
    return read_schema_version(tx);
  });
}


Result<MigrationReport> PostgresStore::migrate() {
  MigrationReport report;
  // The lock (held to each transaction's end) makes concurrent migrators
  // queue; each re-reads the version under it, so no migration runs twice.
  const std::string lock =
      "SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")";
  auto start = with_connection([&](ConnectionPool::Lease& lease) -> Result<int> {
    pqxx::work tx(lease.connection());
    tx.exec(lock);
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)");
    auto version = read_schema_version(tx);
    tx.commit();
    return version;
  });
  if (!start) return std::move(start).error();
  report.from_version = *start;
  report.to_version = *start;
  if (auto s = refuse_newer_schema(*start); !s) return std::move(s).error();

  for (const Migration& migration : postgres_migrations()) {
    if (migration.version <= report.to_version) continue;
    auto applied = with_connection([&](ConnectionPool::Lease& lease) -> Result<bool> {
      pqxx::work tx(lease.connection());
      tx.exec(lock);
      auto current = read_schema_version(tx);
      if (!current) return std::move(current).error();
      if (*current >= migration.version) return false;  // another process got there first
      try {
        tx.exec(std::string(migration.sql));
      } catch (const pqxx::sql_error& e) {
        return Error::internal("migration " + std::string(migration.name) +
                               " failed: " + server_message(e.what()));
      }
      tx.exec_params(
          "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, now())",
          migration.version, std::string(migration.name));
      tx.commit();
      return true;
    });
    if (!applied) return std::move(applied).error();
    if (*applied) report.applied.push_back(migration.version);
    report.to_version = migration.version;
  }
  return report;
}

// --- customers -----------------------------------------------------------------------

Result<Customer> PostgresStore::add_customer(const Customer& c, TimePoint now) {
  if (auto s = validate(c); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Customer> {
    pqxx::work tx(lease.connection());
    // ON CONFLICT turns a taken phone into "no row" instead of an aborted
    // transaction, so the message can name the (masked) number.
    const auto r = tx.exec_params(
        "INSERT INTO customers (first_name, last_name, phone, email, time_zone, opted_out,"
        " opted_out_at, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6::boolean, to_timestamp($7::bigint),"
        "  to_timestamp($8::bigint))"
        " ON CONFLICT (phone) DO NOTHING"
        " RETURNING id",
        c.first_name, c.last_name, c.phone.str(), c.email, c.time_zone, c.opted_out,
        epoch(c.opted_out_at), epoch(now));
    if (r.empty()) {
      return Error::conflict("a customer with phone " + c.phone.masked() + " already exists");
    }
    tx.commit();
    Customer stored = c;
    stored.id = r[0][0].as<CustomerId>();
    stored.created_at = now;
    return stored;
  });
}

Result<Customer> PostgresStore::customer(CustomerId id) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Customer> {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_prepared(kCustomerById, id);
    if (r.empty()) return customer_missing(id);
    return customer_from(r[0]);
  });
}

Result<std::optional<Customer>> PostgresStore::customer_by_phone(const PhoneNumber& phone) {
  if (phone.empty()) return Error::invalid("phone", "phone is required");
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<std::optional<Customer>> {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_prepared(kCustomerByPhone, phone.str());
    if (r.empty()) return std::optional<Customer>();
    auto c = customer_from(r[0]);
    if (!c) return std::move(c).error();
    return std::optional<Customer>(*std::move(c));
  });
}

Result<std::vector<Customer>> PostgresStore::list_customers(Page page) {
  if (auto s = check_page(page); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_params(
        sql({"SELECT ", kCustomerColumns, " FROM customers ORDER BY id LIMIT $1 OFFSET $2"}),
        page.limit, page.offset);
    return rows_to<Customer>(r, customer_from);
  });
}

Result<Customer> PostgresStore::set_customer_opt_out(CustomerId id, bool opted_out, TimePoint at) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Customer> {
    pqxx::work tx(lease.connection());
    const auto r = tx.exec_params(
        sql({"UPDATE customers SET opted_out = $2::boolean,"
             " opted_out_at = CASE WHEN $2::boolean THEN to_timestamp($3::bigint) END"
             " WHERE id = $1::bigint RETURNING ",
             kCustomerColumns}),
        id, opted_out, epoch(at));
    if (r.empty()) return customer_missing(id);
    auto c = customer_from(r[0]);
    if (c) tx.commit();
    return c;
  });
}

Result<Customer> PostgresStore::update_customer(const Customer& c) {
  if (auto s = validate_update(c); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Customer> {
    pqxx::work tx(lease.connection());
    pqxx::result r;
    try {
      r = tx.exec_params(
          sql({"UPDATE customers SET first_name = $2, last_name = $3, phone = $4, email = $5,"
               " time_zone = $6 WHERE id = $1::bigint RETURNING ",
               kCustomerColumns}),
          c.id, c.first_name, c.last_name, c.phone.str(), c.email, c.time_zone);
    } catch (const pqxx::unique_violation&) {
      return phone_taken(c.phone);  // the only unique column; tx rolls back
    }
    if (r.empty()) return customer_missing(c.id);
    auto updated = customer_from(r[0]);
    if (updated) tx.commit();
    return updated;
  });
}

Status PostgresStore::delete_customer(CustomerId id) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Status {
    pqxx::work tx(lease.connection());
    // The foreign keys delete the vehicles and appointments and unlink the call logs.
    const auto r = tx.exec_params("DELETE FROM customers WHERE id = $1::bigint RETURNING 1", id);
    if (r.empty()) return customer_missing(id);
    tx.commit();
    return ok_status();
  });
}

// --- vehicles ------------------------------------------------------------------------

Result<Vehicle> PostgresStore::add_vehicle(const Vehicle& v, TimePoint now) {
  if (auto s = validate(v); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Vehicle> {
    pqxx::work tx(lease.connection());
    const auto r = tx.exec_params(
        "INSERT INTO vehicles (customer_id, year, make, model, vin, plate, created_at)"
        " SELECT $1::bigint, $2::integer, $3::text, $4::text, $5::text, $6::text,"
        "  to_timestamp($7::bigint)"
        " WHERE EXISTS (SELECT 1 FROM customers WHERE id = $1::bigint)"
        " RETURNING id",
        v.customer_id, v.year, v.make, v.model, v.vin, v.plate, epoch(now));
    if (r.empty()) return customer_missing(v.customer_id);
    tx.commit();
    Vehicle stored = v;
    stored.id = r[0][0].as<VehicleId>();
    stored.created_at = now;
    return stored;
  });
}

Result<Vehicle> PostgresStore::vehicle(VehicleId id) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Vehicle> {
    pqxx::nontransaction tx(lease.connection());
    const auto r =
        tx.exec_params(sql({"SELECT ", kVehicleColumns, " FROM vehicles WHERE id = $1"}), id);
    if (r.empty()) return vehicle_missing(id);
    return vehicle_from(r[0]);
  });
}

Result<std::vector<Vehicle>> PostgresStore::list_vehicles(std::optional<CustomerId> customer_id,
                                                          Page page) {
  if (auto s = check_page(page); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<std::vector<Vehicle>> {
    pqxx::nontransaction tx(lease.connection());
    const auto r =
        tx.exec_params(sql({"SELECT ", kVehicleColumns,
                            " FROM vehicles WHERE ($1::bigint IS NULL OR customer_id = $1::bigint)"
                            " ORDER BY id LIMIT $2 OFFSET $3"}),
                       customer_id, page.limit, page.offset);
    std::vector<Vehicle> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(vehicle_from(row));
    return out;
  });
}

Result<Vehicle> PostgresStore::update_vehicle(const Vehicle& v) {
  if (auto s = validate_update(v); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Vehicle> {
    pqxx::work tx(lease.connection());
    const auto r = tx.exec_params(
        sql({"UPDATE vehicles SET year = $2::integer, make = $3, model = $4, vin = $5, plate = $6"
             " WHERE id = $1::bigint RETURNING ",
             kVehicleColumns}),
        v.id, v.year, v.make, v.model, v.vin, v.plate);
    if (r.empty()) return vehicle_missing(v.id);
    tx.commit();
    return vehicle_from(r[0]);
  });
}

Status PostgresStore::delete_vehicle(VehicleId id) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Status {
    pqxx::work tx(lease.connection());
    // Locking the vehicle first makes an appointment being added for it either
    // commit before the check below (which then sees it) or wait for this
    // transaction and fail its foreign key: none is deleted with the vehicle.
    const auto locked =
        tx.exec_params("SELECT 1 FROM vehicles WHERE id = $1::bigint FOR UPDATE", id);
    if (locked.empty()) return vehicle_missing(id);
    const auto r = tx.exec_params(
        "DELETE FROM vehicles WHERE id = $1::bigint"
        " AND NOT EXISTS (SELECT 1 FROM appointments WHERE vehicle_id = $1::bigint) RETURNING 1",
        id);
    if (r.empty()) return vehicle_has_appointments(id);
    tx.commit();
    return ok_status();
  });
}

// --- appointments ------------------------------------------------------------------------

Result<Appointment> PostgresStore::add_appointment(const Appointment& a, TimePoint now) {
  if (auto s = validate(a); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Appointment> {
    pqxx::work tx(lease.connection());
    const auto r = tx.exec_prepared(kAddAppointment, a.customer_id, a.vehicle_id, epoch(a.start),
                                    a.duration_minutes, a.service_type,
                                    std::string(to_string(a.status)), a.notes, epoch(now));
    const auto& row = r[0];
    if (!row[0].as<bool>()) return customer_missing(a.customer_id);
    if (row[1].is_null()) return vehicle_missing(a.vehicle_id);
    if (const auto owner = row[1].as<CustomerId>(); owner != a.customer_id) {
      return vehicle_of_other_customer(a.vehicle_id, owner, a.customer_id);
    }
    tx.commit();
    Appointment stored = a;
    stored.id = row[2].as<AppointmentId>();
    stored.created_at = now;
    stored.updated_at = now;
    return stored;
  });
}

Result<std::size_t> PostgresStore::add_appointments(std::span<const Appointment> rows,
                                                    TimePoint now) {
  // Everything that needs no database is checked before a connection is taken.
  std::vector<std::int64_t> customer_ids;
  std::vector<std::int64_t> vehicle_ids;
  customer_ids.reserve(rows.size());
  vehicle_ids.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Appointment& a = rows[i];
    if (auto s = validate(a); !s) {
      Error e = std::move(s).error();
      e.message = "row " + std::to_string(i) + ": " + e.message;
      return e;
    }
    customer_ids.push_back(a.customer_id);
    vehicle_ids.push_back(a.vehicle_id);
  }
  if (rows.empty()) return std::size_t{0};
  const auto distinct = [](std::vector<std::int64_t>& ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  };
  distinct(customer_ids);
  distinct(vehicle_ids);
  const auto array_literal = [](const std::vector<std::int64_t>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(ids[i]);
    }
    out += '}';
    return out;
  };

  return with_connection([&](ConnectionPool::Lease& lease) -> Result<std::size_t> {
    pqxx::work tx(lease.connection());
    // One query finds and locks every distinct customer and vehicle the batch
    // mentions (FOR KEY SHARE, as a foreign-key check would), so a bad row is
    // named before anything is inserted.
    const auto found = tx.exec_params(
        "WITH c AS (SELECT id FROM customers WHERE id = ANY($1::bigint[]) FOR KEY SHARE),"
        " v AS (SELECT id, customer_id FROM vehicles WHERE id = ANY($2::bigint[]) FOR KEY SHARE)"
        " SELECT 'c', id, NULL::bigint FROM c"
        " UNION ALL SELECT 'v', id, customer_id FROM v",
        array_literal(customer_ids), array_literal(vehicle_ids));
    std::unordered_set<CustomerId> customers;
    std::unordered_map<VehicleId, CustomerId> owners;
    customers.reserve(customer_ids.size());
    owners.reserve(vehicle_ids.size());
    for (const auto& row : found) {
      switch (row[0].c_str()[0]) {
        case 'c':
          customers.insert(row[1].as<CustomerId>());
          break;
        default:
          owners.emplace(row[1].as<VehicleId>(), row[2].as<CustomerId>());
          break;
      }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Appointment& a = rows[i];
      const std::string where = " (row " + std::to_string(i) + ")";
      if (!customers.contains(a.customer_id)) {
        Error e = customer_missing(a.customer_id);
        e.message += where;
        return e;
      }
      const auto owner = owners.find(a.vehicle_id);
      if (owner == owners.end()) {
        Error e = vehicle_missing(a.vehicle_id);
        e.message += where;
        return e;
      }
      if (owner->second != a.customer_id) {
        Error e = vehicle_of_other_customer(a.vehicle_id, owner->second, a.customer_id);
        e.message += where;
        return e;
      }
    }

    // Chunks of rows go in as one INSERT ... SELECT FROM unnest(arrays) each:
    // a round trip and a parse per chunk, bounded memory on both sides, and
    // times as epoch seconds (no text timestamps to format or parse).
    for (std::size_t begin = 0; begin < rows.size(); begin += kBulkChunkRows) {
      const auto chunk = rows.subspan(begin, std::min(kBulkChunkRows, rows.size() - begin));
      ArrayLiteral customer;
      ArrayLiteral vehicle;
      ArrayLiteral start;
      ArrayLiteral duration;
      ArrayLiteral service;
      ArrayLiteral status;
      ArrayLiteral notes;
      for (const Appointment& a : chunk) {
        customer.add_number(a.customer_id);
        vehicle.add_number(a.vehicle_id);
        start.add_number(epoch(a.start));
        duration.add_number(a.duration_minutes);
        service.add_text(a.service_type);
        status.add_text(to_string(a.status));
        notes.add_text(a.notes);
      }
      tx.exec_params(
          "INSERT INTO appointments (customer_id, vehicle_id, start_at, duration_minutes,"
          " service_type, status, notes, created_at, updated_at)"
          " SELECT c, v, to_timestamp(s), d, t, st, n, to_timestamp($8::bigint),"
          "  to_timestamp($8::bigint)"
          " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::integer[], $5::text[],"
          "  $6::text[], $7::text[]) WITH ORDINALITY AS u(c, v, s, d, t, st, n, position)"
          " ORDER BY position",
          customer.finish(), vehicle.finish(), start.finish(), duration.finish(), service.finish(),
          status.finish(), notes.finish(), epoch(now));
    }
    tx.commit();
    return rows.size();
  });
}

Result<Appointment> PostgresStore::appointment(AppointmentId id) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Appointment> {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_params(
        sql({"SELECT ", kAppointmentColumns, " FROM appointments WHERE id = $1"}), id);
    if (r.empty()) return appointment_missing(id);
    return appointment_from(r[0]);
  });
}

Result<std::vector<Appointment>> PostgresStore::list_appointments(const AppointmentQuery& q) {
  if (auto s = check_page(q.page); !s) return std::move(s).error();
  QueryBuilder query(sql({"SELECT ", kAppointmentColumns, " FROM appointments WHERE TRUE"}));
  if (q.from)
    query.add(" AND start_at >= to_timestamp($?::bigint)", std::to_string(epoch(*q.from)));
  if (q.to) query.add(" AND start_at < to_timestamp($?::bigint)", std::to_string(epoch(*q.to)));
  if (q.status) query.add(" AND status = $?", std::string(to_string(*q.status)));
  if (q.customer_id) query.add(" AND customer_id = $?::bigint", std::to_string(*q.customer_id));
  query.append(" ORDER BY start_at, id");
  query.add(" LIMIT $?::integer", std::to_string(q.page.limit));
  query.add(" OFFSET $?::integer", std::to_string(q.page.offset));
  return with_connection([&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_params(query.sql(), pqxx::prepare::make_dynamic_params(query.params()));
    return rows_to<Appointment>(r, appointment_from);
  });
}

Result<std::vector<Appointment>> PostgresStore::appointments_starting(AppointmentStatus status,
                                                                      TimePoint from,
                                                                      TimePoint to) {
  return with_connection([&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_prepared(kAppointmentsStarting, std::string(to_string(status)),
                                    epoch(from), epoch(to));
    return rows_to<Appointment>(r, appointment_from);
  });
}

Result<Appointment> PostgresStore::set_appointment_status(AppointmentId id,
                                                          AppointmentStatus status, TimePoint now) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Appointment> {
    pqxx::work tx(lease.connection());
    const auto r = tx.exec_params(
        sql({"UPDATE appointments SET status = $2, updated_at = to_timestamp($3::bigint)"
             " WHERE id = $1::bigint RETURNING ",
             kAppointmentColumns}),
        id, std::string(to_string(status)), epoch(now));
    if (r.empty()) return appointment_missing(id);
    auto a = appointment_from(r[0]);
    if (a) tx.commit();
    return a;
  });
}

Result<Appointment> PostgresStore::update_appointment(const Appointment& a, TimePoint now) {
  if (auto s = validate_update(a); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Appointment> {
    pqxx::work tx(lease.connection());
    // add_appointment's checks, against the customer the appointment keeps;
    // the locks hold both rows as they were checked until the update commits.
    const auto refs = tx.exec_params(
        "SELECT (SELECT customer_id FROM appointments WHERE id = $1::bigint FOR UPDATE),"
        " (SELECT customer_id FROM vehicles WHERE id = $2::bigint FOR KEY SHARE)",
        a.id, a.vehicle_id);
    if (refs[0][0].is_null()) return appointment_missing(a.id);
    const auto customer = refs[0][0].as<CustomerId>();
    if (refs[0][1].is_null()) return vehicle_missing(a.vehicle_id);
    if (const auto owner = refs[0][1].as<CustomerId>(); owner != customer) {
      return vehicle_of_other_customer(a.vehicle_id, owner, customer);
    }
    const auto r = tx.exec_params(
        sql({"UPDATE appointments SET vehicle_id = $2::bigint, start_at = to_timestamp($3::bigint),"
             " duration_minutes = $4::integer, service_type = $5::text, status = $6::text,"
             " notes = $7::text, updated_at = to_timestamp($8::bigint)"
             " WHERE id = $1::bigint RETURNING ",
             kAppointmentColumns}),
        a.id, a.vehicle_id, epoch(a.start), a.duration_minutes, a.service_type,
        std::string(to_string(a.status)), a.notes, epoch(now));
    if (r.empty()) return appointment_missing(a.id);
    auto updated = appointment_from(r[0]);
    if (updated) tx.commit();
    return updated;
  });
}

Status PostgresStore::delete_appointment(AppointmentId id) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Status {
    pqxx::work tx(lease.connection());
    // The foreign key unlinks the appointment's call logs.
    const auto r = tx.exec_params("DELETE FROM appointments WHERE id = $1::bigint RETURNING 1", id);
    if (r.empty()) return appointment_missing(id);
    tx.commit();
    return ok_status();
  });
}

// --- call logs -------------------------------------------------------------------------

Result<CallLog> PostgresStore::add_call_log(const CallLog& c, TimePoint now) {
  if (auto s = validate(c); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<CallLog> {
    pqxx::work tx(lease.connection());
    // Inserts only when the referenced rows exist; ON CONFLICT makes a
    // duplicate call_sid "no row" rather than an aborted transaction.
    const auto r = tx.exec_params(
        "WITH refs AS (SELECT"
        "  ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM customers WHERE id = $2::bigint)) AS c,"
        "  ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM appointments WHERE id = $3::bigint)) AS a),"
        " ins AS ("
        "  INSERT INTO call_logs (call_sid, customer_id, appointment_id, direction, status, intent,"
        "   from_number, to_number, started_at, ended_at, duration_seconds, answered_by, outcome,"
        "   error_code, error_message, created_at, updated_at)"
        "  SELECT $1::text, $2::bigint, $3::bigint, $4::text, $5::text, $6::text, $7::text,"
        "   $8::text, to_timestamp($9::bigint), to_timestamp($10::bigint), $11::integer,"
        "   $12::text, $13::text, $14::integer, $15::text, to_timestamp($16::bigint),"
        "   to_timestamp($16::bigint)"
        "  FROM refs WHERE refs.c AND refs.a"
        "  ON CONFLICT (call_sid) DO NOTHING"
        "  RETURNING id)"
        " SELECT refs.c, refs.a, (SELECT id FROM ins) FROM refs",
        c.call_sid, c.customer_id, c.appointment_id, std::string(to_string(c.direction)),
        std::string(to_string(c.status)), c.intent, c.from, c.to, epoch(c.started_at),
        epoch(c.ended_at), c.duration_seconds, c.answered_by, c.outcome, c.error_code,
        c.error_message, epoch(now));
    const auto& row = r[0];
    if (!row[0].as<bool>()) return customer_missing(*c.customer_id);
    if (!row[1].as<bool>()) return appointment_missing(*c.appointment_id);
    if (row[2].is_null()) {
      return Error::conflict("call_sid '" + c.call_sid + "' is already logged");
    }
    tx.commit();
    CallLog stored = c;
    stored.id = row[2].as<CallLogId>();
    stored.created_at = now;
    stored.updated_at = now;
    return stored;
  });
}

Result<CallLog> PostgresStore::call_log_by_sid(std::string_view call_sid) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<CallLog> {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_prepared(kCallLogBySid, std::string(call_sid));
    if (r.empty()) {
      return Error::not_found("no call log with call_sid '" + std::string(call_sid) + "'");
    }
    return call_log_from(r[0]);
  });
}

Result<std::vector<CallLog>> PostgresStore::list_call_logs(const CallLogQuery& q) {
  if (auto s = check_page(q.page); !s) return std::move(s).error();
  QueryBuilder query(sql({"SELECT ", kCallLogColumns, " FROM call_logs WHERE TRUE"}));
  if (q.customer_id) query.add(" AND customer_id = $?::bigint", std::to_string(*q.customer_id));
  if (q.appointment_id) {
    query.add(" AND appointment_id = $?::bigint", std::to_string(*q.appointment_id));
  }
  query.append(" ORDER BY created_at DESC, id DESC");
  query.add(" LIMIT $?::integer", std::to_string(q.page.limit));
  query.add(" OFFSET $?::integer", std::to_string(q.page.offset));
  return with_connection([&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_params(query.sql(), pqxx::prepare::make_dynamic_params(query.params()));
    return rows_to<CallLog>(r, call_log_from);
  });
}

// One transaction: the call's row is read FOR UPDATE, so concurrent callbacks
// of one call queue on it and each decides against the row the one before
// wrote. The row usually exists (autovoice logged the call when placing it),
// so it is looked for first; an unknown CallSid is inserted, and if another
// callback inserted it meanwhile (ON CONFLICT waits for that one to commit)
// the row is read again, now visible to the new statement.
Result<CallStatusApplied> PostgresStore::apply_call_status(const CallStatusUpdate& u,
                                                           TimePoint now) {
  const CallLog incoming = call_log_from_callback(u, now);
  if (auto s = validate(incoming); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<CallStatusApplied> {
    pqxx::work tx(lease.connection());
    CallStatusApplied result;
    auto current = tx.exec_prepared(kLockCallStatus, u.call_sid);
    if (current.empty()) {
      const auto inserted = tx.exec_prepared(
          kInsertCallStatus, incoming.call_sid, std::string(to_string(incoming.direction)),
          std::string(to_string(incoming.status)), u.sequence_number, incoming.from, incoming.to,
          epoch(incoming.started_at), epoch(incoming.ended_at), incoming.duration_seconds,
          incoming.answered_by, incoming.error_code, incoming.error_message,
          epoch(incoming.created_at), epoch(incoming.updated_at));
      if (!inserted.empty()) {
        tx.commit();
        result.log = incoming;
        result.log.id = inserted[0][0].as<CallLogId>();
        result.applied = true;
        result.created = true;
        return result;
      }
      current = tx.exec_prepared(kLockCallStatus, u.call_sid);
      if (current.empty()) {
        return Error::internal("apply_call_status: the call log of '" + u.call_sid +
                               "' was created yet cannot be read");
      }
    }
    auto log = call_log_from(current[0]);
    if (!log) return std::move(log).error();
    result.log = *std::move(log);
    const auto sequence = optional_from<int>(current[0][18]);
    if (!supersedes(u.status, u.sequence_number, result.log.status, sequence)) {
      return result;  // a duplicate or an earlier callback: nothing written, tx rolls back
    }
    apply_call_status_to(result.log, u, now);
    const CallLog& c = result.log;
    tx.exec_prepared(kUpdateCallStatus, c.id, std::string(to_string(c.status)), u.sequence_number,
                     epoch(c.started_at), epoch(c.ended_at), c.duration_seconds, c.answered_by,
                     c.error_code, c.error_message, epoch(c.updated_at));
    tx.commit();
    result.applied = true;
    return result;
  });
}

Result<CallLogCounts> PostgresStore::call_log_counts() {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<CallLogCounts> {
    pqxx::nontransaction tx(lease.connection());
    // Both counts in one statement, so they describe one moment. COLLATE "C"
    // orders the names bytewise, as SQLite does, whatever the database's locale.
    const auto r = tx.exec_params(
        "SELECT 'status', status COLLATE \"C\", count(*) FROM call_logs GROUP BY status"
        " UNION ALL"
        " SELECT 'outcome', (CASE outcome WHEN '' THEN 'none' ELSE outcome END) COLLATE \"C\","
        "  count(*) FROM call_logs WHERE intent = $1 GROUP BY 2"
        " ORDER BY 1, 2",
        std::string(kReminderIntent));
    CallLogCounts counts;
    for (const auto& row : r) {
      auto& group = std::string_view(row[0].c_str()) == "status" ? counts.by_status
                                                                 : counts.reminders_by_outcome;
      group.emplace_back(row[1].c_str(), row[2].as<std::int64_t>());
    }
    return counts;
  });
}

// --- reminders ---------------------------------------------------------------------------

// Plans are written in runs of distinct appointments, each run one statement
// (drop the other starts' reminders, upsert the plans): within a run no two
// plans touch the same rows, so the run does what writing its plans one by
// one would. A plan for an appointment already in the run starts the next
// run, which then sees the earlier one's rows.
Result<std::vector<PlannedReminder>> PostgresStore::plan_reminders(
    std::span<const ReminderPlan> plans, TimePoint now) {
  for (const ReminderPlan& plan : plans) {
    if (auto s = check_plan(plan); !s) return std::move(s).error();
  }
  if (plans.empty()) return std::vector<PlannedReminder>{};
  struct Run {
    std::size_t begin;
    std::size_t end;
  };
  std::vector<Run> runs;
  ArrayLiteral appointment_ids;
  {
    std::unordered_set<AppointmentId> in_run;
    std::unordered_set<AppointmentId> all;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < plans.size(); ++i) {
      const AppointmentId id = plans[i].appointment_id;
      if (in_run.contains(id) || i - begin == kBulkChunkRows) {
        runs.push_back(Run{begin, i});
        begin = i;
        in_run.clear();
      }
      in_run.insert(id);
      if (all.insert(id).second) appointment_ids.add_number(id);
    }
    runs.push_back(Run{begin, plans.size()});
  }
  const std::string appointments_array = appointment_ids.finish();

  return with_connection([&](ConnectionPool::Lease& lease) -> Result<std::vector<PlannedReminder>> {
    pqxx::work tx(lease.connection());
    // FOR KEY SHARE (as the foreign key would) keeps every appointment until
    // the plans are in, and names an unknown one before anything is written.
    const auto found = tx.exec_params(
        "SELECT id FROM appointments WHERE id = ANY($1::bigint[]) FOR KEY SHARE",
        appointments_array);
    std::unordered_set<AppointmentId> present;
    present.reserve(found.size());
    for (const auto& row : found) present.insert(row[0].as<AppointmentId>());
    for (const ReminderPlan& plan : plans) {
      if (!present.contains(plan.appointment_id)) return appointment_missing(plan.appointment_id);
    }

    std::vector<std::optional<PlannedReminder>> planned(plans.size());
    for (const Run& run : runs) {
      ArrayLiteral appointment;
      ArrayLiteral start;
      ArrayLiteral customer;
      ArrayLiteral state;
      ArrayLiteral due;
      ArrayLiteral reason;
      ArrayLiteral detail;
      std::unordered_map<AppointmentId, std::size_t> position;  // appointment -> index in plans
      position.reserve(run.end - run.begin);
      for (std::size_t i = run.begin; i < run.end; ++i) {
        const ReminderPlan& p = plans[i];
        appointment.add_number(p.appointment_id);
        start.add_number(epoch(p.appointment_start));
        customer.add_number(p.customer_id);
        state.add_text(to_string(p.state));
        due.add_number(epoch(p.due_at));
        reason.add_text(p.reason);
        detail.add_text(p.detail);
        position.emplace(p.appointment_id, i);
      }
      const std::string appointments = appointment.finish();
      const std::string starts = start.finish();
      // The upsert returns the rows it wrote: new ones, and skipped ones that
      // take the plan. A row in any other state is left alone.
      const auto written = tx.exec_params(
          sql({"WITH p AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],"
               "  $4::text[], $5::bigint[], $6::text[], $7::text[]) WITH ORDINALITY"
               "  AS p(appointment_id, start_at, customer_id, state, due_at, reason, detail,"
               "   position)),"
               " dropped AS (UPDATE reminders r SET state = 'dropped', reason = 'rescheduled',"
               "  detail = '', updated_at = to_timestamp($8::bigint) FROM p"
               "  WHERE r.appointment_id = p.appointment_id"
               "   AND r.appointment_start <> to_timestamp(p.start_at)"
               "   AND r.state IN ('pending', 'skipped'))"
               " INSERT INTO reminders AS r (appointment_id, appointment_start, customer_id, state,"
               "  due_at, reason, detail, created_at, updated_at)"
               " SELECT appointment_id, to_timestamp(start_at), customer_id, state,"
               "  to_timestamp(due_at), reason, detail, to_timestamp($8::bigint),"
               "  to_timestamp($8::bigint)"
               " FROM p ORDER BY position"
               " ON CONFLICT (appointment_id, appointment_start) DO UPDATE SET"
               "  customer_id = excluded.customer_id, state = excluded.state,"
               "  due_at = excluded.due_at, reason = excluded.reason, detail = excluded.detail,"
               "  updated_at = excluded.updated_at"
               " WHERE r.state = 'skipped'"
               " RETURNING ",
               kReminderColumns}),
          appointments, starts, customer.finish(), state.finish(), due.finish(), reason.finish(),
          detail.finish(), epoch(now));
      for (const auto& row : written) {
        auto r = reminder_from(row);
        if (!r) return std::move(r).error();
        planned[position.at(r->appointment_id)] = PlannedReminder{*std::move(r), true};
      }
      if (written.size() == run.end - run.begin) continue;
      // The rows left alone, as they are (a new statement sees them even if
      // another transaction made them while the upsert ran).
      const auto kept = tx.exec_params(
          sql({"SELECT ", kReminderColumns,
               " FROM reminders r JOIN unnest($1::bigint[], $2::bigint[]) AS k(appointment_id,"
               "  start_at) ON r.appointment_id = k.appointment_id"
               "  AND r.appointment_start = to_timestamp(k.start_at)"}),
          appointments, starts);
      for (const auto& row : kept) {
        auto r = reminder_from(row);
        if (!r) return std::move(r).error();
        auto& slot = planned[position.at(r->appointment_id)];
        if (!slot) slot = PlannedReminder{*std::move(r), false};
      }
    }
    std::vector<PlannedReminder> out;
    out.reserve(plans.size());
    for (auto& slot : planned) {
      if (!slot) return Error::internal("plan_reminders: a planned reminder cannot be read");
      out.push_back(*std::move(slot));
    }
    tx.commit();
    return out;
  });
}

Result<std::vector<Reminder>> PostgresStore::drop_stale_reminders(TimePoint now) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<std::vector<Reminder>> {
    pqxx::work tx(lease.connection());
    // Locked (waiting for a claim in progress, which takes the row out of
    // pending), so a reminder is never both claimed and dropped. The reasons
    // come from store_rules, as SQLite's do.
    const auto stale = tx.exec_params(
        "SELECT r.id, extract(epoch from r.appointment_start)::bigint, a.status,"
        " extract(epoch from a.start_at)::bigint"
        " FROM reminders r JOIN appointments a ON a.id = r.appointment_id"
        " WHERE r.state IN ('pending', 'skipped')"
        "  AND (a.status <> 'CONFIRMED' OR a.start_at <> r.appointment_start)"
        " ORDER BY r.id FOR UPDATE OF r");
    if (stale.empty()) return std::vector<Reminder>{};
    ArrayLiteral ids;
    ArrayLiteral reasons;
    for (const auto& row : stale) {
      Appointment a;
      auto status = parse_appointment_status(row[2].c_str());
      if (!status) {
        return corrupt("appointment of reminder", row[0].as<ReminderId>(), status.error());
      }
      a.status = *status;
      a.start = time_from(row[3]);
      auto reason = stale_reason(a, time_from(row[1]));
      if (!reason) continue;
      ids.add_number(row[0].as<ReminderId>());
      reasons.add_text(*reason);
    }
    const auto dropped = tx.exec_params(
        sql({"UPDATE reminders r SET state = 'dropped', reason = u.reason, detail = '',"
             " claimed_by = '', claimed_at = NULL, lease_until = NULL,"
             " updated_at = to_timestamp($3::bigint)"
             " FROM unnest($1::bigint[], $2::text[]) AS u(id, reason) WHERE r.id = u.id"
             " RETURNING ",
             kReminderColumns}),
        ids.finish(), reasons.finish(), epoch(now));
    auto out = rows_to<Reminder>(dropped, reminder_from);
    if (!out) return out;
    std::sort(out->begin(), out->end(),
              [](const Reminder& x, const Reminder& y) { return x.id < y.id; });
    tx.commit();
    return out;
  });
}

// Two statements in one transaction. The first locks candidate reminders and
// their customers, skipping rows another worker has locked, so concurrent
// workers take disjoint reminders and never two of one customer: a customer's
// row stays locked by the claim that took one of their reminders until it
// commits. The second, with a snapshot taken after those locks were granted,
// re-checks "no reminder of this customer dialling" (a claim committed just
// before our lock is visible to it), keeps each customer's earliest, and
// claims them.
Result<std::vector<ReminderClaim>> PostgresStore::claim_due_reminders(std::string_view worker,
                                                                      TimePoint now,
                                                                      std::chrono::seconds lease,
                                                                      int limit) {
  if (auto s = require_name("worker", worker); !s) return std::move(s).error();
  if (auto s = check_lease(lease); !s) return std::move(s).error();
  if (auto s = check_batch_limit(limit); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& conn) -> Result<std::vector<ReminderClaim>> {
    pqxx::work tx(conn.connection());
    // Twice the limit is locked so that a customer's second reminder, left
    // for later, does not shorten the batch much.
    const auto candidates = tx.exec_params(
        "SELECT r.id FROM reminders r JOIN customers c ON c.id = r.customer_id"
        " WHERE r.state = 'pending' AND r.due_at <= to_timestamp($1::bigint)"
        "  AND NOT EXISTS (SELECT 1 FROM reminders d"
        "   WHERE d.customer_id = r.customer_id AND d.state = 'dialling')"
        " ORDER BY r.due_at, r.id LIMIT $2::integer"
        " FOR UPDATE OF r SKIP LOCKED FOR NO KEY UPDATE OF c SKIP LOCKED",
        epoch(now), limit * 2);
    if (candidates.empty()) return std::vector<ReminderClaim>{};
    ArrayLiteral ids;
    for (const auto& row : candidates) ids.add_number(row[0].as<ReminderId>());
    const auto claimed = tx.exec_params(
        sql({"WITH picked AS (SELECT id FROM ("
             "  SELECT DISTINCT ON (r.customer_id) r.id, r.due_at FROM reminders r"
             "  WHERE r.id = ANY($1::bigint[]) AND r.state = 'pending'"
             "   AND NOT EXISTS (SELECT 1 FROM reminders d"
             "    WHERE d.customer_id = r.customer_id AND d.state = 'dialling')"
             "  ORDER BY r.customer_id, r.due_at, r.id) first_of_customer"
             " ORDER BY due_at, id LIMIT $2::integer),"
             " claimed AS (UPDATE reminders r SET state = 'dialling', claimed_by = $3::text,"
             "  claimed_at = to_timestamp($4::bigint), lease_until = to_timestamp($5::bigint),"
             "  updated_at = to_timestamp($4::bigint)"
             "  FROM picked WHERE r.id = picked.id RETURNING r.*)",
             claimed_with_appointment_and_customer(), " ORDER BY r.due_at, r.id"}),
        ids.finish(), limit, std::string(worker), epoch(now), epoch(now + lease));
    auto out = rows_to<ReminderClaim>(claimed, reminder_claim_from);
    if (out) tx.commit();
    return out;
  });
}

// The stale claims are locked skipping rows another transaction holds (a
// racing take-over, or the holder moving its reminder on), and a row that
// changed since the statement's snapshot is re-checked against the new
// version: a claim taken over a moment ago has a live lease again, so no two
// callers take the same claim.
Result<std::vector<ReminderClaim>> PostgresStore::take_over_stale_claims(
    std::string_view worker, TimePoint now, std::chrono::seconds lease,
    std::optional<TimePoint> claimed_before) {
  if (auto s = require_name("worker", worker); !s) return std::move(s).error();
  if (auto s = check_lease(lease); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& conn) -> Result<std::vector<ReminderClaim>> {
    pqxx::work tx(conn.connection());
    // Without claimed_before, "claimed_at <= NULL" holds for no row.
    const auto taken = tx.exec_params(
        sql({"WITH stale AS (SELECT id FROM reminders WHERE state = 'dialling'"
             "  AND ((claimed_by <> $1::text AND lease_until <= to_timestamp($2::bigint))"
             "   OR claimed_at <= to_timestamp($4::bigint))"
             "  FOR UPDATE SKIP LOCKED),"
             " claimed AS (UPDATE reminders r SET claimed_by = $1::text,"
             "  claimed_at = COALESCE(r.claimed_at, to_timestamp($2::bigint)),"
             "  lease_until = to_timestamp($3::bigint), updated_at = to_timestamp($2::bigint)"
             "  FROM stale WHERE r.id = stale.id RETURNING r.*)",
             claimed_with_appointment_and_customer(), " ORDER BY r.claimed_at, r.id"}),
        std::string(worker), epoch(now), epoch(now + lease), epoch(claimed_before));
    auto out = rows_to<ReminderClaim>(taken, reminder_claim_from);
    if (out) tx.commit();
    return out;
  });
}

// The reminder, locked until the transaction ends; kNotFound if absent.
Result<Reminder> lock_reminder(pqxx::work& tx, ReminderId id) {
  const auto r = tx.exec_params(
      sql({"SELECT ", kReminderColumns, " FROM reminders r WHERE r.id = $1::bigint FOR UPDATE"}),
      id);
  if (r.empty()) return reminder_missing(id);
  return reminder_from(r[0]);
}

Result<Reminder> PostgresStore::record_reminder_attempt(const ReminderAttempt& attempt,
                                                        TimePoint now) {
  if (auto s = check_attempt(attempt); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Reminder> {
    pqxx::work tx(lease.connection());
    // The lock makes the holder check and the write one step: a take-over
    // between them waits, then finds the reminder no longer dialling.
    auto stored = lock_reminder(tx, attempt.id);
    if (!stored) return std::move(stored).error();
    if (auto s = check_claim_holder(*stored, attempt.worker, "record the attempt"); !s) {
      return std::move(s).error();
    }
    // A status callback may have made the call's row first: it keeps its
    // status and times and gains what only the caller knows.
    const CallLog& c = attempt.log;
    const auto r = tx.exec_params(
        sql({"WITH log AS (INSERT INTO call_logs (call_sid, customer_id, appointment_id,"
             "  direction, status, intent, from_number, to_number, started_at, ended_at,"
             "  duration_seconds, answered_by, outcome, error_code, error_message, created_at,"
             "  updated_at)"
             "  VALUES ($1::text, $2::bigint, $3::bigint, $4::text, $5::text, $6::text, $7::text,"
             "   $8::text, to_timestamp($9::bigint), to_timestamp($10::bigint), $11::integer,"
             "   $12::text, $13::text, $14::integer, $15::text, to_timestamp($16::bigint),"
             "   to_timestamp($16::bigint))"
             "  ON CONFLICT (call_sid) DO UPDATE SET customer_id = excluded.customer_id,"
             "   appointment_id = excluded.appointment_id, intent = excluded.intent,"
             "   direction = excluded.direction, from_number = excluded.from_number,"
             "   to_number = excluded.to_number, updated_at = excluded.updated_at)"
             " UPDATE reminders r SET state = $17::text, call_sid = $1::text,"
             "  attempts = r.attempts + 1, claimed_by = '', claimed_at = NULL, lease_until = NULL,"
             "  reason = $18::text, detail = '', updated_at = to_timestamp($16::bigint)"
             " WHERE r.id = $19::bigint RETURNING ",
             kReminderColumns}),
        c.call_sid, c.customer_id, c.appointment_id, std::string(to_string(c.direction)),
        std::string(to_string(c.status)), c.intent, c.from, c.to, epoch(c.started_at),
        epoch(c.ended_at), c.duration_seconds, c.answered_by, c.outcome, c.error_code,
        c.error_message, epoch(now), std::string(to_string(attempt.next)), attempt.reason,
        attempt.id);
    if (r.empty()) return Error::internal("record_reminder_attempt: the locked reminder vanished");
    auto out = reminder_from(r[0]);
    if (out) tx.commit();
    return out;
  });
}

Result<Reminder> PostgresStore::transition_reminder(const ReminderTransition& t, TimePoint now) {
  if (auto s = check_transition(t); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Reminder> {
    pqxx::work tx(lease.connection());
    // Compare and set: concurrent transitions of one reminder queue on the
    // lock, and each checks the row the one before left.
    auto stored = lock_reminder(tx, t.id);
    if (!stored) return std::move(stored).error();
    if (auto s = check_transition_against(t, *stored); !s) return std::move(s).error();
    std::optional<std::string> channel;
    if (t.channel) channel = std::string(to_string(*t.channel));
    std::optional<std::int64_t> due;
    if (t.to == ReminderState::kPending) due = epoch(t.due_at);
    const auto r = tx.exec_params(
        sql({"UPDATE reminders r SET state = $2::text, channel = COALESCE($3::text, r.channel),"
             " due_at = COALESCE(to_timestamp($4::bigint), r.due_at), claimed_by = '',"
             " claimed_at = NULL, lease_until = NULL, reason = $5::text, detail = $6::text,"
             " updated_at = to_timestamp($7::bigint)"
             " WHERE r.id = $1::bigint RETURNING ",
             kReminderColumns}),
        t.id, std::string(to_string(t.to)), channel, due, t.reason, t.detail, epoch(now));
    if (r.empty()) return Error::internal("transition_reminder: the locked reminder vanished");
    auto out = reminder_from(r[0]);
    if (out) tx.commit();
    return out;
  });
}

Result<std::vector<AwaitedCall>> PostgresStore::calls_to_follow_up(TimePoint waiting_since,
                                                                   int limit) {
  if (auto s = check_batch_limit(limit); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<std::vector<AwaitedCall>> {
    pqxx::nontransaction tx(lease.connection());
    // The call's log comes along (call_sid is unique: at most one row); the
    // statuses are those is_final(CallStatus) calls final.
    const auto r = tx.exec_params(
        sql({"SELECT ", kReminderColumns, ", l.* FROM reminders r",
             " LEFT JOIN LATERAL (SELECT ", kCallLogColumns,
             "  FROM call_logs WHERE call_sid = r.call_sid) l ON TRUE"
             " WHERE r.state = 'calling' AND (r.updated_at <= to_timestamp($1::bigint)"
             "  OR l.status IN ('completed', 'busy', 'no-answer', 'failed', 'canceled'))"
             " ORDER BY r.updated_at, r.id LIMIT $2::integer"}),
        epoch(waiting_since), limit);
    std::vector<AwaitedCall> out;
    out.reserve(r.size());
    for (const auto& row : r) {
      auto reminder = reminder_from(row);
      if (!reminder) return std::move(reminder).error();
      std::optional<CallLog> call;
      if (!row[kReminderColumnCount].is_null()) {
        auto log = call_log_from(
            row.slice(kReminderColumnCount, kReminderColumnCount + kCallLogColumnCount));
        if (!log) return std::move(log).error();
        call = *std::move(log);
      }
      out.push_back(AwaitedCall{*std::move(reminder), std::move(call)});
    }
    return out;
  });
}

Result<Reminder> PostgresStore::reminder(ReminderId id) {
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<Reminder> {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_params(
        sql({"SELECT ", kReminderColumns, " FROM reminders r WHERE r.id = $1::bigint"}), id);
    if (r.empty()) return reminder_missing(id);
    return reminder_from(r[0]);
  });
}

Result<std::vector<Reminder>> PostgresStore::list_reminders(const ReminderQuery& q) {
  if (auto s = check_page(q.page); !s) return std::move(s).error();
  QueryBuilder query(sql({"SELECT ", kReminderColumns, " FROM reminders r WHERE TRUE"}));
  if (q.state) query.add(" AND r.state = $?", std::string(to_string(*q.state)));
  if (q.appointment_id) {
    query.add(" AND r.appointment_id = $?::bigint", std::to_string(*q.appointment_id));
  }
  if (q.from) {
    query.add(" AND r.appointment_start >= to_timestamp($?::bigint)",
              std::to_string(epoch(*q.from)));
  }
  if (q.to) {
    query.add(" AND r.appointment_start < to_timestamp($?::bigint)", std::to_string(epoch(*q.to)));
  }
  query.append(" ORDER BY r.appointment_start, r.id");
  query.add(" LIMIT $?::integer", std::to_string(q.page.limit));
  query.add(" OFFSET $?::integer", std::to_string(q.page.offset));
  return with_connection([&](ConnectionPool::Lease& lease) {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_params(query.sql(), pqxx::prepare::make_dynamic_params(query.params()));
    return rows_to<Reminder>(r, reminder_from);
  });
}

// --- scheduled job fires ----------------------------------------------------------------

Result<std::optional<TimePoint>> PostgresStore::last_finished_fire(std::string_view job) {
  if (auto s = require_name("job", job); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& lease) -> Result<std::optional<TimePoint>> {
    pqxx::nontransaction tx(lease.connection());
    const auto r = tx.exec_params(
        "SELECT extract(epoch from MAX(fire_time))::bigint FROM job_fires"
        " WHERE job = $1 AND state <> 'running'",
        std::string(job));
    return optional_time_from(r[0][0]);
  });
}

Result<FireClaim> PostgresStore::claim_fire(std::string_view job, TimePoint fire_time,
                                            std::string_view worker, TimePoint now,
                                            std::chrono::seconds lease) {
  if (auto s = check_fire_names(job, worker); !s) return std::move(s).error();
  if (auto s = check_lease(lease); !s) return std::move(s).error();
  return with_connection([&](ConnectionPool::Lease& conn) -> Result<FireClaim> {
    pqxx::work tx(conn.connection());
    // Takes the fire when it is new, already `worker`'s, or its holder's lease
    // has run out; changes nothing otherwise. Concurrent claims queue on the
    // primary key, and ON CONFLICT locks the row even when it changes nothing,
    // so the row read back (a new snapshot) is the final word on who holds it.
    tx.exec_params(
        "INSERT INTO job_fires (job, fire_time, worker, state, claimed_at, lease_until)"
        " VALUES ($1, to_timestamp($2::bigint), $3, 'running', to_timestamp($4::bigint),"
        "  to_timestamp($5::bigint))"
        " ON CONFLICT (job, fire_time) DO UPDATE SET worker = excluded.worker,"
        "  claimed_at = CASE WHEN job_fires.worker = excluded.worker THEN job_fires.claimed_at"
        "   ELSE excluded.claimed_at END,"
        "  lease_until = excluded.lease_until"
        " WHERE job_fires.state = 'running' AND (job_fires.worker = excluded.worker"
        "  OR job_fires.lease_until <= excluded.claimed_at)",
        std::string(job), epoch(fire_time), std::string(worker), epoch(now), epoch(now + lease));
    const auto stored = load_fire(tx, job, fire_time);
    if (!stored) return Error::internal("claim_fire: the claimed fire row is missing");
    tx.commit();
    return claim_from(*stored, worker);
  });
}

Status PostgresStore::renew_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                                 TimePoint now, std::chrono::seconds lease) {
  if (auto s = check_fire_names(job, worker); !s) return s;
  if (auto s = check_lease(lease); !s) return s;
  return with_connection([&](ConnectionPool::Lease& conn) -> Status {
    pqxx::work tx(conn.connection());
    const auto r = tx.exec_params(
        "UPDATE job_fires SET lease_until = to_timestamp($4::bigint)"
        " WHERE job = $1 AND fire_time = to_timestamp($2::bigint) AND worker = $3"
        "  AND state = 'running' RETURNING 1",
        std::string(job), epoch(fire_time), std::string(worker), epoch(now + lease));
    if (r.empty()) return fire_conflict(job, fire_time, worker, load_fire(tx, job, fire_time));
    tx.commit();
    return ok_status();
  });
}

Status PostgresStore::finish_fire(std::string_view job, TimePoint fire_time,
                                  std::string_view worker, FireOutcome outcome,
                                  std::string_view detail, TimePoint now) {
  if (auto s = check_fire_names(job, worker); !s) return s;
  const std::string kept = stored_detail(detail);
  return with_connection([&](ConnectionPool::Lease& conn) -> Status {
    pqxx::work tx(conn.connection());
    pqxx::result r;
    if (outcome == FireOutcome::kSkipped) {
      // Needs no claim: creates the row, or takes over one nobody holds live.
      r = tx.exec_params(
          "INSERT INTO job_fires (job, fire_time, worker, state, claimed_at, lease_until,"
          "  finished_at, detail)"
          " VALUES ($1, to_timestamp($2::bigint), $3, 'skipped', to_timestamp($4::bigint),"
          "  to_timestamp($4::bigint), to_timestamp($4::bigint), $5)"
          " ON CONFLICT (job, fire_time) DO UPDATE SET worker = excluded.worker,"
          "  state = excluded.state, finished_at = excluded.finished_at, detail = excluded.detail"
          " WHERE job_fires.state = 'running' AND (job_fires.worker = excluded.worker"
          "  OR job_fires.lease_until <= excluded.finished_at)"
          " RETURNING 1",
          std::string(job), epoch(fire_time), std::string(worker), epoch(now), kept);
    } else {
      r = tx.exec_params(
          "UPDATE job_fires SET state = $4, finished_at = to_timestamp($5::bigint), detail = $6"
          " WHERE job = $1 AND fire_time = to_timestamp($2::bigint) AND worker = $3"
          "  AND state = 'running' RETURNING 1",
          std::string(job), epoch(fire_time), std::string(worker), std::string(to_string(outcome)),
          epoch(now), kept);
    }
    if (r.empty()) return fire_conflict(job, fire_time, worker, load_fire(tx, job, fire_time));
    tx.commit();
    return ok_status();
  });
}

// --- workers -----------------------------------------------------------------------------

Result<std::unique_ptr<WorkerLock>> PostgresStore::lock_worker(std::string_view worker) {
  if (auto s = require_name("worker", worker); !s) return std::move(s).error();
  return std::unique_ptr<WorkerLock>(std::make_unique<SharedWorkerLock>());
}

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, int pool_size) {
  if (pool_size < 1) {
    return Error::invalid("pool_size",
                          "pool_size " + std::to_string(pool_size) + " must be at least 1");
  }
  auto store = std::make_unique<PostgresStore>(url, static_cast<std::size_t>(pool_size));
  // Connects now, so an unreachable server is reported at start-up.
  auto version = store->schema_version();
  if (!version) return std::move(version).error();
  if (auto s = refuse_newer_schema(*version); !s) return std::move(s).error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace autovoice
