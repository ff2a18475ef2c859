// The reminder flow through the real binaries: a customer, their car and a
// confirmed appointment tomorrow; `autovoice remind --once` calls them through
// the sandbox carrier, which fetches the reminder's TwiML from `autovoice
// serve` and posts its status callbacks there, and the call log ends
// completed. A second sweep calls nobody, and a dry run changes nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "domain/time.h"
#include "reminder_e2e.h"
#include "support/server_process.h"

namespace autovoice::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kTestNumber = "+12125550123";

std::vector<json::object> events_named(const json::value& record, std::string_view name, std::string_view kind = {}) {
  std::vector<json::object> out;
  for (const auto& e : record.at("events").as_array()) {
    if (e.at("event").as_string() != name) continue;
    if (!kind.empty() && e.at("kind").as_string() != kind) continue;
    out.push_back(e.as_object());
  }
  return out;
}

// "YYYY-MM-DD" of tomorrow in the shop's zone.
std::string tomorrow_in(const std::string& zone_name) {
  const TimeZone* zone = find_time_zone(zone_name).value();
  const date::local_days today{local_date(std::chrono::time_point_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now()),
                                          zone)};
  return date::format("%F", today + date::days{1});
}

// Adds a record with `autovoice ARGS --json`; returns its id.
int64_t add_record(Shop& shop, std::vector<std::string> args) {
  args.push_back("--json");
  const CommandRun r = shop.run(args);
  EXPECT_EQ(r.status, 0) << r.err;
  const json::value v = r.json();
  if (v.is_array() && !v.as_array().empty()) return number_of(v.as_array()[0], "id");
  if (v.is_object()) return number_of(v, "id");
  ADD_FAILURE() << "no record in: " << r.out;
  return -1;
}

json::array call_logs(Shop& shop) {
  const CommandRun r = shop.run({"calls", "list", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  return r.json().is_array() ? r.json().as_array() : json::array{};
}

TEST(ReminderFlowTest, CallsTomorrowsCustomerOnceAndTheCallLogEndsCompleted) {
  const auto began = std::chrono::steady_clock::now();
  ServerProcess server;
  SandboxProcess sandbox({"--speed", "10"}, R"({"default": {"answer_after_s": 2, "hangup_after_s": 6}})");
  Shop shop(server.database_url());
  shop.use_carrier(sandbox, server.base_url());
  shop.env["YOUR_TEST_NUMBER"] = kTestNumber;

  const int64_t customer = add_record(shop, {"customers", "add", "--first-name", "Test", "--last-name", "Driver",
                                             "--phone", kTestNumber});
  const int64_t vehicle = add_record(shop, {"vehicles", "add", "--customer", std::to_string(customer), "--year",
                                            "2021", "--make", "Honda", "--model", "Civic"});
  const std::string day = tomorrow_in("America/New_York");
  const int64_t appointment =
      add_record(shop, {"appointments", "add", "--customer", std::to_string(customer), "--vehicle",
                        std::to_string(vehicle), "--start", day + " 10:00", "--service", "Oil change", "--status",
                        "CONFIRMED"});
  ASSERT_GT(appointment, 0);

  // A dry run first: it would call, and changes nothing.
  const CommandRun preview = shop.run({"remind", "--once", "--dry-run", "--json"});
  ASSERT_EQ(preview.status, 0) << preview.err;
  const json::value previewed = preview.json();
  const json::array& items = previewed.at("appointments").as_array();
  ASSERT_EQ(items.size(), 1u) << preview.out;
  EXPECT_EQ(text_of(items[0], "decision"), "call") << preview.out;
  EXPECT_TRUE(all_reminders(shop).empty());
  EXPECT_TRUE(sandbox_calls(sandbox).empty());

  const CommandRun sweep = shop.run({"remind", "--once", "--json"});
  ASSERT_EQ(sweep.status, 0) << sweep.err;
  const json::value summary = sweep.json();
  ASSERT_TRUE(summary.is_object()) << sweep.out << sweep.err;
  EXPECT_EQ(number_of(summary, "found"), 1) << summary;
  EXPECT_EQ(number_of(summary, "called"), 1) << summary;
  EXPECT_EQ(number_of(summary, "failed_total"), 0) << summary;

  // The call log: written at once as initiated, completed by the status callbacks.
  json::array logs;
  for (int i = 0; i < 300; ++i) {
    logs = call_logs(shop);
    if (logs.size() == 1 && text_of(logs[0], "status") == "completed") break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(logs.size(), 1u) << json::serialize(logs);
  const json::value& log = logs[0];
  const std::string sid = text_of(log, "call_sid");
  EXPECT_TRUE(sid.size() == 34 && sid.starts_with("CA")) << sid;
  EXPECT_EQ(text_of(log, "direction"), "outbound");
  EXPECT_EQ(text_of(log, "intent"), "appointment_reminder");
  EXPECT_EQ(text_of(log, "to"), kTestNumber);
  EXPECT_EQ(text_of(log, "from"), kShopFrom);
  EXPECT_EQ(number_of(log, "appointment_id"), appointment);
  EXPECT_EQ(text_of(log, "status"), "completed") << log;

  // The carrier's side: one call, the logged one, its TwiML fetched from the
  // server, and its status callbacks initiated ... completed, each accepted.
  const json::array calls = sandbox_calls(sandbox);
  ASSERT_EQ(calls.size(), 1u);
  const json::value& record = calls[0];
  EXPECT_EQ(text_of(record, "sid"), sid);
  EXPECT_EQ(text_of(record, "to"), kTestNumber);
  const auto voice = events_named(record, "webhook", "voice_url");
  ASSERT_EQ(voice.size(), 1u) << record;
  EXPECT_EQ(voice[0].at("status").as_int64(), 200) << voice[0];
  EXPECT_NE(text_of(voice[0], "url").find("/api/v1/voice/incoming-reminder?appointment_id=" +
                                          std::to_string(appointment)),
            std::string::npos)
      << voice[0];
  const auto callbacks = events_named(record, "webhook", "status_callback");
  ASSERT_GE(callbacks.size(), 2u) << record;
  EXPECT_EQ(callbacks.front().at("params").at("CallStatus"), "initiated") << record;
  EXPECT_EQ(callbacks.back().at("params").at("CallStatus"), "completed") << record;
  for (const auto& c : callbacks) EXPECT_EQ(c.at("status").as_int64(), 204) << c;

  const json::array reminders = all_reminders(shop);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(number_of(reminders[0], "attempts"), 1) << reminders[0];
  EXPECT_EQ(text_of(reminders[0], "call_sid"), sid);

  // A second sweep calls nobody: the appointment was reminded already.
  const CommandRun again = shop.run({"remind", "--once", "--json"});
  ASSERT_EQ(again.status, 0) << again.err;
  const json::value second = again.json();
  EXPECT_EQ(number_of(second, "called"), 0) << second;
  EXPECT_EQ(number_of(second.at("skipped"), "already_reminded"), 1) << second;
  EXPECT_EQ(sandbox_calls(sandbox).size(), 1u);

  // A dry run now says so, and changes nothing either.
  const json::array reminders_before = all_reminders(shop);
  const json::array logs_before = call_logs(shop);
  const CommandRun dry = shop.run({"remind", "--once", "--dry-run", "--json"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  const json::value dried = dry.json();
  const json::value& item = dried.at("appointments").as_array().at(0);
  EXPECT_EQ(text_of(item, "decision"), "skip") << dry.out;
  EXPECT_EQ(text_of(item, "reason"), "already_reminded") << dry.out;
  EXPECT_EQ(all_reminders(shop), reminders_before);
  EXPECT_EQ(call_logs(shop), logs_before);
  EXPECT_EQ(sandbox_calls(sandbox).size(), 1u);
  std::printf("reminder flow: call %s completed; whole test %lld ms\n", sid.c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - began)
                                         .count()));
}

}  // namespace
}  // namespace autovoice::testing
