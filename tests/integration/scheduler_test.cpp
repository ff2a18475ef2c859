// The scheduler against a real database and a fake clock: every behaviour is
// driven by tick() at chosen instants, so it is deterministic and fast.
#include "cron/scheduler.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <thread>

#include "store/store_wrapper.h"
#include "support/test_database.h"

namespace autovoice {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::Backend;
using testing::TestDatabase;
using Kind = FireEvent::Kind;

const TimeZone* new_york() { return *find_time_zone("America/New_York"); }

// A New York local time as an instant.
std::chrono::system_clock::time_point ny(const char* local) {
  return *parse_datetime(local, new_york());
}
TimePoint ny_seconds(const char* local) { return *parse_datetime(local, new_york()); }

class SchedulerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string why;
    db_ = TestDatabase::create(GetParam(), &why);
    if (!db_) {
      if (GetParam() == Backend::kPostgres && std::getenv("AUTOVOICE_TEST_POSTGRES_URL_FILE") == nullptr) {
        GTEST_SKIP() << why;
      }
      FAIL() << why;
    }
    store_ = open();
    ASSERT_TRUE(store_->migrate().ok());
  }

  std::unique_ptr<Store> open() {
    auto s = open_store(db_->url());
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  // A scheduler with one job, "reminders", that records its fire times.
  std::unique_ptr<Scheduler> make(Store& store, const char* expression, std::string worker = "w1",
                                  std::function<Status(TimePoint)> body = {}) {
    SchedulerOptions options;
    options.worker_id = std::move(worker);
    options.misfire_grace = hours{1};
    options.lease = seconds{60};
    auto scheduler = std::make_unique<Scheduler>(store, clock_, options);
    Job job{"reminders", *CronExpression::parse(expression), new_york(),
            [this, body](TimePoint fire, std::stop_token) -> Status {
              std::lock_guard lock(mutex_);
              runs_.push_back(fire);
              return body ? body(fire) : ok_status();
            }};
    scheduler->add_job(std::move(job));
    return scheduler;
  }

  std::vector<TimePoint> runs() {
    std::lock_guard lock(mutex_);
    return runs_;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
  FakeClock clock_{ny("2026-11-24 08:59:00")};
  std::mutex mutex_;
  std::vector<TimePoint> runs_;
};

TEST_P(SchedulerTest, RunsAJobOnceAtItsFireTime) {
  auto scheduler = make(*store_, "0 9 * * *");
  EXPECT_TRUE(scheduler->tick().empty());
  EXPECT_EQ(scheduler->next_due(), ny_seconds("2026-11-24 09:00"));
  clock_.advance(seconds{59});
  EXPECT_TRUE(scheduler->tick().empty());
  clock_.advance(seconds{1});
  const auto events = scheduler->tick();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Kind::kRan);
  EXPECT_TRUE(events[0].status.ok());
  EXPECT_EQ(events[0].fire_time, ny_seconds("2026-11-24 09:00"));
  EXPECT_TRUE(scheduler->tick().empty());
  EXPECT_EQ(runs(), std::vector<TimePoint>{ny_seconds("2026-11-24 09:00")});
  EXPECT_EQ(*store_->last_finished_fire("reminders"), ny_seconds("2026-11-24 09:00"));
  EXPECT_EQ(scheduler->next_due(), ny_seconds("2026-11-25 09:00"));
}

TEST_P(SchedulerTest, ANewJobDoesNotRunFiresFromBeforeItsFirstStart) {
  clock_.set(ny("2026-11-24 09:30"));
  auto scheduler = make(*store_, "0 9 * * *");
  EXPECT_TRUE(scheduler->tick().empty());
  EXPECT_EQ(scheduler->next_due(), ny_seconds("2026-11-25 09:00"));
}

TEST_P(SchedulerTest, MissedFiresWithinTheGraceRunOnceAfterARestart) {
  clock_.set(ny("2026-11-24 09:00"));
  make(*store_, "0 9 * * *")->tick();
  // Down from Tuesday's run until 09:20 on Thursday: two fires missed.
  clock_.set(ny("2026-11-26 09:20"));
  auto restarted = make(*store_, "0 9 * * *");
  const auto events = restarted->tick();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Kind::kRan);
  EXPECT_EQ(events[0].fire_time, ny_seconds("2026-11-26 09:00"));
  EXPECT_TRUE(restarted->tick().empty());
  EXPECT_EQ(runs(), (std::vector<TimePoint>{ny_seconds("2026-11-24 09:00"), ny_seconds("2026-11-26 09:00")}));
}

TEST_P(SchedulerTest, AFireMissedBeyondTheGraceIsSkippedAndRecorded) {
  clock_.set(ny("2026-11-24 09:00"));
  make(*store_, "0 9 * * *")->tick();
  clock_.set(ny("2026-11-25 10:30"));  // 90 minutes late, grace 60
  auto restarted = make(*store_, "0 9 * * *");
  const auto events = restarted->tick();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Kind::kSkippedMisfire);
  EXPECT_EQ(events[0].fire_time, ny_seconds("2026-11-25 09:00"));
  EXPECT_EQ(runs().size(), 1U);
  EXPECT_EQ(*store_->last_finished_fire("reminders"), ny_seconds("2026-11-25 09:00"));
  EXPECT_EQ(restarted->next_due(), ny_seconds("2026-11-26 09:00"));
  clock_.set(ny("2026-11-26 09:00"));
  EXPECT_EQ(restarted->tick().at(0).kind, Kind::kRan);
}

TEST_P(SchedulerTest, AWallClockJumpForwardRunsOnlyTheLatestDueFire) {
  auto scheduler = make(*store_, "*/15 * * * *");
  clock_.set(ny("2026-11-24 09:00"));
  ASSERT_EQ(scheduler->tick().size(), 1U);
  clock_.set(ny("2026-11-24 09:50"));  // a suspend: 09:15, 09:30 and 09:45 passed
  const auto events = scheduler->tick();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].fire_time, ny_seconds("2026-11-24 09:45"));
  EXPECT_EQ(runs().size(), 2U);
}

TEST_P(SchedulerTest, AWallClockJumpBackwardNeverRepeatsAFire) {
  auto scheduler = make(*store_, "0 9 * * *");
  clock_.set(ny("2026-11-24 09:00"));
  ASSERT_EQ(scheduler->tick().size(), 1U);
  clock_.set(ny("2026-11-24 08:30"));  // an NTP step back
  EXPECT_TRUE(scheduler->tick().empty());
  clock_.set(ny("2026-11-24 09:00"));
  EXPECT_TRUE(scheduler->tick().empty());
  // Even a new scheduler (a restart after the step) does not run it again.
  EXPECT_TRUE(make(*store_, "0 9 * * *")->tick().empty());
  EXPECT_EQ(runs().size(), 1U);
}

TEST_P(SchedulerTest, AFailedRunIsRecordedAndNotRepeated) {
  auto scheduler = make(*store_, "0 9 * * *", "w1", [](TimePoint) -> Status {
    return Error::unavailable("carrier down");
  });
  clock_.set(ny("2026-11-24 09:00"));
  const auto events = scheduler->tick();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Kind::kRan);
  ASSERT_FALSE(events[0].status.ok());
  EXPECT_EQ(events[0].status.error().message, "carrier down");
  clock_.advance(minutes{5});
  EXPECT_TRUE(scheduler->tick().empty());
  EXPECT_EQ(*store_->last_finished_fire("reminders"), ny_seconds("2026-11-24 09:00"));
}

TEST_P(SchedulerTest, AFireIsRunByExactlyOneOfSeveralWorkers) {
  auto second_store = open();
  auto third_store = open();
  auto a = make(*store_, "0 9 * * *", "a");
  auto b = make(*second_store, "0 9 * * *", "b");
  auto c = make(*third_store, "0 9 * * *", "c");
  clock_.set(ny("2026-11-24 09:00"));
  std::vector<FireEvent> events[3];
  std::thread ta([&] { events[0] = a->tick(); });
  std::thread tb([&] { events[1] = b->tick(); });
  std::thread tc([&] { events[2] = c->tick(); });
  ta.join();
  tb.join();
  tc.join();
  int ran = 0;
  for (const auto& list : events) {
    for (const auto& e : list) {
      ASSERT_TRUE(e.status.ok()) << e.status.error().message;
      if (e.kind == Kind::kRan) ++ran;
    }
  }
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(runs().size(), 1U);
}

TEST_P(SchedulerTest, AClaimHeldByADeadWorkerIsTakenOverWhenItsLeaseEnds) {
  // Yesterday's fire ran; today a worker claimed the fire and died without finishing it.
  clock_.set(ny("2026-11-23 09:00"));
  make(*store_, "0 9 * * *", "dead")->tick();
  runs_.clear();
  clock_.set(ny("2026-11-24 09:00"));
  auto claim = store_->claim_fire("reminders", ny_seconds("2026-11-24 09:00"), "dead",
                                  clock_.now_seconds(), seconds{60});
  ASSERT_TRUE(claim.ok());
  ASSERT_EQ(claim->state, FireClaim::State::kClaimed);
  auto scheduler = make(*store_, "0 9 * * *", "alive");
  clock_.advance(seconds{10});
  const auto held = scheduler->tick();
  ASSERT_EQ(held.size(), 1U);
  EXPECT_EQ(held[0].kind, Kind::kDoneElsewhere);
  EXPECT_EQ(scheduler->next_due(), ny_seconds("2026-11-24 09:01"));  // when the lease ends
  clock_.set(ny("2026-11-24 09:01:01"));
  const auto taken = scheduler->tick();
  ASSERT_EQ(taken.size(), 1U);
  EXPECT_EQ(taken[0].kind, Kind::kRan);
  EXPECT_EQ(runs(), std::vector<TimePoint>{ny_seconds("2026-11-24 09:00")});
}

// Fails claims while `failing` is set, as an unreachable database would.
class FlakyStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<FireClaim> claim_fire(std::string_view job, TimePoint fire, std::string_view worker, TimePoint now,
                               seconds lease) override {
    if (failing) return Error::unavailable("database is down");
    return StoreWrapper::claim_fire(job, fire, worker, now, lease);
  }
  std::atomic<bool> failing{false};
};

TEST_P(SchedulerTest, AStorageFailureIsRetriedAfterADelay) {
  FlakyStore flaky(*store_);
  auto scheduler = make(flaky, "0 9 * * *");
  flaky.failing = true;
  clock_.set(ny("2026-11-24 09:00"));
  const auto failed = scheduler->tick();
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].kind, Kind::kStorageError);
  EXPECT_EQ(scheduler->next_due(), ny_seconds("2026-11-24 09:00:05"));
  clock_.advance(seconds{2});
  EXPECT_TRUE(scheduler->tick().empty());  // not hammering the database
  flaky.failing = false;
  clock_.advance(seconds{3});
  const auto ran = scheduler->tick();
  ASSERT_EQ(ran.size(), 1U);
  EXPECT_EQ(ran[0].kind, Kind::kRan);
  EXPECT_EQ(ran[0].fire_time, ny_seconds("2026-11-24 09:00"));
}

TEST_P(SchedulerTest, SpringForwardDayRunsTheShiftedFireOnce) {
  clock_.set(ny("2027-03-14 01:00"));
  auto scheduler = make(*store_, "30 2 * * *");
  clock_.set(*parse_datetime("2027-03-14T03:30:00-04:00", nullptr));
  const auto events = scheduler->tick();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(format_in_zone(events[0].fire_time, new_york()), "2027-03-14T03:30:00-04:00");
  clock_.advance(hours{2});
  EXPECT_TRUE(scheduler->tick().empty());
}

TEST_P(SchedulerTest, RunWakesForAFireAfterTheWallClockJumps) {
  auto scheduler = std::make_unique<Scheduler>(
      *store_, clock_, SchedulerOptions{"w1", hours{1}, seconds{60}, std::chrono::milliseconds{5}});
  std::atomic<int> ran{0};
  scheduler->add_job(Job{"reminders", *CronExpression::parse("0 9 * * *"), new_york(),
                         [&](TimePoint, std::stop_token) -> Status {
                           ++ran;
                           return ok_status();
                         }});
  std::thread loop([&] { scheduler->run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  EXPECT_EQ(ran.load(), 0);
  clock_.set(ny("2026-11-24 09:00:30"));  // a step forward past the fire time
  for (int i = 0; i < 200 && ran.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{10});
  scheduler->stop();
  loop.join();
  EXPECT_EQ(ran.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& param_info) { return std::string(testing::backend_name(param_info.param)); });

// Signals: a job that is running when SIGTERM arrives is allowed to finish.
class SchedulerSignalTest : public ::testing::Test {};

TEST_F(SchedulerSignalTest, SigtermLetsTheRunningJobFinishWithinTheGrace) {
  std::string why;
  auto db = TestDatabase::create(Backend::kSqlite, &why);
  auto store = std::move(*open_store(db->url()));
  ASSERT_TRUE(store->migrate().ok());
  FakeClock clock{ny("2026-11-24 09:00")};
  clock.set(ny("2026-11-24 08:59:59"));
  Scheduler scheduler(*store, clock, SchedulerOptions{"w1", hours{1}, seconds{60}, std::chrono::milliseconds{5}});
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  scheduler.add_job(Job{"reminders", *CronExpression::parse("0 9 * * *"), new_york(),
                        [&](TimePoint, std::stop_token stop) -> Status {
                          started = true;
                          // Work that notices the stop request and wraps up.
                          while (!stop.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds{5});
                          std::this_thread::sleep_for(std::chrono::milliseconds{100});
                          finished = true;
                          return ok_status();
                        }});
  // Block the signals before any thread starts, so the signal reaches only
  // run_until_signalled's wait, not a thread that would die of it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread sender([&] {
    clock.set(ny("2026-11-24 09:00"));
    for (int i = 0; i < 500 && !started; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{5});
    ::kill(::getpid(), SIGTERM);
  });
  const bool in_time = run_until_signalled(scheduler, seconds{5});
  sender.join();
  EXPECT_TRUE(started.load());
  EXPECT_TRUE(in_time);
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(*store->last_finished_fire("reminders"), ny_seconds("2026-11-24 09:00"));
}

}  // namespace
}  // namespace autovoice
