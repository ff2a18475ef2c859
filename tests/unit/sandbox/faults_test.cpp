#include "sandbox/faults.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace autovoice::sandbox {
namespace {

using namespace std::chrono_literals;

TEST(FaultsTest, MergesJsonOntoTheFaultsInForce) {
  Faults base;
  base.latency = 100ms;
  auto merged = merge_faults_json(base, R"({"error_500_rate": 0.1, "hang_ms": 500, "calls_per_second": 2.5})");
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged->latency, 100ms) << "members left out keep their value";
  EXPECT_DOUBLE_EQ(merged->error_500_rate, 0.1);
  EXPECT_EQ(merged->hang, 500ms);
  EXPECT_DOUBLE_EQ(merged->calls_per_second, 2.5);
}

TEST(FaultsTest, RoundTripsThroughJson) {
  Faults f;
  f.latency = 20ms;
  f.error_429_rate = 0.05;
  f.drop_rate = 0.05;
  f.reorder_rate = 0.5;
  f.webhook_timeout = 3000ms;
  auto back = merge_faults_json(Faults{}, boost::json::serialize(faults_json(f)));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, f);
}

TEST(FaultsTest, RejectsBadMembersNamingThem) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"error_500_rate": 1.5})", "error_500_rate"},
      {R"({"drop_rate": -0.1})", "drop_rate"},
      {R"({"latency_ms": 1.5})", "latency_ms"},
      {R"({"latency_ms": -1})", "latency_ms"},
      {R"({"webhook_timeout_ms": 0})", "webhook_timeout_ms"},
      {R"({"calls_per_second": 20000})", "calls_per_second"},
      {R"({"hang_rate": "lots"})", "hang_rate"},
      {R"({"latencyms": 5})", "latencyms"},
      {R"({"error_500_rate": 0.6, "error_429_rate": 0.6})", "error_500_rate"},
      {R"([1, 2])", "body"},
      {R"({"": 0.1})", "body"},
      {R"({"x": )", "body"},
  };
  for (const auto& c : cases) {
    auto r = merge_faults_json(Faults{}, c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_EQ(r.error().field, c.field) << c.json << ": " << r.error().message;
  }
}

TEST(FaultsTest, DiceFollowTheRates) {
  FaultDice dice(7);
  Faults f;
  f.error_500_rate = 0.1;
  f.error_429_rate = 0.05;
  f.drop_rate = 0.05;
  f.hang_rate = 0.1;
  int counts[5] = {};
  constexpr int kRolls = 100'000;
  for (int i = 0; i < kRolls; ++i) ++counts[static_cast<int>(dice.roll_api(f))];
  EXPECT_NEAR(counts[static_cast<int>(ApiFault::kNone)] / double(kRolls), 0.70, 0.01);
  EXPECT_NEAR(counts[static_cast<int>(ApiFault::kError500)] / double(kRolls), 0.10, 0.01);
  EXPECT_NEAR(counts[static_cast<int>(ApiFault::kError429)] / double(kRolls), 0.05, 0.01);
  EXPECT_NEAR(counts[static_cast<int>(ApiFault::kDrop)] / double(kRolls), 0.05, 0.01);
  EXPECT_NEAR(counts[static_cast<int>(ApiFault::kHang)] / double(kRolls), 0.10, 0.01);
  EXPECT_EQ(FaultDice(1).roll_api(Faults{}), ApiFault::kNone);
}

TEST(FaultsTest, DiceAreDeterministicForASeed) {
  Faults f;
  f.error_500_rate = 0.5;
  FaultDice a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.roll_api(f), b.roll_api(f));
}

TEST(DialQueueTest, SpacesCallsAtTheLimit) {
  using D = DialQueue::Duration;
  DialQueue q;
  const D t0 = std::chrono::seconds(100);
  EXPECT_EQ(q.reserve(t0, 4), t0);
  EXPECT_EQ(q.reserve(t0, 4), t0 + 250ms);
  EXPECT_EQ(q.reserve(t0 + 10ms, 4), t0 + 500ms);
  EXPECT_EQ(q.waiting(t0 + 10ms, 4), 2);
  // After a quiet spell a call goes at once.
  EXPECT_EQ(q.reserve(t0 + 5s, 4), t0 + 5s);
  EXPECT_EQ(q.waiting(t0 + 5s, 4), 0);
}

TEST(DialQueueTest, NoLimitMeansNoWait) {
  DialQueue q;
  const DialQueue::Duration t0 = std::chrono::seconds(1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(q.reserve(t0, 0), t0);
  EXPECT_EQ(q.waiting(t0, 0), 0);
}

}  // namespace
}  // namespace autovoice::sandbox
