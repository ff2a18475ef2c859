#include <algorithm>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace autovoice {

// Both dialects carry the same versions (a test checks it), so either list
// gives the latest.
int latest_schema_version() {
  const auto sqlite = sqlite_migrations();
  return sqlite.empty() ? 0 : sqlite.back().version;
}

std::string_view to_string(FireOutcome outcome) {
  switch (outcome) {
    case FireOutcome::kSucceeded: return "succeeded";
    case FireOutcome::kFailed: return "failed";
    case FireOutcome::kSkipped: return "skipped";
  }
  return "failed";
}

Result<std::unique_ptr<Store>> open_store(const std::string& database_url) {
  constexpr std::string_view kSqliteMemory = "sqlite::memory:";
  constexpr std::string_view kSqlite = "sqlite://";
  if (database_url == kSqliteMemory) return open_sqlite_store(":memory:");
  if (database_url.starts_with(kSqlite)) {
    // sqlite:///abs/path.db -> /abs/path.db ; sqlite://rel.db -> rel.db
    const std::string path = database_url.substr(kSqlite.size());
    if (path.empty() || path == "/") {
      return Error::invalid("DATABASE_URL", "DATABASE_URL '" + database_url +
                                                "' names no file; expected sqlite:///path/app.db");
    }
    return open_sqlite_store(path);
  }
  if (database_url.starts_with("postgresql://") || database_url.starts_with("postgres://")) {
    return open_postgres_store(database_url);
  }
  return Error::invalid("DATABASE_URL",
                        "DATABASE_URL has an unknown scheme; expected sqlite:///path/app.db or "
                        "postgresql://user@host:port/db");
}

Result<int> require_current_schema(Store& store) {
  auto version = store.schema_version();
  if (!version) return std::move(version).error();
  if (*version < latest_schema_version()) {
    return Error::precondition("database schema is at version " + std::to_string(*version) +
                               ", this autovoice needs " + std::to_string(latest_schema_version()) +
                               ": run `autovoice migrate`");
  }
  return *version;
}

}  // namespace autovoice
