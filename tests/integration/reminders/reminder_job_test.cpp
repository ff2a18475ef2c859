// The reminder job against a real database (SQLite and PostgreSQL) and the
// sandbox carrier, in process, over real HTTP on loopback through the Twilio
// client. The clock is fake, so calling hours, deferrals and retries are
// exact; the carrier's own clock is real (calls it reports started "now").
// Status callbacks are applied to the store as the server would
// (Store::apply_call_status); the server's handling of them is tested in
// tests/integration/server.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reminders/reminder_job.h"
#include "sandbox/network.h"
#include "sandbox/server.h"
#include "store/store.h"
#include "store/store_wrapper.h"
#include "support/store_fixture.h"
#include "support/test_database.h"
#include "telephony/twilio_client.h"

namespace autovoice::testing {
static void PrintTo(Backend backend, std::ostream* os) { *os << backend_name(backend); }
}  // namespace autovoice::testing

namespace autovoice::reminders {
namespace {

using autovoice::testing::Backend;
using autovoice::testing::TestDatabase;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr const char* kAccount = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kToken = "reminder-test-token";
constexpr const char* kFrom = "+15550009999";

TimePoint utc(std::string_view text) {
  auto t = parse_datetime(text, nullptr, "t");
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : TimePoint{};
}

// The sandbox carrier on its own event-loop thread.
class InProcessSandbox {
 public:
  explicit InProcessSandbox(sandbox::Faults faults = {}, std::string callees = R"({"default": {"answer": "busy"}})") {
    sandbox::NetworkOptions options;
    options.account = sandbox::Account{kAccount, kToken};
    auto parsed = sandbox::parse_callees(callees);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    if (parsed) options.callees = std::move(*parsed);
    options.speed = 50;
    options.faults = faults;
    network_ = std::make_unique<sandbox::Network>(io_.get_executor(), std::move(options));
    auto server = sandbox::Server::start(io_.get_executor(), *network_, "127.0.0.1", 0);
    EXPECT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~InProcessSandbox() {
    boost::asio::post(io_, [this] {
      server_->stop();
      network_->shutdown();
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // Runs f on the sandbox's thread and returns its result.
  template <typename F>
  auto on_loop(F f) -> decltype(f()) {
    std::promise<decltype(f())> result;
    boost::asio::post(io_, [&] { result.set_value(f()); });
    return result.get_future().get();
  }
  std::vector<std::string> calls_to(const std::string& number) {
    return on_loop([&] {
      std::vector<std::string> sids;
      for (const auto& call : network_->call_records()) {
        if (call.request.to == number) sids.push_back(call.sid);
      }
      return sids;
    });
  }
  std::size_t calls_created() {
    return on_loop([&] { return static_cast<std::size_t>(network_->stats().calls_created); });
  }
  std::size_t messages_created() {
    return on_loop([&] { return static_cast<std::size_t>(network_->stats().messages_created); });
  }
  void set_faults(const sandbox::Faults& faults) {
    on_loop([&] {
      network_->faults() = faults;
      return 0;
    });
  }

 private:
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::unique_ptr<sandbox::Network> network_;
  std::unique_ptr<sandbox::Server> server_;
  std::thread thread_;
};

class ReminderJobTest : public autovoice::testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    policy_.shop_zone = *find_time_zone("America/New_York");
    policy_.shop_name = "Main Street Auto Care";
  }

  std::unique_ptr<telephony::TwilioClient> carrier(const InProcessSandbox& sandbox,
                                                   std::chrono::milliseconds timeout = 5s) {
    telephony::TwilioClientOptions o;
    o.api_base = sandbox.base_url();
    o.account_sid = kAccount;
    o.auth_token = Secret(kToken);
    o.request_timeout = timeout;
    auto client = telephony::TwilioClient::create(o);
    EXPECT_TRUE(client.ok());
    return std::move(*client);
  }

  JobOptions options(std::string worker = "test-worker:1") {
    JobOptions o;
    o.worker_id = std::move(worker);
    o.endpoints = Endpoints{"http://127.0.0.1:9/api/v1", kFrom};
    o.calls_per_second = 0;
    o.concurrency = 8;
    o.settle = 2s;
    o.lease = 10s;
    o.exclusive = true;
    o.horizon = 60s;
    return o;
  }

  // A customer with a vehicle and an appointment; returns the appointment.
  Appointment add(const std::string& number, TimePoint start, AppointmentStatus status = AppointmentStatus::kConfirmed,
                  std::string zone = "", bool opted_out = false) {
    Customer c;
    c.first_name = "Pat";
    c.phone = *PhoneNumber::parse(number);
    c.time_zone = std::move(zone);
    auto customer = store_->add_customer(c, clock_.now_seconds());
    EXPECT_TRUE(customer.ok()) << customer.error().message;
    if (opted_out) {
      EXPECT_TRUE(store_->set_customer_opt_out(customer->id, true, clock_.now_seconds()).ok());
    }
    Vehicle v;
    v.customer_id = customer->id;
    v.year = 2021;
    v.make = "Honda";
    v.model = "Civic";
    auto vehicle = store_->add_vehicle(v, clock_.now_seconds());
    EXPECT_TRUE(vehicle.ok());
    Appointment a;
    a.customer_id = customer->id;
    a.vehicle_id = vehicle->id;
    a.start = start;
    a.service_type = "Oil change";
    a.status = status;
    auto stored = store_->add_appointment(a, clock_.now_seconds());
    EXPECT_TRUE(stored.ok()) << stored.error().message;
    return *stored;
  }

  Reminder reminder_of(AppointmentId id) {
    ReminderQuery q;
    q.appointment_id = id;
    auto rows = store_->list_reminders(q);
    EXPECT_TRUE(rows.ok());
    EXPECT_FALSE(rows->empty());
    return rows->empty() ? Reminder{} : rows->back();
  }

  // What the server does with the call's final status callback.
  void call_ends(const std::string& sid, CallStatus status, std::string answered_by = "") {
    CallStatusUpdate u;
    u.call_sid = sid;
    u.status = status;
    u.answered_by = std::move(answered_by);
    auto applied = store_->apply_call_status(u, clock_.now_seconds());
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }

  SweepSummary sweep(ReminderJob& job) {
    auto s = job.sweep(clock_.now_seconds(), std::stop_token{});
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : SweepSummary{};
  }
  SweepSummary tend(ReminderJob& job) {
    auto s = job.tend(std::stop_token{});
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : SweepSummary{};
  }

  // 09:00 in New York on Wed 2026-03-11 (EDT); tomorrow is Thu 2026-03-12.
  FakeClock clock_{std::chrono::system_clock::time_point{utc("2026-03-11T13:00:00Z").time_since_epoch()}};
  Policy policy_;
};

TEST_P(ReminderJobTest, CallsEveryConfirmedAppointmentTomorrowExactlyOnce) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  const Appointment a1 = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  const Appointment a2 = add("+12125550102", utc("2026-03-12T20:00:00Z"));
  add("+12125550103", utc("2026-03-12T15:00:00Z"), AppointmentStatus::kScheduled);  // not confirmed
  add("+12125550104", utc("2026-03-13T15:00:00Z"));                                 // the day after
  ReminderJob job(*store_, *client, clock_, policy_, options());

  const SweepSummary first = sweep(job);
  EXPECT_EQ(first.found, 2);
  EXPECT_EQ(first.planned, 2);
  EXPECT_EQ(first.called, 2);
  EXPECT_EQ(sandbox.calls_created(), 2u);
  for (const Appointment& a : {a1, a2}) {
    const Reminder r = reminder_of(a.id);
    EXPECT_EQ(r.state, ReminderState::kCalling);
    EXPECT_EQ(r.attempts, 1);
    auto log = store_->call_log_by_sid(r.call_sid);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(log->direction, CallDirection::kOutbound);
    EXPECT_EQ(log->intent, "appointment_reminder");
    EXPECT_EQ(log->appointment_id, a.id);
    EXPECT_EQ(log->from, kFrom);
    EXPECT_TRUE(r.call_sid.starts_with("CA"));
  }
  EXPECT_EQ(sandbox.calls_to("+12125550101").size(), 1u);

  // A second sweep, and a second job (a restarted worker), call nobody again.
  const SweepSummary second = sweep(job);
  EXPECT_EQ(second.called, 0);
  EXPECT_THAT(second.skipped, ElementsAre(Pair("already_reminded", 2)));
  ReminderJob restarted(*store_, *client, clock_, policy_, options("test-worker:2"));
  EXPECT_EQ(sweep(restarted).called, 0);
  EXPECT_EQ(sandbox.calls_created(), 2u);
}

TEST_P(ReminderJobTest, RecordsWhyEachSkippedAppointmentIsNotCalled) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  policy_.test_number = *PhoneNumber::parse("+12125550199");
  const Appointment test = add("+12125550199", utc("2026-03-12T14:00:00Z"));
  const Appointment other = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  ReminderJob job(*store_, *client, clock_, policy_, options());
  const SweepSummary s = sweep(job);
  EXPECT_EQ(s.called, 1);
  EXPECT_THAT(s.skipped, ElementsAre(Pair("test_number_only", 1)));
  EXPECT_EQ(reminder_of(test.id).state, ReminderState::kCalling);
  EXPECT_EQ(reminder_of(other.id).state, ReminderState::kSkipped);
  EXPECT_EQ(reminder_of(other.id).reason, "test_number_only");
  EXPECT_TRUE(sandbox.calls_to("+12125550101").empty());

  policy_.test_number.reset();
  add("+12125550105", utc("2026-03-12T14:00:00Z"), AppointmentStatus::kConfirmed, "", true);
  add("+15550100001", utc("2026-03-12T14:00:00Z"));  // not a dialable NANP number
  ReminderJob everyone(*store_, *client, clock_, policy_, options());
  const SweepSummary again = sweep(everyone);
  // The test-number skip is decided again and now called.
  EXPECT_EQ(again.called, 1);
  EXPECT_THAT(again.skipped, ElementsAre(Pair("already_reminded", 1), Pair("invalid_number", 1), Pair("opted_out", 1)));
  EXPECT_EQ(sandbox.calls_created(), 2u);
}

TEST_P(ReminderJobTest, DefersToTheCustomersCallingHoursAndCallsThen) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  // 13:00Z is 09:00 in New York and 06:00 in Los Angeles.
  const Appointment la = add("+14155550102", utc("2026-03-12T18:00:00Z"), AppointmentStatus::kConfirmed,
                             "America/Los_Angeles");
  const Appointment ny = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  ReminderJob job(*store_, *client, clock_, policy_, options());
  const SweepSummary s = sweep(job);
  EXPECT_EQ(s.called, 1);
  EXPECT_EQ(s.deferred, 1);
  const Reminder waiting = reminder_of(la.id);
  EXPECT_EQ(waiting.state, ReminderState::kPending);
  EXPECT_EQ(waiting.due_at, utc("2026-03-11T15:00:00Z"));  // 08:00 PDT
  EXPECT_TRUE(sandbox.calls_to("+14155550102").empty());

  call_ends(reminder_of(ny.id).call_sid, CallStatus::kCompleted, "human");
  clock_.advance(1h);  // 07:00 in Los Angeles: still waiting
  EXPECT_EQ(tend(job).called, 0);
  clock_.advance(1h);
  EXPECT_EQ(tend(job).called, 1);
  EXPECT_EQ(reminder_of(la.id).state, ReminderState::kCalling);
  EXPECT_EQ(sandbox.calls_to("+14155550102").size(), 1u);
}

TEST_P(ReminderJobTest, CancelledAndRescheduledAppointmentsDropTheirPendingReminders) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  clock_.set(std::chrono::system_clock::time_point{utc("2026-03-11T10:00:00Z").time_since_epoch()});  // 06:00 EDT
  const Appointment cancelled = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  const Appointment moved = add("+12125550102", utc("2026-03-12T15:00:00Z"));
  ReminderJob job(*store_, *client, clock_, policy_, options());
  EXPECT_EQ(sweep(job).deferred, 2);  // before calling hours

  ASSERT_TRUE(store_->set_appointment_status(cancelled.id, AppointmentStatus::kCancelled, clock_.now_seconds()).ok());
  Appointment later = moved;
  later.start = utc("2026-03-12T19:00:00Z");
  ASSERT_TRUE(store_->update_appointment(later, clock_.now_seconds()).ok());
  clock_.advance(3h);  // 09:00 EDT
  const SweepSummary tended = tend(job);
  EXPECT_EQ(tended.called, 0);
  EXPECT_THAT(tended.dropped, ElementsAre(Pair("appointment_cancelled", 1), Pair("rescheduled", 1)));
  EXPECT_EQ(sandbox.calls_created(), 0u);
  // The next sweep plans the new start time, which is called.
  const SweepSummary next = sweep(job);
  EXPECT_EQ(next.called, 1);
  EXPECT_EQ(sandbox.calls_to("+12125550102").size(), 1u);
  EXPECT_TRUE(sandbox.calls_to("+12125550101").empty());
}

// A store that cancels one appointment just before the dialler claims it: the
// claim's re-read sees the cancellation, and nobody is called.
class CancelOnClaim : public StoreWrapper {
 public:
  CancelOnClaim(Store& target, AppointmentId id, TimePoint now) : StoreWrapper(target), id_(id), now_(now) {}
  Result<std::vector<ReminderClaim>> claim_due_reminders(std::string_view worker, TimePoint now,
                                                         std::chrono::seconds lease, int limit) override {
    if (!done_.exchange(true)) {
      EXPECT_TRUE(target().set_appointment_status(id_, AppointmentStatus::kCancelled, now_).ok());
    }
    return StoreWrapper::claim_due_reminders(worker, now, lease, limit);
  }

 private:
  AppointmentId id_;
  TimePoint now_;
  std::atomic<bool> done_{false};
};

TEST_P(ReminderJobTest, AnAppointmentCancelledMidSweepIsNotCalled) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  const Appointment a = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  add("+12125550102", utc("2026-03-12T15:00:00Z"));
  CancelOnClaim store(*store_, a.id, clock_.now_seconds());
  ReminderJob job(store, *client, clock_, policy_, options());
  auto s = job.sweep(clock_.now_seconds(), std::stop_token{});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->called, 1);
  EXPECT_THAT(s->dropped, ElementsAre(Pair("appointment_cancelled", 1)));
  EXPECT_EQ(reminder_of(a.id).state, ReminderState::kDropped);
  EXPECT_TRUE(sandbox.calls_to("+12125550101").empty());
}

TEST_P(ReminderJobTest, BusyIsRetriedThenTheSmsFallbackGoesOutOnce) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  policy_.sms_fallback = true;
  const Appointment a = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  ReminderJob job(*store_, *client, clock_, policy_, options());
  sweep(job);
  Reminder r = reminder_of(a.id);
  call_ends(r.call_sid, CallStatus::kBusy);
  const SweepSummary first = tend(job);
  EXPECT_EQ(first.retries_scheduled, 1);
  r = reminder_of(a.id);
  EXPECT_EQ(r.state, ReminderState::kPending);
  EXPECT_EQ(r.due_at, clock_.now_seconds() + 15min);
  EXPECT_EQ(tend(job).called, 0);  // not yet
  clock_.advance(15min);
  EXPECT_EQ(tend(job).called, 1);
  r = reminder_of(a.id);
  EXPECT_EQ(r.attempts, 2);
  call_ends(r.call_sid, CallStatus::kNoAnswer);
  const SweepSummary sms = tend(job);  // follows up, then sends the SMS at once
  EXPECT_EQ(sms.sms_sent, 1);
  r = reminder_of(a.id);
  EXPECT_EQ(r.state, ReminderState::kDone);
  EXPECT_EQ(r.channel, ReminderChannel::kSms);
  EXPECT_EQ(r.reason, "sms_sent");
  auto log = store_->call_log_by_sid(r.call_sid);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->intent, "appointment_reminder_sms");
  EXPECT_EQ(sandbox.messages_created(), 1u);
  EXPECT_EQ(sandbox.calls_to("+12125550101").size(), 2u);
  EXPECT_EQ(tend(job).sms_sent, 0);
  EXPECT_EQ(sandbox.messages_created(), 1u);
}

TEST_P(ReminderJobTest, MachineAnsweredIsDoneAndAPermanentErrorIsNotRetried) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  const Appointment machine = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  const Appointment rejected = add("+12125550102", utc("2026-03-12T14:00:00Z"));
  ReminderJob job(*store_, *client, clock_, policy_, options());
  sweep(job);
  call_ends(reminder_of(machine.id).call_sid, CallStatus::kCompleted, "machine_end_beep");
  CallStatusUpdate failed;
  failed.call_sid = reminder_of(rejected.id).call_sid;
  failed.status = CallStatus::kFailed;
  failed.error_code = 13224;
  ASSERT_TRUE(store_->apply_call_status(failed, clock_.now_seconds()).ok());
  const SweepSummary s = tend(job);
  EXPECT_EQ(s.done, 1);
  EXPECT_THAT(s.failed, ElementsAre(Pair("carrier_rejected", 1)));
  EXPECT_EQ(reminder_of(machine.id).reason, "voicemail");
  EXPECT_EQ(reminder_of(rejected.id).state, ReminderState::kFailed);
  clock_.advance(1h);
  EXPECT_EQ(tend(job).called, 0);
  EXPECT_EQ(sandbox.calls_created(), 2u);
}

TEST_P(ReminderJobTest, AClaimLeftByADeadWorkerIsSettledWithTheCarrierNotDialledTwice) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  const Appointment reached = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  const Appointment not_reached = add("+12125550102", utc("2026-03-12T14:00:00Z"));
  ReminderJob planner(*store_, *client, clock_, policy_, options());
  // Plan only (the window's reminders), as a worker that died before dialling.
  ReminderPlan plans[2];
  for (int i = 0; i < 2; ++i) {
    const Appointment& a = i == 0 ? reached : not_reached;
    plans[i] = ReminderPlan{a.id, a.start, a.customer_id, ReminderState::kPending, clock_.now_seconds(), "", ""};
  }
  ASSERT_TRUE(store_->plan_reminders(plans, clock_.now_seconds()).ok());
  auto claims = store_->claim_due_reminders("dead-worker:9", clock_.now_seconds(), 30s, 10);
  ASSERT_TRUE(claims.ok());
  ASSERT_EQ(claims->size(), 2u);
  // The dead worker's first request reached the carrier; its second never left.
  telephony::CallRequest request = call_request(reached, Customer{.phone = *PhoneNumber::parse("+12125550101")},
                                                options().endpoints);
  ASSERT_TRUE(client->create_call(request).ok());

  clock_.advance(3s);  // older than `settle`
  ReminderJob restarted(*store_, *client, clock_, policy_, options("test-worker:2"));
  const SweepSummary s = sweep(restarted);
  EXPECT_EQ(s.settled, 2);
  EXPECT_EQ(s.called, 2);  // one found at the carrier, one dialled again
  EXPECT_EQ(sandbox.calls_to("+12125550101").size(), 1u);
  EXPECT_EQ(sandbox.calls_to("+12125550102").size(), 1u);
  const Reminder r = reminder_of(reached.id);
  EXPECT_EQ(r.state, ReminderState::kCalling);
  EXPECT_EQ(r.call_sid, sandbox.calls_to("+12125550101").front());
  EXPECT_TRUE(store_->call_log_by_sid(r.call_sid).ok());
}

TEST_P(ReminderJobTest, CarrierFaultsAreRetriedAndEveryReminderIsPlacedOnce) {
  sandbox::Faults faults;
  faults.error_500_rate = 0.2;
  faults.error_429_rate = 0.1;
  faults.hang_rate = 0.1;
  faults.hang = 1500ms;
  InProcessSandbox sandbox(faults);
  auto client = carrier(sandbox, 500ms);  // a held answer times out: the outcome is unknown
  constexpr int kCount = 40;
  for (int i = 0; i < kCount; ++i) add("+1212555" + std::to_string(2000 + i), utc("2026-03-12T14:00:00Z"));
  JobOptions o = options();
  // Backoffs run on the fake clock; a real carrier wait needs real time to pass too.
  std::atomic<bool> done{false};
  std::thread ticker([&] {
    while (!done) {
      std::this_thread::sleep_for(20ms);
      clock_.advance(1s);
    }
  });
  ReminderJob job(*store_, *client, clock_, policy_, o);
  const SweepSummary s = sweep(job);
  done = true;
  ticker.join();
  EXPECT_GT(s.carrier_errors, 0);
  EXPECT_EQ(s.called, kCount);
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(sandbox.calls_to("+1212555" + std::to_string(2000 + i)).size(), 1u) << i;
  }
  auto reminders = store_->list_reminders(ReminderQuery{});
  ASSERT_TRUE(reminders.ok());
  for (const Reminder& r : *reminders) {
    EXPECT_EQ(r.state, ReminderState::kCalling) << r.id << " " << to_string(r.state) << " " << r.detail;
    EXPECT_EQ(r.attempts, 1) << r.id;
  }
  EXPECT_EQ(sandbox.calls_created(), static_cast<std::size_t>(kCount));
}

TEST_P(ReminderJobTest, AnAccountTheCarrierRefusesStopsTheSweepAndKeepsTheReminders) {
  InProcessSandbox sandbox;
  telephony::TwilioClientOptions o;
  o.api_base = sandbox.base_url();
  o.account_sid = kAccount;
  o.auth_token = Secret("not-the-token");
  auto client = telephony::TwilioClient::create(o);
  ASSERT_TRUE(client.ok());
  const Appointment a = add("+12125550101", utc("2026-03-12T14:00:00Z"));
  add("+12125550102", utc("2026-03-12T14:00:00Z"));
  ReminderJob job(*store_, **client, clock_, policy_, options());
  const SweepSummary s = sweep(job);
  EXPECT_EQ(s.called, 0);
  EXPECT_FALSE(s.error.empty());
  EXPECT_EQ(reminder_of(a.id).state, ReminderState::kPending);
  EXPECT_EQ(sandbox.calls_created(), 0u);
}

TEST_P(ReminderJobTest, TheRateLimitPacesTheCalls) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  for (int i = 0; i < 10; ++i) add("+1212555" + std::to_string(3000 + i), utc("2026-03-12T14:00:00Z"));
  JobOptions o = options();
  o.calls_per_second = 20;  // ten calls: the tenth no sooner than 450 ms after the first
  ReminderJob job(*store_, *client, clock_, policy_, o);
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(sweep(job).called, 10);
  EXPECT_GE(std::chrono::steady_clock::now() - began, 450ms);
}

TEST_P(ReminderJobTest, PreviewChangesNothing) {
  InProcessSandbox sandbox;
  auto client = carrier(sandbox);
  add("+12125550101", utc("2026-03-12T14:00:00Z"));
  add("+12125550102", utc("2026-03-12T14:00:00Z"), AppointmentStatus::kConfirmed, "", true);
  ReminderJob job(*store_, *client, clock_, policy_, options());
  auto items = job.preview(clock_.now_seconds());
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].decision.kind, Decision::Kind::kCall);
  EXPECT_EQ((*items)[1].decision.reason, "opted_out");
  auto rows = store_->list_reminders(ReminderQuery{});
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
  EXPECT_EQ(sandbox.calls_created(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReminderJobTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return std::string(autovoice::testing::backend_name(param_info.param));
                         });

}  // namespace
}  // namespace autovoice::reminders
