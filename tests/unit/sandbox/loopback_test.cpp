#include "sandbox/loopback.h"

#include <gtest/gtest.h>

namespace autovoice::sandbox {
namespace {

namespace ip = boost::asio::ip;

TEST(LoopbackTest, RecognisesLoopbackHostsAsUrlsWriteThem) {
  struct Case {
    std::string_view host;
    bool loopback;
  };
  const Case cases[] = {
      {"127.0.0.1", true},
      {"127.255.255.254", true},
      {"127.1.2.3", true},
      {"localhost", true},
      {"LocalHost", true},
      {"[::1]", true},
      {"[0:0:0:0:0:0:0:1]", true},
      {"[::ffff:127.0.0.1]", true},
      {"128.0.0.1", false},
      {"126.255.255.255", false},
      {"10.0.0.1", false},
      {"0.0.0.0", false},
      {"[::]", false},
      {"[::2]", false},
      {"[::ffff:10.0.0.1]", false},
      {"localhost.", false},
      {"localhost.example.com", false},
      {"example.com", false},
      {"127.1", false},
      {"", false},
      {"127.0.0.1:80", false},
      {"::1", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_loopback_host(c.host), c.loopback) << c.host;
  }
}

TEST(LoopbackTest, ParsesAnHttpUrlIntoWhereToConnect) {
  auto t =
      parse_loopback_url("http://127.0.0.1:8080/api/v1/voice/incoming?x=1&y=%20", UrlKind::kHttp);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_FALSE(t->secure_scheme);
  EXPECT_EQ(t->port, 8080);
  EXPECT_EQ(t->host_header, "127.0.0.1:8080");
  EXPECT_EQ(t->target, "/api/v1/voice/incoming?x=1&y=%20");
  ASSERT_EQ(t->endpoints.size(), 1U);
  EXPECT_EQ(t->endpoints[0], ip::tcp::endpoint(ip::make_address("127.0.0.1"), 8080));
}

TEST(LoopbackTest, SecureSchemesKeepTheirDefaultPortAndAreMarked) {
  auto https = parse_loopback_url("https://127.0.0.2/status", UrlKind::kHttp);
  ASSERT_TRUE(https.ok()) << https.error().message;
  EXPECT_TRUE(https->secure_scheme);
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->host_header, "127.0.0.2");

  auto wss = parse_loopback_url("wss://[::1]:9443/media-stream", UrlKind::kWebSocket);
  ASSERT_TRUE(wss.ok()) << wss.error().message;
  EXPECT_TRUE(wss->secure_scheme);
  EXPECT_EQ(wss->port, 9443);
  EXPECT_EQ(wss->host_header, "[::1]:9443");
  ASSERT_EQ(wss->endpoints.size(), 1U);
  EXPECT_EQ(wss->endpoints[0], ip::tcp::endpoint(ip::make_address("::1"), 9443));

  auto ws = parse_loopback_url("ws://localhost/s", UrlKind::kWebSocket);
  ASSERT_TRUE(ws.ok()) << ws.error().message;
  EXPECT_FALSE(ws->secure_scheme);
  EXPECT_EQ(ws->port, 80);
}

TEST(LoopbackTest, LocalhostMeansIpv4ThenIpv6WithoutALookup) {
  auto t = parse_loopback_url("http://localhost:5000", UrlKind::kHttp);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->target, "/");
  EXPECT_EQ(t->host_header, "localhost:5000");
  ASSERT_EQ(t->endpoints.size(), 2U);
  EXPECT_EQ(t->endpoints[0], ip::tcp::endpoint(ip::make_address("127.0.0.1"), 5000));
  EXPECT_EQ(t->endpoints[1], ip::tcp::endpoint(ip::make_address("::1"), 5000));
}

TEST(LoopbackTest, DropsTheFragmentAndDefaultsAnEmptyPath) {
  auto t = parse_loopback_url("http://127.0.0.1:1?q=2#frag", UrlKind::kHttp);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->target, "/?q=2");
}

TEST(LoopbackTest, RefusesEverythingOffLoopback) {
  for (std::string_view url :
       {"http://example.com/x", "https://93.184.216.34/", "http://[2001:db8::1]:80/",
        "http://10.0.0.1:8080/", "http://0.0.0.0:8080/", "http://localhost.evil.com/"}) {
    auto t = parse_loopback_url(url, UrlKind::kHttp);
    ASSERT_FALSE(t.ok()) << url;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(t.error().field, "url");
    EXPECT_NE(t.error().message.find("never leaves loopback"), std::string::npos)
        << t.error().message;
  }
}

TEST(LoopbackTest, RefusesMalformedUrlsAndWrongSchemes) {
  struct Case {
    std::string_view url;
    UrlKind kind;
    std::string_view says;
  };
  const Case cases[] = {
      {"", UrlKind::kHttp, "not an absolute URL"},
      {"/relative/path", UrlKind::kHttp, "not an absolute URL"},
      {"http://127.0.0.1:99999/", UrlKind::kHttp, "port"},
      {"http://127.0.0.1:0/", UrlKind::kHttp, "port"},
      {"ws://127.0.0.1/", UrlKind::kHttp, "http://"},
      {"ftp://127.0.0.1/", UrlKind::kHttp, "http://"},
      {"http://127.0.0.1/", UrlKind::kWebSocket, "ws://"},
      {"http:///path", UrlKind::kHttp, "no host"},
      {"mailto:someone@127.0.0.1", UrlKind::kHttp, "http://"},
      {"http://user:pw@127.0.0.1/", UrlKind::kHttp, "user information"},
  };
  for (const auto& c : cases) {
    auto t = parse_loopback_url(c.url, c.kind);
    ASSERT_FALSE(t.ok()) << c.url;
    EXPECT_EQ(t.error().field, "url");
    EXPECT_NE(t.error().message.find(std::string(c.says)), std::string::npos)
        << c.url << ": " << t.error().message;
  }
}

}  // namespace
}  // namespace autovoice::sandbox
