// The CRM API's JSON codec: records to JSON, request bodies to records (every
// bad field reported), list query strings, list and validation-error bodies.

#include "server/crm_json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "telephony/form.h"

namespace autovoice::server {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

TimePoint utc(const char* text) {
  auto t = parse_datetime(text, nullptr);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : TimePoint{};
}

PhoneNumber phone(const char* text) {
  auto p = PhoneNumber::parse(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? *p : PhoneNumber{};
}

const TimeZone* zone(const char* name) {
  auto z = find_time_zone(name);
  EXPECT_TRUE(z.ok()) << name;
  return z.ok() ? *z : nullptr;
}

telephony::FormParams query(const char* text) {
  auto q = telephony::decode_form(text);
  EXPECT_TRUE(q.ok()) << text;
  return q.ok() ? *q : telephony::FormParams{};
}

json::value parse(const char* text) { return json::parse(text); }

std::string repeat(const char* text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

std::string describe(const FieldErrors& errors) {
  std::string out;
  for (const auto& e : errors) out += "\n  " + e.field + ": " + e.message;
  return out;
}

// One expected error: the field, and a part its message must contain.
struct Expected {
  std::string field;
  std::string message_part;
};

// `actual` holds exactly the expected fields (in any order), each message
// containing its part.
void expect_errors(const FieldErrors& actual, const std::vector<Expected>& expected) {
  EXPECT_EQ(actual.size(), expected.size()) << describe(actual);
  for (const auto& want : expected) {
    const FieldError* found = nullptr;
    for (const auto& e : actual) {
      if (e.field == want.field) found = &e;
    }
    if (found == nullptr) {
      ADD_FAILURE() << "no error for field '" << want.field << "'" << describe(actual);
      continue;
    }
    EXPECT_THAT(found->message, HasSubstr(want.message_part)) << "field " << want.field;
  }
}

// A stored customer, vehicle and appointment: the bases of PATCH cases.
Customer stored_customer() {
  Customer c;
  c.id = 7;
  c.first_name = "Ada";
  c.last_name = "Lovelace";
  c.phone = phone("+15551234567");
  c.email = "ada@example.com";
  c.time_zone = "Europe/London";
  c.created_at = utc("2026-01-02T03:04:05Z");
  return c;
}

Customer opted_out_customer() {
  Customer c = stored_customer();
  c.opted_out = true;
  c.opted_out_at = utc("2026-02-01T10:00:00Z");
  return c;
}

Vehicle stored_vehicle() {
  Vehicle v;
  v.id = 3;
  v.customer_id = 7;
  v.year = 2021;
  v.make = "Honda";
  v.model = "Civic";
  v.vin = "1HGCM82633A004352";
  v.plate = "ABC-123";
  v.created_at = utc("2026-01-02T03:04:05Z");
  return v;
}

Appointment stored_appointment() {
  Appointment a;
  a.id = 11;
  a.customer_id = 7;
  a.vehicle_id = 3;
  a.start = utc("2026-11-26T15:00:00Z");
  a.duration_minutes = 90;
  a.service_type = "Oil change";
  a.status = AppointmentStatus::kConfirmed;
  a.notes = "Customer waits";
  a.created_at = utc("2026-01-02T03:04:05Z");
  a.updated_at = utc("2026-01-03T03:04:05Z");
  return a;
}

// --- records to JSON ---------------------------------------------------------------------

TEST(CrmToJsonTest, CustomerHasEveryFieldWithTheFullPhoneAndUtcTimes) {
  struct Case {
    const char* name;
    Customer customer;
    const char* json;
  };
  const Case cases[] = {
      {"not opted out", stored_customer(),
       R"({"id":7,"first_name":"Ada","last_name":"Lovelace","phone":"+15551234567",
           "email":"ada@example.com","time_zone":"Europe/London","opted_out":false,
           "opted_out_at":null,"created_at":"2026-01-02T03:04:05Z"})"},
      {"opted out", opted_out_customer(),
       R"({"id":7,"first_name":"Ada","last_name":"Lovelace","phone":"+15551234567",
           "email":"ada@example.com","time_zone":"Europe/London","opted_out":true,
           "opted_out_at":"2026-02-01T10:00:00Z","created_at":"2026-01-02T03:04:05Z"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(json::value(to_json(c.customer)), parse(c.json));
  }
}

TEST(CrmToJsonTest, VehicleHasADescription) {
  EXPECT_EQ(json::value(to_json(stored_vehicle())),
            parse(R"({"id":3,"customer_id":7,"year":2021,"make":"Honda","model":"Civic",
                      "vin":"1HGCM82633A004352","plate":"ABC-123",
                      "description":"2021 Honda Civic","created_at":"2026-01-02T03:04:05Z"})"));
}

TEST(CrmToJsonTest, AppointmentHasStatusNameAndUtcStart) {
  EXPECT_EQ(json::value(to_json(stored_appointment())),
            parse(R"({"id":11,"customer_id":7,"vehicle_id":3,"start":"2026-11-26T15:00:00Z",
                      "duration_minutes":90,"service_type":"Oil change","status":"CONFIRMED",
                      "notes":"Customer waits","created_at":"2026-01-02T03:04:05Z",
                      "updated_at":"2026-01-03T03:04:05Z"})"));
}

TEST(CrmToJsonTest, CallLogHasEveryFieldAndNullForAbsentOptionals) {
  CallLog bare;
  bare.id = 1;
  bare.call_sid = "CA0123456789abcdef0123456789abcdef";
  bare.created_at = utc("2026-01-02T03:04:05Z");
  bare.updated_at = utc("2026-01-02T03:04:06Z");

  CallLog full = bare;
  full.customer_id = 7;
  full.appointment_id = 11;
  full.direction = CallDirection::kInbound;
  full.status = CallStatus::kInProgress;
  full.intent = "appointment_reminder";
  full.from = "+15550001111";
  full.to = "+15551234567";
  full.started_at = utc("2026-01-02T03:05:00Z");
  full.ended_at = utc("2026-01-02T03:06:00Z");
  full.duration_seconds = 60;
  full.answered_by = "human";
  full.outcome = "confirmed";
  full.error_code = 31005;
  full.error_message = "Connection error";

  struct Case {
    const char* name;
    CallLog log;
    const char* json;
  };
  const Case cases[] = {
      {"absent optionals are null", bare,
       R"({"id":1,"call_sid":"CA0123456789abcdef0123456789abcdef","customer_id":null,
           "appointment_id":null,"direction":"outbound","status":"queued","intent":"",
           "from":"","to":"","started_at":null,"ended_at":null,"duration_seconds":null,
           "answered_by":"","outcome":"","error_code":null,"error_message":"",
           "created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:06Z"})"},
      {"every field set", full,
       R"({"id":1,"call_sid":"CA0123456789abcdef0123456789abcdef","customer_id":7,
           "appointment_id":11,"direction":"inbound","status":"in-progress",
           "intent":"appointment_reminder","from":"+15550001111","to":"+15551234567",
           "started_at":"2026-01-02T03:05:00Z","ended_at":"2026-01-02T03:06:00Z",
           "duration_seconds":60,"answered_by":"human","outcome":"confirmed",
           "error_code":31005,"error_message":"Connection error",
           "created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:06Z"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(json::value(to_json(c.log)), parse(c.json));
  }
}

// --- round trip ------------------------------------------------------------------------------

// to_json, minus the read-only members, read back in create mode gives the
// record minus its read-only fields.
TEST(CrmRoundTripTest, CustomerComesBackWithoutReadOnlyFields) {
  for (const Customer& original : {stored_customer(), opted_out_customer()}) {
    SCOPED_TRACE(original.opted_out ? "opted out" : "not opted out");
    json::object body = to_json(original);
    for (const char* read_only : {"id", "opted_out_at", "created_at"}) body.erase(read_only);
    const auto parsed = customer_from_json(body, Mode::kCreate, Customer{});
    ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
    Customer expected = original;
    expected.id = 0;
    expected.opted_out_at.reset();
    expected.created_at = {};
    EXPECT_EQ(parsed->customer, expected);
    EXPECT_EQ(parsed->opted_out, original.opted_out);
  }
}

TEST(CrmRoundTripTest, VehicleComesBackWithoutReadOnlyFields) {
  json::object body = to_json(stored_vehicle());
  for (const char* read_only : {"id", "description", "created_at"}) body.erase(read_only);
  const auto parsed = vehicle_from_json(body, Mode::kCreate, Vehicle{});
  ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
  Vehicle expected = stored_vehicle();
  expected.id = 0;
  expected.created_at = {};
  EXPECT_EQ(*parsed, expected);
}

TEST(CrmRoundTripTest, AppointmentComesBackWithoutReadOnlyFields) {
  json::object body = to_json(stored_appointment());
  for (const char* read_only : {"id", "created_at", "updated_at"}) body.erase(read_only);
  const auto parsed = appointment_from_json(body, Mode::kCreate, Appointment{});
  ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
  Appointment expected = stored_appointment();
  expected.id = 0;
  expected.created_at = {};
  expected.updated_at = {};
  EXPECT_EQ(*parsed, expected);
}

// --- bodies: shared rules -------------------------------------------------------------------

TEST(CrmBodyTest, BodyThatIsNotAnObjectIsOneErrorForTheWholeBody) {
  struct Case {
    const char* body;
    const char* shown;
  };
  const Case cases[] = {
      {"[]", "an array"}, {"null", "null"}, {"\"Ada\"", "\"Ada\""}, {"42", "42"}, {"true", "true"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    for (Mode mode : {Mode::kCreate, Mode::kPatch}) {
      const auto customer = customer_from_json(parse(c.body), mode, stored_customer());
      const auto vehicle = vehicle_from_json(parse(c.body), mode, stored_vehicle());
      const auto appointment = appointment_from_json(parse(c.body), mode, stored_appointment());
      ASSERT_FALSE(customer.ok());
      ASSERT_FALSE(vehicle.ok());
      ASSERT_FALSE(appointment.ok());
      for (const FieldErrors* errors :
           {&customer.error(), &vehicle.error(), &appointment.error()}) {
        ASSERT_EQ(errors->size(), 1u);
        EXPECT_EQ(errors->front().field, "");
        EXPECT_THAT(errors->front().message, HasSubstr("must be a JSON object"));
        EXPECT_THAT(errors->front().message, HasSubstr(c.shown));
      }
    }
  }
}

TEST(CrmBodyTest, EmptyPatchChangesNothing) {
  const auto customer = customer_from_json(parse("{}"), Mode::kPatch, opted_out_customer());
  ASSERT_TRUE(customer.ok());
  EXPECT_EQ(customer->customer, opted_out_customer());
  EXPECT_FALSE(customer->opted_out.has_value());

  const auto vehicle = vehicle_from_json(parse("{}"), Mode::kPatch, stored_vehicle());
  ASSERT_TRUE(vehicle.ok());
  EXPECT_EQ(*vehicle, stored_vehicle());

  const auto appointment = appointment_from_json(parse("{}"), Mode::kPatch, stored_appointment());
  ASSERT_TRUE(appointment.ok());
  EXPECT_EQ(*appointment, stored_appointment());
}

// --- customers -----------------------------------------------------------------------------------

TEST(CrmCustomerTest, AcceptsValidBodies) {
  struct Case {
    const char* name;
    Mode mode;
    const char* body;
    void (*expect)(Customer&);  // turns the base (kPatch) or Customer{} (kCreate) into the result
    std::optional<bool> opted_out;
  };
  const std::string names_at_limit = R"({"first_name":")" + std::string(100, 'F') +
                                     R"(","last_name":")" + std::string(100, 'L') +
                                     R"(","phone":"+15550100000"})";
  const Case cases[] = {
      {"create with all fields", Mode::kCreate,
       R"({"first_name":"Grace","last_name":"Hopper","phone":"+442071234567",
           "email":"grace@example.org","time_zone":"America/New_York","opted_out":false})",
       [](Customer& c) {
         c.first_name = "Grace";
         c.last_name = "Hopper";
         c.phone = phone("+442071234567");
         c.email = "grace@example.org";
         c.time_zone = "America/New_York";
       },
       false},
      {"create with required fields only", Mode::kCreate,
       R"({"first_name":"Grace","phone":"+15550100000"})",
       [](Customer& c) {
         c.first_name = "Grace";
         c.phone = phone("+15550100000");
       },
       std::nullopt},
      {"create: null optional text is empty", Mode::kCreate,
       R"({"first_name":"Grace","phone":"+15550100000","last_name":null,"email":null,
           "time_zone":null})",
       [](Customer& c) {
         c.first_name = "Grace";
         c.phone = phone("+15550100000");
       },
       std::nullopt},
      {"create opted out: time left for the server", Mode::kCreate,
       R"({"first_name":"Grace","phone":"+15550100000","opted_out":true})",
       [](Customer& c) {
         c.first_name = "Grace";
         c.phone = phone("+15550100000");
         c.opted_out = true;
       },
       true},
      {"create: base is ignored", Mode::kCreate, R"({"first_name":"Bo","phone":"+15550100000"})",
       [](Customer& c) {
         c.first_name = "Bo";
         c.phone = phone("+15550100000");
       },
       std::nullopt},
      {"names at the length limit", Mode::kCreate, names_at_limit.c_str(),
       [](Customer& c) {
         c.first_name = std::string(100, 'F');
         c.last_name = std::string(100, 'L');
         c.phone = phone("+15550100000");
       },
       std::nullopt},
      {"patch first name only", Mode::kPatch, R"({"first_name":"Augusta"})",
       [](Customer& c) { c.first_name = "Augusta"; }, std::nullopt},
      {"patch phone", Mode::kPatch, R"({"phone":"+15557654321"})",
       [](Customer& c) { c.phone = phone("+15557654321"); }, std::nullopt},
      {"patch clears email with null", Mode::kPatch, R"({"email":null})",
       [](Customer& c) { c.email.clear(); }, std::nullopt},
      {"patch clears last name with empty text", Mode::kPatch, R"({"last_name":""})",
       [](Customer& c) { c.last_name.clear(); }, std::nullopt},
      {"patch: empty time zone means the shop's", Mode::kPatch, R"({"time_zone":""})",
       [](Customer& c) { c.time_zone.clear(); }, std::nullopt},
      {"patch opts out", Mode::kPatch, R"({"opted_out":true})",
       [](Customer& c) { c.opted_out = true; }, true},
      {"patch keeps the opt-out unchanged when told again", Mode::kPatch, R"({"opted_out":false})",
       [](Customer&) {}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Customer base = stored_customer();
    const auto parsed = customer_from_json(parse(c.body), c.mode, base);
    ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
    Customer expected = c.mode == Mode::kPatch ? base : Customer{};
    c.expect(expected);
    EXPECT_EQ(parsed->customer, expected);
    EXPECT_EQ(parsed->opted_out, c.opted_out);
  }
}

TEST(CrmCustomerTest, OptingBackInClearsTheOptOutTime) {
  const auto parsed =
      customer_from_json(parse(R"({"opted_out":false})"), Mode::kPatch, opted_out_customer());
  ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
  EXPECT_EQ(parsed->opted_out, false);
  EXPECT_FALSE(parsed->customer.opted_out);
  EXPECT_FALSE(parsed->customer.opted_out_at.has_value());
}

TEST(CrmCustomerTest, ReportsEveryBadField) {
  struct Case {
    const char* name;
    Mode mode;
    const char* body;
    std::vector<Expected> errors;
  };
  const std::string long_name(101, 'a');
  const std::string too_long_first = R"({"first_name":")" + long_name + R"(","last_name":")" +
                                     long_name + R"(","phone":"+15550100000"})";
  const std::string long_email = R"({"first_name":"A","phone":"+15550100000","email":")" +
                                 std::string(243, 'a') + R"(@example.com"})";
  const Case cases[] = {
      {"create without anything",
       Mode::kCreate,
       "{}",
       {{"first_name", "first_name is required"}, {"phone", "phone is required"}}},
      {"create without phone",
       Mode::kCreate,
       R"({"first_name":"Ada"})",
       {{"phone", "phone is required"}}},
      {"unknown members, each named",
       Mode::kPatch,
       R"({"nickname":"Al","colour":"red"})",
       {{"nickname", "unknown field \"nickname\""}, {"colour", "unknown field \"colour\""}}},
      {"unknown member lists the known ones",
       Mode::kCreate,
       R"({"first_name":"A","phone":"+15550100000","mobile":"+1"})",
       {{"mobile", "expected one of: first_name, last_name, phone, email, time_zone, opted_out"}}},
      {"read-only members",
       Mode::kPatch,
       R"({"id":7,"created_at":"2026-01-02T03:04:05Z","opted_out_at":null})",
       {{"id", "id is read-only"},
        {"created_at", "created_at is read-only"},
        {"opted_out_at", "opted_out_at is read-only"}}},
      {"read-only members on create too",
       Mode::kCreate,
       R"({"id":1,"first_name":"A","phone":"+15550100000"})",
       {{"id", "id is read-only"}}},
      {"wrong types",
       Mode::kCreate,
       R"({"first_name":42,"last_name":["L"],"phone":15551234567,"email":{},"time_zone":true,
           "opted_out":"yes"})",
       {{"first_name", "first_name must be a string, got 42"},
        {"last_name", "last_name must be a string, got an array"},
        {"phone", "phone must be a string, got 15551234567"},
        {"email", "email must be a string, got an object"},
        {"time_zone", "time_zone must be a string, got true"},
        {"opted_out", "opted_out must be true or false, got \"yes\""}}},
      {"null where a value is required",
       Mode::kPatch,
       R"({"first_name":null,"phone":null,"opted_out":null})",
       {{"first_name", "first_name must be a string, got null"},
        {"phone", "phone must be a string, got null"},
        {"opted_out", "opted_out must be true or false, got null"}}},
      {"phone without plus",
       Mode::kPatch,
       R"({"phone":"555-0100"})",
       {{"phone", "'555-0100' must start with '+'"}}},
      {"phone with spaces",
       Mode::kPatch,
       R"({"phone":"+1 555 123 4567"})",
       {{"phone", "may contain only digits"}}},
      {"phone too short",
       Mode::kPatch,
       R"({"phone":"+1555"})",
       {{"phone", "E.164 allows 8 to 15"}}},
      {"empty phone", Mode::kPatch, R"({"phone":""})", {{"phone", "phone number is empty"}}},
      {"unknown time zone",
       Mode::kPatch,
       R"({"time_zone":"Mars/Olympus_Mons"})",
       {{"time_zone", "unknown time zone 'Mars/Olympus_Mons'"}}},
      {"fixed offset is not a zone name",
       Mode::kPatch,
       R"({"time_zone":"+02:00"})",
       {{"time_zone", "expected an IANA name"}}},
      {"bad email (domain rule)",
       Mode::kPatch,
       R"({"email":"ada.example.com"})",
       {{"email", "'ada.example.com' is not an address like name@example.com"}}},
      {"email too long",
       Mode::kCreate,
       long_email.c_str(),
       {{"email", "is 255 characters long; at most 254 are allowed"}}},
      {"blank first name (domain rule)",
       Mode::kPatch,
       R"({"first_name":"   "})",
       {{"first_name", "first_name must not be empty"}}},
      {"names too long",
       Mode::kCreate,
       too_long_first.c_str(),
       {{"first_name", "is 101 characters long; at most 100 are allowed"},
        {"last_name", "is 101 characters long; at most 100 are allowed"}}},
      {"control character in a name",
       Mode::kPatch,
       R"({"first_name":"Ada\u0000"})",
       {{"first_name", "first_name \"Ada\\u0000\" contains a control character"}}},
      {"line break in a name",
       Mode::kPatch,
       R"({"last_name":"Love\nlace"})",
       {{"last_name", "contains a control character"}}},
      {"every field bad at once: parser and domain errors together",
       Mode::kCreate,
       R"({"first_name":" ","phone":"555-0100","email":"nope","time_zone":"Nowhere/Land",
           "opted_out":1,"id":3,"extra":0})",
       {{"first_name", "must not be empty"},
        {"phone", "must start with '+'"},
        {"email", "is not an address"},
        {"time_zone", "unknown time zone"},
        {"opted_out", "must be true or false"},
        {"id", "is read-only"},
        {"extra", "unknown field"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto parsed = customer_from_json(parse(c.body), c.mode, stored_customer());
    ASSERT_FALSE(parsed.ok());
    expect_errors(parsed.error(), c.errors);
  }
}

// --- vehicles
// -------------------------------------------------------------------------------------

TEST(CrmVehicleTest, AcceptsValidBodies) {
  struct Case {
    const char* name;
    Mode mode;
    const char* body;
    void (*expect)(Vehicle&);
  };
  const std::string umlaut_model = R"({"model":")" + repeat("ë", 50) + R"("})";
  const Case cases[] = {
      {"create with all fields", Mode::kCreate,
       R"({"customer_id":9,"year":2019,"make":"Toyota","model":"Corolla",
           "vin":"JTDKN3DU0A0123456","plate":"XYZ 987"})",
       [](Vehicle& v) {
         v.customer_id = 9;
         v.year = 2019;
         v.make = "Toyota";
         v.model = "Corolla";
         v.vin = "JTDKN3DU0A0123456";
         v.plate = "XYZ 987";
       }},
      {"create with required fields only", Mode::kCreate,
       R"({"customer_id":9,"year":1900,"make":"Ford","model":"T"})",
       [](Vehicle& v) {
         v.customer_id = 9;
         v.year = 1900;
         v.make = "Ford";
         v.model = "T";
       }},
      {"integral number written with a fraction", Mode::kCreate,
       R"({"customer_id":9.0,"year":2100.0,"make":"Ford","model":"T"})",
       [](Vehicle& v) {
         v.customer_id = 9;
         v.year = 2100;
         v.make = "Ford";
         v.model = "T";
       }},
      {"patch year only", Mode::kPatch, R"({"year":2022})", [](Vehicle& v) { v.year = 2022; }},
      {"patch clears vin and plate", Mode::kPatch, R"({"vin":null,"plate":""})",
       [](Vehicle& v) {
         v.vin.clear();
         v.plate.clear();
       }},
      {"make and plate at their limits", Mode::kPatch,
       R"({"make":"MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM","plate":"PPPPPPPPPPPPPPPP"})",
       [](Vehicle& v) {
         v.make = std::string(50, 'M');
         v.plate = std::string(16, 'P');
       }},
      {"lengths count characters, not bytes", Mode::kPatch, umlaut_model.c_str(),
       [](Vehicle& v) { v.model = repeat("ë", 50); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Vehicle base = stored_vehicle();
    const auto parsed = vehicle_from_json(parse(c.body), c.mode, base);
    ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
    Vehicle expected = c.mode == Mode::kPatch ? base : Vehicle{};
    c.expect(expected);
    EXPECT_EQ(*parsed, expected);
  }
}

TEST(CrmVehicleTest, ReportsEveryBadField) {
  struct Case {
    const char* name;
    Mode mode;
    const char* body;
    std::vector<Expected> errors;
  };
  const Case cases[] = {
      {"create without anything",
       Mode::kCreate,
       "{}",
       {{"customer_id", "customer_id is required"},
        {"year", "year is required"},
        {"make", "make is required"},
        {"model", "model is required"}}},
      {"ownership does not move",
       Mode::kPatch,
       R"({"customer_id":8})",
       {{"customer_id", "customer_id is read-only once the record exists"}}},
      {"read-only members",
       Mode::kPatch,
       R"({"id":3,"description":"2021 Honda Civic","created_at":"2026-01-02T03:04:05Z"})",
       {{"id", "is read-only"}, {"description", "is read-only"}, {"created_at", "is read-only"}}},
      {"unknown member",
       Mode::kPatch,
       R"({"colour":"red"})",
       {{"colour", "expected one of: year, make, model, vin, plate"}}},
      {"wrong types",
       Mode::kCreate,
       R"({"customer_id":"9","year":"2021","make":1,"model":null,"vin":17,"plate":false})",
       {{"customer_id", "customer_id must be an integer, got \"9\""},
        {"year", "year must be an integer, got \"2021\""},
        {"make", "make must be a string, got 1"},
        {"model", "model must be a string, got null"},
        {"vin", "vin must be a string, got 17"},
        {"plate", "plate must be a string, got false"}}},
      {"year with a fraction",
       Mode::kPatch,
       R"({"year":2021.5})",
       {{"year", "year must be an integer, got 2021.5"}}},
      {"years out of range",
       Mode::kPatch,
       R"({"year":1899})",
       {{"year", "year 1899 is out of range: expected 1900 to 2100"}}},
      {"year after 2100", Mode::kPatch, R"({"year":2101})", {{"year", "expected 1900 to 2100"}}},
      {"year beyond any integer", Mode::kPatch, R"({"year":1e300})", {{"year", "out of range"}}},
      {"year beyond int64",
       Mode::kPatch,
       R"({"year":18446744073709551615})",
       {{"year", "year 18446744073709551615 is out of range"}}},
      {"ids must be positive",
       Mode::kCreate,
       R"({"customer_id":0,"year":2020,"make":"M","model":"M"})",
       {{"customer_id", "customer_id 0 is out of range: expected a positive id"}}},
      {"negative id",
       Mode::kCreate,
       R"({"customer_id":-4,"year":2020,"make":"M","model":"M"})",
       {{"customer_id", "customer_id -4 is out of range"}}},
      {"make and model too long",
       Mode::kPatch,
       R"({"make":"MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM","model":"MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM"})",
       {{"make", "is 51 characters long; at most 50 are allowed"},
        {"model", "is 60 characters long; at most 50 are allowed"}}},
      {"plate too long",
       Mode::kPatch,
       R"({"plate":"PPPPPPPPPPPPPPPPP"})",
       {{"plate", "at most 16 are allowed"}}},
      {"vin too short (domain rule)",
       Mode::kPatch,
       R"({"vin":"1HGCM82633A00435"})",
       {{"vin", "has 16 characters; a VIN has 17"}}},
      {"vin with O (domain rule)",
       Mode::kPatch,
       R"({"vin":"1HGCM82633AO04352"})",
       {{"vin", "never I, O or Q"}}},
      {"domain errors on several fields are all reported",
       Mode::kPatch,
       R"({"make":" ","model":"","vin":"short"})",
       {{"make", "make must not be empty"},
        {"model", "model must not be empty"},
        {"vin", "a VIN has 17"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto parsed = vehicle_from_json(parse(c.body), c.mode, stored_vehicle());
    ASSERT_FALSE(parsed.ok());
    expect_errors(parsed.error(), c.errors);
  }
}

// --- appointments
// ------------------------------------------------------------------------------------

TEST(CrmAppointmentTest, AcceptsValidBodies) {
  struct Case {
    const char* name;
    Mode mode;
    const char* body;
    void (*expect)(Appointment&);
  };
  const Case cases[] = {
      {"create with all fields", Mode::kCreate,
       R"({"customer_id":7,"vehicle_id":3,"start":"2026-11-26T15:00:00Z","duration_minutes":45,
           "service_type":"Brakes","status":"CONFIRMED","notes":"Bring the key.\nCall first."})",
       [](Appointment& a) {
         a.customer_id = 7;
         a.vehicle_id = 3;
         a.start = utc("2026-11-26T15:00:00Z");
         a.duration_minutes = 45;
         a.service_type = "Brakes";
         a.status = AppointmentStatus::kConfirmed;
         a.notes = "Bring the key.\nCall first.";
       }},
      {"create with defaults: 60 minutes, SCHEDULED", Mode::kCreate,
       R"({"customer_id":7,"vehicle_id":3,"start":"2026-11-26T15:00:00Z","service_type":"Brakes"})",
       [](Appointment& a) {
         a.customer_id = 7;
         a.vehicle_id = 3;
         a.start = utc("2026-11-26T15:00:00Z");
         a.duration_minutes = 60;
         a.service_type = "Brakes";
         a.status = AppointmentStatus::kScheduled;
       }},
      {"start with an offset is kept as UTC", Mode::kPatch,
       R"({"start":"2026-11-26T10:00:00-05:00"})",
       [](Appointment& a) { a.start = utc("2026-11-26T15:00:00Z"); }},
      {"start with a compact offset", Mode::kPatch, R"({"start":"2026-11-26T16:30:00+0130"})",
       [](Appointment& a) { a.start = utc("2026-11-26T15:00:00Z"); }},
      {"start with zero milliseconds (JavaScript)", Mode::kPatch,
       R"({"start":"2026-11-26T15:00:00.000Z"})",
       [](Appointment& a) { a.start = utc("2026-11-26T15:00:00Z"); }},
      {"status in any case", Mode::kPatch, R"({"status":"no_show"})",
       [](Appointment& a) { a.status = AppointmentStatus::kNoShow; }},
      {"patch vehicle only", Mode::kPatch, R"({"vehicle_id":4})",
       [](Appointment& a) { a.vehicle_id = 4; }},
      {"patch clears notes with null", Mode::kPatch, R"({"notes":null})",
       [](Appointment& a) { a.notes.clear(); }},
      {"duration at its limits", Mode::kPatch, R"({"duration_minutes":1440})",
       [](Appointment& a) { a.duration_minutes = 1440; }},
      {"notes may hold tabs and line breaks", Mode::kPatch, R"({"notes":"a\tb\r\nc"})",
       [](Appointment& a) { a.notes = "a\tb\r\nc"; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Appointment base = stored_appointment();
    const auto parsed = appointment_from_json(parse(c.body), c.mode, base);
    ASSERT_TRUE(parsed.ok()) << describe(parsed.error());
    Appointment expected = c.mode == Mode::kPatch ? base : Appointment{};
    c.expect(expected);
    EXPECT_EQ(*parsed, expected);
  }
}

TEST(CrmAppointmentTest, ReportsEveryBadField) {
  struct Case {
    const char* name;
    Mode mode;
    const char* body;
    std::vector<Expected> errors;
  };
  const std::string long_notes = R"({"notes":")" + std::string(2001, 'n') + R"("})";
  const Case cases[] = {
      {"create without anything",
       Mode::kCreate,
       "{}",
       {{"customer_id", "customer_id is required"},
        {"vehicle_id", "vehicle_id is required"},
        {"start", "start is required"},
        {"service_type", "service_type is required"}}},
      {"ownership does not move",
       Mode::kPatch,
       R"({"customer_id":7})",
       {{"customer_id", "customer_id is read-only"}}},
      {"read-only members",
       Mode::kPatch,
       R"({"id":11,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"})",
       {{"id", "is read-only"}, {"created_at", "is read-only"}, {"updated_at", "is read-only"}}},
      {"unknown member",
       Mode::kPatch,
       R"({"end":"2026-11-26T16:00:00Z"})",
       {{"end", "unknown field \"end\""}}},
      {"start without an offset is ambiguous",
       Mode::kPatch,
       R"({"start":"2026-11-26T15:00:00"})",
       {{"start", "start \"2026-11-26T15:00:00\" has no UTC offset, so the time is ambiguous"}}},
      {"start as a date only is ambiguous too",
       Mode::kPatch,
       R"({"start":"2026-11-26"})",
       {{"start", "has no UTC offset"}}},
      {"start that is no time",
       Mode::kPatch,
       R"({"start":"next Tuesday"})",
       {{"start", "is not of the form"}}},
      {"start on a day that does not exist",
       Mode::kPatch,
       R"({"start":"2026-02-30T10:00:00Z"})",
       {{"start", "'2026-02-30T10:00:00Z'"}}},
      {"start with a fraction of a second",
       Mode::kPatch,
       R"({"start":"2026-11-26T15:00:00.250Z"})",
       {{"start", "has a fraction of a second"}}},
      {"start as a number",
       Mode::kPatch,
       R"({"start":1795791600})",
       {{"start", "start must be a string, got 1795791600"}}},
      {"duration out of range",
       Mode::kPatch,
       R"({"duration_minutes":0})",
       {{"duration_minutes", "duration_minutes 0 is out of range: expected 1 to 1440 minutes"}}},
      {"duration too long",
       Mode::kPatch,
       R"({"duration_minutes":1441})",
       {{"duration_minutes", "out of range"}}},
      {"duration as text",
       Mode::kPatch,
       R"({"duration_minutes":"60"})",
       {{"duration_minutes", "must be an integer, got \"60\""}}},
      {"unknown status lists the valid ones",
       Mode::kPatch,
       R"({"status":"DONE"})",
       {{"status", "'DONE' is not one of SCHEDULED, CONFIRMED, CANCELLED, COMPLETED, NO_SHOW"}}},
      {"status of the wrong type",
       Mode::kPatch,
       R"({"status":null})",
       {{"status", "status must be a string, got null"}}},
      {"notes too long",
       Mode::kPatch,
       long_notes.c_str(),
       {{"notes", "is 2001 characters long; at most 2000 are allowed"}}},
      {"notes with a NUL",
       Mode::kPatch,
       R"({"notes":"a\u0000b"})",
       {{"notes", "contains a control character (only tabs and line breaks are allowed)"}}},
      {"blank service type (domain rule)",
       Mode::kPatch,
       R"({"service_type":""})",
       {{"service_type", "service_type must not be empty"}}},
      {"every field bad at once",
       Mode::kCreate,
       R"({"customer_id":-1,"vehicle_id":"3","start":"2026-11-26 15:00","duration_minutes":2.5,
           "service_type":"","status":"maybe","notes":7})",
       {{"customer_id", "expected a positive id"},
        {"vehicle_id", "must be an integer"},
        {"start", "ambiguous"},
        {"duration_minutes", "must be an integer, got 2.5"},
        {"service_type", "must not be empty"},
        {"status", "is not one of"},
        {"notes", "must be a string"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto parsed = appointment_from_json(parse(c.body), c.mode, stored_appointment());
    ASSERT_FALSE(parsed.ok());
    expect_errors(parsed.error(), c.errors);
  }
}

TEST(CrmBodyTest, MessagesShowLongValuesCutAndStayValidUtf8) {
  // The domain quotes a 60-byte prefix of the value: "a" and 59 three-byte
  // characters cut there end inside a character, which must not reach the body.
  const std::string zone_name = "a" + repeat("東", 59);
  const std::string body = R"({"time_zone":")" + zone_name + R"("})";
  const auto parsed = customer_from_json(json::parse(body), Mode::kPatch, stored_customer());
  ASSERT_FALSE(parsed.ok());
  expect_errors(parsed.error(), {{"time_zone", "unknown time zone 'a" + repeat("東", 19)}});
  const std::string serialized = error_body(validation_error(parsed.error()), "request-1");
  boost::system::error_code ec;
  static_cast<void>(json::parse(serialized, ec));  // the parser insists on valid UTF-8
  EXPECT_FALSE(ec) << serialized;

  // This file's own messages show 40 characters and mark the cut.
  const std::string long_make = R"({"make":")" + repeat("東", 60) + R"("})";
  const auto vehicle = vehicle_from_json(json::parse(long_make), Mode::kPatch, stored_vehicle());
  ASSERT_FALSE(vehicle.ok());
  expect_errors(vehicle.error(),
                {{"make", "make \"" + repeat("東", 40) + "...\" is 60 characters long"}});
}

// --- query strings
// --------------------------------------------------------------------------------

TEST(CrmQueryTest, PageFromQuery) {
  struct Case {
    const char* query;
    int limit;  // expected when accepted
    int offset;
    std::vector<Expected> errors;  // empty: accepted
  };
  const Case cases[] = {
      {"", 50, 0, {}},
      {"limit=10", 10, 0, {}},
      {"offset=20", 50, 20, {}},
      {"limit=500&offset=2147483647", 500, 2147483647, {}},
      {"limit=1", 1, 0, {}},
      {"limit=007", 7, 0, {}},
      {"limit=0", 0, 0, {{"limit", "limit 0 is out of range: expected 1 to 500"}}},
      {"limit=501", 0, 0, {{"limit", "expected 1 to 500"}}},
      {"limit=-5", 0, 0, {{"limit", "limit -5 is out of range"}}},
      {"limit=ten", 0, 0, {{"limit", "limit \"ten\" is not a whole number; expected 1 to 500"}}},
      {"limit=", 0, 0, {{"limit", "limit \"\" is not a whole number"}}},
      {"limit=1.5", 0, 0, {{"limit", "is not a whole number"}}},
      {"limit=%2B5", 0, 0, {{"limit", "is not a whole number"}}},
      {"limit=99999999999999999999",
       0,
       0,
       {{"limit", "limit 99999999999999999999 is out of range"}}},
      {"offset=-1", 0, 0, {{"offset", "offset -1 is out of range: expected 0 or more"}}},
      {"offset=2147483648", 0, 0, {{"offset", "out of range"}}},
      {"limit=10&limit=20", 0, 0, {{"limit", "limit is given 2 times; give it once"}}},
      {"page=2&limit=x&sort=name&page=3",
       0,
       0,
       {{"page", "unknown query parameter \"page\"; expected one of: limit, offset"},
        {"sort", "unknown query parameter \"sort\""},
        {"limit", "is not a whole number"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.query);
    const auto page = page_from_query(query(c.query));
    if (c.errors.empty()) {
      ASSERT_TRUE(page.ok()) << describe(page.error());
      EXPECT_EQ(page->limit, c.limit);
      EXPECT_EQ(page->offset, c.offset);
    } else {
      ASSERT_FALSE(page.ok());
      expect_errors(page.error(), c.errors);
    }
  }
}

TEST(CrmQueryTest, PageFromQueryLeavesTheCallersOwnParametersAlone) {
  const auto page = page_from_query(query("customer_id=7&limit=5"), {"customer_id"});
  ASSERT_TRUE(page.ok()) << describe(page.error());
  EXPECT_EQ(page->limit, 5);
  EXPECT_FALSE(page_from_query(query("customer_id=7&limit=5")).ok());
}

TEST(CrmQueryTest, AppointmentQueryFrom) {
  struct Case {
    const char* name;
    const char* query;
    const char* zone;  // the shop's; nullptr for none
    std::optional<TimePoint> from;
    std::optional<TimePoint> to;
    std::optional<AppointmentStatus> status;
    std::optional<CustomerId> customer_id;
    int limit;
    int offset;
    std::vector<Expected> errors;  // empty: accepted
  };
  const char* const kNewYork = "America/New_York";
  const std::optional<TimePoint> none;
  const Case cases[] = {
      {"nothing given", "", kNewYork, none, none, std::nullopt, std::nullopt, 50, 0, {}},
      {"every parameter",
       "from=2026-11-26&to=2026-11-27&status=confirmed&customer_id=7&limit=20&offset=40",
       kNewYork,
       utc("2026-11-26T05:00:00Z"),
       utc("2026-11-27T05:00:00Z"),
       AppointmentStatus::kConfirmed,
       7,
       20,
       40,
       {}},
      {"a spring-forward day has 23 hours",
       "from=2026-03-08&to=2026-03-09",
       kNewYork,
       utc("2026-03-08T05:00:00Z"),
       utc("2026-03-09T04:00:00Z"),
       std::nullopt,
       std::nullopt,
       50,
       0,
       {}},
      {"a fall-back day has 25 hours",
       "from=2026-11-01&to=2026-11-02",
       kNewYork,
       utc("2026-11-01T04:00:00Z"),
       utc("2026-11-02T05:00:00Z"),
       std::nullopt,
       std::nullopt,
       50,
       0,
       {}},
      {"a day whose midnight is skipped starts after the gap",
       "from=2026-09-06",
       "America/Santiago",
       utc("2026-09-06T04:00:00Z"),
       none,
       std::nullopt,
       std::nullopt,
       50,
       0,
       {}},
      {"a local time in the shop zone",
       "from=2026-03-08T09:30",
       kNewYork,
       utc("2026-03-08T13:30:00Z"),
       none,
       std::nullopt,
       std::nullopt,
       50,
       0,
       {}},
      {"absolute times ignore the zone",
       "from=2026-03-08T09:30:00Z&to=2026-03-08T12:00:00%2B01:00",
       kNewYork,
       utc("2026-03-08T09:30:00Z"),
       utc("2026-03-08T11:00:00Z"),
       std::nullopt,
       std::nullopt,
       50,
       0,
       {}},
      {"absolute times need no shop zone",
       "from=2026-03-08T00:00:00Z",
       nullptr,
       utc("2026-03-08T00:00:00Z"),
       none,
       std::nullopt,
       std::nullopt,
       50,
       0,
       {}},
      {"equal from and to: an empty range",
       "from=2026-03-08&to=2026-03-08",
       kNewYork,
       utc("2026-03-08T05:00:00Z"),
       utc("2026-03-08T05:00:00Z"),
       std::nullopt,
       std::nullopt,
       50,
       0,
       {}},
      {"a local time the clocks skip",
       "from=2026-03-08T02:30",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"from", "does not exist in America/New_York"}}},
      {"a date that does not exist",
       "to=2026-02-30",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"to", "date '2026-02-30' does not exist"}}},
      {"not a time",
       "from=yesterday",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"from", "'yesterday' is not of the form"}}},
      {"an offset's '+' sent unescaped",
       "from=2026-03-08T09:00:00+01:00",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"from", "write an offset's '+' as %2B"}}},
      {"a local date without a shop zone",
       "from=2026-03-08",
       nullptr,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"from", "needs a zone offset"}}},
      {"to before from",
       "from=2026-03-09&to=2026-03-08",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"to", "to \"2026-03-08\" (2026-03-08T05:00:00Z) is before from \"2026-03-09\""}}},
      {"unknown status",
       "status=late",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"status", "status 'late' is not one of SCHEDULED"}}},
      {"bad customer id",
       "customer_id=0",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"customer_id", "customer_id 0 is out of range: expected a positive id"}}},
      {"every parameter bad at once",
       "from=x&to=y&status=z&customer_id=c&limit=0&offset=-1&from=2026-01-01&vehicle_id=3",
       kNewYork,
       none,
       none,
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"from", "from is given 2 times"},
        {"to", "is not of the form"},
        {"status", "is not one of"},
        {"customer_id", "is not a whole number"},
        {"limit", "out of range"},
        {"offset", "out of range"},
        {"vehicle_id",
         "unknown query parameter \"vehicle_id\"; expected one of: from, to, status, "
         "customer_id, limit, offset"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto q = appointment_query_from(query(c.query), c.zone ? zone(c.zone) : nullptr);
    if (c.errors.empty()) {
      ASSERT_TRUE(q.ok()) << describe(q.error());
      EXPECT_EQ(q->from, c.from);
      EXPECT_EQ(q->to, c.to);
      EXPECT_EQ(q->status, c.status);
      EXPECT_EQ(q->customer_id, c.customer_id);
      EXPECT_EQ(q->page.limit, c.limit);
      EXPECT_EQ(q->page.offset, c.offset);
    } else {
      ASSERT_FALSE(q.ok());
      expect_errors(q.error(), c.errors);
    }
  }
}

TEST(CrmQueryTest, CustomerFilterFrom) {
  struct Case {
    const char* query;
    std::optional<CustomerId> customer_id;
    std::vector<Expected> errors;  // empty: accepted
  };
  const Case cases[] = {
      {"", std::nullopt, {}},
      {"customer_id=7", 7, {}},
      {"customer_id=7&limit=10&offset=5", 7, {}},
      {"customer_id=9223372036854775807", 9223372036854775807, {}},
      {"customer_id=seven",
       std::nullopt,
       {{"customer_id", "customer_id \"seven\" is not a whole number; expected a positive id"}}},
      {"customer_id=-7", std::nullopt, {{"customer_id", "expected a positive id"}}},
      {"customer_id=7&customer_id=8", std::nullopt, {{"customer_id", "given 2 times"}}},
      {"customer_id=7&limit=0", std::nullopt, {{"limit", "out of range"}}},
      {"owner=7",
       std::nullopt,
       {{"owner",
         "unknown query parameter \"owner\"; expected one of: customer_id, limit, offset"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.query);
    const auto filter = customer_filter_from(query(c.query));
    if (c.errors.empty()) {
      ASSERT_TRUE(filter.ok()) << describe(filter.error());
      EXPECT_EQ(*filter, c.customer_id);
    } else {
      ASSERT_FALSE(filter.ok());
      expect_errors(filter.error(), c.errors);
    }
  }
}

TEST(CrmQueryTest, CallLogQueryFrom) {
  struct Case {
    const char* query;
    std::optional<CustomerId> customer_id;
    std::optional<AppointmentId> appointment_id;
    int limit;
    int offset;
    std::vector<Expected> errors;  // empty: accepted
  };
  const Case cases[] = {
      {"", std::nullopt, std::nullopt, 50, 0, {}},
      {"customer_id=7", 7, std::nullopt, 50, 0, {}},
      {"appointment_id=11&limit=5&offset=10", std::nullopt, 11, 5, 10, {}},
      {"customer_id=7&appointment_id=11", 7, 11, 50, 0, {}},
      {"appointment_id=abc&customer_id=0",
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"appointment_id", "appointment_id \"abc\" is not a whole number"},
        {"customer_id", "expected a positive id"}}},
      {"status=completed",
       std::nullopt,
       std::nullopt,
       0,
       0,
       {{"status",
         "unknown query parameter \"status\"; expected one of: customer_id, appointment_id, "
         "limit, offset"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.query);
    const auto q = call_log_query_from(query(c.query));
    if (c.errors.empty()) {
      ASSERT_TRUE(q.ok()) << describe(q.error());
      EXPECT_EQ(q->customer_id, c.customer_id);
      EXPECT_EQ(q->appointment_id, c.appointment_id);
      EXPECT_EQ(q->page.limit, c.limit);
      EXPECT_EQ(q->page.offset, c.offset);
    } else {
      ASSERT_FALSE(q.ok());
      expect_errors(q.error(), c.errors);
    }
  }
}

// --- responses
// --------------------------------------------------------------------------------------

TEST(CrmResponseTest, ListJsonGivesTheNextOffsetUntilAShortPage) {
  struct Case {
    const char* name;
    int rows;
    int limit;
    int offset;
    const char* next_offset;  // as JSON
  };
  const Case cases[] = {
      {"full page", 3, 3, 0, "3"},
      {"full page further on", 3, 3, 6, "9"},
      {"short page is the last", 2, 3, 6, "null"},
      {"empty page", 0, 50, 100, "null"},
      {"one-row pages", 1, 1, 0, "1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::array data;
    for (int i = 0; i < c.rows; ++i) data.push_back(json::object{{"id", i + 1}});
    const json::array expected_data = data;
    Page page;
    page.limit = c.limit;
    page.offset = c.offset;
    const json::object out = list_json(std::move(data), page);
    EXPECT_EQ(out.size(), 4u);
    EXPECT_EQ(out.at("data"), json::value(expected_data));
    EXPECT_EQ(out.at("limit"), json::value(c.limit));
    EXPECT_EQ(out.at("offset"), json::value(c.offset));
    EXPECT_EQ(out.at("next_offset"), parse(c.next_offset));
  }
}

TEST(CrmResponseTest, ValidationErrorBodyListsEveryField) {
  struct Case {
    const char* name;
    FieldErrors errors;
    const char* json;
  };
  const Case cases[] = {
      {"one error: its message",
       {{"phone", "phone number '555' must start with '+'"}},
       R"({"error":{"code":"validation_failed","message":"phone number '555' must start with '+'",
           "fields":[{"field":"phone","message":"phone number '555' must start with '+'"}]}})"},
      {"several errors: counted and named",
       {{"phone", "bad phone"}, {"email", "bad email"}, {"time_zone", "bad zone"}},
       R"({"error":{"code":"validation_failed",
           "message":"3 fields are invalid: phone, email, time_zone",
           "fields":[{"field":"phone","message":"bad phone"},
                     {"field":"email","message":"bad email"},
                     {"field":"time_zone","message":"bad zone"}]}})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::value body = json::parse(error_body(validation_error(c.errors), "request-1"));
    EXPECT_EQ(body.at("error").at("request_id"), "request-1");
    body.at("error").as_object().erase("request_id");
    EXPECT_EQ(body, parse(c.json));
  }
}

TEST(CrmResponseTest, ValidationErrorBodyOfARealBody) {
  const auto parsed = customer_from_json(
      parse(R"({"first_name":"Ada","phone":"555-0100","email":"x"})"), Mode::kCreate, Customer{});
  ASSERT_FALSE(parsed.ok());
  const json::object body = json::parse(error_body(validation_error(parsed.error()), "r")).as_object();
  const json::object& error = body.at("error").as_object();
  EXPECT_EQ(error.at("code"), "validation_failed");
  EXPECT_EQ(error.at("message"), "2 fields are invalid: phone, email");
  ASSERT_EQ(error.at("fields").as_array().size(), 2u);
}

}  // namespace
}  // namespace autovoice::server
