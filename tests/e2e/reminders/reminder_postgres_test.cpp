// Three `autovoice remind --once` processes at once on one PostgreSQL
// database: their claims keep them from ever dialling one reminder twice.
//
// The PostgreSQL server is the test run's (AUTOVOICE_TEST_POSTGRES_URL or
// AUTOVOICE_TEST_POSTGRES_URL_FILE, as the integration tests use) or, when
// there is none, one this test starts in a temporary folder with
// scripts/start-postgres and stops at its end.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "reminder_e2e.h"
#include "support/test_database.h"

namespace autovoice::testing {
namespace {

namespace json = boost::json;

constexpr int kCustomers = 1000;
constexpr int kWorkers = 3;

// scripts/start-postgres of this source tree.
std::string start_postgres_script() {
  return (std::filesystem::path(__FILE__).parent_path() / "../../../scripts/start-postgres").lexically_normal();
}

// A PostgreSQL server of the test's own, when the run provides none.
class OwnPostgres {
 public:
  OwnPostgres() {
    if (postgres_admin_url()) return;
    dir_ = make_temp_dir("autovoice-e2e-pg").string();
    const std::string log = dir_ + ".log";
    const int pid = start_child({"/bin/bash", start_postgres_script(), "start", dir_}, {}, "/dev/null", log);
    if (wait_child(pid) != 0) {
      why_ = "scripts/start-postgres failed: " + read_text_file(log);
      return;
    }
    std::filesystem::remove(log);
    ::setenv("AUTOVOICE_TEST_POSTGRES_URL_FILE", (dir_ + "/url").c_str(), 1);
  }
  ~OwnPostgres() {
    if (dir_.empty()) return;
    ::unsetenv("AUTOVOICE_TEST_POSTGRES_URL_FILE");
    wait_child(start_child({"/bin/bash", start_postgres_script(), "stop", dir_}, {}, "/dev/null", "/dev/null"));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& why() const { return why_; }

 private:
  std::string dir_;
  std::string why_;
};

TEST(ReminderPostgresTest, ThreeWorkersAtOnceCallEachNumberOnce) {
  const auto began = std::chrono::steady_clock::now();
  OwnPostgres postgres;
  ASSERT_TRUE(postgres.why().empty()) << postgres.why();
  std::string why;
  auto database = TestDatabase::create(Backend::kPostgres, &why);
  ASSERT_TRUE(database) << why;

  SandboxProcess sandbox({"--speed", "50"}, R"({"default": {"answer": "busy"}})");
  Shop shop(database->url());
  shop.use_carrier(sandbox, "http://127.0.0.1:" + std::to_string(closed_loopback_port()));
  shop.env["CALLS_PER_SECOND"] = "0";
  shop.env["DIAL_CONCURRENCY"] = "16";
  shop.env["CARRIER_TIMEOUT_SECONDS"] = "2";
  const CommandRun migrated = shop.run({"migrate"});
  ASSERT_EQ(migrated.status, 0) << migrated.err;
  const CommandRun seeded = shop.run({"seed", "--reminders", std::to_string(kCustomers), "--date", "tomorrow"});
  ASSERT_EQ(seeded.status, 0) << seeded.err;

  const auto sweeps_began = std::chrono::steady_clock::now();
  std::vector<int> pids;
  for (int i = 0; i < kWorkers; ++i) pids.push_back(shop.start({"remind", "--once", "--json"}, "worker" + std::to_string(i)));
  int64_t called = 0;
  for (int i = 0; i < kWorkers; ++i) {
    const CommandRun r = shop.finish(pids[static_cast<std::size_t>(i)], "worker" + std::to_string(i));
    EXPECT_EQ(r.status, 0) << r.err;
    const json::value summary = r.json();
    ASSERT_TRUE(summary.is_object()) << r.out << r.err;
    called += number_of(summary, "called");
    std::printf("  worker %d: called %lld, %s\n", i, static_cast<long long>(number_of(summary, "called")),
                r.out.c_str());
  }
  const auto sweeps_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sweeps_began).count();
  EXPECT_EQ(called, kCustomers);

  const std::map<std::string, int> per_number = calls_per_number(sandbox);
  const OnceEach once = check_called_once_each(per_number, kCustomers);
  const int twice = once.twice, missed = once.missed;
  EXPECT_EQ(per_number.size(), static_cast<std::size_t>(kCustomers));
  const json::array reminders = all_reminders(shop);
  EXPECT_EQ(reminders.size(), static_cast<std::size_t>(kCustomers));
  int not_once = 0;
  for (const auto& r : reminders) {
    if (number_of(r, "attempts") != 1) {
      ++not_once;
      ADD_FAILURE() << r;
    }
  }
  std::printf("reminder postgres test: %d workers, %lld calls accepted, %zu numbers called, twice %d, missed %d, "
              "attempts != 1: %d; sweeps %lld ms, whole test %lld ms\n",
              kWorkers, static_cast<long long>(called), per_number.size(), twice, missed, not_once,
              static_cast<long long>(sweeps_ms),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - began)
                                         .count()));
}

}  // namespace
}  // namespace autovoice::testing
