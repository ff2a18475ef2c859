// The server over real sockets, in process, on SQLite: carrier webhooks
// (signed and not), status callbacks in any order, every error class,
// health, metrics and shutdown. (CRM round trips: crm_api_test.cpp; the
// media stream: media_stream_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include "server/metrics.h"
#include "store/store_wrapper.h"
#include "support/server_harness.h"
#include "telephony/signature.h"
#include "telephony/twiml_reader.h"

namespace autovoice::testing {
namespace {

namespace tel = telephony;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kSid = "CA00000000000000000000000000000001";
constexpr const char* kStatusPath = "/api/v1/webhooks/twilio/status";

tel::FormParams callback(const std::string& sid, const std::string& status, int sequence) {
  tel::FormParams form = {{"AccountSid", kTestAccountSid}, {"CallSid", sid},
                          {"CallStatus", status},         {"SequenceNumber", std::to_string(sequence)},
                          {"Direction", "outbound-api"},  {"From", "+15550009999"},
                          {"To", "+15550100001"},         {"Timestamp", "Wed, 25 Nov 2026 14:00:0" + std::to_string(sequence) + " +0000"}};
  if (status == "completed") form.emplace_back("CallDuration", "42");
  return form;
}

// A raw TCP connection, for what an HTTP client library would not send.
class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect");
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawSocket() { ::close(fd_); }
  void send(std::string_view data) { (void)!::write(fd_, data.data(), data.size()); }
  // Everything until the server closes (or 10 s pass).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start(ServerHarness::default_config()); }
  void start(server::ServerConfig config, Store* store = nullptr) {
    std::string why;
    h_ = ServerHarness::create(Backend::kSqlite, &why, std::move(config), store);
    ASSERT_NE(h_, nullptr) << why;
  }
  CallLog log_of(const std::string& sid) {
    auto log = h_->store().call_log_by_sid(sid);
    EXPECT_TRUE(log.ok()) << sid;
    return log.ok() ? *log : CallLog{};
  }
  std::unique_ptr<ServerHarness> h_;
};

// --- voice webhooks -------------------------------------------------------------------

TEST_F(ServerTest, SignedIncomingReminderConnectsTheStream) {
  auto r = h_->carrier_post("/api/v1/voice/incoming-reminder?appointment_id=42",
                            {{"CallSid", kSid}, {"From", "+15550009999"}, {"To", "+15550100001"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = tel::parse_twiml(r.body);
  ASSERT_TRUE(doc.ok()) << r.body;
  ASSERT_EQ(doc->verbs.size(), 1u);
  const auto& connect = std::get<tel::ConnectVerb>(doc->verbs[0]);
  EXPECT_EQ(connect.stream.url, "wss://autovoice.test/api/v1/voice/media-stream");
  const std::vector<std::pair<std::string, std::string>> params = {{"call_type", "outbound_reminder"},
                                                                   {"appointment_id", "42"}};
  EXPECT_EQ(connect.stream.parameters, params);
}

TEST_F(ServerTest, SignedIncomingCallStreamsWithTheCallersNumber) {
  auto r = h_->carrier_post("/api/v1/voice/incoming", {{"CallSid", kSid}, {"From", "+15550100007"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = tel::parse_twiml(r.body);
  ASSERT_TRUE(doc.ok());
  const auto& connect = std::get<tel::ConnectVerb>(doc->verbs.at(0));
  EXPECT_EQ(connect.stream.parameters.at(0).second, "inbound");
  EXPECT_EQ(connect.stream.parameters.at(1), (std::pair<std::string, std::string>{"caller", "+15550100007"}));
}

TEST_F(ServerTest, UnsignedOrMissignedWebhooksAre403) {
  const tel::FormParams form = {{"CallSid", kSid}};
  const std::string target = "/api/v1/voice/incoming-reminder?appointment_id=42";
  auto none = h_->carrier_post_with_signature(target, form, "");
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(none.json().at("error").at("code"), "invalid_signature");
  // Signed for another appointment: the query is part of what is signed.
  const std::string other = tel::compute_signature(
      kServerAuthToken, std::string(kServerBaseUrl) + "/api/v1/voice/incoming-reminder?appointment_id=43", form);
  EXPECT_EQ(h_->carrier_post_with_signature(target, form, other).status, 403);
  // Signed with another token.
  const std::string wrong_key =
      tel::compute_signature("another-token", std::string(kServerBaseUrl) + target, form);
  EXPECT_EQ(h_->carrier_post_with_signature(target, form, wrong_key).status, 403);
  EXPECT_EQ(metric_value(h_->metrics(), "autovoice_signature_rejections_total"), 3);
}

TEST_F(ServerTest, ReminderWithoutAnAppointmentIdIs422) {
  auto r = h_->carrier_post("/api/v1/voice/incoming-reminder", {{"CallSid", kSid}});
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json().at("error").at("fields").at(0).at("field"), "appointment_id");
}

TEST_F(ServerTest, SignatureChecksCanBeTurnedOffForDevelopment) {
  auto config = ServerHarness::default_config();
  config.check_signatures = false;
  h_.reset();
  start(config);
  auto r = h_->carrier_post_with_signature("/api/v1/voice/incoming-reminder?appointment_id=5", {{"CallSid", kSid}}, "");
  EXPECT_EQ(r.status, 200) << r.body;
}

// --- status callbacks -------------------------------------------------------------------

TEST_F(ServerTest, StatusCallbackUpdatesTheCallLog) {
  CallLog placed;
  placed.call_sid = kSid;
  placed.direction = CallDirection::kOutbound;
  placed.status = CallStatus::kInitiated;
  placed.intent = "appointment_reminder";
  placed.to = "+15550100001";
  ASSERT_TRUE(h_->store().add_call_log(placed, h_->clock().now_seconds()).ok());

  for (const auto& [status, seq] : std::vector<std::pair<std::string, int>>{
           {"ringing", 1}, {"in-progress", 2}, {"completed", 3}}) {
    tel::FormParams form = callback(kSid, status, seq);
    if (status == "in-progress") form.emplace_back("AnsweredBy", "human");
    auto r = h_->carrier_post(kStatusPath, form);
    ASSERT_EQ(r.status, 204) << status << ": " << r.body;
  }
  const CallLog log = log_of(kSid);
  EXPECT_EQ(log.status, CallStatus::kCompleted);
  EXPECT_EQ(log.intent, "appointment_reminder");
  EXPECT_EQ(log.duration_seconds, 42);
  EXPECT_EQ(log.answered_by, "human");
  EXPECT_TRUE(log.started_at.has_value());
  EXPECT_TRUE(log.ended_at.has_value());
}

TEST_F(ServerTest, LateAndDuplicateCallbacksNeverUndoAFinalStatus) {
  // completed arrives first, then the earlier ones, each twice.
  for (const auto& [status, seq] : std::vector<std::pair<std::string, int>>{
           {"completed", 3}, {"completed", 3}, {"ringing", 1}, {"in-progress", 2},
           {"initiated", 0}, {"ringing", 1}}) {
    auto r = h_->carrier_post(kStatusPath, callback(kSid, status, seq));
    ASSERT_EQ(r.status, 204) << status << ": " << r.body;
  }
  const CallLog log = log_of(kSid);
  EXPECT_EQ(log.status, CallStatus::kCompleted);
  EXPECT_EQ(log.duration_seconds, 42);
  const std::string m = h_->metrics();
  EXPECT_EQ(metric_value(m, "autovoice_status_callbacks_total", {"result=\"created\""}), 1);
  EXPECT_EQ(metric_value(m, "autovoice_status_callbacks_total", {"result=\"ignored\""}), 5);
}

TEST_F(ServerTest, CallbackForAnUnknownCallIsRecorded) {
  auto r = h_->carrier_post(kStatusPath, callback(kSid, "ringing", 1));
  ASSERT_EQ(r.status, 204) << r.body;
  const CallLog log = log_of(kSid);
  EXPECT_EQ(log.status, CallStatus::kRinging);
  EXPECT_EQ(log.direction, CallDirection::kOutbound);
  EXPECT_EQ(log.to, "+15550100001");
  EXPECT_FALSE(log.customer_id.has_value());
}

TEST_F(ServerTest, UnsignedOrMalformedCallbacksChangeNothing) {
  auto unsigned_r = h_->carrier_post_with_signature(kStatusPath, callback(kSid, "completed", 3), "");
  EXPECT_EQ(unsigned_r.status, 403);
  auto bad = h_->carrier_post(kStatusPath, {{"CallSid", kSid}, {"CallStatus", "exploded"}, {"SequenceNumber", "x"}});
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.json().at("error").at("fields").as_array().size(), 2u);
  EXPECT_EQ(h_->store().call_log_by_sid(kSid).error().code, ErrorCode::kNotFound);
}

TEST_F(ServerTest, ConcurrentCallbacksForManyCallsAllLand) {
  constexpr int kCalls = 40;
  std::vector<std::future<void>> clients;
  for (int c = 0; c < 4; ++c) {
    clients.push_back(std::async(std::launch::async, [this, c] {
      for (int i = c; i < kCalls; i += 4) {
        char sid[40];
        std::snprintf(sid, sizeof sid, "CA%032d", 1000 + i);
        // In reverse order: the final status first.
        for (const auto& [status, seq] : std::vector<std::pair<std::string, int>>{
                 {"completed", 3}, {"in-progress", 2}, {"ringing", 1}, {"initiated", 0}}) {
          EXPECT_EQ(h_->carrier_post(kStatusPath, callback(sid, status, seq)).status, 204);
        }
      }
    }));
  }
  for (auto& f : clients) f.get();
  auto counts = h_->store().call_log_counts();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->by_status.size(), 1u);
  EXPECT_EQ(counts->by_status[0], (std::pair<std::string, std::int64_t>{"completed", kCalls}));
}

// --- errors --------------------------------------------------------------------------------

TEST_F(ServerTest, UnknownRouteIs404WithAJsonError) {
  auto r = http_call("GET", h_->url("/api/v1/nothing-here"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json().at("error").at("code"), "no_route");
}

TEST_F(ServerTest, WrongMethodIs405) {
  auto r = http_call("DELETE", h_->url("/healthz"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.json().at("error").at("code"), "method_not_allowed");
}

TEST_F(ServerTest, OversizedBodyIs413AndChangesNothing) {
  auto config = ServerHarness::default_config();
  config.body_limit = 2048;
  h_.reset();
  start(config);
  tel::FormParams form = callback(kSid, "completed", 3);
  form.emplace_back("Padding", std::string(4096, 'x'));
  auto r = h_->carrier_post(kStatusPath, form);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json().at("error").at("code"), "body_too_large");
  EXPECT_EQ(h_->store().call_log_by_sid(kSid).error().code, ErrorCode::kNotFound);
}

TEST_F(ServerTest, MalformedHttpIs400) {
  RawSocket s(h_->port());
  s.send("THIS IS NOT HTTP\r\n\r\n");
  const std::string answer = s.read_all();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("bad_request"), std::string::npos) << answer;
}

TEST_F(ServerTest, MalformedTargetsAndBodiesAre400) {
  RawSocket s(h_->port());  // an HTTP client library would refuse this target
  s.send("POST /api/v1/voice/incoming-reminder?appointment_id=%zz HTTP/1.1\r\nHost: x\r\n"
         "Content-Length: 0\r\nConnection: close\r\n\r\n");
  const std::string answer = s.read_all();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  auto bad_json = h_->api("POST", "/api/v1/customers", "{not json");
  EXPECT_EQ(bad_json.status, 400) << bad_json.body;
}

TEST_F(ServerTest, SlowClientIsDisconnected) {
  auto config = ServerHarness::default_config();
  config.timeout = 1s;
  h_.reset();
  start(config);
  RawSocket s(h_->port());
  s.send("POST /api/v1/webhooks/twilio/status HTTP/1.1\r\nHost: x\r\n");  // and never the rest
  const auto t0 = std::chrono::steady_clock::now();
  const std::string answer = s.read_all();
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(answer, "");  // closed, unanswered
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 8s);
  // The server still serves others.
  EXPECT_EQ(http_call("GET", h_->url("/healthz")).status, 200);
}

TEST_F(ServerTest, RequestIdsAreEchoedOrMade) {
  auto given = http_call("GET", h_->url("/api/v1/nothing"), "", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(given.json().at("error").at("request_id"), "abc-123");
  auto made = http_call("GET", h_->url("/api/v1/nothing"), "", {{"X-Request-Id", "bad id with spaces"}});
  const std::string id(made.json().at("error").at("request_id").as_string());
  EXPECT_FALSE(id.empty());
  EXPECT_NE(id, "bad id with spaces");
}

// --- ops -------------------------------------------------------------------------------------

TEST_F(ServerTest, HealthAndReadiness) {
  auto health = http_call("GET", h_->url("/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json().at("status"), "ok");
  auto ready = http_call("GET", h_->url("/readyz"));
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json().at("schema_version").as_int64(), latest_schema_version());
}

// A store whose database has gone away.
class UnreachableStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<int> schema_version() override { return Error::unavailable("database is unreachable"); }
  Result<CallLogCounts> call_log_counts() override { return Error::unavailable("database is unreachable"); }
};

TEST_F(ServerTest, ReadinessFailsWhenTheDatabaseIsUnreachable) {
  UnreachableStore broken(h_->store());
  auto config = ServerHarness::default_config();
  std::string why;
  auto second = ServerHarness::create(Backend::kSqlite, &why, config, &broken);
  ASSERT_NE(second, nullptr) << why;
  auto ready = http_call("GET", second->url("/readyz"));
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json().at("error").at("code"), "unavailable");
  EXPECT_EQ(http_call("GET", second->url("/healthz")).status, 200);
  // Metrics still answer, without the database's gauges.
  auto metrics = http_call("GET", second->url("/metrics"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body.find("autovoice_calls{"), std::string::npos);
}

TEST_F(ServerTest, MetricsCountRequestsCallsAndPool) {
  ASSERT_EQ(h_->carrier_post("/api/v1/voice/incoming-reminder?appointment_id=1", {{"CallSid", kSid}}).status, 200);
  ASSERT_EQ(h_->carrier_post(kStatusPath, callback(kSid, "busy", 2)).status, 204);
  const std::string m = h_->metrics();
  EXPECT_EQ(metric_value(m, "autovoice_http_requests_total",
                         {"method=\"POST\"", "route=\"/api/v1/voice/incoming-reminder\"", "status=\"200\""}),
            1)
      << m;
  EXPECT_EQ(metric_value(m, "autovoice_http_request_duration_seconds_count",
                         {"route=\"/api/v1/webhooks/twilio/status\""}),
            1);
  EXPECT_EQ(metric_value(m, "autovoice_calls", {"status=\"busy\""}), 1);
  EXPECT_EQ(metric_value(m, "autovoice_db_pool_threads"), 2);
}

// --- threads and shutdown ------------------------------------------------------------------------

// A store whose reads take a while, and that tells when one has started.
class SlowStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<Customer> customer(CustomerId id) override {
    started.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    return StoreWrapper::customer(id);
  }
  std::atomic<bool> started{false};
  std::atomic<int> delay_ms{1500};
};

TEST_F(ServerTest, DatabaseWorkNeverBlocksTheEventLoop) {
  SlowStore slow(h_->store());
  auto config = ServerHarness::default_config();
  config.threads = 1;  // one event-loop thread: a blocking handler would stall everything
  std::string why;
  auto one = ServerHarness::create(Backend::kSqlite, &why, config, &slow);
  ASSERT_NE(one, nullptr) << why;
  auto slow_call = std::async(std::launch::async, [&] { return one->api("GET", "/api/v1/customers/1"); });
  while (!slow.started.load()) std::this_thread::sleep_for(1ms);
  const auto health = http_call("GET", one->url("/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(health.elapsed, 1000ms);  // the 1.5 s read is on the database pool
  EXPECT_EQ(slow_call.get().status, 404);
}

TEST_F(ServerTest, ShutdownFinishesTheRequestInFlightThenRefusesNewOnes) {
  SlowStore slow(h_->store());
  slow.delay_ms = 700;
  std::string why;
  auto s = ServerHarness::create(Backend::kSqlite, &why, ServerHarness::default_config(), &slow);
  ASSERT_NE(s, nullptr) << why;
  auto in_flight = std::async(std::launch::async, [&] { return s->api("GET", "/api/v1/customers/1"); });
  while (!slow.started.load()) std::this_thread::sleep_for(1ms);
  const auto t0 = std::chrono::steady_clock::now();
  s->shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);  // well inside the 5 s grace
  EXPECT_EQ(in_flight.get().status, 404);                 // answered, not cut
  EXPECT_EQ(http_call("GET", s->url("/healthz"), "", {}, 2s).status, 0);  // refused
}

TEST_F(ServerTest, ShutdownClosesIdleKeepAliveConnections) {
  RawSocket idle(h_->port());
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");  // keep-alive by default in HTTP/1.1
  std::this_thread::sleep_for(200ms);
  const auto t0 = std::chrono::steady_clock::now();
  h_->shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  const std::string answer = idle.read_all();  // the answer, then the close
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
}

}  // namespace
}  // namespace autovoice::testing
