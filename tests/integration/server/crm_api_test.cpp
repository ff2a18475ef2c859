// The CRM REST API over real sockets, on SQLite and on PostgreSQL: the API
// key, a full round trip through customers, vehicles and appointments, list
// filters and pages, and every error class with nothing changed.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "support/server_harness.h"

namespace autovoice::testing {
namespace {

namespace json = boost::json;

class CrmApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string why;
    h_ = ServerHarness::create(GetParam(), &why);
    if (h_ == nullptr) {
      if (GetParam() == Backend::kPostgres && std::getenv("AUTOVOICE_TEST_POSTGRES_URL_FILE") != nullptr) {
        FAIL() << "PostgreSQL was started for the tests but: " << why;
      }
      GTEST_SKIP() << why;
    }
  }
  // Sends, expects `status`, returns the JSON answer (null for an empty body).
  json::value call(const std::string& method, const std::string& target, const json::value& body,
                   int status) {
    auto r = h_->api(method, target, body.is_null() ? std::string() : json::serialize(body));
    EXPECT_EQ(r.status, status) << method << ' ' << target << ": " << r.body;
    return r.body.empty() ? json::value() : r.json();
  }
  std::int64_t create_customer(const std::string& phone, const std::string& first = "Dana") {
    auto c = call("POST", "/api/v1/customers",
                  json::object{{"first_name", first}, {"last_name", "Reyes"}, {"phone", phone}}, 201);
    return c.is_object() ? c.at("id").as_int64() : 0;
  }
  std::int64_t create_vehicle(std::int64_t customer) {
    auto v = call("POST", "/api/v1/vehicles",
                  json::object{{"customer_id", customer}, {"year", 2021}, {"make", "Honda"}, {"model", "Civic"}}, 201);
    return v.is_object() ? v.at("id").as_int64() : 0;
  }
  std::unique_ptr<ServerHarness> h_;
};

TEST_P(CrmApiTest, RequiresTheApiKey) {
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {}, {{"Authorization", "Bearer wrong-key-0123456789"}}, {{"Authorization", std::string("Basic ") + kServerApiKey}}}) {
    auto r = http_call("GET", h_->url("/api/v1/customers"), "", headers);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json().at("error").at("code"), "unauthorized");
  }
  auto post = http_call("POST", h_->url("/api/v1/customers"),
                        R"({"first_name":"Eve","phone":"+15550100099"})", {{"Content-Type", "application/json"}});
  EXPECT_EQ(post.status, 401);
  EXPECT_EQ(call("GET", "/api/v1/customers", nullptr, 200).at("data").as_array().size(), 0u);
}

TEST_P(CrmApiTest, RoundTripThroughCustomersVehiclesAndAppointments) {
  const auto customer = create_customer("+15550100001");
  const auto vehicle = create_vehicle(customer);
  auto appt = call("POST", "/api/v1/appointments",
                   json::object{{"customer_id", customer}, {"vehicle_id", vehicle},
                                {"start", "2026-11-26T15:00:00Z"}, {"service_type", "Oil change"},
                                {"status", "confirmed"}},
                   201);
  const auto appt_id = appt.at("id").as_int64();
  EXPECT_EQ(appt.at("status"), "CONFIRMED");
  EXPECT_EQ(appt.at("duration_minutes").as_int64(), 60);

  // Read back.
  auto read = call("GET", "/api/v1/appointments/" + std::to_string(appt_id), nullptr, 200);
  EXPECT_EQ(read, appt);
  EXPECT_EQ(call("GET", "/api/v1/vehicles/" + std::to_string(vehicle), nullptr, 200).at("description"),
            "2021 Honda Civic");

  // Update: reschedule, rename, opt out.
  auto moved = call("PATCH", "/api/v1/appointments/" + std::to_string(appt_id),
                    json::object{{"start", "2026-11-27T10:30:00-05:00"}, {"notes", "moved by phone"}}, 200);
  EXPECT_EQ(moved.at("start"), "2026-11-27T15:30:00Z");
  EXPECT_EQ(moved.at("service_type"), "Oil change");
  auto renamed = call("PATCH", "/api/v1/customers/" + std::to_string(customer),
                      json::object{{"first_name", "Dani"}, {"opted_out", true}}, 200);
  EXPECT_EQ(renamed.at("first_name"), "Dani");
  EXPECT_EQ(renamed.at("opted_out"), true);
  EXPECT_TRUE(renamed.at("opted_out_at").is_string());
  auto vehicle_fix = call("PATCH", "/api/v1/vehicles/" + std::to_string(vehicle), json::object{{"plate", "7ABC123"}}, 200);
  EXPECT_EQ(vehicle_fix.at("plate"), "7ABC123");

  // Delete: the vehicle is still booked; the appointment goes first.
  auto busy = call("DELETE", "/api/v1/vehicles/" + std::to_string(vehicle), nullptr, 409);
  EXPECT_EQ(busy.at("error").at("code"), "conflict");
  call("DELETE", "/api/v1/appointments/" + std::to_string(appt_id), nullptr, 204);
  call("GET", "/api/v1/appointments/" + std::to_string(appt_id), nullptr, 404);
  call("DELETE", "/api/v1/vehicles/" + std::to_string(vehicle), nullptr, 204);
  call("DELETE", "/api/v1/customers/" + std::to_string(customer), nullptr, 204);
  call("GET", "/api/v1/customers/" + std::to_string(customer), nullptr, 404);
}

TEST_P(CrmApiTest, ValidationNamesEveryBadFieldAndStoresNothing) {
  auto r = call("POST", "/api/v1/customers",
                json::object{{"first_name", ""}, {"phone", "555-0100"}, {"time_zone", "Mars/Olympus"}, {"shoe_size", 9}},
                422);
  std::set<std::string> fields;
  for (const auto& f : r.at("error").at("fields").as_array()) fields.insert(std::string(f.at("field").as_string()));
  EXPECT_TRUE(fields.count("phone")) << r;
  EXPECT_TRUE(fields.count("time_zone")) << r;
  EXPECT_TRUE(fields.count("shoe_size")) << r;
  EXPECT_EQ(call("GET", "/api/v1/customers", nullptr, 200).at("data").as_array().size(), 0u);
}

TEST_P(CrmApiTest, ConflictsAndMissingReferences) {
  create_customer("+15550100001");
  auto dup = call("POST", "/api/v1/customers", json::object{{"first_name", "Sam"}, {"phone", "+15550100001"}}, 409);
  EXPECT_EQ(dup.at("error").at("code"), "conflict");
  auto orphan = call("POST", "/api/v1/vehicles",
                     json::object{{"customer_id", 999}, {"year", 2020}, {"make", "Ford"}, {"model", "F-150"}}, 404);
  EXPECT_EQ(orphan.at("error").at("code"), "not_found");
  call("GET", "/api/v1/customers/abc", nullptr, 404);
  call("PATCH", "/api/v1/customers/999", json::object{{"first_name", "X"}}, 404);
}

TEST_P(CrmApiTest, AppointmentListsFilterAndPage) {
  const auto a = create_customer("+15550100001", "Ann");
  const auto b = create_customer("+15550100002", "Bo");
  const auto va = create_vehicle(a);
  const auto vb = create_vehicle(b);
  // Five appointments for Ann on 26-30 Nov at 10:00 New York time, one for Bo on the 27th.
  for (int day = 26; day <= 30; ++day) {
    call("POST", "/api/v1/appointments",
         json::object{{"customer_id", a}, {"vehicle_id", va}, {"start", "2026-11-" + std::to_string(day) + "T15:00:00Z"},
                      {"service_type", "Brakes"}, {"status", day == 28 ? "CANCELLED" : "CONFIRMED"}},
         201);
  }
  call("POST", "/api/v1/appointments",
       json::object{{"customer_id", b}, {"vehicle_id", vb}, {"start", "2026-11-27T16:00:00Z"}, {"service_type", "Tires"}},
       201);

  auto day27 = call("GET", "/api/v1/appointments?from=2026-11-27&to=2026-11-28", nullptr, 200);
  EXPECT_EQ(day27.at("data").as_array().size(), 2u);
  auto anns_confirmed = call("GET", "/api/v1/appointments?customer_id=" + std::to_string(a) + "&status=confirmed", nullptr, 200);
  EXPECT_EQ(anns_confirmed.at("data").as_array().size(), 4u);
  auto page1 = call("GET", "/api/v1/appointments?limit=4", nullptr, 200);
  EXPECT_EQ(page1.at("data").as_array().size(), 4u);
  EXPECT_EQ(page1.at("next_offset").as_int64(), 4);
  auto page2 = call("GET", "/api/v1/appointments?limit=4&offset=4", nullptr, 200);
  EXPECT_EQ(page2.at("data").as_array().size(), 2u);
  EXPECT_TRUE(page2.at("next_offset").is_null());
  auto bad = call("GET", "/api/v1/appointments?limit=0&status=LATE&colour=red", nullptr, 422);
  EXPECT_EQ(bad.at("error").at("fields").as_array().size(), 3u);
  auto vehicles = call("GET", "/api/v1/vehicles?customer_id=" + std::to_string(b), nullptr, 200);
  ASSERT_EQ(vehicles.at("data").as_array().size(), 1u);
  EXPECT_EQ(vehicles.at("data").at(0).at("id").as_int64(), vb);
}

TEST_P(CrmApiTest, CallLogsAreReadable) {
  CallLog log;
  log.call_sid = "CA00000000000000000000000000000042";
  log.status = CallStatus::kCompleted;
  log.intent = "appointment_reminder";
  ASSERT_TRUE(h_->store().add_call_log(log, h_->clock().now_seconds()).ok());
  auto list = call("GET", "/api/v1/calls", nullptr, 200);
  ASSERT_EQ(list.at("data").as_array().size(), 1u);
  auto one = call("GET", "/api/v1/calls/CA00000000000000000000000000000042", nullptr, 200);
  EXPECT_EQ(one.at("status"), "completed");
  EXPECT_EQ(one.at("intent"), "appointment_reminder");
  call("GET", "/api/v1/calls/CA00000000000000000000000000000043", nullptr, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrmApiTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) { return std::string(backend_name(param_info.param)); });

}  // namespace
}  // namespace autovoice::testing
