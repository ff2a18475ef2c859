// The reminder part of the storage contract (store.h, "reminders"): planning,
// dropping stale reminders, claiming, taking over stale claims, recording
// attempts, transitions and follow-ups, run against each backend (SQLite on a
// temporary file, PostgreSQL on the test server), with several workers, each
// with its own Store, claiming at once.

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/phone.h"
#include "domain/time.h"
#include "domain/types.h"
#include "store/store.h"
#include "support/result_assertions.h"
#include "support/store_fixture.h"
#include "support/test_database.h"

namespace autovoice::testing {
// Names the backend in gtest's messages ("where GetParam() = sqlite").
static void PrintTo(Backend backend, std::ostream* os) { *os << backend_name(backend); }
}  // namespace autovoice::testing

namespace autovoice {
namespace {

using autovoice::testing::Backend;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

using autovoice::testing::describe;

TimePoint at(std::string_view utc) {
  auto t = parse_datetime(utc, nullptr);
  EXPECT_TRUE(t.ok()) << utc;
  return t.ok() ? *t : TimePoint{};
}

const TimePoint kNow = at("2026-03-02T12:00:00Z");
const TimePoint kStart = at("2026-03-03T15:00:00Z");  // the appointments' start
const TimePoint kDue = kNow - 1h;                     // when their reminders are due
constexpr std::chrono::seconds kLease{60};
constexpr std::string_view kWorkerA = "host-a:1";
constexpr std::string_view kWorkerB = "host-b:2";

template <typename T>
void expect_error(const Result<T>& result, ErrorCode code, std::string_view mentioning,
                  std::string_view field = "") {
  ASSERT_FALSE(result.ok()) << "expected " << error_code_name(code);
  EXPECT_EQ(result.error().code, code) << describe(result);
  EXPECT_THAT(result.error().message, HasSubstr(std::string(mentioning)));
  EXPECT_EQ(result.error().field, field) << describe(result);
}

ReminderPlan pending_plan(const Appointment& a, TimePoint due = kDue) {
  ReminderPlan p;
  p.appointment_id = a.id;
  p.appointment_start = a.start;
  p.customer_id = a.customer_id;
  p.state = ReminderState::kPending;
  p.due_at = due;
  return p;
}

ReminderPlan skipped_plan(const Appointment& a, std::string reason) {
  ReminderPlan p = pending_plan(a);
  p.state = ReminderState::kSkipped;
  p.reason = std::move(reason);
  p.detail = "decided by the sweep";
  return p;
}

std::vector<ReminderId> ids_of(const std::vector<Reminder>& rows) {
  std::vector<ReminderId> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

std::vector<ReminderId> ids_of(const std::vector<ReminderClaim>& claims) {
  std::vector<ReminderId> ids;
  for (const auto& c : claims) ids.push_back(c.reminder.id);
  return ids;
}

std::vector<ReminderId> ids_of(const std::vector<AwaitedCall>& calls) {
  std::vector<ReminderId> ids;
  for (const auto& c : calls) ids.push_back(c.reminder.id);
  return ids;
}

CallLog reminder_call(std::string sid, const Appointment& a) {
  CallLog c;
  c.call_sid = std::move(sid);
  c.customer_id = a.customer_id;
  c.appointment_id = a.id;
  c.direction = CallDirection::kOutbound;
  c.status = CallStatus::kInitiated;
  c.intent = "appointment_reminder";
  c.from = "+15550000000";
  c.to = "+15551230000";
  return c;
}

ReminderAttempt call_attempt(ReminderId id, std::string_view worker, CallLog log) {
  ReminderAttempt a;
  a.id = id;
  a.worker = std::string(worker);
  a.log = std::move(log);
  a.next = ReminderState::kCalling;
  return a;
}

class ReminderStoreTest : public autovoice::testing::MigratedStoreTest {
 protected:
  // A new customer (numbered n, for a distinct phone number) with one vehicle.
  struct Owner {
    Customer customer;
    Vehicle vehicle;
  };
  Owner add_owner(int n) {
    Customer c;
    c.first_name = "Customer" + std::to_string(n);
    c.last_name = "Lovelace";
    auto number = PhoneNumber::parse("+1555" + std::to_string(2000000 + n));
    EXPECT_TRUE(number.ok());
    if (number.ok()) c.phone = *number;
    auto customer = store_->add_customer(c, kNow);
    EXPECT_TRUE(customer.ok()) << describe(customer);
    if (!customer.ok()) return {};
    Vehicle v;
    v.customer_id = customer->id;
    v.year = 2021;
    v.make = "Honda";
    v.model = "Civic";
    auto vehicle = store_->add_vehicle(v, kNow);
    EXPECT_TRUE(vehicle.ok()) << describe(vehicle);
    if (!vehicle.ok()) return {};
    return Owner{*customer, *vehicle};
  }

  Appointment add_appointment(const Owner& owner, TimePoint start = kStart,
                              AppointmentStatus status = AppointmentStatus::kConfirmed) {
    Appointment a;
    a.customer_id = owner.customer.id;
    a.vehicle_id = owner.vehicle.id;
    a.start = start;
    a.duration_minutes = 60;
    a.service_type = "Oil change";
    a.status = status;
    auto stored = store_->add_appointment(a, kNow);
    EXPECT_TRUE(stored.ok()) << describe(stored);
    return stored.ok() ? *stored : Appointment{};
  }

  // Plans one reminder that must be accepted.
  PlannedReminder plan(const ReminderPlan& p, TimePoint now = kNow) {
    auto planned = store_->plan_reminders(std::span<const ReminderPlan>(&p, 1), now);
    EXPECT_TRUE(planned.ok()) << describe(planned);
    if (!planned.ok() || planned->size() != 1) return {};
    return planned->front();
  }

  // A confirmed appointment of a new customer with a pending reminder due at `due`.
  Reminder due_reminder(int customer, TimePoint due = kDue) {
    return plan(pending_plan(add_appointment(add_owner(customer)), due)).reminder;
  }

  Reminder stored(ReminderId id) {
    auto r = store_->reminder(id);
    EXPECT_TRUE(r.ok()) << describe(r);
    return r.ok() ? *r : Reminder{};
  }

  std::vector<Reminder> all_reminders() {
    ReminderQuery q;
    q.page.limit = 10000;
    auto rows = store_->list_reminders(q);
    EXPECT_TRUE(rows.ok()) << describe(rows);
    return rows.ok() ? *rows : std::vector<Reminder>{};
  }

  std::vector<ReminderClaim> claim(std::string_view worker, TimePoint now = kNow, int limit = 100,
                                   Store* store = nullptr) {
    auto claims = (store ? store : store_.get())->claim_due_reminders(worker, now, kLease, limit);
    EXPECT_TRUE(claims.ok()) << describe(claims);
    return claims.ok() ? *claims : std::vector<ReminderClaim>{};
  }

  std::vector<ReminderClaim> take_over(std::string_view worker, TimePoint now,
                                       std::optional<TimePoint> claimed_before = std::nullopt) {
    auto claims = store_->take_over_stale_claims(worker, now, kLease, claimed_before);
    EXPECT_TRUE(claims.ok()) << describe(claims);
    return claims.ok() ? *claims : std::vector<ReminderClaim>{};
  }

  // Claims `r` (the only due reminder) for `worker` and records a call `sid`
  // for it at `now`: the reminder is then calling.
  Reminder calling(const Reminder& r, std::string sid, TimePoint now = kNow) {
    auto claims = claim(kWorkerA, now);
    EXPECT_EQ(ids_of(claims), std::vector<ReminderId>{r.id});
    auto a = store_->appointment(r.appointment_id);
    EXPECT_TRUE(a.ok()) << describe(a);
    auto recorded =
        store_->record_reminder_attempt(call_attempt(r.id, kWorkerA, reminder_call(sid, *a)), now);
    EXPECT_TRUE(recorded.ok()) << describe(recorded);
    return recorded.ok() ? *recorded : Reminder{};
  }

};

// --- plan_reminders ---------------------------------------------------------------------------

TEST_P(ReminderStoreTest, PlanInsertsANewPendingReminder) {
  const Appointment a = add_appointment(add_owner(1));
  const PlannedReminder planned = plan(pending_plan(a));
  EXPECT_TRUE(planned.written);
  const Reminder& r = planned.reminder;
  EXPECT_GT(r.id, 0);
  EXPECT_EQ(r.appointment_id, a.id);
  EXPECT_EQ(r.appointment_start, kStart);
  EXPECT_EQ(r.customer_id, a.customer_id);
  EXPECT_EQ(r.state, ReminderState::kPending);
  EXPECT_EQ(r.channel, ReminderChannel::kCall);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_EQ(r.due_at, kDue);
  EXPECT_EQ(r.claimed_by, "");
  EXPECT_EQ(r.claimed_at, std::nullopt);
  EXPECT_EQ(r.lease_until, std::nullopt);
  EXPECT_EQ(r.call_sid, "");
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(r.created_at, kNow);
  EXPECT_EQ(r.updated_at, kNow);
  EXPECT_EQ(stored(r.id), r);
}

TEST_P(ReminderStoreTest, PlanInsertsASkippedReminderWithItsReason) {
  const Appointment a = add_appointment(add_owner(1));
  const PlannedReminder planned = plan(skipped_plan(a, "opted_out"));
  EXPECT_TRUE(planned.written);
  EXPECT_EQ(planned.reminder.state, ReminderState::kSkipped);
  EXPECT_EQ(planned.reminder.reason, "opted_out");
  EXPECT_EQ(planned.reminder.detail, "decided by the sweep");
  EXPECT_EQ(stored(planned.reminder.id), planned.reminder);
}

TEST_P(ReminderStoreTest, PlanReturnsAnExistingPendingReminderUnchanged) {
  const Appointment a = add_appointment(add_owner(1));
  const Reminder first = plan(pending_plan(a)).reminder;
  const PlannedReminder again = plan(pending_plan(a, kDue + 5min), kNow + 1h);
  EXPECT_FALSE(again.written);
  EXPECT_EQ(again.reminder, first);
  EXPECT_EQ(stored(first.id), first);
}

TEST_P(ReminderStoreTest, PlanReturnsAReminderBeyondSkippedUnchanged) {
  const Appointment a = add_appointment(add_owner(1));
  const Reminder first = plan(pending_plan(a)).reminder;
  ASSERT_EQ(claim(kWorkerA).size(), 1u);
  const Reminder dialling = stored(first.id);
  ASSERT_EQ(dialling.state, ReminderState::kDialling);

  const PlannedReminder again = plan(skipped_plan(a, "opted_out"), kNow + 1h);
  EXPECT_FALSE(again.written);
  EXPECT_EQ(again.reminder, dialling);
  EXPECT_EQ(stored(first.id), dialling);
}

TEST_P(ReminderStoreTest, PlanDecidesASkippedReminderAgain) {
  const Appointment a = add_appointment(add_owner(1));
  const Reminder skipped = plan(skipped_plan(a, "outside_calling_hours")).reminder;
  const PlannedReminder again = plan(pending_plan(a, kDue + 3h), kNow + 1h);
  EXPECT_TRUE(again.written);
  EXPECT_EQ(again.reminder.id, skipped.id);
  EXPECT_EQ(again.reminder.state, ReminderState::kPending);
  EXPECT_EQ(again.reminder.due_at, kDue + 3h);
  EXPECT_EQ(again.reminder.reason, "");
  EXPECT_EQ(again.reminder.detail, "");
  EXPECT_EQ(again.reminder.created_at, kNow);
  EXPECT_EQ(again.reminder.updated_at, kNow + 1h);
  EXPECT_EQ(stored(skipped.id), again.reminder);
}

TEST_P(ReminderStoreTest, PlanDropsTheAppointmentsPendingAndSkippedRemindersForAnotherStart) {
  const Owner owner = add_owner(1);
  const Appointment a = add_appointment(owner, kStart);
  const Appointment b = add_appointment(owner, kStart + 1h);
  const Reminder pending = plan(pending_plan(a)).reminder;
  const Reminder skipped = plan(skipped_plan(b, "opted_out")).reminder;
  const Reminder other_appointment = plan(pending_plan(add_appointment(owner, kStart))).reminder;

  ReminderPlan a_moved = pending_plan(a);
  a_moved.appointment_start = kStart + 2h;
  ReminderPlan b_moved = pending_plan(b);
  b_moved.appointment_start = kStart + 3h;
  const std::vector<ReminderPlan> plans = {a_moved, b_moved};
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders(plans, kNow + 1h));
  ASSERT_EQ(planned.size(), 2u);
  EXPECT_TRUE(planned[0].written);
  EXPECT_NE(planned[0].reminder.id, pending.id);
  EXPECT_EQ(planned[0].reminder.appointment_start, kStart + 2h);
  EXPECT_TRUE(planned[1].written);
  EXPECT_EQ(planned[1].reminder.appointment_start, kStart + 3h);

  for (const Reminder& old : {pending, skipped}) {
    SCOPED_TRACE("reminder " + std::to_string(old.id));
    const Reminder now = stored(old.id);
    EXPECT_EQ(now.state, ReminderState::kDropped);
    EXPECT_EQ(now.reason, "rescheduled");
    EXPECT_EQ(now.detail, "");
    EXPECT_EQ(now.updated_at, kNow + 1h);
  }
  EXPECT_EQ(stored(other_appointment.id), other_appointment);
}

TEST_P(ReminderStoreTest, PlanLeavesTheAppointmentsReminderForAnotherStartThatIsBeyondPending) {
  const Appointment a = add_appointment(add_owner(1));
  const Reminder first = plan(pending_plan(a)).reminder;
  ASSERT_EQ(claim(kWorkerA).size(), 1u);
  const Reminder dialling = stored(first.id);

  ReminderPlan moved = pending_plan(a);
  moved.appointment_start = kStart + 2h;
  EXPECT_TRUE(plan(moved, kNow + 1h).written);
  EXPECT_EQ(stored(first.id), dialling);
}

TEST_P(ReminderStoreTest, PlanResultsFollowThePlansOrderAndApplyInTurn) {
  const Owner owner = add_owner(1);
  const Appointment a = add_appointment(owner);
  const Appointment b = add_appointment(owner, kStart + 1h);
  const Reminder existing = plan(pending_plan(b)).reminder;
  ReminderPlan a_moved = pending_plan(a);
  a_moved.appointment_start = kStart + 4h;
  // b's plan comes back as it is; a's second plan (another start) drops the
  // reminder its first plan wrote in the same call.
  const std::vector<ReminderPlan> plans = {pending_plan(a), pending_plan(b, kDue + 1min), a_moved};
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders(plans, kNow));
  ASSERT_EQ(planned.size(), 3u);
  EXPECT_TRUE(planned[0].written);
  EXPECT_EQ(planned[0].reminder.appointment_id, a.id);
  EXPECT_EQ(planned[0].reminder.appointment_start, kStart);
  EXPECT_EQ(planned[0].reminder.state, ReminderState::kPending);
  EXPECT_FALSE(planned[1].written);
  EXPECT_EQ(planned[1].reminder, existing);
  EXPECT_TRUE(planned[2].written);
  EXPECT_EQ(planned[2].reminder.appointment_start, kStart + 4h);

  EXPECT_EQ(stored(planned[0].reminder.id).state, ReminderState::kDropped);
  EXPECT_EQ(stored(planned[0].reminder.id).reason, "rescheduled");
  EXPECT_EQ(stored(planned[2].reminder.id).state, ReminderState::kPending);
}

TEST_P(ReminderStoreTest, PlanOfTheSameReminderTwiceInOneCallWritesItOnce) {
  const Appointment a = add_appointment(add_owner(1));
  const std::vector<ReminderPlan> plans = {pending_plan(a), pending_plan(a, kDue + 1h)};
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders(plans, kNow));
  ASSERT_EQ(planned.size(), 2u);
  EXPECT_TRUE(planned[0].written);
  EXPECT_FALSE(planned[1].written);
  EXPECT_EQ(planned[1].reminder, planned[0].reminder);
  EXPECT_EQ(planned[1].reminder.due_at, kDue);
  EXPECT_EQ(all_reminders().size(), 1u);
}

TEST_P(ReminderStoreTest, PlanOfNothingStoresNothing) {
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders({}, kNow));
  EXPECT_THAT(planned, IsEmpty());
}

TEST_P(ReminderStoreTest, PlanRejectsABadPlanAndStoresNoneOfTheCall) {
  const Appointment a = add_appointment(add_owner(1));
  const Appointment b = add_appointment(add_owner(2));
  struct Case {
    const char* name;
    ReminderPlan bad;
    const char* field;
  };
  ReminderPlan no_customer = pending_plan(b);
  no_customer.customer_id = 0;
  ReminderPlan no_appointment = pending_plan(b);
  no_appointment.appointment_id = 0;
  ReminderPlan dialling = pending_plan(b);
  dialling.state = ReminderState::kDialling;
  ReminderPlan skipped_without_reason = skipped_plan(b, "");
  ReminderPlan long_reason = skipped_plan(b, std::string(101, 'x'));
  const Case cases[] = {
      {"customer 0", no_customer, "customer_id"},
      {"appointment 0", no_appointment, "appointment_id"},
      {"state dialling", dialling, "state"},
      {"skipped without a reason", skipped_without_reason, "reason"},
      {"reason too long", long_reason, "reason"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<ReminderPlan> plans = {pending_plan(a), c.bad};
    auto planned = store_->plan_reminders(plans, kNow);
    ASSERT_FALSE(planned.ok());
    EXPECT_EQ(planned.error().code, ErrorCode::kInvalidArgument) << describe(planned);
    EXPECT_EQ(planned.error().field, c.field) << describe(planned);
  }
  EXPECT_THAT(all_reminders(), IsEmpty());
}

TEST_P(ReminderStoreTest, PlanForAnUnknownAppointmentIsNotFoundAndStoresNoneOfTheCall) {
  const Owner owner = add_owner(1);
  const Appointment a = add_appointment(owner);
  const Appointment moving = add_appointment(owner, kStart + 1h);
  const Reminder before = plan(pending_plan(moving)).reminder;
  ReminderPlan moved = pending_plan(moving);
  moved.appointment_start = kStart + 5h;
  ReminderPlan unknown = pending_plan(a);
  unknown.appointment_id = a.id + 1000;
  const std::vector<ReminderPlan> plans = {pending_plan(a), moved, unknown};
  expect_error(store_->plan_reminders(plans, kNow + 1h), ErrorCode::kNotFound,
               "appointment " + std::to_string(a.id + 1000) + " does not exist");
  // Neither the new reminder nor the drop of the moved one's took place.
  EXPECT_THAT(all_reminders(), ElementsAre(before));
}

// --- drop_stale_reminders ---------------------------------------------------------------------

TEST_P(ReminderStoreTest, DropStaleDropsThePendingAndSkippedRemindersOfACancelledAppointment) {
  const Owner owner = add_owner(1);
  const Appointment a = add_appointment(owner, kStart);
  const Appointment b = add_appointment(owner, kStart + 1h);
  const Appointment live = add_appointment(owner, kStart + 2h);
  const std::vector<ReminderPlan> plans = {pending_plan(a), skipped_plan(b, "opted_out"),
                                           pending_plan(live)};
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders(plans, kNow));
  ASSERT_OK(store_->set_appointment_status(a.id, AppointmentStatus::kCancelled, kNow));
  ASSERT_OK(store_->set_appointment_status(b.id, AppointmentStatus::kCancelled, kNow));

  ASSERT_OK_AND_ASSIGN(dropped, store_->drop_stale_reminders(kNow + 1h));
  ASSERT_THAT(ids_of(dropped), ElementsAre(planned[0].reminder.id, planned[1].reminder.id));
  for (const Reminder& r : dropped) {
    SCOPED_TRACE("reminder " + std::to_string(r.id));
    EXPECT_EQ(r.state, ReminderState::kDropped);
    EXPECT_EQ(r.reason, "appointment_cancelled");
    EXPECT_EQ(r.detail, "");
    EXPECT_EQ(r.updated_at, kNow + 1h);
    EXPECT_EQ(stored(r.id), r);
  }
  EXPECT_EQ(stored(planned[2].reminder.id), planned[2].reminder);
  // Dropped once: a second sweep finds nothing more.
  ASSERT_OK_AND_ASSIGN(again, store_->drop_stale_reminders(kNow + 2h));
  EXPECT_THAT(again, IsEmpty());
  EXPECT_EQ(stored(planned[0].reminder.id), dropped[0]);
}

TEST_P(ReminderStoreTest, DropStaleNamesAnyOtherStatusInLowerCaseAndOrdersById) {
  const Owner owner = add_owner(1);
  const Appointment scheduled = add_appointment(owner, kStart);
  const Appointment no_show = add_appointment(owner, kStart + 1h);
  const Appointment completed = add_appointment(owner, kStart + 2h);
  const Appointment cancelled = add_appointment(owner, kStart + 3h);
  const std::vector<ReminderPlan> plans = {pending_plan(cancelled), pending_plan(completed),
                                           skipped_plan(no_show, "invalid_number"),
                                           pending_plan(scheduled)};
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders(plans, kNow));
  ASSERT_OK(store_->set_appointment_status(scheduled.id, AppointmentStatus::kScheduled, kNow));
  ASSERT_OK(store_->set_appointment_status(no_show.id, AppointmentStatus::kNoShow, kNow));
  ASSERT_OK(store_->set_appointment_status(completed.id, AppointmentStatus::kCompleted, kNow));
  ASSERT_OK(store_->set_appointment_status(cancelled.id, AppointmentStatus::kCancelled, kNow));

  ASSERT_OK_AND_ASSIGN(dropped, store_->drop_stale_reminders(kNow));
  std::map<AppointmentId, std::string> reasons;
  for (const Reminder& r : dropped) {
    EXPECT_EQ(r.state, ReminderState::kDropped);
    reasons[r.appointment_id] = r.reason;
  }
  EXPECT_EQ(reasons[scheduled.id], "appointment_scheduled");
  EXPECT_EQ(reasons[no_show.id], "appointment_no_show");
  EXPECT_EQ(reasons[completed.id], "appointment_completed");
  EXPECT_EQ(reasons[cancelled.id], "appointment_cancelled");
  EXPECT_THAT(ids_of(dropped), ElementsAre(planned[0].reminder.id, planned[1].reminder.id,
                                           planned[2].reminder.id, planned[3].reminder.id));
}

TEST_P(ReminderStoreTest, DropStaleDropsTheReminderOfAMovedAppointmentAsRescheduled) {
  Appointment a = add_appointment(add_owner(1));
  const Reminder r = plan(pending_plan(a)).reminder;
  a.start = kStart + 1h;
  ASSERT_OK(store_->update_appointment(a, kNow));

  ASSERT_OK_AND_ASSIGN(dropped, store_->drop_stale_reminders(kNow));
  ASSERT_THAT(ids_of(dropped), ElementsAre(r.id));
  EXPECT_EQ(dropped[0].reason, "rescheduled");
}

TEST_P(ReminderStoreTest, DropStaleLeavesConfirmedAppointmentsAndRemindersBeyondPending) {
  const Appointment confirmed = add_appointment(add_owner(1));
  const Reminder kept = plan(pending_plan(confirmed)).reminder;
  const Appointment cancelled = add_appointment(add_owner(2));
  const Reminder claimed = plan(pending_plan(cancelled)).reminder;
  ASSERT_EQ(claim(kWorkerA).size(), 2u);
  const Reminder dialling = stored(claimed.id);
  const Reminder kept_dialling = stored(kept.id);
  ASSERT_OK(store_->set_appointment_status(cancelled.id, AppointmentStatus::kCancelled, kNow));

  ASSERT_OK_AND_ASSIGN(dropped, store_->drop_stale_reminders(kNow));
  EXPECT_THAT(dropped, IsEmpty());
  EXPECT_EQ(stored(claimed.id), dialling);
  EXPECT_EQ(stored(kept.id), kept_dialling);

  const Reminder later = plan(pending_plan(add_appointment(add_owner(3)))).reminder;
  ASSERT_OK_AND_ASSIGN(none, store_->drop_stale_reminders(kNow));
  EXPECT_THAT(none, IsEmpty());
  EXPECT_EQ(stored(later.id), later);
}

// --- claim_due_reminders ----------------------------------------------------------------------

TEST_P(ReminderStoreTest, ClaimTakesDueRemindersEarliestFirstWithTheirAppointmentAndCustomer) {
  const Reminder second = due_reminder(1, kNow - 1h);
  const Reminder first = due_reminder(2, kNow - 2h);
  const Reminder third = due_reminder(3, kNow);  // due now is due
  const Reminder not_yet = due_reminder(4, kNow + 1s);
  // The claim reads the customer as stored now.
  ASSERT_OK_AND_ASSIGN(customer, store_->customer(first.customer_id));
  customer.first_name = "Renamed";
  ASSERT_OK(store_->update_customer(customer));

  const auto claims = claim(kWorkerA, kNow);
  ASSERT_THAT(ids_of(claims), ElementsAre(first.id, second.id, third.id));
  for (const ReminderClaim& c : claims) {
    SCOPED_TRACE("reminder " + std::to_string(c.reminder.id));
    EXPECT_EQ(c.reminder.state, ReminderState::kDialling);
    EXPECT_EQ(c.reminder.claimed_by, kWorkerA);
    EXPECT_EQ(c.reminder.claimed_at, kNow);
    EXPECT_EQ(c.reminder.lease_until, kNow + kLease);
    EXPECT_EQ(c.reminder.updated_at, kNow);
    EXPECT_EQ(stored(c.reminder.id), c.reminder);
    ASSERT_OK_AND_ASSIGN(appointment, store_->appointment(c.reminder.appointment_id));
    EXPECT_EQ(c.appointment, appointment);
    ASSERT_OK_AND_ASSIGN(owner, store_->customer(c.reminder.customer_id));
    EXPECT_EQ(c.customer, owner);
  }
  EXPECT_EQ(claims[0].customer.first_name, "Renamed");
  EXPECT_EQ(stored(not_yet.id), not_yet);
  EXPECT_THAT(claim(kWorkerB, kNow), IsEmpty());
  EXPECT_THAT(ids_of(claim(kWorkerB, kNow + 1s)), ElementsAre(not_yet.id));
}

TEST_P(ReminderStoreTest, ClaimTakesAtMostLimit) {
  const Reminder first = due_reminder(1, kNow - 3h);
  const Reminder second = due_reminder(2, kNow - 2h);
  const Reminder third = due_reminder(3, kNow - 1h);
  EXPECT_THAT(ids_of(claim(kWorkerA, kNow, 2)), ElementsAre(first.id, second.id));
  EXPECT_THAT(ids_of(claim(kWorkerA, kNow, 1)), ElementsAre(third.id));
  EXPECT_THAT(claim(kWorkerA, kNow, 1000), IsEmpty());
}

TEST_P(ReminderStoreTest, ClaimRejectsALimitOutsideOneToAThousandAndBadArguments) {
  const Reminder r = due_reminder(1);
  expect_error(store_->claim_due_reminders(kWorkerA, kNow, kLease, 0), ErrorCode::kInvalidArgument,
               "limit 0", "limit");
  expect_error(store_->claim_due_reminders(kWorkerA, kNow, kLease, 1001),
               ErrorCode::kInvalidArgument, "limit 1001", "limit");
  expect_error(store_->claim_due_reminders("", kNow, kLease, 10), ErrorCode::kInvalidArgument,
               "worker", "worker");
  expect_error(store_->claim_due_reminders(kWorkerA, kNow, 0s, 10), ErrorCode::kInvalidArgument,
               "lease", "lease");
  EXPECT_EQ(stored(r.id), r);
}

TEST_P(ReminderStoreTest, ClaimTakesOneReminderOfACustomerAtATime) {
  const Owner owner = add_owner(1);
  const Reminder later = plan(pending_plan(add_appointment(owner, kStart), kNow - 1h)).reminder;
  const Reminder earlier =
      plan(pending_plan(add_appointment(owner, kStart + 24h), kNow - 2h)).reminder;
  const Reminder other = due_reminder(2, kNow - 30min);

  EXPECT_THAT(ids_of(claim(kWorkerA, kNow)), ElementsAre(earlier.id, other.id));
  // The customer has a reminder dialling: theirs waits, for any worker.
  EXPECT_THAT(claim(kWorkerB, kNow), IsEmpty());
  EXPECT_EQ(stored(later.id), later);

  // Once the call is placed nothing of theirs is dialling.
  ASSERT_OK_AND_ASSIGN(appointment, store_->appointment(earlier.appointment_id));
  ASSERT_OK(store_->record_reminder_attempt(
      call_attempt(earlier.id, kWorkerA, reminder_call("CA-earlier", appointment)), kNow));
  EXPECT_THAT(ids_of(claim(kWorkerB, kNow)), ElementsAre(later.id));
}

// --- take_over_stale_claims -------------------------------------------------------------------

TEST_P(ReminderStoreTest, TakeOverTakesAnotherWorkersClaimOnceItsLeaseHasEnded) {
  const Reminder r = due_reminder(1);
  ASSERT_EQ(claim(kWorkerA, kNow).size(), 1u);
  const Reminder held = stored(r.id);

  EXPECT_THAT(take_over(kWorkerB, kNow + kLease - 1s), IsEmpty());
  EXPECT_EQ(stored(r.id), held);

  const TimePoint later = kNow + kLease;  // lease_until <= now: ended
  const auto taken = take_over(kWorkerB, later);
  ASSERT_THAT(ids_of(taken), ElementsAre(r.id));
  const Reminder& t = taken[0].reminder;
  EXPECT_EQ(t.state, ReminderState::kDialling);
  EXPECT_EQ(t.claimed_by, kWorkerB);
  EXPECT_EQ(t.claimed_at, kNow);  // kept: the carrier is asked about calls since then
  EXPECT_EQ(t.lease_until, later + kLease);
  EXPECT_EQ(t.updated_at, later);
  EXPECT_EQ(stored(r.id), t);
  ASSERT_OK_AND_ASSIGN(appointment, store_->appointment(r.appointment_id));
  EXPECT_EQ(taken[0].appointment, appointment);
  ASSERT_OK_AND_ASSIGN(customer, store_->customer(r.customer_id));
  EXPECT_EQ(taken[0].customer, customer);

  // Now B's, with a live lease: nobody takes it.
  EXPECT_THAT(take_over(kWorkerA, later + 1s), IsEmpty());
}

TEST_P(ReminderStoreTest, TakeOverLeavesTheCallersOwnEndedClaimUnlessClaimedBeforeCoversIt) {
  const Reminder r = due_reminder(1);
  ASSERT_EQ(claim(kWorkerA, kNow).size(), 1u);
  EXPECT_THAT(take_over(kWorkerA, kNow + 1h), IsEmpty());
  EXPECT_THAT(take_over(kWorkerA, kNow + 1h, kNow - 1s), IsEmpty());

  const auto taken = take_over(kWorkerA, kNow + 1h, kNow);
  ASSERT_THAT(ids_of(taken), ElementsAre(r.id));
  EXPECT_EQ(taken[0].reminder.claimed_by, kWorkerA);
  EXPECT_EQ(taken[0].reminder.claimed_at, kNow);
  EXPECT_EQ(taken[0].reminder.lease_until, kNow + 1h + kLease);
}

TEST_P(ReminderStoreTest, TakeOverWithClaimedBeforeTakesEveryClaimMadeAtOrBeforeIt) {
  const Reminder early = due_reminder(1);
  ASSERT_EQ(claim(kWorkerA, kNow).size(), 1u);
  const Reminder late = due_reminder(2);
  ASSERT_EQ(claim(kWorkerB, kNow + 10s).size(), 1u);
  const Reminder untouched = stored(late.id);

  // A's lease is live, but it was claimed at claimed_before: taken all the same.
  const auto taken = take_over("host-c:3", kNow + 20s, kNow);
  ASSERT_THAT(ids_of(taken), ElementsAre(early.id));
  EXPECT_EQ(taken[0].reminder.claimed_by, "host-c:3");
  EXPECT_EQ(taken[0].reminder.claimed_at, kNow);
  EXPECT_EQ(stored(late.id), untouched);

  // Both, oldest claim first.
  const auto all = take_over("host-d:4", kNow + 30s, kNow + 10s);
  EXPECT_THAT(ids_of(all), ElementsAre(early.id, late.id));
}

TEST_P(ReminderStoreTest, TakeOverLeavesRemindersThatAreNotDialling) {
  const Reminder pending = due_reminder(1, kNow + 1h);
  const Reminder placed = calling(due_reminder(2), "CA-placed");
  EXPECT_THAT(take_over(kWorkerB, kNow + 24h, kNow + 24h), IsEmpty());
  EXPECT_EQ(stored(pending.id), pending);
  EXPECT_EQ(stored(placed.id), placed);
}

TEST_P(ReminderStoreTest, TakeOverRejectsAnEmptyWorkerAndANonPositiveLease) {
  expect_error(store_->take_over_stale_claims("", kNow, kLease, std::nullopt),
               ErrorCode::kInvalidArgument, "worker", "worker");
  expect_error(store_->take_over_stale_claims(kWorkerA, kNow, -1s, std::nullopt),
               ErrorCode::kInvalidArgument, "lease", "lease");
}

// --- record_reminder_attempt ------------------------------------------------------------------

TEST_P(ReminderStoreTest, RecordAttemptMovesTheReminderOnAndLogsTheCall) {
  const Reminder r = due_reminder(1);
  const auto claims = claim(kWorkerA, kNow);
  ASSERT_EQ(claims.size(), 1u);
  const CallLog log = reminder_call("CA-first", claims[0].appointment);
  ReminderAttempt attempt = call_attempt(r.id, kWorkerA, log);
  attempt.reason = "dialled";

  ASSERT_OK_AND_ASSIGN(recorded, store_->record_reminder_attempt(attempt, kNow + 5s));
  EXPECT_EQ(recorded.state, ReminderState::kCalling);
  EXPECT_EQ(recorded.call_sid, "CA-first");
  EXPECT_EQ(recorded.attempts, 1);
  EXPECT_EQ(recorded.claimed_by, "");
  EXPECT_EQ(recorded.claimed_at, std::nullopt);
  EXPECT_EQ(recorded.lease_until, std::nullopt);
  EXPECT_EQ(recorded.reason, "dialled");
  EXPECT_EQ(recorded.updated_at, kNow + 5s);
  EXPECT_EQ(stored(r.id), recorded);

  ASSERT_OK_AND_ASSIGN(call, store_->call_log_by_sid("CA-first"));
  CallLog expected = log;
  expected.id = call.id;
  expected.created_at = kNow + 5s;
  expected.updated_at = kNow + 5s;
  EXPECT_EQ(call, expected);
}

TEST_P(ReminderStoreTest, RecordAttemptKeepsTheStatusAndTimesACallbackWroteFirst) {
  const Reminder r = due_reminder(1);
  const auto claims = claim(kWorkerA, kNow);
  ASSERT_EQ(claims.size(), 1u);
  // The carrier's callback beat the worker to the database.
  CallStatusUpdate u;
  u.call_sid = "CA-fast";
  u.status = CallStatus::kInProgress;
  u.sequence_number = 2;
  u.timestamp = kNow + 2s;
  u.direction = CallDirection::kOutbound;
  u.from = "+15550000000";
  u.to = "+15551230000";
  ASSERT_OK_AND_ASSIGN(applied, store_->apply_call_status(u, kNow + 3s));
  ASSERT_TRUE(applied.created);

  ASSERT_OK_AND_ASSIGN(
      recorded, store_->record_reminder_attempt(
                    call_attempt(r.id, kWorkerA, reminder_call("CA-fast", claims[0].appointment)),
                    kNow + 5s));
  EXPECT_EQ(recorded.call_sid, "CA-fast");
  ASSERT_OK_AND_ASSIGN(call, store_->call_log_by_sid("CA-fast"));
  EXPECT_EQ(call.id, applied.log.id);
  EXPECT_EQ(call.status, CallStatus::kInProgress);
  EXPECT_EQ(call.started_at, kNow + 2s);
  EXPECT_EQ(call.created_at, kNow + 3s);
  EXPECT_EQ(call.customer_id, r.customer_id);
  EXPECT_EQ(call.appointment_id, r.appointment_id);
  EXPECT_EQ(call.intent, "appointment_reminder");
  EXPECT_EQ(call.direction, CallDirection::kOutbound);
  EXPECT_EQ(call.from, "+15550000000");
  EXPECT_EQ(call.to, "+15551230000");
  EXPECT_EQ(call.updated_at, kNow + 5s);
  // A later callback still applies to the row.
  u.status = CallStatus::kCompleted;
  u.sequence_number = 3;
  ASSERT_OK_AND_ASSIGN(ended, store_->apply_call_status(u, kNow + 60s));
  EXPECT_TRUE(ended.applied);
  EXPECT_EQ(ended.log.intent, "appointment_reminder");
}

TEST_P(ReminderStoreTest, RecordAttemptOfAnSmsEndsTheReminderAndCountsEachAttempt) {
  const Reminder r = due_reminder(1);
  const Reminder first = calling(r, "CA-one");
  ASSERT_EQ(first.attempts, 1);
  ReminderTransition retry;
  retry.id = r.id;
  retry.from = ReminderState::kCalling;
  retry.call_sid = "CA-one";
  retry.to = ReminderState::kPending;
  retry.channel = ReminderChannel::kSms;
  retry.due_at = kNow + 10min;
  retry.reason = "no_answer";
  ASSERT_OK(store_->transition_reminder(retry, kNow + 1min));
  const auto claims = claim(kWorkerA, kNow + 10min);
  ASSERT_THAT(ids_of(claims), ElementsAre(r.id));
  EXPECT_EQ(claims[0].reminder.channel, ReminderChannel::kSms);

  CallLog sms = reminder_call("SM-two", claims[0].appointment);
  ReminderAttempt attempt = call_attempt(r.id, kWorkerA, sms);
  attempt.next = ReminderState::kDone;
  attempt.reason = "sms_sent";
  ASSERT_OK_AND_ASSIGN(done, store_->record_reminder_attempt(attempt, kNow + 11min));
  EXPECT_EQ(done.state, ReminderState::kDone);
  EXPECT_EQ(done.attempts, 2);
  EXPECT_EQ(done.reason, "sms_sent");
  EXPECT_EQ(done.call_sid, "SM-two");
  EXPECT_EQ(done.channel, ReminderChannel::kSms);
  EXPECT_EQ(done.claimed_by, "");
}

TEST_P(ReminderStoreTest, RecordAttemptWithoutTheClaimConflictsAndWritesNothing) {
  const Reminder r = due_reminder(1);
  const Reminder not_claimed = due_reminder(2, kNow + 1h);
  const auto claims = claim(kWorkerA, kNow);
  ASSERT_EQ(claims.size(), 1u);
  const Reminder held = stored(r.id);
  const CallLog log = reminder_call("CA-stolen", claims[0].appointment);

  expect_error(store_->record_reminder_attempt(call_attempt(r.id, kWorkerB, log), kNow),
               ErrorCode::kConflict, "not claimed by host-b:2");
  expect_error(store_->record_reminder_attempt(call_attempt(not_claimed.id, kWorkerA, log), kNow),
               ErrorCode::kConflict, "is pending");
  expect_error(store_->record_reminder_attempt(call_attempt(r.id + 1000, kWorkerA, log), kNow),
               ErrorCode::kNotFound, "reminder " + std::to_string(r.id + 1000));
  expect_error(store_->record_reminder_attempt(call_attempt(r.id, "", log), kNow),
               ErrorCode::kInvalidArgument, "worker", "worker");
  expect_error(store_->record_reminder_attempt(call_attempt(r.id, kWorkerA, CallLog{}), kNow),
               ErrorCode::kInvalidArgument, "call_sid", "call_sid");

  EXPECT_EQ(stored(r.id), held);
  EXPECT_EQ(stored(not_claimed.id), not_claimed);
  expect_error(store_->call_log_by_sid("CA-stolen"), ErrorCode::kNotFound, "CA-stolen");

  // The holder still can, once.
  ASSERT_OK(store_->record_reminder_attempt(call_attempt(r.id, kWorkerA, log), kNow));
  expect_error(store_->record_reminder_attempt(call_attempt(r.id, kWorkerA, log), kNow),
               ErrorCode::kConflict, "is calling");
}

TEST_P(ReminderStoreTest, RecordAttemptAfterATakeOverConflictsForTheFormerHolder) {
  const Reminder r = due_reminder(1);
  const auto claims = claim(kWorkerA, kNow);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_EQ(take_over(kWorkerB, kNow + kLease).size(), 1u);
  const CallLog log = reminder_call("CA-late", claims[0].appointment);
  expect_error(store_->record_reminder_attempt(call_attempt(r.id, kWorkerA, log), kNow + 2min),
               ErrorCode::kConflict, "by host-b:2");
  expect_error(store_->call_log_by_sid("CA-late"), ErrorCode::kNotFound, "CA-late");
}

// --- transition_reminder ----------------------------------------------------------------------

TEST_P(ReminderStoreTest, TransitionFromDiallingBackToPendingSetsDueAtAndClearsTheClaim) {
  const Reminder r = due_reminder(1);
  ASSERT_EQ(claim(kWorkerA, kNow).size(), 1u);
  ReminderTransition t;
  t.id = r.id;
  t.from = ReminderState::kDialling;
  t.worker = std::string(kWorkerA);
  t.to = ReminderState::kPending;
  t.due_at = kNow + 15min;
  t.reason = "carrier_error";
  t.detail = "503 from the carrier";
  ASSERT_OK_AND_ASSIGN(moved, store_->transition_reminder(t, kNow + 1s));
  EXPECT_EQ(moved.state, ReminderState::kPending);
  EXPECT_EQ(moved.due_at, kNow + 15min);
  EXPECT_EQ(moved.claimed_by, "");
  EXPECT_EQ(moved.claimed_at, std::nullopt);
  EXPECT_EQ(moved.lease_until, std::nullopt);
  EXPECT_EQ(moved.reason, "carrier_error");
  EXPECT_EQ(moved.detail, "503 from the carrier");
  EXPECT_EQ(moved.channel, ReminderChannel::kCall);
  EXPECT_EQ(moved.attempts, 0);
  EXPECT_EQ(moved.updated_at, kNow + 1s);
  EXPECT_EQ(stored(r.id), moved);
  EXPECT_THAT(claim(kWorkerA, kNow + 15min - 1s), IsEmpty());
  EXPECT_THAT(ids_of(claim(kWorkerA, kNow + 15min)), ElementsAre(r.id));
}

TEST_P(ReminderStoreTest, TransitionFromCallingKeepsDueAtUnlessMovingToPending) {
  const Reminder placed = calling(due_reminder(1), "CA-done");
  ReminderTransition t;
  t.id = placed.id;
  t.from = ReminderState::kCalling;
  t.call_sid = "CA-done";
  t.to = ReminderState::kDone;
  t.due_at = kNow + 99h;  // ignored: not moving to pending
  t.reason = "answered";
  ASSERT_OK_AND_ASSIGN(done, store_->transition_reminder(t, kNow + 2min));
  EXPECT_EQ(done.state, ReminderState::kDone);
  EXPECT_EQ(done.due_at, placed.due_at);
  EXPECT_EQ(done.reason, "answered");
  EXPECT_EQ(done.detail, "");
  EXPECT_EQ(done.call_sid, "CA-done");
  EXPECT_EQ(done.attempts, 1);
}

TEST_P(ReminderStoreTest, TransitionConflictsWhenTheReminderIsNotAsExpected) {
  const Reminder r = due_reminder(1);
  ASSERT_EQ(claim(kWorkerA, kNow).size(), 1u);
  const Reminder dialling = stored(r.id);
  ReminderTransition wrong_worker;
  wrong_worker.id = r.id;
  wrong_worker.from = ReminderState::kDialling;
  wrong_worker.worker = std::string(kWorkerB);
  wrong_worker.to = ReminderState::kFailed;
  expect_error(store_->transition_reminder(wrong_worker, kNow), ErrorCode::kConflict,
               "claimed by host-a:1, not host-b:2");
  ReminderTransition wrong_state;
  wrong_state.id = r.id;
  wrong_state.from = ReminderState::kCalling;
  wrong_state.call_sid = "CA-x";
  wrong_state.to = ReminderState::kDone;
  expect_error(store_->transition_reminder(wrong_state, kNow), ErrorCode::kConflict,
               "is dialling, not calling");
  EXPECT_EQ(stored(r.id), dialling);

  const Reminder placed = calling(due_reminder(2), "CA-right", kNow);
  ReminderTransition wrong_call;
  wrong_call.id = placed.id;
  wrong_call.from = ReminderState::kCalling;
  wrong_call.call_sid = "CA-wrong";
  wrong_call.to = ReminderState::kDone;
  expect_error(store_->transition_reminder(wrong_call, kNow), ErrorCode::kConflict,
               "waits on call CA-right, not CA-wrong");
  EXPECT_EQ(stored(placed.id), placed);

  // The same move twice: the second finds it moved.
  wrong_call.call_sid = "CA-right";
  ASSERT_OK(store_->transition_reminder(wrong_call, kNow));
  expect_error(store_->transition_reminder(wrong_call, kNow), ErrorCode::kConflict,
               "is done, not calling");
}

TEST_P(ReminderStoreTest, TransitionOfAnUnknownReminderIsNotFoundAndBadMovesAreRejected) {
  ReminderTransition t;
  t.id = 4242;
  t.from = ReminderState::kPending;
  t.to = ReminderState::kDropped;
  expect_error(store_->transition_reminder(t, kNow), ErrorCode::kNotFound, "reminder 4242");
  expect_error(store_->reminder(4242), ErrorCode::kNotFound, "reminder 4242 does not exist");

  const Reminder r = due_reminder(1);
  ReminderTransition to_dialling;
  to_dialling.id = r.id;
  to_dialling.from = ReminderState::kPending;
  to_dialling.to = ReminderState::kDialling;
  expect_error(store_->transition_reminder(to_dialling, kNow), ErrorCode::kInvalidArgument,
               "claimed", "to");
  ReminderTransition no_worker;
  no_worker.id = r.id;
  no_worker.from = ReminderState::kDialling;
  no_worker.to = ReminderState::kPending;
  expect_error(store_->transition_reminder(no_worker, kNow), ErrorCode::kInvalidArgument,
               "claim holder", "worker");
  ReminderTransition no_call;
  no_call.id = r.id;
  no_call.from = ReminderState::kCalling;
  no_call.to = ReminderState::kDone;
  expect_error(store_->transition_reminder(no_call, kNow), ErrorCode::kInvalidArgument, "SID",
               "call_sid");
  EXPECT_EQ(stored(r.id), r);

  // A pending reminder needs no holder or call to be dropped.
  t.id = r.id;
  t.reason = "cancelled_by_staff";
  ASSERT_OK_AND_ASSIGN(dropped, store_->transition_reminder(t, kNow));
  EXPECT_EQ(dropped.state, ReminderState::kDropped);
  EXPECT_EQ(dropped.reason, "cancelled_by_staff");
}

// --- calls_to_follow_up -----------------------------------------------------------------------

TEST_P(ReminderStoreTest, FollowUpReturnsCallsThatEndedAndCallsWaitedOnTooLongOldestFirst) {
  // Placed an hour ago and never heard of since.
  const Reminder stale = calling(due_reminder(1), "CA-stale", kNow - 1h);
  // Placed now, then ended.
  const Reminder ended = calling(due_reminder(2), "CA-ended", kNow);
  // Placed now, ringing.
  const Reminder ringing = calling(due_reminder(3), "CA-ringing", kNow);
  CallStatusUpdate u;
  u.call_sid = "CA-ended";
  u.status = CallStatus::kNoAnswer;
  u.sequence_number = 3;
  ASSERT_OK(store_->apply_call_status(u, kNow + 30s));
  u.call_sid = "CA-ringing";
  u.status = CallStatus::kRinging;
  ASSERT_OK(store_->apply_call_status(u, kNow + 30s));
  // A finished reminder whose call ended is not followed up again.
  const Reminder finished = calling(due_reminder(4, kNow - 3h), "CA-finished", kNow - 2h);
  u.call_sid = "CA-finished";
  u.status = CallStatus::kCompleted;
  ASSERT_OK(store_->apply_call_status(u, kNow - 2h));
  ReminderTransition done;
  done.id = finished.id;
  done.from = ReminderState::kCalling;
  done.call_sid = "CA-finished";
  done.to = ReminderState::kDone;
  ASSERT_OK(store_->transition_reminder(done, kNow - 2h));

  const TimePoint waiting_since = kNow - 30min;
  ASSERT_OK_AND_ASSIGN(calls, store_->calls_to_follow_up(waiting_since, 10));
  ASSERT_THAT(ids_of(calls), ElementsAre(stale.id, ended.id));
  EXPECT_EQ(calls[0].reminder, stored(stale.id));
  ASSERT_TRUE(calls[0].call.has_value());
  EXPECT_EQ(calls[0].call->call_sid, "CA-stale");
  EXPECT_EQ(calls[0].call->status, CallStatus::kInitiated);
  ASSERT_TRUE(calls[1].call.has_value());
  EXPECT_EQ(*calls[1].call, *store_->call_log_by_sid("CA-ended"));
  EXPECT_EQ(calls[1].call->status, CallStatus::kNoAnswer);

  ASSERT_OK_AND_ASSIGN(first, store_->calls_to_follow_up(waiting_since, 1));
  EXPECT_THAT(ids_of(first), ElementsAre(stale.id));
  // Waiting since now: the ringing one (placed at now) counts too.
  ASSERT_OK_AND_ASSIGN(all, store_->calls_to_follow_up(kNow, 10));
  EXPECT_THAT(ids_of(all), ElementsAre(stale.id, ended.id, ringing.id));
}

TEST_P(ReminderStoreTest, FollowUpRejectsALimitOutsideOneToAThousand) {
  expect_error(store_->calls_to_follow_up(kNow, 0), ErrorCode::kInvalidArgument, "limit 0",
               "limit");
  expect_error(store_->calls_to_follow_up(kNow, 1001), ErrorCode::kInvalidArgument, "limit 1001",
               "limit");
  ASSERT_OK_AND_ASSIGN(none, store_->calls_to_follow_up(kNow, 1000));
  EXPECT_THAT(none, IsEmpty());
}

// --- list_reminders ---------------------------------------------------------------------------

TEST_P(ReminderStoreTest, ListFiltersByStateAppointmentAndStartAndPagesInStartOrder) {
  const Owner owner = add_owner(1);
  const Appointment late = add_appointment(owner, kStart + 2h);
  const Appointment early = add_appointment(owner, kStart);
  const Appointment middle = add_appointment(owner, kStart + 1h);
  const std::vector<ReminderPlan> plans = {pending_plan(late), skipped_plan(early, "opted_out"),
                                           pending_plan(middle)};
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders(plans, kNow));
  const ReminderId late_id = planned[0].reminder.id;
  const ReminderId early_id = planned[1].reminder.id;
  const ReminderId middle_id = planned[2].reminder.id;

  const auto list = [&](ReminderQuery q) {
    auto rows = store_->list_reminders(q);
    EXPECT_TRUE(rows.ok()) << describe(rows);
    return rows.ok() ? ids_of(*rows) : std::vector<ReminderId>{};
  };
  EXPECT_THAT(list({}), ElementsAre(early_id, middle_id, late_id));
  ReminderQuery pending;
  pending.state = ReminderState::kPending;
  EXPECT_THAT(list(pending), ElementsAre(middle_id, late_id));
  ReminderQuery of_late;
  of_late.appointment_id = late.id;
  EXPECT_THAT(list(of_late), ElementsAre(late_id));
  ReminderQuery window;
  window.from = kStart + 1h;
  window.to = kStart + 2h;  // exclusive
  EXPECT_THAT(list(window), ElementsAre(middle_id));
  ReminderQuery combined = window;
  combined.to = std::nullopt;
  combined.state = ReminderState::kSkipped;
  EXPECT_THAT(list(combined), IsEmpty());
  ReminderQuery page;
  page.page = Page{1, 1};
  EXPECT_THAT(list(page), ElementsAre(middle_id));
  page.page = Page{2, 2};
  EXPECT_THAT(list(page), ElementsAre(late_id));

  ReminderQuery bad;
  bad.page.limit = 0;
  expect_error(store_->list_reminders(bad), ErrorCode::kInvalidArgument, "limit", "limit");
  bad.page = Page{10, -1};
  expect_error(store_->list_reminders(bad), ErrorCode::kInvalidArgument, "offset", "offset");
}

// --- deletes ----------------------------------------------------------------------------------

TEST_P(ReminderStoreTest, DeletingAnAppointmentOrACustomerDeletesTheirReminders) {
  const Owner owner = add_owner(1);
  const Appointment gone = add_appointment(owner);
  const Appointment stays = add_appointment(owner, kStart + 1h);
  const Reminder removed = plan(pending_plan(gone)).reminder;
  const Reminder kept = plan(pending_plan(stays)).reminder;
  const Reminder other = due_reminder(2);
  ASSERT_OK(store_->delete_appointment(gone.id));
  expect_error(store_->reminder(removed.id), ErrorCode::kNotFound, "does not exist");
  EXPECT_EQ(stored(kept.id), kept);

  ASSERT_OK(store_->delete_customer(owner.customer.id));
  expect_error(store_->reminder(kept.id), ErrorCode::kNotFound, "does not exist");
  EXPECT_THAT(ids_of(all_reminders()), ElementsAre(other.id));
}

// --- several workers ----------------------------------------------------------------------------

// Workers, each with its own Store on the database (as separate processes
// would have), claim in small batches until nothing is left; returns every
// claim each got. Claims that fail are counted in *failures.
std::vector<std::vector<ReminderClaim>> claim_until_none_left(const std::string& url, int workers,
                                                              int limit,
                                                              std::atomic<int>* failures) {
  std::vector<std::vector<ReminderClaim>> got(static_cast<std::size_t>(workers));
  std::vector<std::unique_ptr<Store>> stores;
  for (int w = 0; w < workers; ++w) {
    auto opened = open_store(url);
    EXPECT_TRUE(opened.ok()) << describe(opened);
    if (!opened.ok()) return got;
    stores.push_back(std::move(*opened));
  }
  std::barrier start_together(workers);
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      const auto index = static_cast<std::size_t>(w);
      const std::string worker = "host-" + std::to_string(w) + ":" + std::to_string(100 + w);
      start_together.arrive_and_wait();
      for (int round = 0; round < 10000; ++round) {
        auto claims = stores[index]->claim_due_reminders(worker, kNow, kLease, limit);
        if (!claims.ok()) {
          ADD_FAILURE() << worker << ": " << describe(claims);
          ++*failures;
          return;
        }
        if (claims->empty()) return;
        for (auto& c : *claims) got[index].push_back(std::move(c));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return got;
}

TEST_P(ReminderStoreTest, ConcurrentWorkersClaimEveryReminderExactlyOnce) {
  constexpr int kCustomers = 400;
  constexpr int kWorkers = 4;
  std::vector<ReminderPlan> plans;
  for (int n = 0; n < kCustomers; ++n) {
    plans.push_back(
        pending_plan(add_appointment(add_owner(n)), kDue + std::chrono::seconds(n % 7)));
  }
  ASSERT_OK_AND_ASSIGN(planned, store_->plan_reminders(plans, kNow));
  std::set<ReminderId> expected;
  for (const auto& p : planned) expected.insert(p.reminder.id);
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kCustomers));

  std::atomic<int> failures{0};
  const auto got = claim_until_none_left(db_->url(), kWorkers, 7, &failures);
  EXPECT_EQ(failures.load(), 0);
  std::map<ReminderId, std::string> holder;
  std::size_t total = 0;
  for (const auto& claims : got) {
    for (const ReminderClaim& c : claims) {
      ++total;
      const bool first = holder.emplace(c.reminder.id, c.reminder.claimed_by).second;
      EXPECT_TRUE(first) << "reminder " << c.reminder.id << " claimed twice";
      EXPECT_EQ(c.appointment.id, c.reminder.appointment_id);
      EXPECT_EQ(c.customer.id, c.reminder.customer_id);
    }
  }
  EXPECT_EQ(total, expected.size());
  std::set<ReminderId> claimed;
  for (const auto& [id, worker] : holder) claimed.insert(id);
  EXPECT_EQ(claimed, expected);
  // Each is stored as claimed by the worker that got it.
  for (const Reminder& r : all_reminders()) {
    EXPECT_EQ(r.state, ReminderState::kDialling) << r.id;
    EXPECT_EQ(r.claimed_by, holder[r.id]) << r.id;
  }
  EXPECT_THAT(claim(kWorkerA), IsEmpty());
}

TEST_P(ReminderStoreTest, ConcurrentWorkersNeverDialTwoRemindersOfOneCustomerAtOnce) {
  constexpr int kCustomers = 100;
  std::vector<ReminderPlan> plans;
  for (int n = 0; n < kCustomers; ++n) {
    const Owner owner = add_owner(n);
    plans.push_back(pending_plan(add_appointment(owner, kStart), kDue + std::chrono::seconds(n)));
    plans.push_back(
        pending_plan(add_appointment(owner, kStart + 24h), kDue + std::chrono::seconds(n)));
  }
  ASSERT_OK(store_->plan_reminders(plans, kNow));

  std::atomic<int> failures{0};
  const auto got = claim_until_none_left(db_->url(), 4, 5, &failures);
  EXPECT_EQ(failures.load(), 0);
  std::map<CustomerId, int> claimed_of;
  for (const auto& claims : got) {
    for (const ReminderClaim& c : claims) ++claimed_of[c.reminder.customer_id];
  }
  EXPECT_EQ(claimed_of.size(), static_cast<std::size_t>(kCustomers));
  for (const auto& [customer, count] : claimed_of) {
    EXPECT_EQ(count, 1) << "customer " << customer;
  }
  std::map<CustomerId, int> dialling_of;
  for (const Reminder& r : all_reminders()) {
    if (r.state == ReminderState::kDialling) ++dialling_of[r.customer_id];
  }
  for (const auto& [customer, count] : dialling_of) {
    EXPECT_EQ(count, 1) << "customer " << customer;
  }
}

TEST_P(ReminderStoreTest, RacingTakeOversGiveEachStaleClaimToOneWorker) {
  constexpr int kClaims = 50;
  constexpr int kRounds = 5;
  std::vector<ReminderPlan> plans;
  for (int n = 0; n < kClaims; ++n) plans.push_back(pending_plan(add_appointment(add_owner(n))));
  ASSERT_OK(store_->plan_reminders(plans, kNow));
  ASSERT_EQ(claim("host-dead:1", kNow, 1000).size(), static_cast<std::size_t>(kClaims));
  ASSERT_OK_AND_ASSIGN(other, open_store(db_->url()));
  Store* stores[] = {store_.get(), other.get()};

  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Every claim's lease ended a moment ago.
    const TimePoint now = kNow + round * (kLease + 1s);
    std::vector<ReminderId> taken[2];
    std::atomic<int> failures{0};
    std::barrier start_together(2);
    std::vector<std::thread> threads;
    for (int w = 0; w < 2; ++w) {
      threads.emplace_back([&, w] {
        const std::string worker = "host-" + std::to_string(round) + "-" + std::to_string(w);
        start_together.arrive_and_wait();
        auto claims = stores[w]->take_over_stale_claims(worker, now, kLease, std::nullopt);
        if (!claims.ok()) {
          ADD_FAILURE() << describe(claims);
          ++failures;
          return;
        }
        for (const ReminderClaim& c : *claims) {
          EXPECT_EQ(c.reminder.claimed_by, worker);
          taken[w].push_back(c.reminder.id);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    ASSERT_EQ(failures.load(), 0);
    std::set<ReminderId> all(taken[0].begin(), taken[0].end());
    for (ReminderId id : taken[1]) {
      EXPECT_TRUE(all.insert(id).second) << "reminder " << id << " taken by both";
    }
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kClaims));
    for (const Reminder& r : all_reminders()) {
      EXPECT_EQ(r.lease_until, now + kLease) << r.id;
      EXPECT_EQ(r.claimed_at, kNow) << r.id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReminderStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return std::string(autovoice::testing::backend_name(param_info.param));
                         });

}  // namespace
}  // namespace autovoice
