// The media-stream WebSocket over a real socket: signed upgrades only, every
// message parsed, the call's state kept, clean closes.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "support/server_harness.h"
#include "telephony/media_stream.h"
#include "telephony/signature.h"

namespace autovoice::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace tel = telephony;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr const char* kPath = "/api/v1/voice/media-stream";

// A carrier-side WebSocket client (blocking).
class CarrierStream {
 public:
  explicit CarrierStream(int port) : ws_(io_) {
    tcp::resolver resolver(io_);
    beast::get_lowest_layer(ws_).connect(resolver.resolve("127.0.0.1", std::to_string(port)));
    beast::get_lowest_layer(ws_).expires_never();
  }
  // Upgrades with `signature` (none when empty); returns the handshake's error.
  beast::error_code open(const std::string& signature, websocket::response_type* response = nullptr) {
    ws_.set_option(websocket::stream_base::decorator([signature](websocket::request_type& req) {
      if (!signature.empty()) req.set(tel::kSignatureHeader, signature);
    }));
    beast::error_code ec;
    websocket::response_type res;
    ws_.handshake(res, "autovoice.test", kPath, ec);
    if (response != nullptr) *response = res;
    return ec;
  }
  void send(const tel::InboundMessage& m) { ws_.write(asio::buffer(tel::serialize_inbound(m))); }
  void send_text(const std::string& text) { ws_.write(asio::buffer(text)); }
  // Reads until the server closes; returns the close code (0 if the read failed otherwise).
  int wait_for_close() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
      ws_.read(buffer, ec);
      if (ec == websocket::error::closed) return ws_.reason().code;
      if (ec) return 0;
      buffer.consume(buffer.size());
    }
  }

 private:
  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
};

std::string upgrade_signature(const std::string& token = kServerAuthToken) {
  return tel::compute_signature(token, std::string("wss://autovoice.test") + kPath, {});
}

tel::StartMessage start_message() {
  tel::StartMessage m;
  m.sequence_number = 1;
  m.stream_sid = "MZ00000000000000000000000000000001";
  m.account_sid = kTestAccountSid;
  m.call_sid = "CA00000000000000000000000000000001";
  m.tracks = {"inbound"};
  m.custom_parameters = {{"call_type", "outbound_reminder"}, {"appointment_id", "42"}};
  m.media_format = {"audio/x-mulaw", 8000, 1};
  return m;
}

tel::MediaMessage media_message(uint64_t seq) {
  tel::MediaMessage m;
  m.sequence_number = seq;
  m.stream_sid = "MZ00000000000000000000000000000001";
  m.track = "inbound";
  m.chunk = seq - 1;
  m.timestamp = (seq - 2) * 20;
  m.payload.assign(160, 0xff);
  return m;
}

class MediaStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    h_ = ServerHarness::create(Backend::kSqlite, &why);
    ASSERT_NE(h_, nullptr) << why;
  }
  double metric(const std::string& name, const std::vector<std::string>& labels = {}) {
    return metric_value(h_->metrics(), name, labels);
  }
  std::unique_ptr<ServerHarness> h_;
};

TEST_F(MediaStreamTest, ReadsAWholeCallAndClosesNormallyAfterStop) {
  CarrierStream s(h_->port());
  ASSERT_FALSE(s.open(upgrade_signature()));
  s.send(tel::ConnectedMessage{"Call", "1.0.0"});
  s.send(start_message());
  for (uint64_t seq = 2; seq < 52; ++seq) s.send(media_message(seq));
  s.send(tel::DtmfMessage{52, "MZ00000000000000000000000000000001", "inbound_track", "1"});
  s.send(tel::MarkMessage{53, "MZ00000000000000000000000000000001", "greeting"});
  s.send(tel::StopMessage{54, "MZ00000000000000000000000000000001", kTestAccountSid,
                          "CA00000000000000000000000000000001"});
  EXPECT_EQ(s.wait_for_close(), static_cast<int>(websocket::close_code::normal));
  EXPECT_EQ(metric("autovoice_media_messages_total", {"event=\"media\""}), 50);
  EXPECT_EQ(metric("autovoice_media_messages_total", {"event=\"start\""}), 1);
  EXPECT_EQ(metric("autovoice_media_messages_total", {"event=\"dtmf\""}), 1);
  EXPECT_EQ(metric("autovoice_media_messages_total", {"event=\"stop\""}), 1);
  EXPECT_EQ(metric("autovoice_media_streams_total"), 1);
  EXPECT_EQ(metric("autovoice_media_streams_active"), 0);
  EXPECT_EQ(metric("autovoice_http_requests_total", {"route=\"/api/v1/voice/media-stream\"", "status=\"101\""}), 1);
}

TEST_F(MediaStreamTest, UnsignedOrMissignedUpgradesAre403) {
  for (const std::string& signature : {std::string(), upgrade_signature("another-token"),
                                       tel::compute_signature(kServerAuthToken,
                                                              std::string("https://autovoice.test") + kPath, {})}) {
    CarrierStream s(h_->port());
    websocket::response_type res;
    EXPECT_TRUE(s.open(signature, &res)) << signature;
    EXPECT_EQ(res.result_int(), 403) << signature;
  }
  EXPECT_EQ(metric("autovoice_media_streams_total"), 0);
  EXPECT_EQ(metric("autovoice_signature_rejections_total"), 3);
}

TEST_F(MediaStreamTest, BadFramesAreCountedAndTheStreamGoesOn) {
  CarrierStream s(h_->port());
  ASSERT_FALSE(s.open(upgrade_signature()));
  s.send(start_message());
  s.send_text("{not json");
  s.send_text(R"({"event":"media","streamSid":"MZ00000000000000000000000000000001","media":{"payload":"***"}})");
  s.send(media_message(2));
  s.send(tel::StopMessage{3, "MZ00000000000000000000000000000001", kTestAccountSid,
                          "CA00000000000000000000000000000001"});
  EXPECT_EQ(s.wait_for_close(), static_cast<int>(websocket::close_code::normal));
  EXPECT_EQ(metric("autovoice_media_messages_total", {"event=\"invalid\""}), 2);
  EXPECT_EQ(metric("autovoice_media_messages_total", {"event=\"media\""}), 1);
}

TEST_F(MediaStreamTest, PlainGetOnTheStreamRouteIs400) {
  auto r = http_call("GET", h_->url(kPath));
  EXPECT_EQ(r.status, 400);
}

TEST_F(MediaStreamTest, ShutdownClosesOpenStreamsAsGoingAway) {
  CarrierStream s(h_->port());
  ASSERT_FALSE(s.open(upgrade_signature()));
  s.send(start_message());
  for (int i = 0; i < 100 && metric("autovoice_media_streams_active") < 1; ++i) std::this_thread::sleep_for(10ms);
  std::thread stopper([this] { h_->shutdown(); });
  EXPECT_EQ(s.wait_for_close(), static_cast<int>(websocket::close_code::going_away));
  stopper.join();
}

}  // namespace
}  // namespace autovoice::testing
