// ReminderJob::sweep waits for every reminder a carrier error put back within
// the horizon, even when it first waits for something due earlier (the claim
// of a worker that died, settled and dialled again). Regression: the sweep
// kept only the earliest put-back time, and once it had waited for an earlier
// moment it forgot the later ones, ending with reminders still pending.
//
// Real SQLite (in memory), the system clock (the sweep sleeps about 2 s), and
// a scripted carrier.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include <boost/json/serialize.hpp>

#include "domain/clock.h"
#include "reminders/reminder_job.h"
#include "store/store.h"

namespace autovoice::reminders {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDeadClaim = "+12125550001";  // left dialling by a worker that died
constexpr const char* kPutBack = "+12125550002";    // answered 429 once, slowly

// Accepts every call, except the first to kPutBack: answered 429 after 1.5 s.
// Knows no earlier calls (list_calls is empty).
class ScriptedCarrier final : public telephony::Carrier {
 public:
  telephony::CarrierResult<telephony::CallInfo> create_call(const telephony::CallRequest& request) override {
    bool refuse = false;
    int n = 0;
    {
      std::lock_guard lock(mutex_);
      n = ++calls_[request.to];
      refuse = request.to == kPutBack && n == 1;
    }
    if (refuse) {
      std::this_thread::sleep_for(1500ms);
      return telephony::CarrierError{ErrorCode::kUnavailable, "HTTP 429 Too Many Requests", "", 429, 20429};
    }
    telephony::CallInfo call;
    call.sid = "CA" + std::string(31, request.to == kDeadClaim ? 'a' : 'b') + std::to_string(n);
    call.status = "queued";
    call.to = request.to;
    call.from = request.from;
    return call;
  }
  telephony::CarrierResult<telephony::MessageInfo> send_sms(const telephony::SmsRequest&) override {
    return telephony::CarrierError{ErrorCode::kInternal, "no SMS here"};
  }
  telephony::CarrierResult<telephony::CallInfo> fetch_call(const std::string&) override {
    return telephony::CarrierError{ErrorCode::kNotFound, "no such call"};
  }
  telephony::CarrierResult<std::vector<telephony::CallInfo>> list_calls(const telephony::CallFilter&) override {
    return std::vector<telephony::CallInfo>{};
  }

  int calls_to(const std::string& to) {
    std::lock_guard lock(mutex_);
    return calls_[to];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> calls_;
};

Appointment book(Store& store, const char* phone, TimePoint start, TimePoint now) {
  Customer c;
  c.first_name = "Pat";
  c.phone = PhoneNumber::parse(phone).value();
  const Customer customer = store.add_customer(c, now).value();
  Vehicle v;
  v.customer_id = customer.id;
  v.make = "Honda";
  v.model = "Civic";
  v.year = 2021;
  const Vehicle vehicle = store.add_vehicle(v, now).value();
  Appointment a;
  a.customer_id = customer.id;
  a.vehicle_id = vehicle.id;
  a.start = start;
  a.service_type = "Oil change";
  a.status = AppointmentStatus::kConfirmed;
  return store.add_appointment(a, now).value();
}

TEST(ReminderJobPutBackTest, ASweepWaitsForAPutBackReminderAfterSettlingAnEarlierClaim) {
  SystemClock clock;
  auto store = open_store("sqlite::memory:").value();
  ASSERT_TRUE(store->migrate().ok());
  Policy policy;
  policy.shop_zone = find_time_zone("America/New_York").value();
  policy.hours = CallingHours{LocalTimeOfDay{0}, LocalTimeOfDay{24 * 60 - 1}};
  const TimePoint now = clock.now_seconds();
  const TimePoint start = reminder_window(now, policy).begin + 12h;

  // A worker that died left the first reminder dialling, claimed a second ago.
  const Appointment dead = book(*store, kDeadClaim, start, now);
  ReminderPlan plan{dead.id, dead.start, dead.customer_id, ReminderState::kPending, now - 1s, "", ""};
  ASSERT_TRUE(store->plan_reminders(std::span<const ReminderPlan>(&plan, 1), now - 1s).ok());
  auto claimed = store->claim_due_reminders("worker-that-died", now - 1s, 60s, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  book(*store, kPutBack, start, now);

  ScriptedCarrier carrier;
  JobOptions options;
  options.worker_id = "worker";
  options.endpoints = Endpoints{"http://127.0.0.1:9/api/v1", "+12125550100"};
  options.calls_per_second = 0;
  options.concurrency = 4;
  options.settle = 2s;
  options.exclusive = true;
  ReminderJob job(*store, carrier, clock, policy, options);

  // The 429 puts the second reminder back for later than the dead claim
  // becomes settleable; the sweep settles the claim (no call found: dialled
  // again), then must still wait for the second reminder.
  std::stop_source stop;
  auto summary = job.sweep(now, stop.get_token());
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->called, 2) << boost::json::serialize(summary->to_json());
  EXPECT_EQ(summary->settled, 1);
  EXPECT_EQ(summary->carrier_errors, 1);
  EXPECT_EQ(carrier.calls_to(kDeadClaim), 1);
  EXPECT_EQ(carrier.calls_to(kPutBack), 2);
  auto reminders = store->list_reminders(ReminderQuery{});
  ASSERT_TRUE(reminders.ok());
  ASSERT_EQ(reminders->size(), 2u);
  for (const Reminder& r : *reminders) {
    EXPECT_EQ(r.state, ReminderState::kCalling) << r.id << " " << r.detail;
    EXPECT_EQ(r.attempts, 1) << r.id;
  }
}

}  // namespace
}  // namespace autovoice::reminders
