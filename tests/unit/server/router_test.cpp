#include "server/router.h"

#include <gtest/gtest.h>

namespace autovoice::server {
namespace {

namespace http = boost::beast::http;
using Kind = Router::Match::Kind;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    list_ = router_.add(http::verb::get, "/api/v1/customers");
    create_ = router_.add(http::verb::post, "/api/v1/customers");
    one_ = router_.add(http::verb::get, "/api/v1/customers/{id}");
    patch_ = router_.add(http::verb::patch, "/api/v1/customers/{id}");
    health_ = router_.add(http::verb::get, "/healthz");
  }
  Router router_;
  std::size_t list_ = 0, create_ = 0, one_ = 0, patch_ = 0, health_ = 0;
};

TEST_F(RouterTest, MatchesLiteralRoutesByMethod) {
  auto get = router_.match(http::verb::get, "/api/v1/customers");
  ASSERT_EQ(get.kind, Kind::kFound);
  EXPECT_EQ(get.route, list_);
  auto post = router_.match(http::verb::post, "/api/v1/customers");
  ASSERT_EQ(post.kind, Kind::kFound);
  EXPECT_EQ(post.route, create_);
}

TEST_F(RouterTest, PlaceholdersCaptureDecodedSegments) {
  auto m = router_.match(http::verb::patch, "/api/v1/customers/4%32");
  ASSERT_EQ(m.kind, Kind::kFound);
  EXPECT_EQ(m.route, patch_);
  EXPECT_EQ(m.params, std::vector<std::string>{"42"});
}

TEST_F(RouterTest, UnknownPathsAreNoRoute) {
  const char* cases[] = {"/", "", "/api/v1", "/api/v1/customers/1/extra", "/api/v1/customers/",
                         "/api/v1//customers", "/healthz/", "/HEALTHZ", "relative"};
  for (const char* path : cases) {
    EXPECT_EQ(router_.match(http::verb::get, path).kind, Kind::kNoRoute) << path;
  }
}

TEST_F(RouterTest, KnownPathWithOtherMethodListsTheAllowedOnes) {
  auto m = router_.match(http::verb::delete_, "/api/v1/customers/7");
  ASSERT_EQ(m.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, PATCH");
  auto h = router_.match(http::verb::post, "/healthz");
  ASSERT_EQ(h.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(h.allow, "GET");
}

TEST_F(RouterTest, KeepsPatternsForLabels) {
  EXPECT_EQ(router_.size(), 5u);
  EXPECT_EQ(router_.pattern(one_), "/api/v1/customers/{id}");
  EXPECT_EQ(router_.method(health_), http::verb::get);
}

}  // namespace
}  // namespace autovoice::server
