// The sandbox's webhook client against real servers on 127.0.0.1: what it
// sends, what it reads back, and how each failure is reported.
#include "sandbox/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <thread>

#include "support/fake_http_server.h"

namespace autovoice::sandbox {
namespace {

namespace net = boost::asio;
using autovoice::testing::FakeHttpServer;
using autovoice::testing::FakeResponse;
using namespace std::chrono_literals;

// Runs one request to completion on a fresh io_context.
Result<HttpReply> fetch(HttpRequest request) {
  net::io_context io;
  std::optional<Result<HttpReply>> out;
  int calls = 0;
  async_fetch(io.get_executor(), std::move(request), [&](Result<HttpReply> r) {
    ++calls;
    out.emplace(std::move(r));
  });
  io.run();
  EXPECT_EQ(calls, 1);
  if (!out) return Error::internal("done was never called");
  return std::move(*out);
}

HttpRequest post(std::string url, std::string body = "CallSid=CA1&CallStatus=ringing") {
  HttpRequest r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = std::move(body);
  r.content_type = "application/x-www-form-urlencoded";
  return r;
}

// Answers every connection with the same bytes once it has read a request
// head, then closes. For replies no well-behaved server would send.
class CannedReplyServer {
 public:
  explicit CannedReplyServer(std::string reply)
      : reply_(std::move(reply)),
        acceptor_(io_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] {
      for (;;) {
        net::ip::tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        std::string request;
        net::read_until(socket, net::dynamic_buffer(request), "\r\n\r\n", ec);
        net::write(socket, net::buffer(reply_), ec);
        socket.shutdown(net::ip::tcp::socket::shutdown_both, ec);
      }
    });
  }
  ~CannedReplyServer() {
    stopping_ = true;
    // Wake the blocking accept with one last connection.
    net::io_context io;
    net::ip::tcp::socket poke(io);
    boost::system::error_code ec;
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  CannedReplyServer(const CannedReplyServer&) = delete;
  CannedReplyServer& operator=(const CannedReplyServer&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }

 private:
  std::string reply_;
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A port nothing listens on: bound, then released.
uint16_t closed_port() {
  net::io_context io;
  net::ip::tcp::acceptor acceptor(io,
                                  net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

TEST(HttpClientTest, PostsAFormAsTwilioDoesAndReadsTheReply) {
  FakeHttpServer server;
  server.enqueue({.status = 200, .body = "<Response/>", .content_type = "text/xml"});
  HttpRequest request =
      post(server.base_url() + "/api/v1/voice/incoming-reminder?appointment_id=7");
  request.headers = {{"X-Twilio-Signature", "c2lnbmF0dXJl"},
                     {"I-Twilio-Idempotency-Token", "token-1"}};

  auto reply = fetch(request);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "<Response/>");
  EXPECT_EQ(reply->content_type, "text/xml");
  EXPECT_GT(reply->elapsed.count(), 0);

  ASSERT_EQ(server.request_count(), 1U);
  const auto recorded = server.requests()[0];
  EXPECT_EQ(recorded.method, "POST");
  EXPECT_EQ(recorded.path, "/api/v1/voice/incoming-reminder");
  EXPECT_EQ(recorded.query, "appointment_id=7");
  EXPECT_EQ(recorded.body, "CallSid=CA1&CallStatus=ringing");
  EXPECT_EQ(recorded.header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(recorded.header("content-length"), "30");
  EXPECT_EQ(recorded.header("user-agent"), "TwilioProxy/1.1");
  EXPECT_EQ(recorded.header("connection"), "close");
  EXPECT_EQ(recorded.header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(recorded.header("x-twilio-signature"), "c2lnbmF0dXJl");
  EXPECT_EQ(recorded.header("i-twilio-idempotency-token"), "token-1");
}

TEST(HttpClientTest, SendsAGetWithItsQueryAndNoBody) {
  FakeHttpServer server;
  server.enqueue({.status = 200, .body = "<Response><Hangup/></Response>"});
  HttpRequest request;
  request.method = "GET";
  request.url = server.base_url() + "/voice?CallSid=CA1&From=%2B15550100001";
  auto reply = fetch(request);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  const auto recorded = server.requests().at(0);
  EXPECT_EQ(recorded.method, "GET");
  EXPECT_EQ(recorded.target, "/voice?CallSid=CA1&From=%2B15550100001");
  EXPECT_EQ(recorded.body, "");
  EXPECT_EQ(recorded.header("content-type"), "");
}

TEST(HttpClientTest, TheClientsOwnHeadersCannotBeReplaced) {
  FakeHttpServer server;
  HttpRequest request = post(server.base_url() + "/status");
  request.headers = {{"User-Agent", "curl/8"}, {"Connection", "keep-alive"}, {"Host", "evil"}};
  ASSERT_TRUE(fetch(request).ok());
  const auto recorded = server.requests().at(0);
  EXPECT_EQ(recorded.header("user-agent"), "TwilioProxy/1.1");
  EXPECT_EQ(recorded.header("connection"), "close");
  EXPECT_EQ(recorded.header("host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpClientTest, ErrorStatusesAreRepliesNotErrors) {
  FakeHttpServer server;
  server.enqueue({.status = 500, .body = R"({"error":"boom"})"});
  auto reply = fetch(post(server.base_url() + "/status"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 500);
  EXPECT_EQ(reply->body, R"({"error":"boom"})");
  EXPECT_EQ(reply->content_type, "application/json");
}

TEST(HttpClientTest, OpensANewConnectionForEveryRequest) {
  FakeHttpServer server;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fetch(post(server.base_url() + "/status")).ok());
  EXPECT_EQ(server.request_count(), 3U);
  EXPECT_EQ(server.connection_count(), 3U);
}

TEST(HttpClientTest, SpeaksPlainHttpForHttpsOnLoopback) {
  FakeHttpServer server;
  server.enqueue({.status = 204});
  auto reply = fetch(post("https://127.0.0.1:" + std::to_string(server.port()) + "/status"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 204);
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(HttpClientTest, LocalhostReachesTheIpv4Loopback) {
  FakeHttpServer server;
  auto reply = fetch(post("http://localhost:" + std::to_string(server.port()) + "/status"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(server.requests().at(0).header("host"), "localhost:" + std::to_string(server.port()));
}

TEST(HttpClientTest, NeverLeavesLoopback) {
  for (std::string url :
       {"http://example.com/voice", "https://10.1.2.3/voice", "http://[2001:db8::1]:8080/voice"}) {
    const auto start = std::chrono::steady_clock::now();
    auto reply = fetch(post(url));
    ASSERT_FALSE(reply.ok()) << url;
    EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(reply.error().field, "url");
    EXPECT_NE(reply.error().message.find("the sandbox never leaves loopback"), std::string::npos)
        << reply.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  }
}

TEST(HttpClientTest, RejectsBadRequestsBeforeConnecting) {
  FakeHttpServer server;
  struct Case {
    HttpRequest request;
    std::string_view field;
  };
  HttpRequest put = post(server.base_url() + "/x");
  put.method = "PUT";
  HttpRequest get_with_body = post(server.base_url() + "/x");
  get_with_body.method = "GET";
  HttpRequest no_time = post(server.base_url() + "/x");
  no_time.timeout = 0ms;
  HttpRequest injected = post(server.base_url() + "/x");
  injected.headers = {{"X-Twilio-Signature", "abc\r\nX-Evil: 1"}};
  HttpRequest not_a_url = post("not a url");
  const Case cases[] = {{put, "method"},
                        {get_with_body, "body"},
                        {no_time, "timeout"},
                        {injected, "headers"},
                        {not_a_url, "url"}};
  for (const auto& c : cases) {
    auto reply = fetch(c.request);
    ASSERT_FALSE(reply.ok()) << c.field;
    EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(reply.error().field, c.field) << reply.error().message;
  }
  EXPECT_EQ(server.request_count(), 0U);
}

TEST(HttpClientTest, ARefusedConnectionIsAnErrorNamingTheRequest) {
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/status";
  auto reply = fetch(post(url));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(reply.error().message.find("POST " + url), std::string::npos) << reply.error().message;
  EXPECT_NE(reply.error().message.find("cannot connect"), std::string::npos)
      << reply.error().message;
}

TEST(HttpClientTest, ASlowServerTimesOutTheWholeRequest) {
  FakeHttpServer server;
  server.enqueue({.status = 200, .delay = 3s});
  HttpRequest request = post(server.base_url() + "/voice");
  request.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto reply = fetch(request);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(reply.error().message.find("no complete reply within 200 ms"), std::string::npos)
      << reply.error().message;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
}

TEST(HttpClientTest, AReplyBodyUpToTheLimitIsRead) {
  FakeHttpServer server;
  server.enqueue({.status = 200, .body = std::string(kMaxReplyBodyBytes, 'x')});
  auto reply = fetch(post(server.base_url() + "/voice"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->body.size(), kMaxReplyBodyBytes);
}

TEST(HttpClientTest, ABodyOverTheLimitIsAnError) {
  FakeHttpServer server;
  server.enqueue({.status = 200, .body = std::string(kMaxReplyBodyBytes + 1, 'x')});
  auto reply = fetch(post(server.base_url() + "/voice"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().field, "reply.body");
  EXPECT_NE(reply.error().message.find("1048576-byte limit"), std::string::npos)
      << reply.error().message;
}

TEST(HttpClientTest, AnUnboundedBodyOverTheLimitIsAnErrorToo) {
  CannedReplyServer server("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" +
                           std::string(kMaxReplyBodyBytes + 10, 'y'));
  auto reply = fetch(post(server.url()));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().field, "reply.body") << reply.error().message;
}

TEST(HttpClientTest, AMalformedReplyIsAnError) {
  CannedReplyServer server("SMTP ready\r\n\r\n");
  auto reply = fetch(post(server.url()));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(reply.error().field, "reply");
  EXPECT_NE(reply.error().message.find("malformed HTTP reply"), std::string::npos)
      << reply.error().message;
}

TEST(HttpClientTest, AReplyCutShortIsAnError) {
  CannedReplyServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
  auto reply = fetch(post(server.url()));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(reply.error().message.find("in the middle of the reply"), std::string::npos)
      << reply.error().message;
}

TEST(HttpClientTest, AConnectionClosedWithoutAReplyIsAnError) {
  FakeHttpServer server;
  server.enqueue({.drop_connection = true});
  auto reply = fetch(post(server.base_url() + "/voice"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(reply.error().message.find("closed before any reply"), std::string::npos)
      << reply.error().message;
}

TEST(HttpClientTest, DoneRunsOnTheGivenExecutorAndNeverInline) {
  FakeHttpServer server;
  net::io_context io;
  auto strand = net::make_strand(io);
  int calls = 0;
  bool on_strand = true;
  // One that succeeds and one that fails at once.
  for (std::string url : {server.base_url() + "/ok", std::string("http://example.com/")}) {
    async_fetch(strand, post(url), [&](Result<HttpReply>) {
      ++calls;
      on_strand = on_strand && strand.running_in_this_thread();
    });
  }
  EXPECT_EQ(calls, 0);
  io.run();
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(on_strand);
}

TEST(HttpClientTest, ManyConcurrentRequestsEachCompleteOnce) {
  FakeHttpServer server;
  server.set_default({.status = 200, .body = "ok", .delay = 20ms});
  net::io_context io;
  constexpr int kRequests = 40;
  std::vector<int> calls(kRequests, 0);
  int ok = 0;
  for (int i = 0; i < kRequests; ++i) {
    async_fetch(io.get_executor(), post(server.base_url() + "/status?n=" + std::to_string(i)),
                [&, i](Result<HttpReply> r) {
                  ++calls[i];
                  if (r.ok() && r->body == "ok") ++ok;
                });
  }
  io.run();
  EXPECT_EQ(ok, kRequests);
  for (int c : calls) EXPECT_EQ(c, 1);
  EXPECT_EQ(server.connection_count(), static_cast<std::size_t>(kRequests));
}

TEST(HttpClientTest, StoppingTheIoContextWithARequestPendingIsSafe) {
  FakeHttpServer server;
  server.enqueue({.status = 200, .delay = 2s});
  int calls = 0;
  {
    net::io_context io;
    async_fetch(io.get_executor(), post(server.base_url() + "/slow"),
                [&](Result<HttpReply>) { ++calls; });
    io.run_for(100ms);
  }  // destroyed with the read pending
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace autovoice::sandbox
