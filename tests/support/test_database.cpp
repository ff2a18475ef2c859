#include "support/test_database.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#include <pqxx/pqxx>

namespace autovoice::testing {

const char* backend_name(Backend b) { return b == Backend::kSqlite ? "sqlite" : "postgres"; }

std::optional<std::string> postgres_admin_url() {
  if (const char* url = std::getenv("AUTOVOICE_TEST_POSTGRES_URL"); url != nullptr && *url != '\0') {
    return std::string(url);
  }
  if (const char* file = std::getenv("AUTOVOICE_TEST_POSTGRES_URL_FILE"); file != nullptr && *file != '\0') {
    std::ifstream in(file);
    std::string url;
    if (in && std::getline(in, url) && !url.empty()) return url;
  }
  return std::nullopt;
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto dir = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(dir)) return dir;
  }
  throw std::runtime_error("cannot create a temporary directory");
}

namespace {
// Replaces the database name (the URI path) of a libpq URI.
std::string with_database(const std::string& url, const std::string& name) {
  const auto scheme_end = url.find("://");
  const auto path = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const auto query = url.find('?');
  std::string base = path == std::string::npos ? url.substr(0, query) : url.substr(0, path);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + name + tail;
}
}  // namespace

std::unique_ptr<TestDatabase> TestDatabase::create(Backend backend, std::string* why) {
  if (backend == Backend::kSqlite) {
    auto dir = make_temp_dir("autovoice-test");
    std::unique_ptr<TestDatabase> db(new TestDatabase(backend, "sqlite://" + (dir / "test.db").string()));
    db->dir_ = dir;
    return db;
  }
  auto admin = postgres_admin_url();
  if (!admin) {
    if (why != nullptr) {
      *why = "no test PostgreSQL server (set AUTOVOICE_TEST_POSTGRES_URL or run via ctest/scripts/test)";
    }
    return nullptr;
  }
  static std::atomic<int> counter{0};
  std::random_device rd;
  const std::string name = "autovoice_test_" + std::to_string(rd() % 1000000) + "_" +
                           std::to_string(counter.fetch_add(1));
  pqxx::connection conn(*admin);
  pqxx::nontransaction tx(conn);
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
  std::unique_ptr<TestDatabase> db(new TestDatabase(backend, with_database(*admin, name)));
  db->admin_url_ = *admin;
  db->database_name_ = name;
  return db;
}

TestDatabase::~TestDatabase() {
  try {
    if (backend_ == Backend::kSqlite) {
      std::filesystem::remove_all(dir_);
    } else {
      pqxx::connection conn(admin_url_);
      pqxx::nontransaction tx(conn);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(database_name_) + " WITH (FORCE)");
    }
  } catch (const std::exception&) {
    // Best effort: the test server's directory is removed at the end of the run.
  }
}

}  // namespace autovoice::testing
