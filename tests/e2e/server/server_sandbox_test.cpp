// The real server and the real sandbox carrier, both binaries on loopback: the
// sandbox calls incoming-reminder, streams the call to the media-stream
// WebSocket, and posts its status callbacks — duplicated and out of order
// when told to — and the server's call log ends right.
#include <gtest/gtest.h>

#include <thread>

#include <boost/json/parse.hpp>

#include "support/sandbox_process.h"
#include "support/server_process.h"
#include "telephony/form.h"

namespace autovoice::testing {
namespace {

namespace json = boost::json;
namespace tel = telephony;
using namespace std::chrono_literals;

// Places a call through the sandbox to `to`, pointed at the server; returns its SID.
std::string place_call(const SandboxProcess& sandbox, const ServerProcess& server, const std::string& to,
                       int appointment_id) {
  const tel::FormParams form = {
      {"To", to},
      {"From", "+15550009999"},
      {"Url", server.base_url() + "/api/v1/voice/incoming-reminder?appointment_id=" + std::to_string(appointment_id)},
      {"StatusCallback", server.base_url() + "/api/v1/webhooks/twilio/status"},
      {"StatusCallbackEvent", "initiated"},
      {"StatusCallbackEvent", "ringing"},
      {"StatusCallbackEvent", "answered"},
      {"StatusCallbackEvent", "completed"},
      {"MachineDetection", "Enable"}};
  auto created = sandbox.post_api("Calls.json", tel::encode_form(form));
  EXPECT_EQ(created.status, 201) << created.body;
  return created.status == 201 ? std::string(created.json().at("sid").as_string()) : std::string();
}

// The server's call log for `sid` through the CRM API, once its status is `want`.
json::value wait_for_call_log(const ServerProcess& server, const std::string& sid, const std::string& want,
                              std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json::value last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = http_call("GET", server.base_url() + "/api/v1/calls/" + sid, "",
                       {{"Authorization", std::string("Bearer ") + kProcessApiKey}});
    if (r.status == 200) {
      last = r.json();
      if (last.at("status") == want.c_str()) return last;
    }
    std::this_thread::sleep_for(50ms);
  }
  return last;
}

// The value of one series in Prometheus text (-1 when absent).
double series_value(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + series.size() + 2));
}

std::vector<json::object> events_named(const json::value& record, std::string_view name) {
  std::vector<json::object> out;
  for (const auto& e : record.at("events").as_array()) {
    if (e.at("event").as_string() == name) out.push_back(e.as_object());
  }
  return out;
}

TEST(ServerSandboxTest, ReminderCallStreamsToTheServerAndEndsInTheCallLog) {
  ServerProcess server;
  SandboxProcess sandbox({"--speed", "4"}, R"({"numbers": {"+15550100001": {
      "answer_after_s": 1, "hangup_after_s": 3, "keys": [{"at_s": 1, "digits": "1"}]}}})");
  const std::string sid = place_call(sandbox, server, "+15550100001", 42);
  ASSERT_FALSE(sid.empty());
  json::value record = sandbox.wait_for_end(sid);
  ASSERT_EQ(record.at("status"), "completed") << record;
  // The hang-up ends the call; the stream's close is recorded a moment later.
  for (int i = 0; i < 200 && events_named(record, "stream_closed").empty(); ++i) {
    std::this_thread::sleep_for(25ms);
    record = sandbox.call_record(sid);
  }

  // The webhook was answered with the stream, which the server accepted.
  const auto webhooks = events_named(record, "webhook");
  const auto voice = std::find_if(webhooks.begin(), webhooks.end(),
                                  [](const json::object& w) { return w.at("kind") == "voice_url"; });
  ASSERT_NE(voice, webhooks.end()) << record;
  EXPECT_EQ(voice->at("status").as_int64(), 200) << *voice;
  const auto stream = events_named(record, "stream");
  ASSERT_EQ(stream.size(), 1u) << record;
  EXPECT_EQ(stream[0].at("url").as_string(),
            "ws://127.0.0.1:" + std::to_string(server.port()) + "/api/v1/voice/media-stream");
  EXPECT_EQ(stream[0].at("parameters").at("call_type"), "outbound_reminder");
  EXPECT_EQ(stream[0].at("parameters").at("appointment_id"), "42");
  EXPECT_EQ(events_named(record, "stream_open").size(), 1u) << record;
  const auto closed = events_named(record, "stream_closed");
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].at("end"), "hung-up");
  // Every status callback was accepted.
  for (const auto& w : webhooks) {
    if (w.at("kind") == "status_callback") {
      EXPECT_EQ(w.at("status").as_int64(), 204) << w;
    }
  }

  // The call log (unknown to the server before: no worker placed it) ends completed.
  const json::value log = wait_for_call_log(server, sid, "completed");
  ASSERT_TRUE(log.is_object()) << server.stderr_text();
  EXPECT_EQ(log.at("status"), "completed") << log;
  EXPECT_EQ(log.at("direction"), "outbound");
  EXPECT_EQ(log.at("to"), "+15550100001");
  EXPECT_EQ(log.at("answered_by"), "human");
  EXPECT_TRUE(log.at("duration_seconds").is_int64()) << log;

  // The server read the whole stream: its metrics count the key and the stop.
  // (The carrier ends the call as it sends "stop": the server may read it a moment later.)
  std::string metrics;
  for (int i = 0; i < 200; ++i) {
    metrics = http_call("GET", server.base_url() + "/metrics").body;
    if (series_value(metrics, "autovoice_media_streams_active") == 0) break;
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_EQ(series_value(metrics, "autovoice_media_messages_total{event=\"dtmf\"}"), 1) << metrics;
  EXPECT_EQ(series_value(metrics, "autovoice_media_messages_total{event=\"stop\"}"), 1) << metrics;
  EXPECT_GT(series_value(metrics, "autovoice_media_messages_total{event=\"media\"}"), 10) << metrics;
  EXPECT_EQ(series_value(metrics, "autovoice_media_streams_active"), 0) << metrics;
  // Its log is JSON lines that never show the callee's full number.
  const std::string log_text = server.stderr_text();
  EXPECT_EQ(log_text.find("+15550100001"), std::string::npos);
  EXPECT_NE(log_text.find("\"msg\":\"media stream started\""), std::string::npos) << log_text;
  EXPECT_EQ(server.stop(), 0);
}

TEST(ServerSandboxTest, DuplicatedAndReorderedCallbacksStillEndCompleted) {
  ServerProcess server;
  SandboxProcess sandbox({"--speed", "8", "--duplicate-rate", "1", "--reorder-rate", "0.5", "--seed", "7"},
                         R"({"default": {"answer_after_s": 1, "hangup_after_s": 2}})");
  std::vector<std::string> sids;
  for (int i = 0; i < 6; ++i) {
    sids.push_back(place_call(sandbox, server, "+1555010020" + std::to_string(i), 100 + i));
  }
  for (const auto& sid : sids) {
    ASSERT_FALSE(sid.empty());
    ASSERT_EQ(sandbox.wait_for_end(sid).at("status"), "completed");
  }
  for (const auto& sid : sids) {
    const json::value log = wait_for_call_log(server, sid, "completed");
    EXPECT_EQ(log.at("status"), "completed") << sid << ": " << log;
  }
  // Each callback came twice: the duplicates were recognised, not applied.
  // (The last duplicates may still be on their way when the logs read completed.)
  const std::string ignored = "autovoice_status_callbacks_total{result=\"ignored\"}";
  std::string metrics;
  for (int i = 0; i < 200; ++i) {
    metrics = http_call("GET", server.base_url() + "/metrics").body;
    if (series_value(metrics, ignored) >= 6 * 4) break;
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_GE(series_value(metrics, ignored), 6 * 4) << metrics;
}

TEST(ServerSandboxTest, AServerWithAnotherTokenRefusesTheCarriersWebhooks) {
  ServerProcess server(std::map<std::string, std::string>{{"TWILIO_AUTH_TOKEN", "not-the-sandbox-token"}});
  SandboxProcess sandbox({"--speed", "8"}, R"({"default": {"answer_after_s": 1, "hangup_after_s": 2}})");
  const std::string sid = place_call(sandbox, server, "+15550100300", 7);
  ASSERT_FALSE(sid.empty());
  const json::value record = sandbox.wait_for_end(sid);
  const auto webhooks = events_named(record, "webhook");
  ASSERT_FALSE(webhooks.empty());
  for (const auto& w : webhooks) {
    EXPECT_EQ(w.at("status").as_int64(), 403) << w;
  }
  EXPECT_TRUE(events_named(record, "stream").empty());
  // Nothing was logged for the call: the callbacks were refused too.
  auto r = http_call("GET", server.base_url() + "/api/v1/calls/" + sid, "",
                     {{"Authorization", std::string("Bearer ") + kProcessApiKey}});
  EXPECT_EQ(r.status, 404);
}

}  // namespace
}  // namespace autovoice::testing
