// The storage contract: every behaviour store.h promises, run against each
// backend (SQLite on a temporary file, PostgreSQL on the test server). A
// backend is done when this suite passes on it.

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <map>
#include <random>

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
using autovoice::testing::TestDatabase;
using autovoice::testing::create_database;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using namespace std::chrono_literals;

using autovoice::testing::describe;

PhoneNumber phone(std::string_view text) {
  auto p = PhoneNumber::parse(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? *p : PhoneNumber{};
}

TimePoint at(std::string_view utc) {
  auto t = parse_datetime(utc, nullptr);
  EXPECT_TRUE(t.ok()) << utc;
  return t.ok() ? *t : TimePoint{};
}

Customer new_customer(std::string_view number, std::string first_name = "Ada") {
  Customer c;
  c.first_name = std::move(first_name);
  c.last_name = "Lovelace";
  c.phone = phone(number);
  return c;
}

Vehicle new_vehicle(CustomerId owner) {
  Vehicle v;
  v.customer_id = owner;
  v.year = 2021;
  v.make = "Honda";
  v.model = "Civic";
  return v;
}

Appointment new_appointment(CustomerId customer, VehicleId vehicle, TimePoint start,
                            AppointmentStatus status = AppointmentStatus::kConfirmed) {
  Appointment a;
  a.customer_id = customer;
  a.vehicle_id = vehicle;
  a.start = start;
  a.duration_minutes = 90;
  a.service_type = "Oil change";
  a.status = status;
  return a;
}

CallLog new_call_log(std::string sid) {
  CallLog c;
  c.call_sid = std::move(sid);
  c.direction = CallDirection::kOutbound;
  c.status = CallStatus::kInitiated;
  return c;
}

// A status callback about call `sid`.
CallStatusUpdate callback(std::string sid, CallStatus status, std::optional<int> sequence,
                          std::optional<TimePoint> timestamp = std::nullopt) {
  CallStatusUpdate u;
  u.call_sid = std::move(sid);
  u.status = status;
  u.sequence_number = sequence;
  u.timestamp = timestamp;
  return u;
}

template <typename T>
void expect_error(const Result<T>& result, ErrorCode code, std::string_view mentioning) {
  ASSERT_FALSE(result.ok()) << "expected " << error_code_name(code);
  EXPECT_EQ(result.error().code, code) << describe(result);
  EXPECT_THAT(result.error().message, HasSubstr(std::string(mentioning)));
}

std::vector<AppointmentId> ids_of(const std::vector<Appointment>& rows) {
  std::vector<AppointmentId> ids;
  for (const auto& a : rows) ids.push_back(a.id);
  return ids;
}

std::vector<CallLogId> ids_of(const std::vector<CallLog>& rows) {
  std::vector<CallLogId> ids;
  for (const auto& c : rows) ids.push_back(c.id);
  return ids;
}

AppointmentQuery appointments_in_page(Page page) {
  AppointmentQuery q;
  q.page = page;
  return q;
}

CallLogQuery call_logs_of(std::optional<CustomerId> customer,
                          std::optional<AppointmentId> appointment, Page page = Page{}) {
  CallLogQuery q;
  q.customer_id = customer;
  q.appointment_id = appointment;
  q.page = page;
  return q;
}

const TimePoint kNow = at("2026-03-02T12:00:00Z");

// The scheduled job and fire most fire tests use.
constexpr std::string_view kJob = "reminders";
const TimePoint kFire = at("2026-03-02T11:55:00Z");
constexpr std::chrono::seconds kLease{60};

std::string claimed_until(TimePoint t) { return "claimed until " + format_utc(t); }
std::string held_elsewhere_until(TimePoint t) { return "held elsewhere until " + format_utc(t); }
const std::string kDone = "done";

std::string describe_claim(const Result<FireClaim>& claim) {
  if (!claim.ok()) return "error: " + describe(claim);
  switch (claim->state) {
    case FireClaim::State::kClaimed:
      return claimed_until(claim->held_until);
    case FireClaim::State::kHeldElsewhere:
      return held_elsewhere_until(claim->held_until);
    case FireClaim::State::kDone:
      return kDone;
  }
  return "unknown state";
}

void expect_conflict(const Status& status, std::string_view mentioning) {
  ASSERT_FALSE(status.ok()) << "expected kConflict";
  EXPECT_EQ(status.error().code, ErrorCode::kConflict) << describe(status);
  EXPECT_THAT(status.error().message, HasSubstr(std::string(mentioning)));
}

class StoreContractTest : public autovoice::testing::MigratedStoreTest {
 protected:
  std::span<const Migration> migrations() const {
    return GetParam() == Backend::kSqlite ? sqlite_migrations() : postgres_migrations();
  }

  // A stored customer with one vehicle.
  struct Owner {
    Customer customer;
    Vehicle vehicle;
  };
  Owner add_owner(std::string_view number) {
    auto c = store_->add_customer(new_customer(number), kNow);
    EXPECT_TRUE(c.ok()) << describe(c);
    if (!c.ok()) return {};
    auto v = store_->add_vehicle(new_vehicle(c->id), kNow);
    EXPECT_TRUE(v.ok()) << describe(v);
    if (!v.ok()) return {};
    return Owner{*c, *v};
  }

  // What claim_fire answered, as text ("claimed until ...", "done", "error: ...").
  std::string claim(std::string_view worker, TimePoint now, TimePoint fire = kFire) {
    return describe_claim(store_->claim_fire(kJob, fire, worker, now, kLease));
  }

  std::optional<TimePoint> last_finished(std::string_view job = kJob) {
    auto last = store_->last_finished_fire(job);
    EXPECT_TRUE(last.ok()) << describe(last);
    return last.ok() ? *last : std::nullopt;
  }

  // The call log of `sid` as stored.
  CallLog logged(std::string_view sid) {
    auto log = store_->call_log_by_sid(sid);
    EXPECT_TRUE(log.ok()) << describe(log);
    return log.ok() ? *log : CallLog{};
  }

  // Applies a callback that must be accepted (ok), whether or not it applies.
  CallStatusApplied apply(const CallStatusUpdate& u, TimePoint now) {
    auto result = store_->apply_call_status(u, now);
    EXPECT_TRUE(result.ok()) << describe(result);
    return result.ok() ? *result : CallStatusApplied{};
  }

  std::vector<Appointment> all_appointments() {
    AppointmentQuery q;
    q.page.limit = 10000;
    auto rows = store_->list_appointments(q);
    EXPECT_TRUE(rows.ok()) << describe(rows);
    return rows.ok() ? *rows : std::vector<Appointment>{};
  }

};

// --- schema ---------------------------------------------------------------------------

TEST_P(StoreContractTest, FreshDatabaseIsVersionZeroAndMigratesToLatest) {
  std::string why;
  auto fresh = create_database(GetParam(), &why);
  ASSERT_NE(fresh, nullptr) << why;
  ASSERT_OK_AND_ASSIGN(store, open_store(fresh->url()));
  ASSERT_OK_AND_ASSIGN(before, store->schema_version());
  EXPECT_EQ(before, 0);

  ASSERT_OK_AND_ASSIGN(report, store->migrate());
  std::vector<int> all;
  for (const Migration& m : migrations()) all.push_back(m.version);
  EXPECT_EQ(report.from_version, 0);
  EXPECT_EQ(report.to_version, latest_schema_version());
  EXPECT_EQ(report.applied, all);
  ASSERT_OK_AND_ASSIGN(after, store->schema_version());
  EXPECT_EQ(after, latest_schema_version());
  EXPECT_TRUE(require_current_schema(*store).ok());
}

TEST_P(StoreContractTest, MigrateIsIdempotent) {
  ASSERT_OK_AND_ASSIGN(report, store_->migrate());
  EXPECT_EQ(report.from_version, latest_schema_version());
  EXPECT_EQ(report.to_version, latest_schema_version());
  EXPECT_TRUE(report.applied.empty());
  ASSERT_OK_AND_ASSIGN(version, store_->schema_version());
  EXPECT_EQ(version, latest_schema_version());
}

TEST_P(StoreContractTest, UnmigratedDatabaseFailsRequireCurrentSchema) {
  std::string why;
  auto fresh = create_database(GetParam(), &why);
  ASSERT_NE(fresh, nullptr) << why;
  ASSERT_OK_AND_ASSIGN(store, open_store(fresh->url()));
  const auto status = require_current_schema(*store);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(status.error().message, HasSubstr("autovoice migrate"));
}

TEST_P(StoreContractTest, DataSurvivesReopening) {
  ASSERT_OK_AND_ASSIGN(added, store_->add_customer(new_customer("+15551230001"), kNow));
  store_.reset();
  ASSERT_OK_AND_ASSIGN(reopened, open_store(db_->url()));
  ASSERT_OK_AND_ASSIGN(loaded, reopened->customer(added.id));
  EXPECT_EQ(loaded, added);
}

// --- customers ------------------------------------------------------------------------

TEST_P(StoreContractTest, AddCustomerAssignsIdAndCreatedAt) {
  Customer input = new_customer("+15551230001");
  input.id = 999;                                 // ignored
  input.created_at = at("2001-01-01T00:00:00Z");  // ignored: `now` is used
  ASSERT_OK_AND_ASSIGN(added, store_->add_customer(input, kNow));

  EXPECT_GT(added.id, 0);
  EXPECT_NE(added.id, 999);
  Customer expected = input;
  expected.id = added.id;
  expected.created_at = kNow;
  EXPECT_EQ(added, expected);

  ASSERT_OK_AND_ASSIGN(second, store_->add_customer(new_customer("+15551230002"), kNow));
  EXPECT_NE(second.id, added.id);
}

TEST_P(StoreContractTest, CustomerRoundTripsEveryField) {
  Customer input = new_customer("+442079460958", "Grace");
  input.last_name = "Hopper";
  input.email = "grace@example.com";
  input.time_zone = "Europe/London";
  input.opted_out = true;
  input.opted_out_at = at("2026-01-05T08:30:00Z");
  ASSERT_OK_AND_ASSIGN(added, store_->add_customer(input, kNow));
  ASSERT_OK_AND_ASSIGN(loaded, store_->customer(added.id));
  EXPECT_EQ(loaded, added);
  EXPECT_EQ(loaded.phone.str(), "+442079460958");
  EXPECT_EQ(loaded.opted_out_at, input.opted_out_at);
}

TEST_P(StoreContractTest, NonAsciiTextRoundTrips) {
  Customer input = new_customer("+33142685300", "Zoë Ærøskøbing");
  input.last_name = "Łukasz 日本語 🚗";
  ASSERT_OK_AND_ASSIGN(customer, store_->add_customer(input, kNow));
  ASSERT_OK_AND_ASSIGN(loaded, store_->customer(customer.id));
  EXPECT_EQ(loaded.first_name, "Zoë Ærøskøbing");
  EXPECT_EQ(loaded.last_name, "Łukasz 日本語 🚗");

  Vehicle v = new_vehicle(customer.id);
  v.make = "Citroën";
  v.model = "Ë-C4 «électrique»";
  ASSERT_OK_AND_ASSIGN(vehicle, store_->add_vehicle(v, kNow));
  ASSERT_OK_AND_ASSIGN(loaded_vehicle, store_->vehicle(vehicle.id));
  EXPECT_EQ(loaded_vehicle, vehicle);

  Appointment a = new_appointment(customer.id, vehicle.id, at("2026-03-03T09:00:00Z"));
  a.service_type = "Vidange moteur";
  a.notes = "Kundin möchte Rückruf — 電話してください";
  ASSERT_OK_AND_ASSIGN(appointment, store_->add_appointment(a, kNow));
  ASSERT_OK_AND_ASSIGN(loaded_appointment, store_->appointment(appointment.id));
  EXPECT_EQ(loaded_appointment, appointment);
}

TEST_P(StoreContractTest, UnknownCustomerIsNotFound) {
  auto missing = store_->customer(4242);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("customer 4242 does not exist"));
}

TEST_P(StoreContractTest, RejectsDuplicatePhoneWithConflict) {
  ASSERT_OK_AND_ASSIGN(first, store_->add_customer(new_customer("+15551230001", "Ada"), kNow));
  auto second = store_->add_customer(new_customer("+15551230001", "Bob"), kNow);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  // The message may reach a log: the number appears masked if at all.
  EXPECT_THAT(second.error().message, Not(HasSubstr("5551230001")));

  ASSERT_OK_AND_ASSIGN(all, store_->list_customers(Page{}));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], first);
}

TEST_P(StoreContractTest, InvalidCustomerIsRejectedNamingTheField) {
  struct Case {
    const char* name;
    void (*spoil)(Customer&);
    const char* field;
  };
  const Case cases[] = {
      {"blank first name", [](Customer& c) { c.first_name = "  "; }, "first_name"},
      {"missing phone", [](Customer& c) { c.phone = PhoneNumber{}; }, "phone"},
      {"bad email", [](Customer& c) { c.email = "not-an-address"; }, "email"},
      {"unknown zone", [](Customer& c) { c.time_zone = "Mars/Olympus"; }, "time_zone"},
      {"opt-out time without opt-out",
       [](Customer& c) { c.opted_out_at = at("2026-01-01T00:00:00Z"); }, "opted_out_at"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Customer c = new_customer("+15551230001");
    tc.spoil(c);
    auto added = store_->add_customer(c, kNow);
    ASSERT_FALSE(added.ok());
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(added.error().field, tc.field);
  }
  ASSERT_OK_AND_ASSIGN(all, store_->list_customers(Page{}));
  EXPECT_TRUE(all.empty());
}

TEST_P(StoreContractTest, CustomerByPhoneFindsOrReturnsEmpty) {
  ASSERT_OK_AND_ASSIGN(ada, store_->add_customer(new_customer("+15551230001", "Ada"), kNow));
  ASSERT_OK_AND_ASSIGN(bob, store_->add_customer(new_customer("+15551230002", "Bob"), kNow));

  ASSERT_OK_AND_ASSIGN(found, store_->customer_by_phone(phone("+15551230002")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, bob);

  ASSERT_OK_AND_ASSIGN(absent, store_->customer_by_phone(phone("+15551239999")));
  EXPECT_FALSE(absent.has_value());
}

TEST_P(StoreContractTest, ListCustomersOrdersByIdAndPaginates) {
  std::vector<Customer> added;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(
        c, store_->add_customer(
               new_customer("+1555123000" + std::to_string(i), "C" + std::to_string(i)), kNow));
    added.push_back(c);
  }
  ASSERT_OK_AND_ASSIGN(all, store_->list_customers(Page{}));
  EXPECT_EQ(all, added);

  ASSERT_OK_AND_ASSIGN(middle, store_->list_customers(Page{.limit = 2, .offset = 1}));
  EXPECT_EQ(middle, (std::vector<Customer>{added[1], added[2]}));

  ASSERT_OK_AND_ASSIGN(past_end, store_->list_customers(Page{.limit = 10, .offset = 5}));
  EXPECT_TRUE(past_end.empty());
}

TEST_P(StoreContractTest, OptOutRecordsTimeAndOptInClearsIt) {
  ASSERT_OK_AND_ASSIGN(added, store_->add_customer(new_customer("+15551230001"), kNow));
  const TimePoint when = at("2026-02-14T18:05:07Z");

  ASSERT_OK_AND_ASSIGN(out, store_->set_customer_opt_out(added.id, true, when));
  Customer expected = added;
  expected.opted_out = true;
  expected.opted_out_at = when;
  EXPECT_EQ(out, expected);
  ASSERT_OK_AND_ASSIGN(loaded_out, store_->customer(added.id));
  EXPECT_EQ(loaded_out, expected);

  ASSERT_OK_AND_ASSIGN(in,
                       store_->set_customer_opt_out(added.id, false, at("2026-02-15T00:00:00Z")));
  EXPECT_EQ(in, added);
  ASSERT_OK_AND_ASSIGN(loaded_in, store_->customer(added.id));
  EXPECT_EQ(loaded_in, added);
}

TEST_P(StoreContractTest, OptOutOfUnknownCustomerIsNotFound) {
  auto result = store_->set_customer_opt_out(777, true, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(result.error().message, HasSubstr("customer 777 does not exist"));
}

TEST_P(StoreContractTest, UpdateCustomerReplacesNamesPhoneEmailAndTimeZone) {
  ASSERT_OK_AND_ASSIGN(added, store_->add_customer(new_customer("+15551230001"), kNow));
  Customer change = added;
  change.first_name = "Grace";
  change.last_name = "Hopper";
  change.phone = phone("+15551230002");
  change.email = "grace@example.com";
  change.time_zone = "America/New_York";

  ASSERT_OK_AND_ASSIGN(updated, store_->update_customer(change));
  EXPECT_EQ(updated, change);
  ASSERT_OK_AND_ASSIGN(loaded, store_->customer(added.id));
  EXPECT_EQ(loaded, change);
  ASSERT_OK_AND_ASSIGN(by_new_phone, store_->customer_by_phone(change.phone));
  EXPECT_EQ(by_new_phone, std::optional<Customer>(change));
  ASSERT_OK_AND_ASSIGN(by_old_phone, store_->customer_by_phone(added.phone));
  EXPECT_EQ(by_old_phone, std::nullopt);
}

TEST_P(StoreContractTest, UpdateCustomerKeepsOptOutAndCreatedAt) {
  ASSERT_OK_AND_ASSIGN(ada, store_->add_customer(new_customer("+15551230001"), kNow));
  ASSERT_OK_AND_ASSIGN(bob, store_->add_customer(new_customer("+15551230002", "Bob"), kNow));
  ASSERT_OK_AND_ASSIGN(ada_out, store_->set_customer_opt_out(ada.id, true, kNow + 1h));

  // Ada as read before she opted out; Bob claiming to have opted out.
  Customer ada_change = ada;
  ada_change.first_name = "Augusta";
  ada_change.created_at = at("2001-01-01T00:00:00Z");
  Customer bob_change = bob;
  bob_change.first_name = "Robert";
  bob_change.opted_out = true;
  bob_change.opted_out_at = kNow;

  Customer ada_expected = ada_out;
  ada_expected.first_name = "Augusta";
  Customer bob_expected = bob;
  bob_expected.first_name = "Robert";
  ASSERT_OK_AND_ASSIGN(ada_updated, store_->update_customer(ada_change));
  EXPECT_EQ(ada_updated, ada_expected);
  ASSERT_OK_AND_ASSIGN(bob_updated, store_->update_customer(bob_change));
  EXPECT_EQ(bob_updated, bob_expected);
  ASSERT_OK_AND_ASSIGN(ada_loaded, store_->customer(ada.id));
  EXPECT_EQ(ada_loaded, ada_expected);
  ASSERT_OK_AND_ASSIGN(bob_loaded, store_->customer(bob.id));
  EXPECT_EQ(bob_loaded, bob_expected);
}

TEST_P(StoreContractTest, UpdateCustomerToATakenPhoneIsConflictAndChangesNothing) {
  ASSERT_OK_AND_ASSIGN(ada, store_->add_customer(new_customer("+15551230001"), kNow));
  ASSERT_OK_AND_ASSIGN(bob, store_->add_customer(new_customer("+15551230002", "Bob"), kNow));
  Customer change = bob;
  change.first_name = "Robert";
  change.phone = ada.phone;

  auto updated = store_->update_customer(change);
  expect_error(updated, ErrorCode::kConflict, ada.phone.masked());
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().field, "phone");
  EXPECT_THAT(updated.error().message, Not(HasSubstr(ada.phone.str())));
  ASSERT_OK_AND_ASSIGN(ada_loaded, store_->customer(ada.id));
  EXPECT_EQ(ada_loaded, ada);
  ASSERT_OK_AND_ASSIGN(bob_loaded, store_->customer(bob.id));
  EXPECT_EQ(bob_loaded, bob);
}

TEST_P(StoreContractTest, UpdateCustomerMayKeepItsOwnPhone) {
  ASSERT_OK_AND_ASSIGN(added, store_->add_customer(new_customer("+15551230001"), kNow));
  Customer change = added;
  change.email = "ada@example.com";
  ASSERT_OK_AND_ASSIGN(updated, store_->update_customer(change));
  EXPECT_EQ(updated, change);
}

TEST_P(StoreContractTest, InvalidCustomerUpdateIsRejectedNamingTheFieldAndChangesNothing) {
  ASSERT_OK_AND_ASSIGN(added, store_->add_customer(new_customer("+15551230001"), kNow));
  struct Case {
    const char* field;
    void (*change)(Customer&);
  };
  const Case cases[] = {
      {"first_name", [](Customer& c) { c.first_name = " "; }},
      {"phone", [](Customer& c) { c.phone = PhoneNumber{}; }},
      {"email", [](Customer& c) { c.email = "ada.example.com"; }},
      {"time_zone", [](Customer& c) { c.time_zone = "Europe/Atlantis"; }},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.field);
    Customer change = added;
    tc.change(change);
    auto updated = store_->update_customer(change);
    ASSERT_FALSE(updated.ok());
    EXPECT_EQ(updated.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(updated.error().field, tc.field);
  }
  ASSERT_OK_AND_ASSIGN(loaded, store_->customer(added.id));
  EXPECT_EQ(loaded, added);
}

TEST_P(StoreContractTest, DeleteCustomerRemovesVehiclesAndAppointmentsButKeepsCallLogs) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  ASSERT_OK_AND_ASSIGN(
      ada_appointment,
      store_->add_appointment(
          new_appointment(ada.customer.id, ada.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  ASSERT_OK_AND_ASSIGN(
      bob_appointment,
      store_->add_appointment(
          new_appointment(bob.customer.id, bob.vehicle.id, at("2026-03-03T10:00:00Z")), kNow));
  CallLog ada_call = new_call_log("CA-ada");
  ada_call.customer_id = ada.customer.id;
  ada_call.appointment_id = ada_appointment.id;
  ada_call.intent = "appointment_reminder";
  ada_call.outcome = "confirmed";
  ASSERT_OK_AND_ASSIGN(ada_log, store_->add_call_log(ada_call, kNow));
  CallLog bob_call = new_call_log("CA-bob");
  bob_call.customer_id = bob.customer.id;
  bob_call.appointment_id = bob_appointment.id;
  ASSERT_OK_AND_ASSIGN(bob_log, store_->add_call_log(bob_call, kNow));

  ASSERT_OK(store_->delete_customer(ada.customer.id));

  expect_error(store_->customer(ada.customer.id), ErrorCode::kNotFound, "customer");
  expect_error(store_->vehicle(ada.vehicle.id), ErrorCode::kNotFound, "vehicle");
  expect_error(store_->appointment(ada_appointment.id), ErrorCode::kNotFound, "appointment");
  CallLog unlinked = ada_log;
  unlinked.customer_id.reset();
  unlinked.appointment_id.reset();
  EXPECT_EQ(logged("CA-ada"), unlinked);
  // Bob's records are untouched.
  ASSERT_OK_AND_ASSIGN(customers, store_->list_customers(Page{}));
  EXPECT_EQ(customers, std::vector<Customer>{bob.customer});
  ASSERT_OK_AND_ASSIGN(vehicles, store_->list_vehicles(std::nullopt, Page{}));
  EXPECT_EQ(vehicles, std::vector<Vehicle>{bob.vehicle});
  EXPECT_EQ(all_appointments(), std::vector<Appointment>{bob_appointment});
  EXPECT_EQ(logged("CA-bob"), bob_log);
}

TEST_P(StoreContractTest, UpdateOrDeleteOfAnUnknownRecordIsNotFound) {
  const Owner owner = add_owner("+15551230001");
  Customer customer = owner.customer;
  customer.id = 4040;
  Vehicle vehicle = owner.vehicle;
  vehicle.id = 4041;
  Appointment appointment =
      new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z"));
  appointment.id = 4042;

  expect_error(store_->update_customer(customer), ErrorCode::kNotFound,
               "customer 4040 does not exist");
  expect_error(store_->delete_customer(4040), ErrorCode::kNotFound, "customer 4040 does not exist");
  expect_error(store_->update_vehicle(vehicle), ErrorCode::kNotFound,
               "vehicle 4041 does not exist");
  expect_error(store_->delete_vehicle(4041), ErrorCode::kNotFound, "vehicle 4041 does not exist");
  expect_error(store_->update_appointment(appointment, kNow), ErrorCode::kNotFound,
               "appointment 4042 does not exist");
  expect_error(store_->delete_appointment(4042), ErrorCode::kNotFound,
               "appointment 4042 does not exist");
}

// --- vehicles -------------------------------------------------------------------------

TEST_P(StoreContractTest, VehicleRoundTripsEveryField) {
  ASSERT_OK_AND_ASSIGN(owner, store_->add_customer(new_customer("+15551230001"), kNow));
  Vehicle input = new_vehicle(owner.id);
  input.vin = "1HGCM82633A004352";
  input.plate = "7ABC123";
  ASSERT_OK_AND_ASSIGN(added, store_->add_vehicle(input, kNow));
  EXPECT_GT(added.id, 0);
  Vehicle expected = input;
  expected.id = added.id;
  expected.created_at = kNow;
  EXPECT_EQ(added, expected);
  ASSERT_OK_AND_ASSIGN(loaded, store_->vehicle(added.id));
  EXPECT_EQ(loaded, added);
}

TEST_P(StoreContractTest, VehicleForUnknownCustomerIsNotFound) {
  auto added = store_->add_vehicle(new_vehicle(42), kNow);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(added.error().message, HasSubstr("customer 42 does not exist"));
  ASSERT_OK_AND_ASSIGN(all, store_->list_vehicles(std::nullopt, Page{}));
  EXPECT_TRUE(all.empty());
}

TEST_P(StoreContractTest, InvalidVehicleIsRejectedNamingTheField) {
  ASSERT_OK_AND_ASSIGN(owner, store_->add_customer(new_customer("+15551230001"), kNow));
  Vehicle v = new_vehicle(owner.id);
  v.vin = "SHORT";
  auto added = store_->add_vehicle(v, kNow);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(added.error().field, "vin");
}

TEST_P(StoreContractTest, UnknownVehicleIsNotFound) {
  auto missing = store_->vehicle(31337);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContractTest, ListVehiclesFiltersByCustomerInIdOrder) {
  ASSERT_OK_AND_ASSIGN(ada, store_->add_customer(new_customer("+15551230001"), kNow));
  ASSERT_OK_AND_ASSIGN(bob, store_->add_customer(new_customer("+15551230002"), kNow));
  ASSERT_OK_AND_ASSIGN(v1, store_->add_vehicle(new_vehicle(ada.id), kNow));
  ASSERT_OK_AND_ASSIGN(v2, store_->add_vehicle(new_vehicle(bob.id), kNow));
  ASSERT_OK_AND_ASSIGN(v3, store_->add_vehicle(new_vehicle(ada.id), kNow));

  ASSERT_OK_AND_ASSIGN(all, store_->list_vehicles(std::nullopt, Page{}));
  EXPECT_EQ(all, (std::vector<Vehicle>{v1, v2, v3}));
  ASSERT_OK_AND_ASSIGN(adas, store_->list_vehicles(ada.id, Page{}));
  EXPECT_EQ(adas, (std::vector<Vehicle>{v1, v3}));
  ASSERT_OK_AND_ASSIGN(second_of_adas,
                       store_->list_vehicles(ada.id, Page{.limit = 1, .offset = 1}));
  EXPECT_EQ(second_of_adas, (std::vector<Vehicle>{v3}));
}

TEST_P(StoreContractTest, UpdateVehicleReplacesItsDetailsAndKeepsOwnerAndCreatedAt) {
  const Owner ada = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(bob, store_->add_customer(new_customer("+15551230002", "Bob"), kNow));
  Vehicle change = ada.vehicle;
  change.year = 2019;
  change.make = "Toyota";
  change.model = "Corolla";
  change.vin = "1HGCM82633A004352";
  change.plate = "7ABC123";
  change.customer_id = bob.id;                     // kept: the owner does not change
  change.created_at = at("2001-01-01T00:00:00Z");  // kept

  Vehicle expected = change;
  expected.customer_id = ada.customer.id;
  expected.created_at = ada.vehicle.created_at;
  ASSERT_OK_AND_ASSIGN(updated, store_->update_vehicle(change));
  EXPECT_EQ(updated, expected);
  ASSERT_OK_AND_ASSIGN(loaded, store_->vehicle(ada.vehicle.id));
  EXPECT_EQ(loaded, expected);
  ASSERT_OK_AND_ASSIGN(bobs, store_->list_vehicles(bob.id, Page{}));
  EXPECT_THAT(bobs, IsEmpty());
}

TEST_P(StoreContractTest, InvalidVehicleUpdateIsRejectedNamingTheFieldAndChangesNothing) {
  const Owner owner = add_owner("+15551230001");
  struct Case {
    const char* name;
    void (*change)(Vehicle&);
    const char* field;  // "" when the update is valid
  };
  const Case cases[] = {
      {"year", [](Vehicle& v) { v.year = 1800; }, "year"},
      {"make", [](Vehicle& v) { v.make = ""; }, "make"},
      {"vin", [](Vehicle& v) { v.vin = "SHORT"; }, "vin"},
      {"no owner given (the owner is kept)", [](Vehicle& v) { v.customer_id = 0; }, ""},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Vehicle change = owner.vehicle;
    tc.change(change);
    auto updated = store_->update_vehicle(change);
    if (std::string_view(tc.field).empty()) {
      EXPECT_TRUE(updated.ok()) << describe(updated);
      continue;
    }
    ASSERT_FALSE(updated.ok());
    EXPECT_EQ(updated.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(updated.error().field, tc.field);
  }
  ASSERT_OK_AND_ASSIGN(loaded, store_->vehicle(owner.vehicle.id));
  EXPECT_EQ(loaded, owner.vehicle);
}

TEST_P(StoreContractTest, DeleteVehicleWithAppointmentsIsConflict) {
  const Owner owner = add_owner("+15551230001");
  // Even a cancelled appointment keeps its vehicle.
  ASSERT_OK_AND_ASSIGN(
      appointment, store_->add_appointment(
                       new_appointment(owner.customer.id, owner.vehicle.id,
                                       at("2026-03-03T09:00:00Z"), AppointmentStatus::kCancelled),
                       kNow));

  expect_conflict(store_->delete_vehicle(owner.vehicle.id), "has appointments");
  ASSERT_OK_AND_ASSIGN(vehicle, store_->vehicle(owner.vehicle.id));
  EXPECT_EQ(vehicle, owner.vehicle);
  ASSERT_OK_AND_ASSIGN(kept, store_->appointment(appointment.id));
  EXPECT_EQ(kept, appointment);
}

TEST_P(StoreContractTest, DeleteVehicleWithoutAppointmentsRemovesIt) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(spare, store_->add_vehicle(new_vehicle(owner.customer.id), kNow));
  ASSERT_OK(store_->add_appointment(
      new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));

  ASSERT_OK(store_->delete_vehicle(spare.id));
  expect_error(store_->vehicle(spare.id), ErrorCode::kNotFound, "vehicle");
  ASSERT_OK_AND_ASSIGN(left, store_->list_vehicles(owner.customer.id, Page{}));
  EXPECT_EQ(left, std::vector<Vehicle>{owner.vehicle});
}

TEST_P(StoreContractTest, CreatedAtComesFromNow) {
  const TimePoint customer_time = at("1999-12-31T23:59:59Z");
  const TimePoint vehicle_time = at("2031-07-04T05:06:07Z");
  ASSERT_OK_AND_ASSIGN(customer, store_->add_customer(new_customer("+15551230001"), customer_time));
  ASSERT_OK_AND_ASSIGN(vehicle, store_->add_vehicle(new_vehicle(customer.id), vehicle_time));
  EXPECT_EQ(customer.created_at, customer_time);
  EXPECT_EQ(vehicle.created_at, vehicle_time);

  ASSERT_OK_AND_ASSIGN(loaded_customer, store_->customer(customer.id));
  ASSERT_OK_AND_ASSIGN(loaded_vehicle, store_->vehicle(vehicle.id));
  EXPECT_EQ(loaded_customer.created_at, customer_time);
  EXPECT_EQ(loaded_vehicle.created_at, vehicle_time);
}

// --- appointments ---------------------------------------------------------------------

TEST_P(StoreContractTest, AppointmentRoundTripsAndIsStampedWithNow) {
  const Owner owner = add_owner("+15551230001");
  Appointment input = new_appointment(owner.customer.id, owner.vehicle.id,
                                      at("2026-03-03T14:30:00Z"), AppointmentStatus::kScheduled);
  input.notes = "Rattle from the rear left";
  ASSERT_OK_AND_ASSIGN(added, store_->add_appointment(input, kNow));
  Appointment expected = input;
  expected.id = added.id;
  expected.created_at = kNow;
  expected.updated_at = kNow;
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added, expected);
  ASSERT_OK_AND_ASSIGN(loaded, store_->appointment(added.id));
  EXPECT_EQ(loaded, expected);
}

TEST_P(StoreContractTest, UnknownAppointmentIsNotFound) {
  auto missing = store_->appointment(5150);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("appointment 5150 does not exist"));
}

TEST_P(StoreContractTest, AppointmentForUnknownCustomerOrVehicleIsNotFound) {
  const Owner owner = add_owner("+15551230001");
  const TimePoint start = at("2026-03-03T09:00:00Z");

  auto no_customer = store_->add_appointment(new_appointment(99, owner.vehicle.id, start), kNow);
  ASSERT_FALSE(no_customer.ok());
  EXPECT_EQ(no_customer.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(no_customer.error().message, HasSubstr("customer 99 does not exist"));

  auto no_vehicle = store_->add_appointment(new_appointment(owner.customer.id, 98, start), kNow);
  ASSERT_FALSE(no_vehicle.ok());
  EXPECT_EQ(no_vehicle.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(no_vehicle.error().message, HasSubstr("vehicle 98 does not exist"));

  EXPECT_TRUE(all_appointments().empty());
}

TEST_P(StoreContractTest, AppointmentWithAnotherCustomersVehicleIsRejected) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  auto added = store_->add_appointment(
      new_appointment(ada.customer.id, bob.vehicle.id, at("2026-03-03T09:00:00Z")), kNow);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(added.error().field, "vehicle_id");
  EXPECT_TRUE(all_appointments().empty());
}

TEST_P(StoreContractTest, InvalidAppointmentIsRejectedNamingTheField) {
  const Owner owner = add_owner("+15551230001");
  Appointment a = new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z"));
  a.duration_minutes = 0;
  auto added = store_->add_appointment(a, kNow);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(added.error().field, "duration_minutes");
}

TEST_P(StoreContractTest, AppointmentsStartingFiltersByStatusAndHalfOpenRange) {
  const Owner owner = add_owner("+15551230001");
  const TimePoint from = at("2026-03-03T00:00:00Z");
  const TimePoint to = at("2026-03-04T00:00:00Z");
  const auto add = [&](TimePoint start, AppointmentStatus status) {
    auto a = store_->add_appointment(
        new_appointment(owner.customer.id, owner.vehicle.id, start, status), kNow);
    EXPECT_TRUE(a.ok()) << describe(a);
    return a.ok() ? a->id : 0;
  };
  const auto at_from = add(from, AppointmentStatus::kConfirmed);  // included: from is inclusive
  const auto inside = add(at("2026-03-03T15:00:00Z"), AppointmentStatus::kConfirmed);
  const auto last_second = add(to - std::chrono::seconds{1}, AppointmentStatus::kConfirmed);
  add(to, AppointmentStatus::kConfirmed);                              // excluded: to is exclusive
  add(from - std::chrono::seconds{1}, AppointmentStatus::kConfirmed);  // before the range
  add(at("2026-03-03T10:00:00Z"), AppointmentStatus::kScheduled);      // other status
  add(at("2026-03-03T11:00:00Z"), AppointmentStatus::kCancelled);      // other status

  ASSERT_OK_AND_ASSIGN(due, store_->appointments_starting(AppointmentStatus::kConfirmed, from, to));
  EXPECT_EQ(ids_of(due), (std::vector<AppointmentId>{at_from, inside, last_second}));
  for (const Appointment& a : due) {
    ASSERT_OK_AND_ASSIGN(loaded, store_->appointment(a.id));
    EXPECT_EQ(a, loaded);
  }

  ASSERT_OK_AND_ASSIGN(empty_range,
                       store_->appointments_starting(AppointmentStatus::kConfirmed, to, from));
  EXPECT_TRUE(empty_range.empty());
}

TEST_P(StoreContractTest, AppointmentsStartingOrdersByStartThenId) {
  const Owner owner = add_owner("+15551230001");
  const TimePoint nine = at("2026-03-03T09:00:00Z");
  const TimePoint eight = at("2026-03-03T08:00:00Z");
  std::vector<AppointmentId> ids;
  for (TimePoint start : {nine, eight, nine, eight}) {
    ASSERT_OK_AND_ASSIGN(a, store_->add_appointment(
                                new_appointment(owner.customer.id, owner.vehicle.id, start), kNow));
    ids.push_back(a.id);
  }
  ASSERT_OK_AND_ASSIGN(due, store_->appointments_starting(AppointmentStatus::kConfirmed, eight,
                                                          at("2026-03-04T00:00:00Z")));
  EXPECT_EQ(ids_of(due), (std::vector<AppointmentId>{ids[1], ids[3], ids[0], ids[2]}));
}

TEST_P(StoreContractTest, BulkAddStoresEveryRow) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  std::vector<Appointment> rows;
  for (int i = 0; i < 200; ++i) {
    const Owner& o = i % 2 == 0 ? ada : bob;
    rows.push_back(new_appointment(o.customer.id, o.vehicle.id,
                                   at("2026-03-03T00:00:00Z") + std::chrono::minutes{i}));
  }
  ASSERT_OK_AND_ASSIGN(count, store_->add_appointments(rows, kNow));
  EXPECT_EQ(count, rows.size());

  const auto stored = all_appointments();
  ASSERT_EQ(stored.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Appointment expected = rows[i];
    expected.id = stored[i].id;
    expected.created_at = kNow;
    expected.updated_at = kNow;
    EXPECT_EQ(stored[i], expected) << "row " << i;
  }
}

TEST_P(StoreContractTest, BulkAddOfNoRowsStoresNothing) {
  ASSERT_OK_AND_ASSIGN(count, store_->add_appointments({}, kNow));
  EXPECT_EQ(count, 0u);
  EXPECT_TRUE(all_appointments().empty());
}

TEST_P(StoreContractTest, BulkAddIsAllOrNothing) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  const TimePoint start = at("2026-03-03T09:00:00Z");
  struct Case {
    const char* name;
    Appointment bad_row;
    ErrorCode code;
    const char* field;
  };
  const Case cases[] = {
      {"unknown customer", new_appointment(12345, ada.vehicle.id, start), ErrorCode::kNotFound, ""},
      {"unknown vehicle", new_appointment(ada.customer.id, 12345, start), ErrorCode::kNotFound, ""},
      {"another customer's vehicle", new_appointment(ada.customer.id, bob.vehicle.id, start),
       ErrorCode::kInvalidArgument, "vehicle_id"},
      {"invalid row", new_appointment(ada.customer.id, ada.vehicle.id, TimePoint{}),
       ErrorCode::kInvalidArgument, "start"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    std::vector<Appointment> rows;
    for (int i = 0; i < 50; ++i) {
      rows.push_back(
          new_appointment(ada.customer.id, ada.vehicle.id, start + std::chrono::minutes{i}));
    }
    rows.push_back(tc.bad_row);  // last, so the good rows were already inserted
    auto result = store_->add_appointments(rows, kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, tc.code);
    EXPECT_EQ(result.error().field, tc.field);
    EXPECT_TRUE(all_appointments().empty());
  }
}

TEST_P(StoreContractTest, ListAppointmentsFiltersAndPaginates) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  const auto add = [&](const Owner& o, const char* start, AppointmentStatus status) {
    auto a = store_->add_appointment(
        new_appointment(o.customer.id, o.vehicle.id, at(start), status), kNow);
    EXPECT_TRUE(a.ok()) << describe(a);
    return a.ok() ? a->id : 0;
  };
  const auto a1 = add(ada, "2026-03-01T09:00:00Z", AppointmentStatus::kConfirmed);
  const auto b1 = add(bob, "2026-03-02T09:00:00Z", AppointmentStatus::kScheduled);
  const auto a2 = add(ada, "2026-03-03T09:00:00Z", AppointmentStatus::kScheduled);
  const auto b2 = add(bob, "2026-03-04T09:00:00Z", AppointmentStatus::kConfirmed);
  const auto a3 = add(ada, "2026-03-05T09:00:00Z", AppointmentStatus::kConfirmed);

  struct Case {
    const char* name;
    AppointmentQuery query;
    std::vector<AppointmentId> expected;
  };
  const auto query = [](auto&& fill) {
    AppointmentQuery q;
    fill(q);
    return q;
  };
  const std::vector<Case> cases = {
      {"no filter", AppointmentQuery{}, {a1, b1, a2, b2, a3}},
      {"from is inclusive",
       query([](auto& q) { q.from = at("2026-03-03T09:00:00Z"); }),
       {a2, b2, a3}},
      {"to is exclusive", query([](auto& q) { q.to = at("2026-03-03T09:00:00Z"); }), {a1, b1}},
      {"status", query([](auto& q) { q.status = AppointmentStatus::kConfirmed; }), {a1, b2, a3}},
      {"customer", query([&](auto& q) { q.customer_id = ada.customer.id; }), {a1, a2, a3}},
      {"everything",
       query([&](auto& q) {
         q.from = at("2026-03-02T00:00:00Z");
         q.to = at("2026-03-06T00:00:00Z");
         q.status = AppointmentStatus::kConfirmed;
         q.customer_id = ada.customer.id;
       }),
       {a3}},
      {"first page", query([](auto& q) { q.page = Page{.limit = 2, .offset = 0}; }), {a1, b1}},
      {"second page", query([](auto& q) { q.page = Page{.limit = 2, .offset = 2}; }), {a2, b2}},
      {"filtered page",
       query([&](auto& q) {
         q.customer_id = ada.customer.id;
         q.page = Page{.limit = 1, .offset = 1};
       }),
       {a2}},
      {"unknown customer", query([](auto& q) { q.customer_id = 999; }), {}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    ASSERT_OK_AND_ASSIGN(rows, store_->list_appointments(tc.query));
    EXPECT_EQ(ids_of(rows), tc.expected);
  }
}

TEST_P(StoreContractTest, SetAppointmentStatusUpdatesTimestamp) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(
      added, store_->add_appointment(
                 new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z"),
                                 AppointmentStatus::kScheduled),
                 kNow));
  const TimePoint later = kNow + std::chrono::hours{3};
  ASSERT_OK_AND_ASSIGN(
      updated, store_->set_appointment_status(added.id, AppointmentStatus::kCancelled, later));
  Appointment expected = added;
  expected.status = AppointmentStatus::kCancelled;
  expected.updated_at = later;
  EXPECT_EQ(updated, expected);
  ASSERT_OK_AND_ASSIGN(loaded, store_->appointment(added.id));
  EXPECT_EQ(loaded, expected);
}

TEST_P(StoreContractTest, SetStatusOfUnknownAppointmentIsNotFound) {
  auto result = store_->set_appointment_status(808, AppointmentStatus::kConfirmed, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(result.error().message, HasSubstr("appointment 808 does not exist"));
}

TEST_P(StoreContractTest, UpdateAppointmentReplacesItsScheduleAndKeepsCustomerAndCreatedAt) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(second_car, store_->add_vehicle(new_vehicle(owner.customer.id), kNow));
  ASSERT_OK_AND_ASSIGN(
      added,
      store_->add_appointment(
          new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  Appointment change = added;
  change.vehicle_id = second_car.id;
  change.start = at("2026-03-05T14:30:00Z");
  change.duration_minutes = 30;
  change.service_type = "Brake inspection";
  change.status = AppointmentStatus::kScheduled;
  change.notes = "Squeak from the rear left";
  change.created_at = at("2001-01-01T00:00:00Z");  // kept
  change.updated_at = at("2001-01-01T00:00:00Z");  // set to now
  const TimePoint later = kNow + 2h;

  Appointment expected = change;
  expected.created_at = kNow;
  expected.updated_at = later;
  ASSERT_OK_AND_ASSIGN(updated, store_->update_appointment(change, later));
  EXPECT_EQ(updated, expected);
  ASSERT_OK_AND_ASSIGN(loaded, store_->appointment(added.id));
  EXPECT_EQ(loaded, expected);
}

TEST_P(StoreContractTest, UpdateAppointmentChecksVehicleOwner) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  ASSERT_OK_AND_ASSIGN(
      added,
      store_->add_appointment(
          new_appointment(ada.customer.id, ada.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));

  Appointment to_bobs_car = added;
  to_bobs_car.vehicle_id = bob.vehicle.id;
  // Naming Bob as the customer changes nothing: the appointment stays Ada's.
  Appointment to_bob = to_bobs_car;
  to_bob.customer_id = bob.customer.id;
  for (const Appointment& change : {to_bobs_car, to_bob}) {
    auto updated = store_->update_appointment(change, kNow + 1h);
    expect_error(updated, ErrorCode::kInvalidArgument,
                 "belongs to customer " + std::to_string(bob.customer.id));
    ASSERT_FALSE(updated.ok());
    EXPECT_EQ(updated.error().field, "vehicle_id");
  }
  ASSERT_OK_AND_ASSIGN(loaded, store_->appointment(added.id));
  EXPECT_EQ(loaded, added);
}

TEST_P(StoreContractTest, UpdateAppointmentToAnUnknownVehicleIsNotFound) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(
      added,
      store_->add_appointment(
          new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  Appointment change = added;
  change.vehicle_id = 4040;
  expect_error(store_->update_appointment(change, kNow + 1h), ErrorCode::kNotFound,
               "vehicle 4040 does not exist");
  ASSERT_OK_AND_ASSIGN(loaded, store_->appointment(added.id));
  EXPECT_EQ(loaded, added);
}

TEST_P(StoreContractTest, InvalidAppointmentUpdateIsRejectedNamingTheFieldAndChangesNothing) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(
      added,
      store_->add_appointment(
          new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  struct Case {
    const char* name;
    void (*change)(Appointment&);
    const char* field;  // "" when the update is valid
  };
  const Case cases[] = {
      {"start", [](Appointment& a) { a.start = TimePoint{}; }, "start"},
      {"duration", [](Appointment& a) { a.duration_minutes = 0; }, "duration_minutes"},
      {"service", [](Appointment& a) { a.service_type = ""; }, "service_type"},
      {"vehicle", [](Appointment& a) { a.vehicle_id = 0; }, "vehicle_id"},
      {"no customer given (the customer is kept)", [](Appointment& a) { a.customer_id = 0; }, ""},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    Appointment change = added;
    tc.change(change);
    auto updated = store_->update_appointment(change, kNow);
    if (std::string_view(tc.field).empty()) {
      EXPECT_TRUE(updated.ok()) << describe(updated);
      continue;
    }
    ASSERT_FALSE(updated.ok());
    EXPECT_EQ(updated.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(updated.error().field, tc.field);
  }
  ASSERT_OK_AND_ASSIGN(loaded, store_->appointment(added.id));
  EXPECT_EQ(loaded, added);
}

TEST_P(StoreContractTest, DeleteAppointmentKeepsItsCallLogsUnlinked) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(
      appointment,
      store_->add_appointment(
          new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  CallLog call = new_call_log("CA1");
  call.customer_id = owner.customer.id;
  call.appointment_id = appointment.id;
  ASSERT_OK_AND_ASSIGN(log, store_->add_call_log(call, kNow));

  ASSERT_OK(store_->delete_appointment(appointment.id));
  expect_error(store_->appointment(appointment.id), ErrorCode::kNotFound, "appointment");
  CallLog unlinked = log;
  unlinked.appointment_id.reset();
  EXPECT_EQ(logged("CA1"), unlinked);
  ASSERT_OK_AND_ASSIGN(vehicle, store_->vehicle(owner.vehicle.id));
  EXPECT_EQ(vehicle, owner.vehicle);
}

// --- call logs ------------------------------------------------------------------------

TEST_P(StoreContractTest, CallLogRoundTripsEveryField) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(
      appointment,
      store_->add_appointment(
          new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  CallLog full = new_call_log("CA0123456789abcdef0123456789abcdef");
  full.customer_id = owner.customer.id;
  full.appointment_id = appointment.id;
  full.direction = CallDirection::kOutbound;
  full.status = CallStatus::kNoAnswer;
  full.intent = "appointment_reminder";
  full.from = "+15550000000";
  full.to = "+15551230001";
  full.started_at = at("2026-03-02T09:00:01Z");
  full.ended_at = at("2026-03-02T09:00:31Z");
  full.duration_seconds = 30;
  full.answered_by = "machine_end_beep";
  full.outcome = "voicemail";
  full.error_code = 31005;
  full.error_message = "Connection error";

  CallLog bare = new_call_log("CAffffffffffffffffffffffffffffffff");
  bare.direction = CallDirection::kInbound;
  bare.status = CallStatus::kInProgress;

  for (const CallLog& input : {full, bare}) {
    SCOPED_TRACE(input.call_sid);
    ASSERT_OK_AND_ASSIGN(added, store_->add_call_log(input, kNow));
    CallLog expected = input;
    expected.id = added.id;
    expected.created_at = kNow;
    expected.updated_at = kNow;
    EXPECT_GT(added.id, 0);
    EXPECT_EQ(added, expected);
    ASSERT_OK_AND_ASSIGN(loaded, store_->call_log_by_sid(input.call_sid));
    EXPECT_EQ(loaded, expected);
  }
}

TEST_P(StoreContractTest, EveryCallStatusRoundTrips) {
  const CallStatus statuses[] = {
      CallStatus::kQueued,     CallStatus::kInitiated, CallStatus::kRinging,
      CallStatus::kInProgress, CallStatus::kCompleted, CallStatus::kBusy,
      CallStatus::kNoAnswer,   CallStatus::kFailed,    CallStatus::kCanceled,
  };
  int n = 0;
  for (CallStatus status : statuses) {
    SCOPED_TRACE(std::string(to_string(status)));
    CallLog c = new_call_log("CA-status-" + std::to_string(n++));
    c.status = status;
    ASSERT_OK(store_->add_call_log(c, kNow));
    ASSERT_OK_AND_ASSIGN(loaded, store_->call_log_by_sid(c.call_sid));
    EXPECT_EQ(loaded.status, status);
  }
}

TEST_P(StoreContractTest, DuplicateCallSidIsConflict) {
  ASSERT_OK_AND_ASSIGN(first, store_->add_call_log(new_call_log("CA1"), kNow));
  CallLog again = new_call_log("CA1");
  again.status = CallStatus::kCompleted;
  auto second = store_->add_call_log(again, kNow + std::chrono::seconds{5});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  ASSERT_OK_AND_ASSIGN(loaded, store_->call_log_by_sid("CA1"));
  EXPECT_EQ(loaded, first);
}

TEST_P(StoreContractTest, CallLogBySidUnknownIsNotFound) {
  auto missing = store_->call_log_by_sid("CAdoesnotexist");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContractTest, CallLogForUnknownCustomerOrAppointmentIsNotFound) {
  CallLog no_customer = new_call_log("CA1");
  no_customer.customer_id = 4040;
  auto a = store_->add_call_log(no_customer, kNow);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(a.error().message, HasSubstr("customer 4040 does not exist"));

  CallLog no_appointment = new_call_log("CA2");
  no_appointment.appointment_id = 4041;
  auto b = store_->add_call_log(no_appointment, kNow);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(b.error().message, HasSubstr("appointment 4041 does not exist"));

  ASSERT_OK_AND_ASSIGN(logs, store_->list_call_logs(CallLogQuery{}));
  EXPECT_TRUE(logs.empty());
}

TEST_P(StoreContractTest, InvalidCallLogIsRejectedNamingTheField) {
  CallLog c = new_call_log("CA1");
  c.duration_seconds = -1;
  auto added = store_->add_call_log(c, kNow);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(added.error().field, "duration_seconds");
}

TEST_P(StoreContractTest, ListCallLogsNewestFirst) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  ASSERT_OK_AND_ASSIGN(
      appointment,
      store_->add_appointment(
          new_appointment(ada.customer.id, ada.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  const auto add = [&](const char* sid, std::optional<CustomerId> customer,
                       std::optional<AppointmentId> appt, TimePoint now) {
    CallLog c = new_call_log(sid);
    c.customer_id = customer;
    c.appointment_id = appt;
    auto added = store_->add_call_log(c, now);
    EXPECT_TRUE(added.ok()) << describe(added);
    return added.ok() ? added->id : 0;
  };
  const TimePoint t = kNow;
  const auto oldest = add("CA1", ada.customer.id, appointment.id, t);
  const auto newest = add("CA2", bob.customer.id, std::nullopt, t + std::chrono::minutes{10});
  const auto middle = add("CA3", ada.customer.id, std::nullopt, t + std::chrono::minutes{5});
  const auto tie = add("CA4", std::nullopt, std::nullopt, t + std::chrono::minutes{5});

  struct Case {
    const char* name;
    CallLogQuery query;
    std::vector<CallLogId> expected;
  };
  const std::vector<Case> cases = {
      {"all, ties newest id first", call_logs_of({}, {}), {newest, tie, middle, oldest}},
      {"by customer", call_logs_of(ada.customer.id, {}), {middle, oldest}},
      {"by appointment", call_logs_of({}, appointment.id), {oldest}},
      {"by both", call_logs_of(bob.customer.id, appointment.id), {}},
      {"paged", call_logs_of({}, {}, Page{.limit = 2, .offset = 1}), {tie, middle}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    ASSERT_OK_AND_ASSIGN(rows, store_->list_call_logs(tc.query));
    EXPECT_EQ(ids_of(rows), tc.expected);
  }
}

// --- status callbacks -----------------------------------------------------------------

TEST_P(StoreContractTest, ApplyCallStatusFollowsACallThroughItsStatuses) {
  const Owner owner = add_owner("+15551230001");
  CallLog call = new_call_log("CA1");  // initiated, as the reminder job logs it
  call.customer_id = owner.customer.id;
  call.intent = "appointment_reminder";
  ASSERT_OK(store_->add_call_log(call, kNow));

  const CallStatus statuses[] = {CallStatus::kRinging, CallStatus::kInProgress,
                                 CallStatus::kCompleted};
  int sequence = 1;
  for (CallStatus status : statuses) {
    SCOPED_TRACE(std::string(to_string(status)));
    const CallStatusApplied result = apply(callback("CA1", status, sequence), kNow + 1s * sequence);
    ++sequence;
    EXPECT_TRUE(result.applied);
    EXPECT_FALSE(result.created);
    EXPECT_EQ(result.log.status, status);
    EXPECT_EQ(result.log.customer_id, owner.customer.id);
    EXPECT_EQ(result.log.intent, "appointment_reminder");
    EXPECT_EQ(logged("CA1"), result.log);
  }
}

TEST_P(StoreContractTest, ApplyCallStatusIgnoresAnEarlierStatusAfterAFinalOne) {
  ASSERT_OK(store_->add_call_log(new_call_log("CA1"), kNow));
  const CallLog completed =
      apply(callback("CA1", CallStatus::kCompleted, 3, kNow + 30s), kNow + 31s).log;

  for (CallStatus late : {CallStatus::kRinging, CallStatus::kInProgress}) {
    SCOPED_TRACE(std::string(to_string(late)));
    const CallStatusApplied result = apply(callback("CA1", late, 2, kNow + 10s), kNow + 40s);
    EXPECT_FALSE(result.applied);
    EXPECT_FALSE(result.created);
    EXPECT_EQ(result.log, completed);
  }
  EXPECT_EQ(logged("CA1"), completed);
}

TEST_P(StoreContractTest, ApplyCallStatusNeverReplacesAFinalStatus) {
  ASSERT_OK(store_->add_call_log(new_call_log("CA1"), kNow));
  const CallLog busy = apply(callback("CA1", CallStatus::kBusy, 2, kNow + 5s), kNow + 5s).log;

  CallStatusUpdate failed = callback("CA1", CallStatus::kFailed, 3, kNow + 9s);
  failed.error_code = 31005;
  failed.error_message = "Connection error";
  const CallStatusApplied result = apply(failed, kNow + 10s);
  EXPECT_FALSE(result.applied);
  EXPECT_EQ(result.log, busy);
  EXPECT_EQ(logged("CA1"), busy);
}

TEST_P(StoreContractTest, ApplyCallStatusIgnoresDuplicates) {
  ASSERT_OK(store_->add_call_log(new_call_log("CA1"), kNow));
  const CallLog ringing = apply(callback("CA1", CallStatus::kRinging, 1, kNow + 2s), kNow + 2s).log;

  CallStatusUpdate same_number = callback("CA1", CallStatus::kRinging, 1, kNow + 3s);
  same_number.answered_by = "human";
  const CallStatusUpdate no_number = callback("CA1", CallStatus::kRinging, std::nullopt);
  for (const CallStatusUpdate& duplicate : {same_number, no_number}) {
    const CallStatusApplied result = apply(duplicate, kNow + 4s);
    EXPECT_FALSE(result.applied);
    EXPECT_EQ(result.log, ringing);
  }
  EXPECT_EQ(logged("CA1"), ringing);
}

TEST_P(StoreContractTest, ApplyCallStatusTakesALaterCallbackOfTheSameStatus) {
  ASSERT_OK(store_->add_call_log(new_call_log("CA1"), kNow));
  apply(callback("CA1", CallStatus::kInProgress, 2, kNow + 5s), kNow + 5s);

  CallStatusUpdate later = callback("CA1", CallStatus::kInProgress, 3, kNow + 6s);
  later.answered_by = "human";
  const CallStatusApplied taken = apply(later, kNow + 6s);
  EXPECT_TRUE(taken.applied);
  EXPECT_EQ(taken.log.answered_by, "human");
  EXPECT_EQ(taken.log.updated_at, kNow + 6s);

  // The sequence number taken is remembered: an earlier one is now a stale repeat.
  CallStatusUpdate earlier = callback("CA1", CallStatus::kInProgress, 2, kNow + 5s);
  earlier.answered_by = "machine_start";
  const CallStatusApplied ignored = apply(earlier, kNow + 7s);
  EXPECT_FALSE(ignored.applied);
  EXPECT_EQ(ignored.log, taken.log);
  EXPECT_EQ(logged("CA1"), taken.log);
}

TEST_P(StoreContractTest, ApplyCallStatusRecordsAnUnknownCallSid) {
  CallStatusUpdate u = callback("CAunknown", CallStatus::kRinging, 1, kNow - 1s);
  u.direction = CallDirection::kInbound;
  u.from = "+15550001111";
  u.to = "+15550002222";

  const CallStatusApplied result = apply(u, kNow);
  EXPECT_TRUE(result.created);
  EXPECT_TRUE(result.applied);
  CallLog expected;
  expected.id = result.log.id;
  expected.call_sid = "CAunknown";
  expected.direction = CallDirection::kInbound;
  expected.status = CallStatus::kRinging;
  expected.from = "+15550001111";
  expected.to = "+15550002222";
  expected.created_at = kNow;
  expected.updated_at = kNow;
  EXPECT_GT(result.log.id, 0);
  EXPECT_EQ(result.log, expected);
  EXPECT_EQ(logged("CAunknown"), expected);

  // The row now exists: the next callback updates it, and a repeat is a duplicate.
  const CallStatusApplied next =
      apply(callback("CAunknown", CallStatus::kInProgress, 2, kNow + 1s), kNow + 1s);
  EXPECT_TRUE(next.applied);
  EXPECT_FALSE(next.created);
  EXPECT_EQ(next.log.id, expected.id);
  EXPECT_FALSE(apply(u, kNow + 2s).applied);
}

TEST_P(StoreContractTest, ApplyCallStatusSetsTimesDurationAnsweredByAndError) {
  ASSERT_OK(store_->add_call_log(new_call_log("CAanswered"), kNow));
  ASSERT_OK(store_->add_call_log(new_call_log("CAfailed"), kNow));
  const TimePoint answered = kNow + 8s;
  const TimePoint hung_up = kNow + 50s;

  CallStatusUpdate in_progress = callback("CAanswered", CallStatus::kInProgress, 2, answered);
  in_progress.answered_by = "human";
  apply(in_progress, answered + 1s);
  CallStatusUpdate completed = callback("CAanswered", CallStatus::kCompleted, 3, hung_up);
  completed.duration_seconds = 42;
  const CallLog done = apply(completed, hung_up + 2s).log;
  EXPECT_EQ(done.status, CallStatus::kCompleted);
  EXPECT_EQ(done.started_at, answered);
  EXPECT_EQ(done.ended_at, hung_up);
  EXPECT_EQ(done.duration_seconds, 42);
  EXPECT_EQ(done.answered_by, "human");  // said once, kept
  EXPECT_EQ(done.error_code, std::nullopt);
  EXPECT_EQ(done.updated_at, hung_up + 2s);
  EXPECT_EQ(logged("CAanswered"), done);

  CallStatusUpdate failed = callback("CAfailed", CallStatus::kFailed, 1, kNow + 3s);
  failed.duration_seconds = 0;
  failed.error_code = 31005;
  failed.error_message = "Connection error";
  const CallLog failure = apply(failed, kNow + 4s).log;
  EXPECT_EQ(failure.status, CallStatus::kFailed);
  EXPECT_EQ(failure.started_at, std::nullopt);
  EXPECT_EQ(failure.ended_at, kNow + 3s);
  EXPECT_EQ(failure.duration_seconds, 0);
  EXPECT_EQ(failure.error_code, 31005);
  EXPECT_EQ(failure.error_message, "Connection error");
  EXPECT_EQ(logged("CAfailed"), failure);
}

TEST_P(StoreContractTest, ApplyCallStatusUsesNowWhenTheCallbackHasNoTimestamp) {
  ASSERT_OK(store_->add_call_log(new_call_log("CA1"), kNow));
  apply(callback("CA1", CallStatus::kInProgress, 2), kNow + 10s);
  const CallLog done = apply(callback("CA1", CallStatus::kNoAnswer, 3), kNow + 20s).log;
  EXPECT_EQ(done.started_at, kNow + 10s);
  EXPECT_EQ(done.ended_at, kNow + 20s);
}

TEST_P(StoreContractTest, ApplyCallStatusKeepsTheFirstStartTime) {
  ASSERT_OK(store_->add_call_log(new_call_log("CA1"), kNow));
  apply(callback("CA1", CallStatus::kInProgress, 2, kNow + 5s), kNow + 5s);
  const CallStatusApplied again =
      apply(callback("CA1", CallStatus::kInProgress, 3, kNow + 9s), kNow + 9s);
  EXPECT_TRUE(again.applied);
  EXPECT_EQ(again.log.started_at, kNow + 5s);
}

TEST_P(StoreContractTest, ApplyCallStatusKeepsWhatTheCallbackDoesNotSay) {
  const Owner owner = add_owner("+15551230001");
  ASSERT_OK_AND_ASSIGN(
      appointment,
      store_->add_appointment(
          new_appointment(owner.customer.id, owner.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  CallLog call = new_call_log("CA1");
  call.customer_id = owner.customer.id;
  call.appointment_id = appointment.id;
  call.status = CallStatus::kInProgress;
  call.intent = "appointment_reminder";
  call.from = "+15550000000";
  call.to = "+15551230001";
  call.started_at = kNow;
  call.answered_by = "human";
  call.outcome = "confirmed";
  ASSERT_OK_AND_ASSIGN(log, store_->add_call_log(call, kNow));

  CallStatusUpdate completed = callback("CA1", CallStatus::kCompleted, 4, kNow + 60s);
  completed.direction = CallDirection::kInbound;  // only for an unknown call
  completed.from = "+19990000000";
  completed.to = "+19990000001";
  const CallStatusApplied result = apply(completed, kNow + 61s);
  CallLog expected = log;
  expected.status = CallStatus::kCompleted;
  expected.ended_at = kNow + 60s;
  expected.updated_at = kNow + 61s;
  EXPECT_TRUE(result.applied);
  EXPECT_EQ(result.log, expected);
  EXPECT_EQ(logged("CA1"), expected);
}

TEST_P(StoreContractTest, InvalidCallbackIsRejectedNamingTheFieldAndStoresNothing) {
  CallStatusUpdate no_sid = callback("", CallStatus::kRinging, 1);
  CallStatusUpdate negative_duration = callback("CA1", CallStatus::kCompleted, 3);
  negative_duration.duration_seconds = -5;
  struct Case {
    const CallStatusUpdate& update;
    const char* field;
  };
  for (const Case& tc : {Case{no_sid, "call_sid"}, Case{negative_duration, "duration_seconds"}}) {
    SCOPED_TRACE(tc.field);
    auto result = store_->apply_call_status(tc.update, kNow);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().field, tc.field);
  }
  ASSERT_OK_AND_ASSIGN(logs, store_->list_call_logs(CallLogQuery{}));
  EXPECT_THAT(logs, IsEmpty());
}

// Twilio may deliver one call's callbacks at once, to several server threads
// and out of order. Every thread here sends each call's four callbacks in its
// own shuffled order; half of the calls were never logged, so their rows are
// created by whichever callback comes first.
TEST_P(StoreContractTest, ApplyCallStatusIsAtomicUnderConcurrentCallbacks) {
  constexpr int kThreads = 6;
  constexpr int kCalls = 16;
  const TimePoint answered = kNow + 10s;
  const TimePoint hung_up = kNow + 70s;
  std::vector<std::string> sids;
  for (int i = 0; i < kCalls; ++i) {
    sids.push_back("CAconcurrent" + std::to_string(i));
    if (i % 2 == 0) ASSERT_OK(store_->add_call_log(new_call_log(sids.back()), kNow));
  }
  const auto callbacks_of = [&](const std::string& sid) {
    CallStatusUpdate in_progress = callback(sid, CallStatus::kInProgress, 2, answered);
    in_progress.answered_by = "human";
    CallStatusUpdate completed = callback(sid, CallStatus::kCompleted, 3, hung_up);
    completed.duration_seconds = 60;
    completed.answered_by = "human";
    return std::vector<CallStatusUpdate>{callback(sid, CallStatus::kInitiated, 0, kNow),
                                         callback(sid, CallStatus::kRinging, 1, kNow + 2s),
                                         in_progress, completed};
  };

  std::atomic<int> failures{0};
  std::atomic<int> created{0};
  std::vector<std::atomic<int>> completions(kCalls);
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t) + 1);
      start.arrive_and_wait();
      for (int call = 0; call < kCalls; ++call) {
        auto updates = callbacks_of(sids[call]);
        std::shuffle(updates.begin(), updates.end(), random);
        for (const CallStatusUpdate& u : updates) {
          auto result = store_->apply_call_status(u, kNow + 80s);
          if (!result.ok()) {
            ++failures;
            continue;
          }
          if (result->created) ++created;
          if (result->applied && u.status == CallStatus::kCompleted) ++completions[call];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(created.load(), kCalls / 2);  // each unknown call's row made once
  for (int call = 0; call < kCalls; ++call) {
    SCOPED_TRACE(sids[call]);
    EXPECT_EQ(completions[call].load(), 1);  // one completed applied; the others duplicates
    const CallLog log = logged(sids[call]);
    EXPECT_EQ(log.status, CallStatus::kCompleted);
    EXPECT_EQ(log.ended_at, hung_up);
    EXPECT_EQ(log.duration_seconds, 60);
    EXPECT_EQ(log.answered_by, "human");
    // Whether in-progress arrived before completed depends on the order.
    EXPECT_THAT(log.started_at,
                ::testing::AnyOf(std::optional<TimePoint>(answered), std::optional<TimePoint>()));
  }
  ASSERT_OK_AND_ASSIGN(logs, store_->list_call_logs(CallLogQuery{}));
  EXPECT_EQ(logs.size(), static_cast<std::size_t>(kCalls));
}

TEST_P(StoreContractTest, CallLogCountsGroupsByStatusAndReminderOutcome) {
  struct Call {
    CallStatus status;
    const char* intent;
    const char* outcome;
  };
  const Call calls[] = {
      {CallStatus::kCompleted, "appointment_reminder", "confirmed"},
      {CallStatus::kCompleted, "appointment_reminder", ""},
      {CallStatus::kCompleted, "inbound", "booked"},
      {CallStatus::kInProgress, "appointment_reminder", ""},
      {CallStatus::kInitiated, "appointment_reminder", "rescheduled"},
      {CallStatus::kNoAnswer, "appointment_reminder", ""},
      {CallStatus::kNoAnswer, "appointment_reminder", "voicemail"},
      {CallStatus::kNoAnswer, "", ""},
  };
  int n = 0;
  for (const Call& call : calls) {
    CallLog c = new_call_log("CA" + std::to_string(n++));
    c.status = call.status;
    c.intent = call.intent;
    c.outcome = call.outcome;
    ASSERT_OK(store_->add_call_log(c, kNow));
  }

  ASSERT_OK_AND_ASSIGN(counts, store_->call_log_counts());
  // Names in byte order: "in-progress" before "initiated", whatever the locale.
  EXPECT_THAT(counts.by_status, ElementsAre(Pair("completed", 3), Pair("in-progress", 1),
                                            Pair("initiated", 1), Pair("no-answer", 3)));
  EXPECT_THAT(counts.reminders_by_outcome,
              ElementsAre(Pair("confirmed", 1), Pair("none", 3), Pair("rescheduled", 1),
                          Pair("voicemail", 1)));
}

TEST_P(StoreContractTest, CallLogCountsOfNoCallsAreEmpty) {
  ASSERT_OK_AND_ASSIGN(counts, store_->call_log_counts());
  EXPECT_THAT(counts.by_status, IsEmpty());
  EXPECT_THAT(counts.reminders_by_outcome, IsEmpty());
}

// --- paging, atomicity, concurrency ---------------------------------------------------

TEST_P(StoreContractTest, InvalidPageIsRejected) {
  struct Case {
    Page page;
    const char* field;
  };
  const Case cases[] = {
      {Page{.limit = 0, .offset = 0}, "limit"},
      {Page{.limit = -1, .offset = 0}, "limit"},
      {Page{.limit = 10001, .offset = 0}, "limit"},
      {Page{.limit = 10, .offset = -1}, "offset"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(::testing::Message() << "limit " << tc.page.limit << " offset " << tc.page.offset);
    const auto check = [&](const auto& result) {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
      EXPECT_EQ(result.error().field, tc.field);
    };
    check(store_->list_customers(tc.page));
    check(store_->list_vehicles(std::nullopt, tc.page));
    check(store_->list_appointments(appointments_in_page(tc.page)));
    check(store_->list_call_logs(call_logs_of({}, {}, tc.page)));
  }
  ASSERT_OK(store_->list_customers(Page{.limit = 1, .offset = 0}));
  ASSERT_OK(store_->list_customers(Page{.limit = 10000, .offset = 1000000}));
}

TEST_P(StoreContractTest, FailedWriteChangesNothing) {
  const Owner ada = add_owner("+15551230001");
  const Owner bob = add_owner("+15551230002");
  ASSERT_OK_AND_ASSIGN(
      appointment,
      store_->add_appointment(
          new_appointment(ada.customer.id, ada.vehicle.id, at("2026-03-03T09:00:00Z")), kNow));
  ASSERT_OK(store_->add_call_log(new_call_log("CA1"), kNow));

  const auto snapshot = [&] {
    auto customers = store_->list_customers(Page{});
    auto vehicles = store_->list_vehicles(std::nullopt, Page{});
    auto logs = store_->list_call_logs(CallLogQuery{});
    EXPECT_TRUE(customers.ok() && vehicles.ok() && logs.ok());
    return std::tuple(customers.ok() ? *customers : std::vector<Customer>{},
                      vehicles.ok() ? *vehicles : std::vector<Vehicle>{}, all_appointments(),
                      logs.ok() ? *logs : std::vector<CallLog>{});
  };
  const auto before = snapshot();

  EXPECT_FALSE(store_->add_customer(new_customer("+15551230001", "Dup"), kNow).ok());
  EXPECT_FALSE(store_->add_vehicle(new_vehicle(999), kNow).ok());
  EXPECT_FALSE(
      store_
          ->add_appointment(
              new_appointment(ada.customer.id, bob.vehicle.id, at("2026-03-04T09:00:00Z")), kNow)
          .ok());
  std::vector<Appointment> batch(
      3, new_appointment(bob.customer.id, bob.vehicle.id, at("2026-03-05T09:00:00Z")));
  batch[2].vehicle_id = ada.vehicle.id;
  EXPECT_FALSE(store_->add_appointments(batch, kNow).ok());
  EXPECT_FALSE(store_->add_call_log(new_call_log("CA1"), kNow).ok());
  CallLog dangling = new_call_log("CA2");
  dangling.appointment_id = appointment.id + 100;
  EXPECT_FALSE(store_->add_call_log(dangling, kNow).ok());
  EXPECT_FALSE(store_->set_customer_opt_out(999, true, kNow).ok());
  EXPECT_FALSE(store_->set_appointment_status(999, AppointmentStatus::kNoShow, kNow).ok());
  Customer taken_phone = bob.customer;
  taken_phone.phone = ada.customer.phone;
  EXPECT_FALSE(store_->update_customer(taken_phone).ok());
  Vehicle bad_vin = ada.vehicle;
  bad_vin.vin = "SHORT";
  EXPECT_FALSE(store_->update_vehicle(bad_vin).ok());
  EXPECT_FALSE(store_->delete_vehicle(ada.vehicle.id).ok());
  Appointment moved = appointment;
  moved.vehicle_id = bob.vehicle.id;
  EXPECT_FALSE(store_->update_appointment(moved, kNow).ok());
  EXPECT_FALSE(store_->delete_customer(999).ok());
  EXPECT_FALSE(store_->apply_call_status(callback("", CallStatus::kRinging, 1), kNow).ok());

  EXPECT_EQ(snapshot(), before);
}

TEST_P(StoreContractTest, ConcurrentWritersFromManyThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string number = "+1555" + std::to_string(1000000 + t * 1000 + i);
        auto c = store_->add_customer(new_customer(number, "T" + std::to_string(t)), kNow);
        if (!c.ok()) {
          ++failures;
          continue;
        }
        // Interleave reads with the writes of other threads.
        auto found = store_->customer_by_phone(c->phone);
        if (!found.ok() || !found->has_value() || **found != *c) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  ASSERT_OK_AND_ASSIGN(all, store_->list_customers(Page{.limit = 1000, .offset = 0}));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::vector<std::string> numbers;
  for (const Customer& c : all) numbers.push_back(c.phone.str());
  std::sort(numbers.begin(), numbers.end());
  EXPECT_EQ(std::adjacent_find(numbers.begin(), numbers.end()), numbers.end());
}

TEST_P(StoreContractTest, ConcurrentDuplicatePhoneStoresOneCustomer) {
  constexpr int kThreads = 8;
  std::atomic<int> stored{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto c = store_->add_customer(new_customer("+15557654321"), kNow);
      if (c.ok()) {
        ++stored;
      } else if (c.error().code == ErrorCode::kConflict) {
        ++conflicts;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(stored.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
}

// --- scheduled job fires ----------------------------------------------------------------

TEST_P(StoreContractTest, ClaimFireGivesTheFireToOneWorker) {
  EXPECT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  EXPECT_EQ(claim("host-b:2", kNow), held_elsewhere_until(kNow + kLease));
  // Other fires of the job, and the same time of another job, are claimed apart.
  EXPECT_EQ(claim("host-b:2", kNow, kFire + 1h), claimed_until(kNow + kLease));
  EXPECT_EQ(describe_claim(store_->claim_fire("cleanup", kFire, "host-b:2", kNow, kLease)),
            claimed_until(kNow + kLease));
}

TEST_P(StoreContractTest, SecondClaimSeesItHeldElsewhereUntilTheLeaseEnds) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  EXPECT_EQ(claim("host-b:2", kNow + 1s), held_elsewhere_until(kNow + kLease));
  EXPECT_EQ(claim("host-b:2", kNow + kLease - 1s), held_elsewhere_until(kNow + kLease));
}

TEST_P(StoreContractTest, ExpiredLeaseIsTakenOverByAnotherWorker) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  const TimePoint expired = kNow + kLease;  // host-a died and stopped renewing
  EXPECT_EQ(claim("host-b:2", expired), claimed_until(expired + kLease));

  // host-a has lost the fire: it can neither renew it, finish it nor claim it back.
  expect_conflict(store_->renew_fire(kJob, kFire, "host-a:1", expired, kLease), "host-b:2");
  expect_conflict(
      store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSucceeded, "ok", expired),
      "host-b:2");
  EXPECT_EQ(claim("host-a:1", expired + 1s), held_elsewhere_until(expired + kLease));
}

TEST_P(StoreContractTest, ClaimAgainByTheHolderRenews) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  EXPECT_EQ(claim("host-a:1", kNow + 30s), claimed_until(kNow + 30s + kLease));
  EXPECT_EQ(claim("host-b:2", kNow + kLease), held_elsewhere_until(kNow + 30s + kLease));
}

TEST_P(StoreContractTest, RenewExtendsTheHoldersLease) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  ASSERT_OK(store_->renew_fire(kJob, kFire, "host-a:1", kNow + 50s, kLease));
  EXPECT_EQ(claim("host-b:2", kNow + kLease), held_elsewhere_until(kNow + 50s + kLease));
  EXPECT_EQ(claim("host-a:1", kNow + 51s), claimed_until(kNow + 51s + kLease));
}

TEST_P(StoreContractTest, RenewByAnotherWorkerIsConflict) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  expect_conflict(store_->renew_fire(kJob, kFire, "host-b:2", kNow + 1s, kLease), "host-a:1");
  // The holder's lease is as it was.
  EXPECT_EQ(claim("host-b:2", kNow + kLease), claimed_until(kNow + 2 * kLease));
}

TEST_P(StoreContractTest, RenewOfAFireNotRunningIsConflict) {
  expect_conflict(store_->renew_fire(kJob, kFire, "host-a:1", kNow, kLease), "never claimed");
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  ASSERT_OK(store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSucceeded, "ok", kNow));
  expect_conflict(store_->renew_fire(kJob, kFire, "host-a:1", kNow + 1s, kLease),
                  "already finished");
}

TEST_P(StoreContractTest, FinishedFireIsDoneForEveryone) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  ASSERT_OK(store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kFailed, "carrier down",
                                kNow + 5s));
  EXPECT_EQ(claim("host-a:1", kNow + 10s), kDone);
  EXPECT_EQ(claim("host-b:2", kNow + 10s), kDone);
  EXPECT_EQ(claim("host-b:2", kNow + 24h), kDone);  // long after any lease
}

TEST_P(StoreContractTest, FinishRecordsOutcomeAndLastFinishedFire) {
  EXPECT_EQ(last_finished(), std::nullopt);
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  ASSERT_OK(store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSucceeded, "ok", kNow));
  EXPECT_EQ(last_finished(), kFire);

  const TimePoint next = kFire + 1h;
  ASSERT_EQ(claim("host-a:1", next, next), claimed_until(next + kLease));
  ASSERT_OK(store_->finish_fire(kJob, next, "host-a:1", FireOutcome::kFailed, "timeout", next));
  EXPECT_EQ(last_finished(), next);

  // A fire ends once.
  expect_conflict(
      store_->finish_fire(kJob, next, "host-a:1", FireOutcome::kSucceeded, "ok", next + 1s),
      "already finished (failed)");
}

TEST_P(StoreContractTest, FinishingWithoutTheClaimIsConflict) {
  expect_conflict(store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSucceeded, "ok", kNow),
                  "never claimed");
  EXPECT_EQ(last_finished(), std::nullopt);

  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  expect_conflict(
      store_->finish_fire(kJob, kFire, "host-b:2", FireOutcome::kFailed, "no", kNow + 1s),
      "host-a:1");
  EXPECT_EQ(last_finished(), std::nullopt);
  ASSERT_OK(store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSucceeded, "ok", kNow + 2s));
  EXPECT_EQ(last_finished(), kFire);
}

TEST_P(StoreContractTest, SkippedFireIsRecordedWithoutAClaim) {
  ASSERT_OK(
      store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSkipped, "missed by 900 s", kNow));
  EXPECT_EQ(last_finished(), kFire);
  EXPECT_EQ(claim("host-b:2", kNow + 1s), kDone);
  expect_conflict(
      store_->finish_fire(kJob, kFire, "host-b:2", FireOutcome::kSkipped, "missed", kNow + 2s),
      "already finished (skipped)");
}

TEST_P(StoreContractTest, SkippingALiveClaimOfAnotherWorkerIsConflict) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  expect_conflict(
      store_->finish_fire(kJob, kFire, "host-b:2", FireOutcome::kSkipped, "missed", kNow + 1s),
      "host-a:1");
  EXPECT_EQ(last_finished(), std::nullopt);
  // Once the holder's lease has run out, nobody holds it: the skip goes through.
  ASSERT_OK(
      store_->finish_fire(kJob, kFire, "host-b:2", FireOutcome::kSkipped, "missed", kNow + kLease));
  EXPECT_EQ(claim("host-a:1", kNow + kLease + 1s), kDone);
}

TEST_P(StoreContractTest, HolderMaySkipItsOwnClaim) {
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  ASSERT_OK(store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSkipped, "outside hours",
                                kNow + 1s));
  EXPECT_EQ(last_finished(), kFire);
  EXPECT_EQ(claim("host-b:2", kNow + 2s), kDone);
}

TEST_P(StoreContractTest, LastFinishedFireIgnoresRunningFiresAndOtherJobs) {
  const TimePoint first = kFire;
  const TimePoint second = kFire + 1h;
  const TimePoint third = kFire + 2h;
  ASSERT_EQ(claim("host-a:1", kNow, first), claimed_until(kNow + kLease));
  ASSERT_OK(store_->finish_fire(kJob, first, "host-a:1", FireOutcome::kSucceeded, "ok", kNow));
  ASSERT_EQ(claim("host-a:1", kNow, second), claimed_until(kNow + kLease));  // still running
  ASSERT_OK(store_->finish_fire("cleanup", third, "host-a:1", FireOutcome::kSkipped, "", kNow));

  EXPECT_EQ(last_finished(kJob), first);
  EXPECT_EQ(last_finished("cleanup"), third);
  EXPECT_EQ(last_finished("never-ran"), std::nullopt);
}

TEST_P(StoreContractTest, FinishKeepsAnyDetail) {
  // Long, with bytes no text column likes: recording the outcome must not fail.
  std::string detail(3000, 'x');
  detail += std::string("\0\xff\xfe", 3) + "Fehler: Verbindung getrennt — 接続";
  ASSERT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
  ASSERT_OK(store_->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kFailed, detail, kNow));
  ASSERT_OK(store_->finish_fire(kJob, kFire + 1h, "host-a:1", FireOutcome::kSkipped, detail, kNow));
  EXPECT_EQ(last_finished(), kFire + 1h);
}

TEST_P(StoreContractTest, FireCallsRejectEmptyNamesAndNonPositiveLeases) {
  struct Case {
    const char* name;
    Status status;
    const char* field;
  };
  const auto claim_status = [&](std::string_view job, std::string_view worker,
                                std::chrono::seconds lease) -> Status {
    auto c = store_->claim_fire(job, kFire, worker, kNow, lease);
    if (!c.ok()) return std::move(c).error();
    return ok_status();
  };
  const auto last_status = [&](std::string_view job) -> Status {
    auto last = store_->last_finished_fire(job);
    if (!last.ok()) return std::move(last).error();
    return ok_status();
  };
  const Case cases[] = {
      {"claim without job", claim_status("", "host-a:1", kLease), "job"},
      {"claim without worker", claim_status(kJob, "", kLease), "worker"},
      {"claim with no lease", claim_status(kJob, "host-a:1", 0s), "lease"},
      {"claim with negative lease", claim_status(kJob, "host-a:1", -5s), "lease"},
      {"renew without job", store_->renew_fire("", kFire, "host-a:1", kNow, kLease), "job"},
      {"renew without worker", store_->renew_fire(kJob, kFire, "", kNow, kLease), "worker"},
      {"renew with no lease", store_->renew_fire(kJob, kFire, "host-a:1", kNow, 0s), "lease"},
      {"finish without job",
       store_->finish_fire("", kFire, "host-a:1", FireOutcome::kSkipped, "", kNow), "job"},
      {"finish without worker",
       store_->finish_fire(kJob, kFire, "", FireOutcome::kSkipped, "", kNow), "worker"},
      {"last finished without job", last_status(""), "job"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    ASSERT_FALSE(tc.status.ok());
    EXPECT_EQ(tc.status.error().code, ErrorCode::kInvalidArgument) << describe(tc.status);
    EXPECT_EQ(tc.status.error().field, tc.field);
  }
  // Nothing was stored: the fire is still free.
  EXPECT_EQ(last_finished(), std::nullopt);
  EXPECT_EQ(claim("host-a:1", kNow), claimed_until(kNow + kLease));
}

TEST_P(StoreContractTest, ConcurrentClaimsFromManyThreadsYieldOneWinner) {
  // Two stores on one database, as two worker processes would have: the
  // threads race over separate connections as well as within one store.
  ASSERT_OK_AND_ASSIGN(other, open_store(db_->url()));
  constexpr int kThreads = 8;
  constexpr int kFires = 20;
  std::vector<std::atomic<int>> claimed(kFires);
  std::vector<std::atomic<int>> held_elsewhere(kFires);
  std::atomic<int> failures{0};
  std::barrier start_together(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *store_ : *other;
      const std::string worker = "host-" + std::to_string(t) + ":" + std::to_string(1000 + t);
      for (int f = 0; f < kFires; ++f) {
        start_together.arrive_and_wait();
        auto c = store.claim_fire(kJob, kFire + std::chrono::minutes(f), worker, kNow, kLease);
        if (!c.ok()) {
          ++failures;
        } else if (c->state == FireClaim::State::kClaimed) {
          ++claimed[static_cast<std::size_t>(f)];
        } else if (c->state == FireClaim::State::kHeldElsewhere && c->held_until == kNow + kLease) {
          ++held_elsewhere[static_cast<std::size_t>(f)];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int f = 0; f < kFires; ++f) {
    SCOPED_TRACE("fire " + std::to_string(f));
    EXPECT_EQ(claimed[static_cast<std::size_t>(f)].load(), 1);
    EXPECT_EQ(held_elsewhere[static_cast<std::size_t>(f)].load(), kThreads - 1);
  }
}

// --- workers ---------------------------------------------------------------------------

TEST_P(StoreContractTest, AWorkerMayLockTheDatabase) {
  ASSERT_OK_AND_ASSIGN(lock, store_->lock_worker("host-a:1"));
  EXPECT_NE(lock, nullptr);
}

TEST_P(StoreContractTest, LockWorkerRejectsAnEmptyWorkerId) {
  auto lock = store_->lock_worker("");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(lock.error().field, "worker");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return std::string(autovoice::testing::backend_name(param_info.param));
                         });

// --- both dialects ------------------------------------------------------------------------

// The dialects differ only in SQL: a database is at the same version, with
// the same migration names, whichever backend it lives on.
TEST(Migrations, BothDialectsHaveTheSameVersionsInTheSameOrderWithTheSameNames) {
  const auto sqlite = sqlite_migrations();
  const auto postgres = postgres_migrations();
  ASSERT_FALSE(sqlite.empty());
  ASSERT_EQ(sqlite.size(), postgres.size());
  for (std::size_t i = 0; i < sqlite.size(); ++i) {
    SCOPED_TRACE("migration " + std::string(sqlite[i].name));
    EXPECT_EQ(sqlite[i].version, static_cast<int>(i) + 1);  // 1, 2, 3, ... none skipped
    EXPECT_EQ(postgres[i].version, sqlite[i].version);
    EXPECT_EQ(postgres[i].name, sqlite[i].name);
    EXPECT_FALSE(sqlite[i].sql.empty());
    EXPECT_FALSE(postgres[i].sql.empty());
  }
  EXPECT_EQ(latest_schema_version(), sqlite.back().version);
}

// --- SQLite only: what the Store interface cannot reach ---------------------------------

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabase::create(Backend::kSqlite, nullptr);
    ASSERT_NE(db_, nullptr);
    path_ = db_->url().substr(std::string_view("sqlite://").size());
  }

  // Runs SQL on a raw connection, as another program would.
  void raw_exec(const std::string& sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &message);
    const std::string error = message != nullptr ? message : "";
    sqlite3_free(message);
    sqlite3_close(raw);
    ASSERT_EQ(rc, SQLITE_OK) << error;
  }

  std::string raw_query_text(const std::string& sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return out;
  }

  std::unique_ptr<TestDatabase> db_;
  std::string path_;
};

TEST_F(SqliteStoreTest, RefusesSchemaNewerThanBinary) {
  ASSERT_OK_AND_ASSIGN(store, open_store(db_->url()));
  ASSERT_OK(store->migrate());
  const int newer = latest_schema_version() + 1;
  raw_exec("INSERT INTO schema_version (version, name, applied_at) VALUES (" +
           std::to_string(newer) + ", 'from_the_future', 0)");

  auto migrated = store->migrate();
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(migrated.error().message, HasSubstr(std::to_string(newer)));
  EXPECT_THAT(migrated.error().message, HasSubstr(std::to_string(latest_schema_version())));
  EXPECT_THAT(migrated.error().message, HasSubstr("upgrade autovoice"));

  auto reopened = open_store(db_->url());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(reopened.error().message, HasSubstr("upgrade autovoice"));
}

TEST_F(SqliteStoreTest, MigrationIsRecordedWithNameAndTime) {
  ASSERT_OK_AND_ASSIGN(store, open_store(db_->url()));
  ASSERT_OK(store->migrate());
  EXPECT_EQ(raw_query_text("SELECT name FROM schema_version WHERE version = 1"), "0001_initial");
  EXPECT_EQ(raw_query_text("SELECT applied_at > 1700000000 FROM schema_version WHERE version = 1"),
            "1");
}

TEST_F(SqliteStoreTest, UsesWriteAheadLogging) {
  ASSERT_OK_AND_ASSIGN(store, open_store(db_->url()));
  EXPECT_EQ(raw_query_text("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, UnopenablePathIsUnavailableAndNamed) {
  const std::string path = path_ + ".missing-dir/app.db";
  auto opened = open_store("sqlite://" + path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(opened.error().message, HasSubstr(path));
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseIsRefused) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto opened = open_store(db_->url());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(opened.error().message, HasSubstr(path_));
}

TEST_F(SqliteStoreTest, UnmigratedStoreSaysToMigrate) {
  ASSERT_OK_AND_ASSIGN(store, open_store(db_->url()));
  auto added = store->add_customer(new_customer("+15551230001"), kNow);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(added.error().message, HasSubstr("autovoice migrate"));
}

TEST_F(SqliteStoreTest, InMemoryDatabaseWorks) {
  ASSERT_OK_AND_ASSIGN(store, open_store("sqlite::memory:"));
  ASSERT_OK(store->migrate());
  ASSERT_OK_AND_ASSIGN(added, store->add_customer(new_customer("+15551230001"), kNow));
  ASSERT_OK_AND_ASSIGN(loaded, store->customer(added.id));
  EXPECT_EQ(loaded, added);
}

// serve and worker open the same file: writes from two connections wait for
// each other (busy timeout) instead of failing with "database is locked".
TEST_F(SqliteStoreTest, TwoStoresOnOneFileWriteConcurrently) {
  ASSERT_OK_AND_ASSIGN(first, open_store(db_->url()));
  ASSERT_OK(first->migrate());
  ASSERT_OK_AND_ASSIGN(second, open_store(db_->url()));
  ASSERT_OK_AND_ASSIGN(owner, first->add_customer(new_customer("+15551230001"), kNow));
  ASSERT_OK_AND_ASSIGN(vehicle, first->add_vehicle(new_vehicle(owner.id), kNow));

  constexpr int kThreadsPerStore = 3;
  constexpr int kBatches = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (Store* store : {first.get(), second.get()}) {
    for (int t = 0; t < kThreadsPerStore; ++t) {
      threads.emplace_back([&, store] {
        for (int i = 0; i < kBatches; ++i) {
          std::vector<Appointment> rows(
              10, new_appointment(owner.id, vehicle.id, at("2026-03-03T09:00:00Z")));
          if (!store->add_appointments(rows, kNow).ok()) ++failures;
          if (!store
                   ->appointments_starting(AppointmentStatus::kConfirmed, kNow,
                                           at("2026-03-04T00:00:00Z"))
                   .ok()) {
            ++failures;
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(
      all, second->list_appointments(appointments_in_page(Page{.limit = 10000, .offset = 0})));
  EXPECT_EQ(all.size(), static_cast<std::size_t>(2 * kThreadsPerStore * kBatches * 10));
}

// --- SQLite only: one worker per file -------------------------------------------------

TEST_F(SqliteStoreTest, SecondWorkerOnOneFileIsRefusedNamingTheHolder) {
  ASSERT_OK_AND_ASSIGN(first, open_store(db_->url()));
  ASSERT_OK_AND_ASSIGN(second, open_store(db_->url()));  // as another process would
  ASSERT_OK_AND_ASSIGN(lock, first->lock_worker("shop-a:1234"));

  for (Store* store : {second.get(), first.get()}) {
    auto refused = store->lock_worker("shop-b:99");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_THAT(refused.error().message,
                AllOf(HasSubstr("another autovoice worker (shop-a:1234) is already running on " +
                                std::filesystem::weakly_canonical(path_).string()),
                      HasSubstr("SQLite serves one worker"), HasSubstr("PostgreSQL")));
  }
}

TEST_F(SqliteStoreTest, WorkerLockIsReleasedWhenDestroyed) {
  ASSERT_OK_AND_ASSIGN(first, open_store(db_->url()));
  ASSERT_OK_AND_ASSIGN(second, open_store(db_->url()));
  ASSERT_OK_AND_ASSIGN(lock, first->lock_worker("shop-a:1234"));
  ASSERT_FALSE(second->lock_worker("shop-b:99").ok());

  lock.reset();
  ASSERT_OK_AND_ASSIGN(taken_over, second->lock_worker("shop-b:99"));
  // The refusal now names the new holder.
  auto refused = first->lock_worker("shop-a:1234");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("(shop-b:99)"));
  EXPECT_THAT(refused.error().message, Not(HasSubstr("shop-a")));
}

// A worker that crashes (kill -9) leaves no lock behind: the kernel drops it.
TEST_F(SqliteStoreTest, WorkerLockIsReleasedWhenTheProcessDies) {
  ASSERT_OK_AND_ASSIGN(store, open_store(db_->url()));
  std::array<int, 2> ready{};
  ASSERT_EQ(::pipe(ready.data()), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only the lock file is touched here, never the parent's SQLite connection.
    auto lock = store->lock_worker("doomed:1");
    const char status = lock.ok() ? 'y' : 'n';
    if (::write(ready[1], &status, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char status = 0;
  ASSERT_EQ(::read(ready[0], &status, 1), 1);
  ::close(ready[0]);
  EXPECT_EQ(status, 'y');
  auto while_alive = store->lock_worker("survivor:2");
  ::kill(child, SIGKILL);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_FALSE(while_alive.ok());
  EXPECT_THAT(while_alive.error().message, HasSubstr("doomed:1"));

  ASSERT_OK_AND_ASSIGN(after_death, store->lock_worker("survivor:2"));
  EXPECT_NE(after_death, nullptr);
}

TEST_F(SqliteStoreTest, InMemoryDatabaseLetsItsWorkerLock) {
  ASSERT_OK_AND_ASSIGN(store, open_store("sqlite::memory:"));
  ASSERT_OK_AND_ASSIGN(lock, store->lock_worker("shop-a:1234"));
  ASSERT_OK_AND_ASSIGN(another, store->lock_worker("shop-b:99"));  // no file to share
}

TEST_F(SqliteStoreTest, LongFireDetailIsCutAtACharacterBoundary) {
  ASSERT_OK_AND_ASSIGN(store, open_store(db_->url()));
  ASSERT_OK(store->migrate());
  std::string two_byte_characters;
  for (int i = 0; i < 600; ++i) two_byte_characters += "é";
  // 1201 bytes: the 1000-byte limit falls inside an "é", which is left out whole.
  ASSERT_OK(store->finish_fire(kJob, kFire, "host-a:1", FireOutcome::kSkipped,
                               "x" + two_byte_characters, kNow));
  std::string expected = "x";
  for (int i = 0; i < 499; ++i) expected += "é";
  EXPECT_EQ(raw_query_text("SELECT detail FROM job_fires"), expected);
  EXPECT_EQ(raw_query_text("SELECT state || ' by ' || worker FROM job_fires"),
            "skipped by host-a:1");
}

}  // namespace
}  // namespace autovoice
