// A sweep killed with SIGKILL at random moments, again and again, then let
// finish: every customer is called exactly once. The claims a killed process
// leaves are settled by asking the carrier for the calls it already placed
// (found: recorded; not found: dialled again), never by dialling blindly.
//
// The sandbox's own record is the judge: one call per number, none twice,
// none missed. AUTOVOICE_TEST_SEED fixes the kill times (the seed is printed).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "reminder_e2e.h"

namespace autovoice::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kCustomers = 1000;
constexpr int kKills = 20;

uint64_t test_seed() {
  if (const char* s = std::getenv("AUTOVOICE_TEST_SEED"); s && *s) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}

TEST(ReminderCrashTest, KilledSweepsNeverCallANumberTwiceNorMissOne) {
  const auto began = std::chrono::steady_clock::now();
  const uint64_t seed = test_seed();
  std::printf("reminder crash test: AUTOVOICE_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> kill_after_ms(50, 400);

  // Every callee is busy; no server listens where the calls point, so status
  // callbacks and TwiML fetches fail and the reminders stay `calling`.
  SandboxProcess sandbox({"--speed", "50"}, R"({"default": {"answer": "busy"}})");
  Shop shop;
  shop.use_carrier(sandbox, "http://127.0.0.1:" + std::to_string(closed_loopback_port()));
  // Paced so that dialling spans most of the kills (unpaced, the first few
  // runs would place every call and the later kills would only hit the wait
  // for stale claims).
  shop.env["CALLS_PER_SECOND"] = "150";
  shop.env["DIAL_CONCURRENCY"] = "16";
  shop.env["CARRIER_TIMEOUT_SECONDS"] = "1";
  ASSERT_EQ(shop.run({"migrate"}).status, 0);
  const CommandRun seeded = shop.run({"seed", "--reminders", std::to_string(kCustomers), "--date", "tomorrow"});
  ASSERT_EQ(seeded.status, 0) << seeded.err;

  int finished_before_kill = 0;
  for (int i = 0; i < kKills; ++i) {
    const int delay = kill_after_ms(rng);
    const std::string tag = "kill" + std::to_string(i);
    const int pid = shop.start({"remind", "--once", "--json"}, tag);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    ::kill(pid, SIGKILL);
    const CommandRun r = shop.finish(pid, tag);
    if (r.status != 128 + SIGKILL) {
      ++finished_before_kill;
      EXPECT_EQ(r.status, 0) << "run " << i << ": " << r.err;
    }
    std::printf("  run %2d: killed after %3d ms (exit %d); the sandbox has %lld calls\n", i, delay, r.status,
                static_cast<long long>(number_of(sandbox_stats(sandbox), "calls_created")));
  }

  const auto final_began = std::chrono::steady_clock::now();
  const CommandRun last = shop.run({"remind", "--once", "--json"});
  ASSERT_EQ(last.status, 0) << last.err;
  std::printf("  final run: %lld ms, summary %s\n", ms_since(final_began), last.out.c_str());

  // The carrier's record: each number exactly once.
  const std::map<std::string, int> per_number = calls_per_number(sandbox);
  const OnceEach once = check_called_once_each(per_number, kCustomers);
  const int twice = once.twice, missed = once.missed;
  int strangers = 0;
  for (const auto& [number, n] : per_number) {
    if (number < seeded_number(0) || number > seeded_number(kCustomers - 1)) ++strangers;
  }
  EXPECT_EQ(strangers, 0);
  int64_t calls = 0;
  for (const auto& [number, n] : per_number) calls += n;

  // The database: every reminder attempted once, its call placed.
  const json::array reminders = all_reminders(shop);
  EXPECT_EQ(reminders.size(), static_cast<std::size_t>(kCustomers));
  std::map<std::string, int> states;
  int not_once = 0;
  for (const auto& r : reminders) {
    const std::string state = text_of(r, "state");
    ++states[state];
    EXPECT_TRUE(state == "calling" || state == "done") << r;
    if (number_of(r, "attempts") != 1) {
      ++not_once;
      ADD_FAILURE() << "attempts " << number_of(r, "attempts") << ": " << r;
    }
  }
  std::string state_text;
  for (const auto& [state, n] : states) state_text += " " + state + "=" + std::to_string(n);
  std::printf("reminder crash test: seed %llu, %d kills (%d runs ended before their kill); sandbox calls %lld for "
              "%d numbers: called twice %d, missed %d; reminders%s, attempts != 1: %d; %lld ms in all\n",
              static_cast<unsigned long long>(seed), kKills, finished_before_kill, static_cast<long long>(calls),
              kCustomers, twice, missed, state_text.c_str(), not_once, ms_since(began));
}

}  // namespace
}  // namespace autovoice::testing
