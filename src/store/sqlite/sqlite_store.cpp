// The SQLite backend of Store.
//
// One connection, serialised by a mutex. SQLite admits one writer at a time
// anyway, so a pool would buy little for writes, and a single connection keeps
// every prepared statement in one cache: each query is compiled once. WAL lets
// other processes (serve and worker share a file) read while one writes;
// busy_timeout makes a writer wait out another process's write instead of
// failing at once.
//
// One worker per database file: lock_worker() holds an advisory lock (flock)
// on "<path>-worker.lock", which the kernel releases when the process dies.

#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/time.h"
#include "store/store_rules.h"

namespace autovoice {
namespace {

using namespace store_rules;  // the rules both backends share

constexpr int kBusyTimeoutMs = 5000;
// 64 MiB of page cache (the default is 2 MiB): a bulk load touches four
// indexes of appointments at random places, and spilling them to disk halved
// add_appointments' throughput. Pages are allocated only as they are used.
constexpr const char* kCacheSizePragma = "PRAGMA cache_size=-65536";
constexpr std::size_t kMaxQuotedLength = 64;

std::int64_t to_db(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_db(std::int64_t seconds) { return TimePoint{std::chrono::seconds{seconds}}; }

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text.substr(0, kMaxQuotedLength)) + "'";
}

// Maps an SQLite result code to an Error. sqlite3_errmsg names tables, columns
// and constraints but never bound values, so it cannot leak a phone number.
Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite: " + std::string(what) + ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::unavailable(message + " (another connection holds the lock; retry)");
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error::conflict(message);
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Error::not_found(message);
      // validate() runs before every write, so a CHECK failure is our bug.
      return Error::internal(message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_PROTOCOL:
      return Error::unavailable(message);
    default:
      return Error::internal(message);
  }
}



struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct CachedStatement {
  StatementPtr stmt;
  bool in_use = false;
};

// One use of a prepared statement: binds parameters in order, steps, reads
// columns. Going out of scope resets the statement and hands it back to the
// cache. Text is bound SQLITE_STATIC (no copy: the bulk insert is hot), so the
// caller's strings must outlive the Query; binding a temporary is deleted.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt, bool* in_use) : db_(db), stmt_(stmt), in_use_(in_use) {}
  Query(sqlite3* db, StatementPtr owned) : db_(db), stmt_(owned.get()), owned_(std::move(owned)) {}
  Query(Query&& other) noexcept
      : db_(other.db_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        in_use_(std::exchange(other.in_use_, nullptr)),
        owned_(std::move(other.owned_)),
        index_(other.index_),
        bind_rc_(other.bind_rc_) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (in_use_ != nullptr) *in_use_ = false;
  }

  Query& bind(std::int64_t value) { return note(sqlite3_bind_int64(stmt_, ++index_, value)); }
  Query& bind(int value) { return bind(static_cast<std::int64_t>(value)); }
  Query& bind(bool value) { return bind(static_cast<std::int64_t>(value ? 1 : 0)); }
  Query& bind(TimePoint value) { return bind(to_db(value)); }
  Query& bind(std::string_view text) {
    return note(sqlite3_bind_text(stmt_, ++index_, text.data(), static_cast<int>(text.size()),
                                  SQLITE_STATIC));
  }
  Query& bind(const std::string& text) { return bind(std::string_view(text)); }
  Query& bind(const char* text) { return bind(std::string_view(text)); }
  Query& bind(std::string&&) = delete;
  template <typename T>
  Query& bind(const std::optional<T>& value) {
    if (value) return bind(*value);
    return note(sqlite3_bind_null(stmt_, ++index_));
  }

  // true when a row is ready, false when the statement is done.
  Result<bool> step(std::string_view what) {
    if (bind_rc_ != SQLITE_OK) return sqlite_error(db_, bind_rc_, what);
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_, rc, what);
  }
  // Steps until done: an autocommit write commits, and reports failing to, only then.
  Status run(std::string_view what) {
    while (true) {
      auto row = step(what);
      if (!row) return std::move(row).error();
      if (!*row) return ok_status();
    }
  }

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  int int32(int column) const { return sqlite3_column_int(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  TimePoint time(int column) const { return from_db(int64(column)); }
  std::optional<TimePoint> optional_time(int column) const {
    if (is_null(column)) return std::nullopt;
    return time(column);
  }
  std::optional<std::int64_t> optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
  }
  std::optional<int> optional_int32(int column) const {
    if (is_null(column)) return std::nullopt;
    return int32(column);
  }
  // Valid until the next step or reset.
  std::string_view text_view(int column) const {
    const unsigned char* data = sqlite3_column_text(stmt_, column);
    if (data == nullptr) return {};
    const int size = sqlite3_column_bytes(stmt_, column);
    return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
  }
  std::string text(int column) const { return std::string(text_view(column)); }

 private:
  Query& note(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_ = nullptr;  // the cache entry's flag; null for an uncached statement
  StatementPtr owned_;      // set when the cached statement was busy (a nested use)
  int index_ = 0;
  int bind_rc_ = SQLITE_OK;
};

// --- rows -> records -------------------------------------------------------------

// Enums are stored as their to_string() names. Matching those exactly is
// cheaper than the case-folding parse_*() meant for outside input, and the
// reminder query reads thousands of rows.
constexpr AppointmentStatus kAppointmentStatuses[] = {
    AppointmentStatus::kScheduled, AppointmentStatus::kConfirmed, AppointmentStatus::kCancelled,
    AppointmentStatus::kCompleted, AppointmentStatus::kNoShow};
constexpr CallDirection kCallDirections[] = {CallDirection::kInbound, CallDirection::kOutbound};
constexpr CallStatus kCallStatuses[] = {
    CallStatus::kQueued,     CallStatus::kInitiated, CallStatus::kRinging,
    CallStatus::kInProgress, CallStatus::kCompleted, CallStatus::kBusy,
    CallStatus::kNoAnswer,   CallStatus::kFailed,    CallStatus::kCanceled};

template <typename Enum, std::size_t N>
std::optional<Enum> stored_enum(const Query& q, int column, const Enum (&values)[N]) {
  const std::string_view text = q.text_view(column);
  for (Enum value : values) {
    if (to_string(value) == text) return value;
  }
  return std::nullopt;
}

constexpr std::string_view kCustomerColumns =
    "id, first_name, last_name, phone, email, time_zone, opted_out, opted_out_at, created_at";

Result<Customer> read_customer(const Query& q) {
  Customer c;
  c.id = q.int64(0);
  c.first_name = q.text(1);
  c.last_name = q.text(2);
  auto phone = PhoneNumber::parse(q.text(3));
  if (!phone) {
    return Error::internal("customer " + std::to_string(c.id) +
                           " has a stored phone number that is not E.164");
  }
  c.phone = std::move(*phone);
  c.email = q.text(4);
  c.time_zone = q.text(5);
  c.opted_out = q.int64(6) != 0;
  c.opted_out_at = q.optional_time(7);
  c.created_at = q.time(8);
  return c;
}

constexpr std::string_view kVehicleColumns =
    "id, customer_id, year, make, model, vin, plate, created_at";

Result<Vehicle> read_vehicle(const Query& q) {
  Vehicle v;
  v.id = q.int64(0);
  v.customer_id = q.int64(1);
  v.year = q.int32(2);
  v.make = q.text(3);
  v.model = q.text(4);
  v.vin = q.text(5);
  v.plate = q.text(6);
  v.created_at = q.time(7);
  return v;
}

constexpr std::string_view kAppointmentColumns =
    "id, customer_id, vehicle_id, start_at, duration_minutes, service_type, status, notes, "
    "created_at, updated_at";

Result<Appointment> read_appointment(const Query& q) {
  Appointment a;
  a.id = q.int64(0);
  a.customer_id = q.int64(1);
  a.vehicle_id = q.int64(2);
  a.start = q.time(3);
  a.duration_minutes = q.int32(4);
  a.service_type = q.text(5);
  auto status = stored_enum<AppointmentStatus>(q, 6, kAppointmentStatuses);
  if (!status) {
    return Error::internal("appointment " + std::to_string(a.id) + " has an unknown stored status");
  }
  a.status = *status;
  a.notes = q.text(7);
  a.created_at = q.time(8);
  a.updated_at = q.time(9);
  return a;
}

constexpr std::string_view kCallLogColumns =
    "id, call_sid, customer_id, appointment_id, direction, status, intent, from_number, "
    "to_number, started_at, ended_at, duration_seconds, answered_by, outcome, error_code, "
    "error_message, created_at, updated_at";

Result<CallLog> read_call_log(const Query& q) {
  CallLog c;
  c.id = q.int64(0);
  c.call_sid = q.text(1);
  c.customer_id = q.optional_int64(2);
  c.appointment_id = q.optional_int64(3);
  auto direction = stored_enum<CallDirection>(q, 4, kCallDirections);
  auto status = stored_enum<CallStatus>(q, 5, kCallStatuses);
  if (!direction || !status) {
    return Error::internal("call log " + std::to_string(c.id) +
                           " has an unknown stored direction or status");
  }
  c.direction = *direction;
  c.status = *status;
  c.intent = q.text(6);
  c.from = q.text(7);
  c.to = q.text(8);
  c.started_at = q.optional_time(9);
  c.ended_at = q.optional_time(10);
  c.duration_seconds = q.optional_int32(11);
  c.answered_by = q.text(12);
  c.outcome = q.text(13);
  c.error_code = q.optional_int32(14);
  c.error_message = q.text(15);
  c.created_at = q.time(16);
  c.updated_at = q.time(17);
  return c;
}

// A call log with the sequence number apply_call_status keeps beside it.
constexpr std::string_view kCallStatusColumns =
    "id, call_sid, customer_id, appointment_id, direction, status, intent, from_number, "
    "to_number, started_at, ended_at, duration_seconds, answered_by, outcome, error_code, "
    "error_message, created_at, updated_at, status_sequence";

struct StoredCallStatus {
  CallLog log;
  std::optional<int> sequence;
};

Result<StoredCallStatus> read_call_status(const Query& q) {
  auto log = read_call_log(q);
  if (!log) return std::move(log).error();
  return StoredCallStatus{std::move(*log), q.optional_int32(18)};
}

constexpr ReminderState kReminderStates[] = {
    ReminderState::kPending, ReminderState::kDialling, ReminderState::kCalling, ReminderState::kDone,
    ReminderState::kFailed,  ReminderState::kSkipped,  ReminderState::kDropped};
constexpr ReminderChannel kReminderChannels[] = {ReminderChannel::kCall, ReminderChannel::kSms};

constexpr std::string_view kReminderColumns =
    "id, appointment_id, appointment_start, customer_id, state, channel, attempts, due_at, "
    "claimed_by, claimed_at, lease_until, call_sid, reason, detail, created_at, updated_at";

Result<Reminder> read_reminder(const Query& q) {
  Reminder r;
  r.id = q.int64(0);
  r.appointment_id = q.int64(1);
  r.appointment_start = q.time(2);
  r.customer_id = q.int64(3);
  auto state = stored_enum<ReminderState>(q, 4, kReminderStates);
  auto channel = stored_enum<ReminderChannel>(q, 5, kReminderChannels);
  if (!state || !channel) {
    return Error::internal("reminder " + std::to_string(r.id) + " has an unknown stored state or channel");
  }
  r.state = *state;
  r.channel = *channel;
  r.attempts = q.int32(6);
  r.due_at = q.time(7);
  r.claimed_by = q.text(8);
  r.claimed_at = q.optional_time(9);
  r.lease_until = q.optional_time(10);
  r.call_sid = q.text(11);
  r.reason = q.text(12);
  r.detail = q.text(13);
  r.created_at = q.time(14);
  r.updated_at = q.time(15);
  return r;
}

// Every column of a new call log, bound by bind_call_log; the reminder's
// upsert keeps what a status callback wrote first (status, times).
constexpr std::string_view kInsertCallLogSql =
    "INSERT INTO call_logs (call_sid, customer_id, appointment_id, direction, status, intent, "
    "from_number, to_number, started_at, ended_at, duration_seconds, answered_by, outcome, "
    "error_code, error_message, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kUpsertReminderCallLogSql =
    "INSERT INTO call_logs (call_sid, customer_id, appointment_id, direction, status, intent, "
    "from_number, to_number, started_at, ended_at, duration_seconds, answered_by, outcome, "
    "error_code, error_message, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (call_sid) DO UPDATE SET customer_id = excluded.customer_id, "
    "appointment_id = excluded.appointment_id, intent = excluded.intent, "
    "direction = excluded.direction, from_number = excluded.from_number, "
    "to_number = excluded.to_number, updated_at = excluded.updated_at";

void bind_call_log(Query& q, const CallLog& c, TimePoint now) {
  q.bind(c.call_sid)
      .bind(c.customer_id)
      .bind(c.appointment_id)
      .bind(to_string(c.direction))
      .bind(to_string(c.status))
      .bind(c.intent)
      .bind(c.from)
      .bind(c.to)
      .bind(c.started_at)
      .bind(c.ended_at)
      .bind(c.duration_seconds)
      .bind(c.answered_by)
      .bind(c.outcome)
      .bind(c.error_code)
      .bind(c.error_message)
      .bind(now)
      .bind(now);
}

// The unknown CallSid's row and the update of a known one: every column a
// status callback writes.
constexpr std::string_view kInsertCallStatusSql =
    "INSERT INTO call_logs (call_sid, direction, status, status_sequence, from_number, "
    "to_number, started_at, ended_at, duration_seconds, answered_by, error_code, error_message, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kUpdateCallStatusSql =
    "UPDATE call_logs SET status = ?, status_sequence = ?, started_at = ?, ended_at = ?, "
    "duration_seconds = ?, answered_by = ?, error_code = ?, error_message = ?, updated_at = ? "
    "WHERE id = ?";

// Both counts in one statement, so they describe one moment. The reminders'
// part reads call_logs_by_intent_outcome; the statuses, unindexed (see 0003),
// scan the table.
constexpr std::string_view kCallLogCountsSql =
    "SELECT 'status', status, COUNT(*) FROM call_logs GROUP BY status "
    "UNION ALL "
    "SELECT 'outcome', CASE outcome WHEN '' THEN 'none' ELSE outcome END, COUNT(*) "
    "FROM call_logs WHERE intent = ? GROUP BY 2 "
    "ORDER BY 1, 2";

template <typename T>
using RowReader = Result<T> (*)(const Query&);

template <typename T>
Result<std::vector<T>> collect(Query& q, RowReader<T> read, std::string_view what) {
  std::vector<T> out;
  while (true) {
    auto row = q.step(what);
    if (!row) return std::move(row).error();
    if (!*row) return out;
    auto item = read(q);
    if (!item) return std::move(item).error();
    out.push_back(std::move(*item));
  }
}

// Reads the single row a query by key returns; `missing` when there is none.
template <typename T>
Result<T> single(Query& q, RowReader<T> read, std::string_view what, Error missing) {
  auto row = q.step(what);
  if (!row) return std::move(row).error();
  if (!*row) return missing;
  return read(q);
}

std::string select_from(std::string_view columns, std::string_view table, std::string_view rest) {
  std::string sql = "SELECT ";
  sql += columns;
  sql += " FROM ";
  sql += table;
  sql += ' ';
  sql += rest;
  return sql;
}

// --- job fires and workers ------------------------------------------------------------

// A fire's detail (a failed job's message) is kept, but not without bound.
constexpr std::size_t kMaxDetailBytes = 1000;
// How much of a worker lock file is read back to name its holder.
constexpr std::size_t kMaxHolderBytes = 256;




// At most kMaxDetailBytes of `detail`, never ending inside a UTF-8 character.
std::string_view stored_detail(std::string_view detail) {
  if (detail.size() <= kMaxDetailBytes) return detail;
  std::size_t end = kMaxDetailBytes;
  while (end > 0 && (static_cast<unsigned char>(detail[end]) & 0xC0) == 0x80) --end;
  return detail.substr(0, end);
}

// One row of job_fires, as far as claims care.

// Why `worker` may not renew or finish the fire `row` describes (nullopt: no row).

// A file descriptor, closed when destroyed.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The one worker of a database file: an exclusive flock on its lock file,
// which holds the worker's id for whoever is refused. Closing the file (here,
// or the kernel when the process dies) releases the lock.
class FileWorkerLock final : public WorkerLock {
 public:
  explicit FileWorkerLock(FileDescriptor file) : file_(std::move(file)) {}
  bool exclusive() const override { return true; }
  ~FileWorkerLock() override {
    // Leaves no stale id behind. A failure is harmless: the next holder
    // overwrites the id, and closing the file releases the lock regardless.
    [[maybe_unused]] const int cleared = ::ftruncate(file_.get(), 0);
  }

 private:
  FileDescriptor file_;
};

// An in-memory database belongs to one Store, so it has no other worker to refuse.
class InMemoryWorkerLock final : public WorkerLock {
 public:
  bool exclusive() const override { return false; }
};

std::string errno_text(int error) { return std::strerror(error); }

// The database's path with symlinks resolved, so that every path to one
// database finds the same worker lock beside it.
std::string canonical_path(const std::string& db_path) {
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(db_path, ec);
  return ec ? db_path : canonical.string();
}

// The worker id a lock file holds; empty when it cannot be read.
std::string lock_holder(int fd) {
  std::array<char, kMaxHolderBytes> buffer{};
  const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return {};
  std::string holder(buffer.data(), static_cast<std::size_t>(n));
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder;
}

Result<std::unique_ptr<WorkerLock>> lock_worker_file(const std::string& db_path,
                                                     std::string_view worker) {
  const std::string db_name = canonical_path(db_path);
  const std::string path = db_name + "-worker.lock";
  FileDescriptor file(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (file.get() < 0) {
    return Error::unavailable("cannot open the worker lock file '" + path +
                              "': " + errno_text(errno));
  }
  int rc = 0;
  do {
    rc = ::flock(file.get(), LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int error = errno;
    if (error != EWOULDBLOCK) {
      return Error::unavailable("cannot lock the worker lock file '" + path +
                                "': " + errno_text(error));
    }
    const std::string holder = lock_holder(file.get());
    return Error::precondition("another autovoice worker" +
                               (holder.empty() ? std::string() : " (" + holder + ")") +
                               " is already running on " + db_name +
                               "; SQLite serves one worker — use PostgreSQL for several");
  }
  const std::string id = std::string(worker) + "\n";
  if (::ftruncate(file.get(), 0) != 0 ||
      ::pwrite(file.get(), id.data(), id.size(), 0) != static_cast<ssize_t>(id.size())) {
    return Error::unavailable("cannot write the worker id to '" + path + "': " + errno_text(errno));
  }
  return std::unique_ptr<WorkerLock>(std::make_unique<FileWorkerLock>(std::move(file)));
}

constexpr std::string_view kSkipFireSql =
    "INSERT INTO job_fires (job, fire_time, worker, state, claimed_at, lease_until, finished_at, "
    "detail) VALUES (?, ?, ?, 'skipped', ?, ?, ?, ?) "
    "ON CONFLICT (job, fire_time) DO UPDATE SET worker = excluded.worker, state = excluded.state, "
    "finished_at = excluded.finished_at, detail = excluded.detail "
    "WHERE job_fires.state = 'running' AND (job_fires.worker = excluded.worker OR "
    "job_fires.lease_until <= excluded.finished_at) RETURNING 1";
constexpr std::string_view kFinishFireSql =
    "UPDATE job_fires SET state = ?, finished_at = ?, detail = ? "
    "WHERE job = ? AND fire_time = ? AND worker = ? AND state = 'running' RETURNING 1";

// Runs a write that ends in "RETURNING 1" to completion; true when it changed a row.
Result<bool> run_returning(Query& q, std::string_view what) {
  auto row = q.step(what);
  if (!row) return std::move(row).error();
  if (!*row) return false;
  if (auto s = q.run(what); !s) return std::move(s).error();
  return true;
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    statements_.clear();  // finalize before closing, or close fails with SQLITE_BUSY
    sqlite3_close_v2(db_);
  }

  // Sets the connection up and refuses a schema newer than this binary.
  // Called once, before the store is shared.
  Status open() {
    return serialized([&]() -> Status {
      sqlite3_extended_result_codes(db_, 1);
      sqlite3_busy_timeout(db_, kBusyTimeoutMs);
      // journal_mode first: it is the first statement to touch the file, so a
      // file that is not a database is reported here, with the path.
      for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
                                 "PRAGMA synchronous=NORMAL", kCacheSizePragma}) {
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, pragma, nullptr, nullptr, &message);
        sqlite3_free(message);
        if (rc != SQLITE_OK) return sqlite_error(db_, rc, "opening '" + path_ + "'");
      }
      auto version = current_version();
      if (!version) return std::move(version).error();
      return refuse_newer(*version);
    });
  }

  Result<MigrationReport> migrate() override {
    return serialized([&]() -> Result<MigrationReport> {
      if (auto s = exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                        "name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                        "create schema_version");
          !s) {
        return std::move(s).error();
      }
      auto from = current_version();
      if (!from) return std::move(from).error();
      if (auto s = refuse_newer(*from); !s) return std::move(s).error();
      MigrationReport report;
      report.from_version = *from;
      report.to_version = *from;
      for (const Migration& m : sqlite_migrations()) {
        if (m.version <= report.to_version) continue;
        Transaction tx(*this);
        if (auto s = tx.begin(); !s) return std::move(s).error();
        // Another process may have migrated while we waited for the write lock.
        auto now_at = current_version();
        if (!now_at) return std::move(now_at).error();
        if (*now_at >= m.version) {
          report.to_version = *now_at;
          continue;
        }
        const std::string sql(m.sql);
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        sqlite3_free(message);
        if (rc != SQLITE_OK) {
          return sqlite_error(db_, rc, "applying migration " + std::string(m.name));
        }
        // applied_at comes from the database's clock: migrate() is given no time.
        auto record = query(
            "INSERT INTO schema_version (version, name, applied_at) "
            "VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))");
        if (!record) return std::move(record).error();
        record->bind(m.version).bind(m.name);
        if (auto s = record->run("record migration"); !s) return std::move(s).error();
        if (auto s = tx.commit(); !s) return std::move(s).error();
        report.applied.push_back(m.version);
        report.to_version = m.version;
      }
      return report;
    });
  }

  Result<int> schema_version() override {
    return serialized([&]() { return current_version(); });
  }

  // --- customers -----------------------------------------------------------------

  Result<Customer> add_customer(const Customer& c, TimePoint now) override {
    return serialized([&]() -> Result<Customer> {
      if (auto s = validate(c); !s) return std::move(s).error();
      Customer stored = c;
      stored.created_at = now;
      auto q = query(
          "INSERT INTO customers (first_name, last_name, phone, email, time_zone, opted_out, "
          "opted_out_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      if (!q) return std::move(q).error();
      q->bind(stored.first_name)
          .bind(stored.last_name)
          .bind(stored.phone.str())
          .bind(stored.email)
          .bind(stored.time_zone)
          .bind(stored.opted_out)
          .bind(stored.opted_out_at)
          .bind(stored.created_at);
      if (auto s = q->run("add customer"); !s) {
        if (s.error().code == ErrorCode::kConflict) return phone_taken(stored.phone);
        return std::move(s).error();
      }
      stored.id = sqlite3_last_insert_rowid(db_);
      return stored;
    });
  }

  Result<Customer> customer(CustomerId id) override {
    return serialized([&]() -> Result<Customer> { return load_customer(id); });
  }

  Result<std::optional<Customer>> customer_by_phone(const PhoneNumber& phone) override {
    return serialized([&]() -> Result<std::optional<Customer>> {
      if (phone.empty()) return Error::invalid("phone", "phone is required");
      static const std::string sql = select_from(kCustomerColumns, "customers", "WHERE phone = ?");
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(phone.str());
      auto row = q->step("find customer by phone");
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<Customer>{};
      auto c = read_customer(*q);
      if (!c) return std::move(c).error();
      return std::optional<Customer>{std::move(*c)};
    });
  }

  Result<std::vector<Customer>> list_customers(Page page) override {
    return serialized([&]() -> Result<std::vector<Customer>> {
      if (auto s = check_page(page); !s) return std::move(s).error();
      static const std::string sql =
          select_from(kCustomerColumns, "customers", "ORDER BY id LIMIT ? OFFSET ?");
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(page.limit).bind(page.offset);
      return collect<Customer>(*q, read_customer, "list customers");
    });
  }

  Result<Customer> set_customer_opt_out(CustomerId id, bool opted_out, TimePoint at) override {
    return serialized([&]() -> Result<Customer> {
      static const std::string sql =
          "UPDATE customers SET opted_out = ?, opted_out_at = ? WHERE id = ? RETURNING " +
          std::string(kCustomerColumns);
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(opted_out).bind(opted_out ? std::optional<TimePoint>(at) : std::nullopt).bind(id);
      auto c = single<Customer>(*q, read_customer, "set opt-out", customer_missing(id));
      if (!c) return c;
      if (auto s = q->run("set opt-out"); !s) return std::move(s).error();
      return c;
    });
  }

  Result<Customer> update_customer(const Customer& c) override {
    return serialized([&]() -> Result<Customer> {
      if (auto s = validate_update(c); !s) return std::move(s).error();
      static const std::string sql =
          "UPDATE customers SET first_name = ?, last_name = ?, phone = ?, email = ?, "
          "time_zone = ? WHERE id = ? RETURNING " +
          std::string(kCustomerColumns);
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(c.first_name)
          .bind(c.last_name)
          .bind(c.phone.str())
          .bind(c.email)
          .bind(c.time_zone)
          .bind(c.id);
      auto updated = single<Customer>(*q, read_customer, "update customer", customer_missing(c.id));
      if (!updated) {
        if (updated.error().code == ErrorCode::kConflict) return phone_taken(c.phone);
        return updated;
      }
      if (auto s = q->run("update customer"); !s) return std::move(s).error();
      return updated;
    });
  }

  Status delete_customer(CustomerId id) override {
    return serialized([&]() -> Status {
      // The foreign keys delete the vehicles and appointments and unlink the call logs.
      auto q = query("DELETE FROM customers WHERE id = ? RETURNING 1");
      if (!q) return std::move(q).error();
      q->bind(id);
      auto deleted = run_returning(*q, "delete customer");
      if (!deleted) return std::move(deleted).error();
      if (!*deleted) return customer_missing(id);
      return ok_status();
    });
  }

  // --- vehicles ------------------------------------------------------------------

  Result<Vehicle> add_vehicle(const Vehicle& v, TimePoint now) override {
    return serialized([&]() -> Result<Vehicle> {
      if (auto s = validate(v); !s) return std::move(s).error();
      if (auto s = require_customer(v.customer_id); !s) return std::move(s).error();
      Vehicle stored = v;
      stored.created_at = now;
      auto q = query(
          "INSERT INTO vehicles (customer_id, year, make, model, vin, plate, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)");
      if (!q) return std::move(q).error();
      q->bind(stored.customer_id)
          .bind(stored.year)
          .bind(stored.make)
          .bind(stored.model)
          .bind(stored.vin)
          .bind(stored.plate)
          .bind(stored.created_at);
      if (auto s = q->run("add vehicle"); !s) return std::move(s).error();
      stored.id = sqlite3_last_insert_rowid(db_);
      return stored;
    });
  }

  Result<Vehicle> vehicle(VehicleId id) override {
    return serialized([&]() -> Result<Vehicle> {
      static const std::string sql = select_from(kVehicleColumns, "vehicles", "WHERE id = ?");
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(id);
      return single<Vehicle>(*q, read_vehicle, "load vehicle", vehicle_missing(id));
    });
  }

  Result<std::vector<Vehicle>> list_vehicles(std::optional<CustomerId> customer_id,
                                             Page page) override {
    return serialized([&]() -> Result<std::vector<Vehicle>> {
      if (auto s = check_page(page); !s) return std::move(s).error();
      static const std::string all =
          select_from(kVehicleColumns, "vehicles", "ORDER BY id LIMIT ? OFFSET ?");
      static const std::string of_customer = select_from(
          kVehicleColumns, "vehicles", "WHERE customer_id = ? ORDER BY id LIMIT ? OFFSET ?");
      auto q = query(customer_id ? of_customer : all);
      if (!q) return std::move(q).error();
      if (customer_id) q->bind(*customer_id);
      q->bind(page.limit).bind(page.offset);
      return collect<Vehicle>(*q, read_vehicle, "list vehicles");
    });
  }

  Result<Vehicle> update_vehicle(const Vehicle& v) override {
    return serialized([&]() -> Result<Vehicle> {
      if (auto s = validate_update(v); !s) return std::move(s).error();
      static const std::string sql =
          "UPDATE vehicles SET year = ?, make = ?, model = ?, vin = ?, plate = ? WHERE id = ? "
          "RETURNING " +
          std::string(kVehicleColumns);
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(v.year).bind(v.make).bind(v.model).bind(v.vin).bind(v.plate).bind(v.id);
      auto updated = single<Vehicle>(*q, read_vehicle, "update vehicle", vehicle_missing(v.id));
      if (!updated) return updated;
      if (auto s = q->run("update vehicle"); !s) return std::move(s).error();
      return updated;
    });
  }

  Status delete_vehicle(VehicleId id) override {
    return serialized([&]() -> Status {
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return s;
      auto q = query(
          "DELETE FROM vehicles WHERE id = ? "
          "AND NOT EXISTS (SELECT 1 FROM appointments WHERE vehicle_id = ?) RETURNING 1");
      if (!q) return std::move(q).error();
      q->bind(id).bind(id);
      auto deleted = run_returning(*q, "delete vehicle");
      if (!deleted) return std::move(deleted).error();
      if (!*deleted) {
        auto found = exists("SELECT 1 FROM vehicles WHERE id = ?", id, "find vehicle");
        if (!found) return std::move(found).error();
        return *found ? vehicle_has_appointments(id) : vehicle_missing(id);
      }
      return tx.commit();
    });
  }

  // --- appointments --------------------------------------------------------------

  Result<Appointment> add_appointment(const Appointment& a, TimePoint now) override {
    return serialized([&]() -> Result<Appointment> {
      if (auto s = validate(a); !s) return std::move(s).error();
      OwnerCache owners;
      if (auto s = check_references(a, owners); !s) return std::move(s).error();
      auto id = insert_appointment(a, now);
      if (!id) return std::move(id).error();
      Appointment stored = a;
      stored.id = *id;
      stored.created_at = now;
      stored.updated_at = now;
      return stored;
    });
  }

  Result<std::size_t> add_appointments(std::span<const Appointment> rows, TimePoint now) override {
    // Validate everything before taking the lock: a bad row costs other threads nothing.
    auto valid = guarded([&]() -> Status {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (auto s = validate(rows[i]); !s) {
          Error e = std::move(s).error();
          e.message = "appointment " + std::to_string(i) + " of the batch: " + e.message;
          return e;
        }
      }
      return ok_status();
    });
    if (!valid) return std::move(valid).error();
    if (rows.empty()) return std::size_t{0};
    return serialized([&]() -> Result<std::size_t> {
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      OwnerCache owners;
      owners.reserve(std::min<std::size_t>(rows.size(), 1 << 16));
      for (std::size_t i = 0; i < rows.size(); ++i) {
        Status s = check_references(rows[i], owners);
        if (s) {
          auto id = insert_appointment(rows[i], now);
          if (!id) s = std::move(id).error();
        }
        if (!s) {
          Error e = std::move(s).error();
          e.message = "appointment " + std::to_string(i) + " of the batch: " + e.message;
          return e;  // tx rolls back
        }
      }
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return rows.size();
    });
  }

  Result<Appointment> appointment(AppointmentId id) override {
    return serialized([&]() -> Result<Appointment> {
      static const std::string sql =
          select_from(kAppointmentColumns, "appointments", "WHERE id = ?");
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(id);
      return single<Appointment>(*q, read_appointment, "load appointment", appointment_missing(id));
    });
  }

  Result<std::vector<Appointment>> list_appointments(const AppointmentQuery& filter) override {
    return serialized([&]() -> Result<std::vector<Appointment>> {
      if (auto s = check_page(filter.page); !s) return std::move(s).error();
      // At most 16 shapes of this query exist; each is prepared once and cached.
      std::string where;
      const auto add = [&where](std::string_view condition) {
        where += where.empty() ? "WHERE " : " AND ";
        where += condition;
      };
      if (filter.from) add("start_at >= ?");
      if (filter.to) add("start_at < ?");
      if (filter.status) add("status = ?");
      if (filter.customer_id) add("customer_id = ?");
      where += " ORDER BY start_at, id LIMIT ? OFFSET ?";
      auto q = query(select_from(kAppointmentColumns, "appointments", where));
      if (!q) return std::move(q).error();
      if (filter.from) q->bind(*filter.from);
      if (filter.to) q->bind(*filter.to);
      if (filter.status) q->bind(to_string(*filter.status));
      if (filter.customer_id) q->bind(*filter.customer_id);
      q->bind(filter.page.limit).bind(filter.page.offset);
      return collect<Appointment>(*q, read_appointment, "list appointments");
    });
  }

  Result<std::vector<Appointment>> appointments_starting(AppointmentStatus status, TimePoint from,
                                                         TimePoint to) override {
    return serialized([&]() -> Result<std::vector<Appointment>> {
      // Served by appointments_by_status_start; its entries end with the rowid,
      // so ORDER BY start_at, id needs no sort.
      static const std::string sql =
          select_from(kAppointmentColumns, "appointments",
                      "WHERE status = ? AND start_at >= ? AND start_at < ? ORDER BY start_at, id");
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(to_string(status)).bind(from).bind(to);
      return collect<Appointment>(*q, read_appointment, "appointments starting");
    });
  }

  Result<Appointment> set_appointment_status(AppointmentId id, AppointmentStatus status,
                                             TimePoint now) override {
    return serialized([&]() -> Result<Appointment> {
      static const std::string sql =
          "UPDATE appointments SET status = ?, updated_at = ? WHERE id = ? RETURNING " +
          std::string(kAppointmentColumns);
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(to_string(status)).bind(now).bind(id);
      auto a = single<Appointment>(*q, read_appointment, "set appointment status",
                                   appointment_missing(id));
      if (!a) return a;
      if (auto s = q->run("set appointment status"); !s) return std::move(s).error();
      return a;
    });
  }

  Result<Appointment> update_appointment(const Appointment& a, TimePoint now) override {
    return serialized([&]() -> Result<Appointment> {
      if (auto s = validate_update(a); !s) return std::move(s).error();
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      auto customer = appointment_customer(a.id);
      if (!customer) return std::move(customer).error();
      // add_appointment's checks, against the customer the appointment keeps.
      Appointment checked = a;
      checked.customer_id = *customer;
      OwnerCache owners;
      if (auto s = check_references(checked, owners); !s) return std::move(s).error();
      static const std::string sql =
          "UPDATE appointments SET vehicle_id = ?, start_at = ?, duration_minutes = ?, "
          "service_type = ?, status = ?, notes = ?, updated_at = ? WHERE id = ? RETURNING " +
          std::string(kAppointmentColumns);
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(a.vehicle_id)
          .bind(a.start)
          .bind(a.duration_minutes)
          .bind(a.service_type)
          .bind(to_string(a.status))
          .bind(a.notes)
          .bind(now)
          .bind(a.id);
      auto updated = single<Appointment>(*q, read_appointment, "update appointment",
                                         appointment_missing(a.id));
      if (!updated) return updated;
      if (auto s = q->run("update appointment"); !s) return std::move(s).error();
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return updated;
    });
  }

  Status delete_appointment(AppointmentId id) override {
    return serialized([&]() -> Status {
      // The foreign key unlinks the appointment's call logs.
      auto q = query("DELETE FROM appointments WHERE id = ? RETURNING 1");
      if (!q) return std::move(q).error();
      q->bind(id);
      auto deleted = run_returning(*q, "delete appointment");
      if (!deleted) return std::move(deleted).error();
      if (!*deleted) return appointment_missing(id);
      return ok_status();
    });
  }

  // --- call logs -----------------------------------------------------------------

  Result<CallLog> add_call_log(const CallLog& c, TimePoint now) override {
    return serialized([&]() -> Result<CallLog> {
      if (auto s = validate(c); !s) return std::move(s).error();
      if (c.customer_id) {
        if (auto s = require_customer(*c.customer_id); !s) return std::move(s).error();
      }
      if (c.appointment_id) {
        if (auto s = require_appointment(*c.appointment_id); !s) return std::move(s).error();
      }
      auto q = query(kInsertCallLogSql);
      if (!q) return std::move(q).error();
      bind_call_log(*q, c, now);
      if (auto s = q->run("add call log"); !s) {
        if (s.error().code == ErrorCode::kConflict) {
          Error e = Error::conflict("call_sid " + in_quotes(c.call_sid) + " is already logged");
          e.field = "call_sid";
          return e;
        }
        return std::move(s).error();
      }
      CallLog stored = c;
      stored.id = sqlite3_last_insert_rowid(db_);
      stored.created_at = now;
      stored.updated_at = now;
      return stored;
    });
  }

  Result<CallLog> call_log_by_sid(std::string_view call_sid) override {
    return serialized([&]() -> Result<CallLog> {
      static const std::string sql =
          select_from(kCallLogColumns, "call_logs", "WHERE call_sid = ?");
      auto q = query(sql);
      if (!q) return std::move(q).error();
      q->bind(call_sid);
      return single<CallLog>(
          *q, read_call_log, "load call log",
          Error::not_found("call_sid " + in_quotes(call_sid) + " is not logged"));
    });
  }

  Result<std::vector<CallLog>> list_call_logs(const CallLogQuery& filter) override {
    return serialized([&]() -> Result<std::vector<CallLog>> {
      if (auto s = check_page(filter.page); !s) return std::move(s).error();
      std::string where;
      if (filter.customer_id) where += "WHERE customer_id = ?";
      if (filter.appointment_id) where += where.empty() ? "WHERE " : " AND ";
      if (filter.appointment_id) where += "appointment_id = ?";
      where += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?";
      auto q = query(select_from(kCallLogColumns, "call_logs", where));
      if (!q) return std::move(q).error();
      if (filter.customer_id) q->bind(*filter.customer_id);
      if (filter.appointment_id) q->bind(*filter.appointment_id);
      q->bind(filter.page.limit).bind(filter.page.offset);
      return collect<CallLog>(*q, read_call_log, "list call logs");
    });
  }

  // The hot path of status callbacks: one write transaction in which the
  // row is read, then inserted or updated, all by cached statements. The
  // mutex serialises this process's callbacks; BEGIN IMMEDIATE those of other
  // processes on the file.
  Result<CallStatusApplied> apply_call_status(const CallStatusUpdate& u, TimePoint now) override {
    return serialized([&]() -> Result<CallStatusApplied> {
      CallStatusApplied result;
      result.log = call_log_from_callback(u, now);
      if (auto s = validate(result.log); !s) return std::move(s).error();
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      auto stored = load_call_status(u.call_sid);
      if (!stored) return std::move(stored).error();
      if (!*stored) {
        auto id = insert_call_status(result.log, u.sequence_number);
        if (!id) return std::move(id).error();
        result.log.id = *id;
        result.created = true;
      } else {
        StoredCallStatus& current = **stored;
        result.log = std::move(current.log);
        if (!supersedes(u.status, u.sequence_number, result.log.status, current.sequence)) {
          return result;  // a duplicate or an earlier callback: nothing written, tx rolls back
        }
        apply_call_status_to(result.log, u, now);
        if (auto s = update_call_status(result.log, u.sequence_number); !s) {
          return std::move(s).error();
        }
      }
      if (auto s = tx.commit(); !s) return std::move(s).error();
      result.applied = true;
      return result;
    });
  }

  Result<CallLogCounts> call_log_counts() override {
    return serialized([&]() -> Result<CallLogCounts> {
      auto q = query(kCallLogCountsSql);
      if (!q) return std::move(q).error();
      q->bind(kReminderIntent);
      CallLogCounts counts;
      while (true) {
        auto row = q->step("count call logs");
        if (!row) return std::move(row).error();
        if (!*row) return counts;
        auto& group = q->text_view(0) == "status" ? counts.by_status : counts.reminders_by_outcome;
        group.emplace_back(q->text(1), q->int64(2));
      }
    });
  }

  // --- reminders ------------------------------------------------------------------------

  Result<std::vector<PlannedReminder>> plan_reminders(std::span<const ReminderPlan> plans,
                                                      TimePoint now) override {
    return serialized([&]() -> Result<std::vector<PlannedReminder>> {
      for (const ReminderPlan& plan : plans) {
        if (auto s = check_plan(plan); !s) return std::move(s).error();
      }
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      std::vector<PlannedReminder> out;
      out.reserve(plans.size());
      for (const ReminderPlan& plan : plans) {
        if (auto s = require_appointment(plan.appointment_id); !s) return std::move(s).error();
        auto drop = query(
            "UPDATE reminders SET state = 'dropped', reason = 'rescheduled', detail = '', "
            "updated_at = ? WHERE appointment_id = ? AND appointment_start <> ? "
            "AND state IN ('pending', 'skipped')");
        if (!drop) return std::move(drop).error();
        drop->bind(now).bind(plan.appointment_id).bind(plan.appointment_start);
        if (auto s = drop->run("drop a moved appointment's reminders"); !s) return std::move(s).error();
        auto upsert = query(
            "INSERT INTO reminders (appointment_id, appointment_start, customer_id, state, due_at, "
            "reason, detail, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (appointment_id, appointment_start) DO UPDATE SET "
            "customer_id = excluded.customer_id, state = excluded.state, due_at = excluded.due_at, "
            "reason = excluded.reason, detail = excluded.detail, updated_at = excluded.updated_at "
            "WHERE reminders.state = 'skipped'");
        if (!upsert) return std::move(upsert).error();
        upsert->bind(plan.appointment_id)
            .bind(plan.appointment_start)
            .bind(plan.customer_id)
            .bind(to_string(plan.state))
            .bind(plan.due_at)
            .bind(plan.reason)
            .bind(plan.detail)
            .bind(now)
            .bind(now);
        if (auto s = upsert->run("plan a reminder"); !s) return std::move(s).error();
        const bool written = sqlite3_changes(db_) > 0;
        auto row = query(select_from(kReminderColumns, "reminders",
                                     "WHERE appointment_id = ? AND appointment_start = ?"));
        if (!row) return std::move(row).error();
        row->bind(plan.appointment_id).bind(plan.appointment_start);
        auto stored = single<Reminder>(*row, read_reminder, "read a planned reminder",
                                       Error::internal("a planned reminder vanished"));
        if (!stored) return std::move(stored).error();
        out.push_back(PlannedReminder{std::move(*stored), written});
      }
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return out;
    });
  }

  Result<std::vector<Reminder>> drop_stale_reminders(TimePoint now) override {
    return serialized([&]() -> Result<std::vector<Reminder>> {
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      auto q = query(
          "SELECT r.id, a.status, a.start_at FROM reminders r JOIN appointments a "
          "ON a.id = r.appointment_id WHERE r.state IN ('pending', 'skipped') "
          "AND (a.status <> 'CONFIRMED' OR a.start_at <> r.appointment_start) ORDER BY r.id");
      if (!q) return std::move(q).error();
      struct Stale {
        ReminderId id;
        std::string reason;
      };
      std::vector<Stale> stale;
      while (true) {
        auto row = q->step("find stale reminders");
        if (!row) return std::move(row).error();
        if (!*row) break;
        Appointment a;
        auto status = stored_enum<AppointmentStatus>(*q, 1, kAppointmentStatuses);
        if (!status) return Error::internal("an appointment has an unknown stored status");
        a.status = *status;
        a.start = q->time(2);
        // The query chose rows whose appointment differs; force "rescheduled"
        // when only the start differs by comparing against a start it cannot have.
        stale.push_back(Stale{q->int64(0), stale_reason(a, a.start).value_or("rescheduled")});
      }
      std::vector<Reminder> out;
      for (const Stale& s : stale) {
        auto r = set_reminder_fields(s.id, ReminderState::kDropped, std::nullopt, std::nullopt, s.reason, "",
                                     now);
        if (!r) return std::move(r).error();
        out.push_back(std::move(*r));
      }
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return out;
    });
  }

  Result<std::vector<ReminderClaim>> claim_due_reminders(std::string_view worker, TimePoint now,
                                                         std::chrono::seconds lease, int limit) override {
    return serialized([&]() -> Result<std::vector<ReminderClaim>> {
      if (auto s = require_name("worker", worker); !s) return std::move(s).error();
      if (auto s = check_lease(lease); !s) return std::move(s).error();
      if (auto s = check_batch_limit(limit); !s) return std::move(s).error();
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      // Twice the limit is read so that a customer's second reminder, left
      // for later, does not shorten the batch much.
      auto q = query(select_from(
          kReminderColumns, "reminders r",
          "WHERE state = 'pending' AND due_at <= ? AND NOT EXISTS (SELECT 1 FROM reminders d "
          "WHERE d.customer_id = r.customer_id AND d.state = 'dialling') "
          "ORDER BY due_at, id LIMIT ?"));
      if (!q) return std::move(q).error();
      q->bind(now).bind(limit * 2);
      auto due = collect<Reminder>(*q, read_reminder, "find due reminders");
      if (!due) return std::move(due).error();
      std::vector<ReminderClaim> out;
      std::vector<CustomerId> customers;
      for (Reminder& r : *due) {
        if (static_cast<int>(out.size()) == limit) break;
        if (std::find(customers.begin(), customers.end(), r.customer_id) != customers.end()) continue;
        customers.push_back(r.customer_id);
        auto claim = claim_reminder(r.id, worker, now, now + lease, true);
        if (!claim) return std::move(claim).error();
        out.push_back(std::move(*claim));
      }
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return out;
    });
  }

  Result<std::vector<ReminderClaim>> take_over_stale_claims(std::string_view worker, TimePoint now,
                                                            std::chrono::seconds lease,
                                                            std::optional<TimePoint> claimed_before) override {
    return serialized([&]() -> Result<std::vector<ReminderClaim>> {
      if (auto s = require_name("worker", worker); !s) return std::move(s).error();
      if (auto s = check_lease(lease); !s) return std::move(s).error();
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      auto q = query(select_from(kReminderColumns, "reminders",
                                 "WHERE state = 'dialling' AND ((claimed_by <> ? AND lease_until <= ?) "
                                 "OR claimed_at <= ?) ORDER BY claimed_at, id"));
      if (!q) return std::move(q).error();
      // Without claimed_before the second condition must never hold.
      const TimePoint before = claimed_before.value_or(TimePoint{} - std::chrono::seconds{1});
      q->bind(worker).bind(now).bind(before);
      auto stale = collect<Reminder>(*q, read_reminder, "find stale claims");
      if (!stale) return std::move(stale).error();
      std::vector<ReminderClaim> out;
      for (const Reminder& r : *stale) {
        auto claim = claim_reminder(r.id, worker, now, now + lease, false);
        if (!claim) return std::move(claim).error();
        out.push_back(std::move(*claim));
      }
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return out;
    });
  }

  Result<Reminder> record_reminder_attempt(const ReminderAttempt& attempt, TimePoint now) override {
    return serialized([&]() -> Result<Reminder> {
      if (auto s = check_attempt(attempt); !s) return std::move(s).error();
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      auto stored = load_reminder(attempt.id);
      if (!stored) return std::move(stored).error();
      if (auto s = check_claim_holder(*stored, attempt.worker, "record the attempt"); !s) {
        return std::move(s).error();
      }
      const CallLog& c = attempt.log;
      // A status callback may have made the row first: its status and times stay.
      auto log = query(kUpsertReminderCallLogSql);
      if (!log) return std::move(log).error();
      bind_call_log(*log, c, now);
      if (auto s = log->run("log the reminder's call"); !s) return std::move(s).error();
      auto q = query(
          "UPDATE reminders SET state = ?, call_sid = ?, attempts = attempts + 1, claimed_by = '', "
          "claimed_at = NULL, lease_until = NULL, reason = ?, detail = '', updated_at = ? WHERE id = ?");
      if (!q) return std::move(q).error();
      q->bind(to_string(attempt.next)).bind(c.call_sid).bind(attempt.reason).bind(now).bind(attempt.id);
      if (auto s = q->run("record the reminder's attempt"); !s) return std::move(s).error();
      auto out = load_reminder(attempt.id);
      if (!out) return std::move(out).error();
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return out;
    });
  }

  Result<Reminder> transition_reminder(const ReminderTransition& t, TimePoint now) override {
    return serialized([&]() -> Result<Reminder> {
      if (auto s = check_transition(t); !s) return std::move(s).error();
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      auto stored = load_reminder(t.id);
      if (!stored) return std::move(stored).error();
      if (auto s = check_transition_against(t, *stored); !s) return std::move(s).error();
      std::optional<TimePoint> due;
      if (t.to == ReminderState::kPending) due = t.due_at;
      auto out = set_reminder_fields(t.id, t.to, t.channel, due, t.reason, t.detail, now);
      if (!out) return std::move(out).error();
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return out;
    });
  }

  Result<std::vector<AwaitedCall>> calls_to_follow_up(TimePoint waiting_since, int limit) override {
    return serialized([&]() -> Result<std::vector<AwaitedCall>> {
      if (auto s = check_batch_limit(limit); !s) return std::move(s).error();
      auto q = query(select_from(
          kReminderColumns, "reminders r",
          "WHERE state = 'calling' AND (updated_at <= ? OR EXISTS (SELECT 1 FROM call_logs c "
          "WHERE c.call_sid = r.call_sid AND c.status IN ('completed', 'busy', 'no-answer', "
          "'failed', 'canceled'))) ORDER BY updated_at, id LIMIT ?"));
      if (!q) return std::move(q).error();
      q->bind(waiting_since).bind(limit);
      auto waiting = collect<Reminder>(*q, read_reminder, "find calls to follow up");
      if (!waiting) return std::move(waiting).error();
      std::vector<AwaitedCall> out;
      out.reserve(waiting->size());
      for (Reminder& r : *waiting) {
        auto log = query(select_from(kCallLogColumns, "call_logs", "WHERE call_sid = ?"));
        if (!log) return std::move(log).error();
        log->bind(r.call_sid);
        auto row = log->step("read a reminder's call");
        if (!row) return std::move(row).error();
        std::optional<CallLog> call;
        if (*row) {
          auto read = read_call_log(*log);
          if (!read) return std::move(read).error();
          call = std::move(*read);
        }
        out.push_back(AwaitedCall{std::move(r), std::move(call)});
      }
      return out;
    });
  }

  Result<Reminder> reminder(ReminderId id) override {
    return serialized([&]() -> Result<Reminder> { return load_reminder(id); });
  }

  Result<std::vector<Reminder>> list_reminders(const ReminderQuery& filter) override {
    return serialized([&]() -> Result<std::vector<Reminder>> {
      if (auto s = check_page(filter.page); !s) return std::move(s).error();
      std::string where;
      const auto add = [&where](std::string_view clause) {
        where += where.empty() ? "WHERE " : " AND ";
        where += clause;
      };
      if (filter.state) add("state = ?");
      if (filter.appointment_id) add("appointment_id = ?");
      if (filter.from) add("appointment_start >= ?");
      if (filter.to) add("appointment_start < ?");
      where += " ORDER BY appointment_start, id LIMIT ? OFFSET ?";
      auto q = query(select_from(kReminderColumns, "reminders", where));
      if (!q) return std::move(q).error();
      if (filter.state) q->bind(to_string(*filter.state));
      if (filter.appointment_id) q->bind(*filter.appointment_id);
      if (filter.from) q->bind(*filter.from);
      if (filter.to) q->bind(*filter.to);
      q->bind(filter.page.limit).bind(filter.page.offset);
      return collect<Reminder>(*q, read_reminder, "list reminders");
    });
  }

  // --- scheduled job fires ---------------------------------------------------------

  Result<std::optional<TimePoint>> last_finished_fire(std::string_view job) override {
    return serialized([&]() -> Result<std::optional<TimePoint>> {
      if (auto s = require_name("job", job); !s) return std::move(s).error();
      auto q = query("SELECT MAX(fire_time) FROM job_fires WHERE job = ? AND state <> 'running'");
      if (!q) return std::move(q).error();
      q->bind(job);
      auto row = q->step("last finished fire");
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<TimePoint>{};
      return q->optional_time(0);
    });
  }

  Result<FireClaim> claim_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                               TimePoint now, std::chrono::seconds lease) override {
    return serialized([&]() -> Result<FireClaim> {
      if (auto s = check_fire_names(job, worker); !s) return std::move(s).error();
      if (auto s = check_lease(lease); !s) return std::move(s).error();
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return std::move(s).error();
      // Takes the fire when it is new, already `worker`'s, or its holder's
      // lease has run out; changes nothing otherwise. The row read back says which.
      auto q = query(
          "INSERT INTO job_fires (job, fire_time, worker, state, claimed_at, lease_until) "
          "VALUES (?, ?, ?, 'running', ?, ?) "
          "ON CONFLICT (job, fire_time) DO UPDATE SET worker = excluded.worker, "
          "claimed_at = CASE WHEN job_fires.worker = excluded.worker THEN job_fires.claimed_at "
          "ELSE excluded.claimed_at END, lease_until = excluded.lease_until "
          "WHERE job_fires.state = 'running' AND (job_fires.worker = excluded.worker OR "
          "job_fires.lease_until <= excluded.claimed_at)");
      if (!q) return std::move(q).error();
      q->bind(job).bind(fire_time).bind(worker).bind(now).bind(now + lease);
      if (auto s = q->run("claim fire"); !s) return std::move(s).error();
      auto stored = load_fire(job, fire_time);
      if (!stored) return std::move(stored).error();
      if (!*stored) return Error::internal("claim_fire: the claimed fire row is missing");
      if (auto s = tx.commit(); !s) return std::move(s).error();
      return claim_from(**stored, worker);
    });
  }

  Status renew_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                    TimePoint now, std::chrono::seconds lease) override {
    return serialized([&]() -> Status {
      if (auto s = check_fire_names(job, worker); !s) return s;
      if (auto s = check_lease(lease); !s) return s;
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return s;
      auto q = query(
          "UPDATE job_fires SET lease_until = ? "
          "WHERE job = ? AND fire_time = ? AND worker = ? AND state = 'running' RETURNING 1");
      if (!q) return std::move(q).error();
      q->bind(now + lease).bind(job).bind(fire_time).bind(worker);
      auto renewed = run_returning(*q, "renew fire");
      if (!renewed) return std::move(renewed).error();
      if (!*renewed) return explain_fire_conflict(job, fire_time, worker);
      return tx.commit();
    });
  }

  Status finish_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                     FireOutcome outcome, std::string_view detail, TimePoint now) override {
    return serialized([&]() -> Status {
      if (auto s = check_fire_names(job, worker); !s) return s;
      const std::string_view kept = stored_detail(detail);
      Transaction tx(*this);
      if (auto s = tx.begin(); !s) return s;
      // A skip needs no claim: it creates the row, or takes over one nobody
      // holds live. Any other outcome needs `worker`'s running claim.
      const bool skipped = outcome == FireOutcome::kSkipped;
      auto q = query(skipped ? kSkipFireSql : kFinishFireSql);
      if (!q) return std::move(q).error();
      if (skipped) {
        q->bind(job).bind(fire_time).bind(worker).bind(now).bind(now).bind(now).bind(kept);
      } else {
        q->bind(to_string(outcome)).bind(now).bind(kept).bind(job).bind(fire_time).bind(worker);
      }
      auto finished = run_returning(*q, "finish fire");
      if (!finished) return std::move(finished).error();
      if (!*finished) return explain_fire_conflict(job, fire_time, worker);
      return tx.commit();
    });
  }

  // --- workers ---------------------------------------------------------------------

  Result<std::unique_ptr<WorkerLock>> lock_worker(std::string_view worker) override {
    return guarded([&]() -> Result<std::unique_ptr<WorkerLock>> {
      if (auto s = require_name("worker", worker); !s) return std::move(s).error();
      if (path_.empty() || path_ == ":memory:") {
        return std::unique_ptr<WorkerLock>(std::make_unique<InMemoryWorkerLock>());
      }
      return lock_worker_file(path_, worker);
    });
  }

 private:
  // vehicle id -> owning customer id, for the vehicles one call has looked up.
  using OwnerCache = std::unordered_map<VehicleId, CustomerId>;

  // A write transaction. BEGIN IMMEDIATE takes the write lock up front, so the
  // transaction never fails half-way upgrading a read lock (SQLITE_BUSY is then
  // reported before anything was written). Rolls back unless committed.
  // REQUIRES: mutex_ is held for the Transaction's whole life.
  class Transaction {
   public:
    explicit Transaction(SqliteStore& store) : store_(store) {}
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
      if (open_) (void)store_.exec("ROLLBACK", "roll back");
    }
    Status begin() {
      auto s = store_.exec("BEGIN IMMEDIATE", "begin transaction");
      open_ = s.ok();
      return s;
    }
    Status commit() {
      auto s = store_.exec("COMMIT", "commit");
      if (s) open_ = false;
      return s;
    }

   private:
    SqliteStore& store_;
    bool open_ = false;
  };

  // Runs `f`; an exception (std::bad_alloc is the plausible one) becomes
  // kInternal rather than escaping the Store.
  template <typename F>
  static auto guarded(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const std::exception& e) {
      return Error::internal(std::string("sqlite store: ") + e.what());
    }
  }

  // Runs `f` holding mutex_, guarded.
  template <typename F>
  auto serialized(F&& f) -> decltype(f()) {
    return guarded([&]() -> decltype(f()) {
      std::lock_guard lock(mutex_);
      return f();
    });
  }

  // The statement for `sql` from the cache, prepared on first use.
  // REQUIRES: mutex_ is held.
  Result<Query> query(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end() && !it->second.in_use) {
      it->second.in_use = true;
      return Query(db_, it->second.stmt.get(), &it->second.in_use);
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) {
      const std::string_view message = sqlite3_errmsg(db_);
      if (message.starts_with("no such table")) {
        return Error::precondition("the database has no schema yet (" + std::string(message) +
                                   "): run `autovoice migrate`");
      }
      return sqlite_error(db_, rc, "prepare");
    }
    // A statement already in use (a nested use) gets a one-off copy.
    if (it != statements_.end()) return Query(db_, std::move(stmt));
    auto& entry = statements_[std::string(sql)];
    entry.stmt = std::move(stmt);
    entry.in_use = true;
    return Query(db_, entry.stmt.get(), &entry.in_use);
  }

  // REQUIRES: mutex_ is held.
  Status exec(std::string_view sql, std::string_view what) {
    auto q = query(sql);
    if (!q) return std::move(q).error();
    return q->run(what);
  }

  // REQUIRES: mutex_ is held.
  Result<int> current_version() {
    auto table =
        query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!table) return std::move(table).error();
    auto row = table->step("read schema version");
    if (!row) return std::move(row).error();
    if (!*row) return 0;
    auto q = query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!q) return std::move(q).error();
    auto max = q->step("read schema version");
    if (!max) return std::move(max).error();
    return q->int32(0);
  }

  static Status refuse_newer(int version) { return refuse_newer_schema(version); }

  // REQUIRES: mutex_ is held.
  Result<Customer> load_customer(CustomerId id) {
    static const std::string sql = select_from(kCustomerColumns, "customers", "WHERE id = ?");
    auto q = query(sql);
    if (!q) return std::move(q).error();
    q->bind(id);
    return single<Customer>(*q, read_customer, "load customer", customer_missing(id));
  }

  // REQUIRES: mutex_ is held.
  Result<bool> exists(std::string_view sql, std::int64_t id, std::string_view what) {
    auto q = query(sql);
    if (!q) return std::move(q).error();
    q->bind(id);
    return q->step(what);
  }

  // REQUIRES: mutex_ is held.
  Status require_customer(CustomerId id) {
    auto found = exists("SELECT 1 FROM customers WHERE id = ?", id, "find customer");
    if (!found) return std::move(found).error();
    if (!*found) return customer_missing(id);
    return ok_status();
  }

  // REQUIRES: mutex_ is held.
  Status require_appointment(AppointmentId id) {
    auto found = exists("SELECT 1 FROM appointments WHERE id = ?", id, "find appointment");
    if (!found) return std::move(found).error();
    if (!*found) return appointment_missing(id);
    return ok_status();
  }

  // The customer exists, the vehicle exists and is the customer's. One indexed
  // lookup per distinct vehicle: a vehicle's owner existing proves the customer
  // does (foreign key), so the customer is only looked up to explain a failure.
  // REQUIRES: mutex_ is held.
  Status check_references(const Appointment& a, OwnerCache& owners) {
    auto cached = owners.find(a.vehicle_id);
    std::optional<CustomerId> owner;
    if (cached != owners.end()) {
      owner = cached->second;
    } else {
      auto q = query("SELECT customer_id FROM vehicles WHERE id = ?");
      if (!q) return std::move(q).error();
      q->bind(a.vehicle_id);
      auto row = q->step("find vehicle");
      if (!row) return std::move(row).error();
      if (*row) {
        owner = q->int64(0);
        owners.emplace(a.vehicle_id, *owner);
      }
    }
    if (owner && *owner == a.customer_id) return ok_status();
    if (auto s = require_customer(a.customer_id); !s) return s;
    if (!owner) return vehicle_missing(a.vehicle_id);
    return vehicle_of_other_customer(a.vehicle_id, *owner, a.customer_id);
  }

  // REQUIRES: mutex_ is held.
  Result<AppointmentId> insert_appointment(const Appointment& a, TimePoint now) {
    auto q = query(
        "INSERT INTO appointments (customer_id, vehicle_id, start_at, duration_minutes, "
        "service_type, status, notes, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!q) return std::move(q).error();
    q->bind(a.customer_id)
        .bind(a.vehicle_id)
        .bind(a.start)
        .bind(a.duration_minutes)
        .bind(a.service_type)
        .bind(to_string(a.status))
        .bind(a.notes)
        .bind(now)
        .bind(now);
    if (auto s = q->run("add appointment"); !s) return std::move(s).error();
    return AppointmentId{sqlite3_last_insert_rowid(db_)};
  }

  // The customer an appointment belongs to; kNotFound when it does not exist.
  // REQUIRES: mutex_ is held.
  Result<CustomerId> appointment_customer(AppointmentId id) {
    auto q = query("SELECT customer_id FROM appointments WHERE id = ?");
    if (!q) return std::move(q).error();
    q->bind(id);
    auto row = q->step("find appointment");
    if (!row) return std::move(row).error();
    if (!*row) return appointment_missing(id);
    return CustomerId{q->int64(0)};
  }

  // REQUIRES: mutex_ is held.
  // REQUIRES: mutex_ is held.
  Result<Reminder> load_reminder(ReminderId id) {
    auto q = query(select_from(kReminderColumns, "reminders", "WHERE id = ?"));
    if (!q) return std::move(q).error();
    q->bind(id);
    return single<Reminder>(*q, read_reminder, "read reminder", reminder_missing(id));
  }

  // Writes a reminder's state (clearing any claim), optionally its channel and
  // due time, its reason and detail; returns the row.
  // REQUIRES: mutex_ is held, inside a transaction.
  Result<Reminder> set_reminder_fields(ReminderId id, ReminderState state, std::optional<ReminderChannel> channel,
                                       std::optional<TimePoint> due_at, std::string_view reason,
                                       std::string_view detail, TimePoint now) {
    auto q = query(
        "UPDATE reminders SET state = ?, channel = COALESCE(?, channel), due_at = COALESCE(?, due_at), "
        "claimed_by = '', claimed_at = NULL, lease_until = NULL, reason = ?, detail = ?, updated_at = ? "
        "WHERE id = ?");
    if (!q) return std::move(q).error();
    std::optional<std::string_view> channel_name;
    if (channel) channel_name = to_string(*channel);
    q->bind(to_string(state)).bind(channel_name).bind(due_at).bind(reason).bind(detail).bind(now).bind(id);
    if (auto s = q->run("update reminder"); !s) return std::move(s).error();
    return load_reminder(id);
  }

  // Gives reminder `id` to `worker` until `lease_until`; a new claim
  // (`fresh`) also sets state dialling and claimed_at = now. Returns it with
  // its appointment and customer.
  // REQUIRES: mutex_ is held, inside a transaction.
  Result<ReminderClaim> claim_reminder(ReminderId id, std::string_view worker, TimePoint now,
                                       TimePoint lease_until, bool fresh) {
    auto q = query(fresh ? "UPDATE reminders SET state = 'dialling', claimed_by = ?, claimed_at = ?, "
                           "lease_until = ?, updated_at = ? WHERE id = ?"
                         : "UPDATE reminders SET claimed_by = ?, claimed_at = COALESCE(claimed_at, ?), "
                           "lease_until = ?, updated_at = ? WHERE id = ?");
    if (!q) return std::move(q).error();
    q->bind(worker).bind(now).bind(lease_until).bind(now).bind(id);
    if (auto s = q->run("claim reminder"); !s) return std::move(s).error();
    ReminderClaim claim;
    auto r = load_reminder(id);
    if (!r) return std::move(r).error();
    claim.reminder = std::move(*r);
    auto a = query(select_from(kAppointmentColumns, "appointments", "WHERE id = ?"));
    if (!a) return std::move(a).error();
    a->bind(claim.reminder.appointment_id);
    auto appointment = single<Appointment>(*a, read_appointment, "read the claimed appointment",
                                           appointment_missing(claim.reminder.appointment_id));
    if (!appointment) return std::move(appointment).error();
    claim.appointment = std::move(*appointment);
    auto c = query(select_from(kCustomerColumns, "customers", "WHERE id = ?"));
    if (!c) return std::move(c).error();
    c->bind(claim.appointment.customer_id);
    auto customer = single<Customer>(*c, read_customer, "read the claimed customer",
                                     customer_missing(claim.appointment.customer_id));
    if (!customer) return std::move(customer).error();
    claim.customer = std::move(*customer);
    return claim;
  }

  Result<std::optional<StoredCallStatus>> load_call_status(std::string_view call_sid) {
    static const std::string sql =
        select_from(kCallStatusColumns, "call_logs", "WHERE call_sid = ?");
    auto q = query(sql);
    if (!q) return std::move(q).error();
    q->bind(call_sid);
    auto row = q->step("load call status");
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<StoredCallStatus>{};
    auto stored = read_call_status(*q);
    if (!stored) return std::move(stored).error();
    return std::optional<StoredCallStatus>{std::move(*stored)};
  }

  // REQUIRES: mutex_ is held.
  Result<CallLogId> insert_call_status(const CallLog& c, std::optional<int> sequence) {
    auto q = query(kInsertCallStatusSql);
    if (!q) return std::move(q).error();
    q->bind(c.call_sid)
        .bind(to_string(c.direction))
        .bind(to_string(c.status))
        .bind(sequence)
        .bind(c.from)
        .bind(c.to)
        .bind(c.started_at)
        .bind(c.ended_at)
        .bind(c.duration_seconds)
        .bind(c.answered_by)
        .bind(c.error_code)
        .bind(c.error_message)
        .bind(c.created_at)
        .bind(c.updated_at);
    if (auto s = q->run("record call status"); !s) return std::move(s).error();
    return CallLogId{sqlite3_last_insert_rowid(db_)};
  }

  // REQUIRES: mutex_ is held.
  Status update_call_status(const CallLog& c, std::optional<int> sequence) {
    auto q = query(kUpdateCallStatusSql);
    if (!q) return std::move(q).error();
    q->bind(to_string(c.status))
        .bind(sequence)
        .bind(c.started_at)
        .bind(c.ended_at)
        .bind(c.duration_seconds)
        .bind(c.answered_by)
        .bind(c.error_code)
        .bind(c.error_message)
        .bind(c.updated_at)
        .bind(c.id);
    return q->run("update call status");
  }

  // REQUIRES: mutex_ is held.
  Result<std::optional<StoredFire>> load_fire(std::string_view job, TimePoint fire_time) {
    auto q =
        query("SELECT worker, state, lease_until FROM job_fires WHERE job = ? AND fire_time = ?");
    if (!q) return std::move(q).error();
    q->bind(job).bind(fire_time);
    auto row = q->step("load fire");
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<StoredFire>{};
    return std::optional<StoredFire>(StoredFire{q->text(0), q->text(1), q->time(2)});
  }

  // The kConflict for a renew or finish that changed nothing.
  // REQUIRES: mutex_ is held.
  Error explain_fire_conflict(std::string_view job, TimePoint fire_time, std::string_view worker) {
    auto stored = load_fire(job, fire_time);
    if (!stored) return std::move(stored).error();
    return fire_conflict(job, fire_time, worker, *stored);
  }

  std::mutex mutex_;
  sqlite3* const db_;       // GUARDED_BY(mutex_): the connection is used by one thread at a time
  const std::string path_;  // for messages
  // GUARDED_BY(mutex_): prepared statements by SQL text.
  std::unordered_map<std::string, CachedStatement, StringHash, std::equal_to<>> statements_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  try {
    sqlite3* raw = nullptr;
    // NOMUTEX: SqliteStore serialises all use of the connection itself.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    auto store = std::make_unique<SqliteStore>(raw, path);  // owns `raw` even when open failed
    if (rc != SQLITE_OK) {
      return Error::unavailable("cannot open SQLite database '" + path +
                                "': " + sqlite3_errstr(rc));
    }
    if (auto s = store->open(); !s) return std::move(s).error();
    return std::unique_ptr<Store>(std::move(store));
  } catch (const std::exception& e) {
    return Error::internal(std::string("opening SQLite database: ") + e.what());
  }
}

void limit_sqlite_memory(std::int64_t bytes) { sqlite3_soft_heap_limit64(bytes); }

}  // namespace autovoice
