// TestDatabase: a fresh, empty database for one test, on either backend.
// SQLite: a file in a new temporary directory. PostgreSQL: a new database on
// the server that scripts/start-postgres started for the test run (its admin
// URL comes from AUTOVOICE_TEST_POSTGRES_URL, or from the file named by
// AUTOVOICE_TEST_POSTGRES_URL_FILE). Dropped when the object dies.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace autovoice::testing {

enum class Backend { kSqlite, kPostgres };
const char* backend_name(Backend b);

// The admin URL of the test PostgreSQL server, if one was started.
std::optional<std::string> postgres_admin_url();

class TestDatabase {
 public:
  // Returns nullptr (and sets *why) when the backend is not available here.
  static std::unique_ptr<TestDatabase> create(Backend backend, std::string* why);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  Backend backend() const { return backend_; }

 private:
  TestDatabase(Backend backend, std::string url) : backend_(backend), url_(std::move(url)) {}
  Backend backend_;
  std::string url_;
  std::filesystem::path dir_;      // SQLite
  std::string admin_url_;          // PostgreSQL
  std::string database_name_;      // PostgreSQL
};

// A new empty temporary directory, removed by the caller.
std::filesystem::path make_temp_dir(const std::string& prefix);

}  // namespace autovoice::testing
