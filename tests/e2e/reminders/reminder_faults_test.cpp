// The reminder job against a carrier on a bad day: 500s, 429s and requests
// carried out whose answer never comes in time, plus numbers not in service.
// Every valid number is called exactly once; a number the carrier refuses
// (21211) fails as invalid_number and is not asked again.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include "reminder_e2e.h"

namespace autovoice::testing {
namespace {

namespace json = boost::json;

constexpr int kValid = 300;
constexpr int kInvalid = 5;

TEST(ReminderFaultsTest, ErrorsAndHangsCallEachNumberOnceAndRefusedNumbersFailOnce) {
  const auto began = std::chrono::steady_clock::now();
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("AUTOVOICE_TEST_SEED"); s && *s) seed = std::strtoull(s, nullptr, 10);
  std::printf("reminder faults test: AUTOVOICE_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));

  // The seeded customers kValid .. kValid+kInvalid-1 have numbers not in service.
  json::object numbers;
  std::set<std::string> invalid;
  for (int i = kValid; i < kValid + kInvalid; ++i) {
    numbers[seeded_number(i)] = json::object{{"answer", "invalid"}};
    invalid.insert(seeded_number(i));
  }
  const std::string callees =
      json::serialize(json::object{{"default", json::object{{"answer", "busy"}}}, {"numbers", numbers}});
  // Hung answers are held 2.5 s, past the client's 1 s timeout.
  SandboxProcess sandbox({"--speed", "50", "--seed", std::to_string(seed), "--error-500-rate", "0.1",
                          "--error-429-rate", "0.05", "--hang-rate", "0.05", "--hang-ms", "2500"},
                         callees);
  Shop shop;
  shop.use_carrier(sandbox, "http://127.0.0.1:" + std::to_string(closed_loopback_port()));
  shop.env["CALLS_PER_SECOND"] = "0";
  shop.env["DIAL_CONCURRENCY"] = "16";
  shop.env["CARRIER_TIMEOUT_SECONDS"] = "1";
  ASSERT_EQ(shop.run({"migrate"}).status, 0);
  const CommandRun seeded = shop.run({"seed", "--reminders", std::to_string(kValid + kInvalid)});
  ASSERT_EQ(seeded.status, 0) << seeded.err;

  // A sweep waits for the reminders its carrier errors put back; another one
  // runs only if it left some unfinished (dialling, or pending for anything
  // but a retry the policy schedules minutes later).
  int sweeps = 0;
  while (sweeps < 3) {
    ++sweeps;
    const auto t = std::chrono::steady_clock::now();
    const CommandRun r = shop.run({"remind", "--once", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::printf("  sweep %d: %lld ms, %s", sweeps,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - t)
                                           .count()),
                r.out.c_str());
    int unfinished = 0;
    for (const auto& rem : all_reminders(shop)) {
      const std::string state = text_of(rem, "state");
      if (state == "dialling" || (state == "pending" && !text_of(rem, "reason").starts_with("retry_after"))) {
        ++unfinished;
      }
    }
    if (unfinished == 0) break;
  }

  const std::map<std::string, int> per_number = calls_per_number(sandbox);
  const OnceEach once = check_called_once_each(per_number, kValid);
  const int twice = once.twice, missed = once.missed;
  for (const auto& number : invalid) EXPECT_EQ(per_number.count(number), 0u) << number;

  // The database: valid numbers called once; refused ones failed as invalid_number.
  const std::map<int64_t, std::string> phones = customer_numbers(shop);
  int failed_invalid = 0;
  for (const auto& r : all_reminders(shop)) {
    const std::string phone = phones.at(number_of(r, "customer_id"));
    if (invalid.count(phone)) {
      EXPECT_EQ(text_of(r, "state"), "failed") << r;
      EXPECT_EQ(text_of(r, "reason"), "invalid_number") << r;
      failed_invalid += text_of(r, "reason") == "invalid_number" ? 1 : 0;
    } else {
      // Called once; a busy call found by settling a claim has its final
      // status already, and a later sweep schedules its retry (minutes away).
      const std::string state = text_of(r, "state");
      EXPECT_TRUE(state == "calling" || state == "done" ||
                  (state == "pending" && text_of(r, "reason").starts_with("retry_after")))
          << r;
      EXPECT_EQ(number_of(r, "attempts"), 1) << r;
    }
  }
  EXPECT_EQ(failed_invalid, kInvalid);

  // Each refused number was refused once in time. A refusal whose answer the
  // sandbox held back (a hang) never reached the job, which then asked the
  // carrier whether the call existed (it did not) and tried again: as with
  // Twilio, such a number is refused once more.
  int rejected_in_time = 0, rejected_hung = 0;
  {
    std::ifstream in(sandbox.record_path());
    std::string line;
    while (std::getline(in, line)) {
      const json::value e = json::parse(line);
      if (text_of(e, "event") != "api" || text_of(e, "method") != "POST" ||
          !text_of(e, "target").ends_with("/Calls.json") || number_of(e, "status") != 400) {
        continue;
      }
      if (text_of(e, "fault") == "hang") {
        ++rejected_hung;
      } else {
        ++rejected_in_time;
      }
    }
  }
  const json::object stats = sandbox_stats(sandbox);
  EXPECT_EQ(rejected_in_time, kInvalid);
  EXPECT_EQ(number_of(stats, "calls_rejected"), kInvalid + rejected_hung) << json::serialize(stats);
  std::printf("reminder faults test: seed %llu, %d sweep(s); %zu numbers called, twice %d, missed %d; "
              "refused numbers: %d failed invalid_number, rejections %lld (%d in time, %d held by a hang); "
              "stats %s; %lld ms in all\n",
              static_cast<unsigned long long>(seed), sweeps, per_number.size(), twice, missed, failed_invalid,
              static_cast<long long>(number_of(stats, "calls_rejected")), rejected_in_time, rejected_hung,
              json::serialize(stats).c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - began)
                                         .count()));
}

}  // namespace
}  // namespace autovoice::testing
