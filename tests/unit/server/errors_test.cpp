#include "server/errors.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace autovoice::server {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

TEST(ErrorsTest, EveryDomainErrorHasOneHttpStatus) {
  struct Case {
    Error error;
    http::status status;
    std::string_view code;
  } cases[] = {
      {Error::invalid("phone", "bad"), http::status::unprocessable_entity, "validation_failed"},
      {Error::not_found("no customer 7"), http::status::not_found, "not_found"},
      {Error::conflict("taken"), http::status::conflict, "conflict"},
      {Error::unavailable("db down"), http::status::service_unavailable, "unavailable"},
      {Error::precondition("schema"), http::status::service_unavailable, "unavailable"},
      {Error::internal("bug"), http::status::internal_server_error, "internal"},
  };
  for (const Case& c : cases) {
    const ApiError e = api_error(c.error);
    EXPECT_EQ(http_status(e.problem), c.status) << c.error.message;
    EXPECT_EQ(problem_code(e.problem), c.code) << c.error.message;
  }
}

TEST(ErrorsTest, ProtocolProblemsMapToTheirStatuses) {
  EXPECT_EQ(http_status(Problem::kBadRequest), http::status::bad_request);
  EXPECT_EQ(http_status(Problem::kUnauthorized), http::status::unauthorized);
  EXPECT_EQ(http_status(Problem::kForbidden), http::status::forbidden);
  EXPECT_EQ(http_status(Problem::kNoRoute), http::status::not_found);
  EXPECT_EQ(http_status(Problem::kMethodNotAllowed), http::status::method_not_allowed);
  EXPECT_EQ(http_status(Problem::kBodyTooLarge), http::status::payload_too_large);
  EXPECT_EQ(http_status(Problem::kTimeout), http::status::request_timeout);
}

TEST(ErrorsTest, ValidationBodyNamesEveryField) {
  const auto body = json::parse(error_body(
      validation_error({{"phone", "phone is not E.164"}, {"start", "start is missing"}}), "req-1"));
  const auto& err = body.at("error");
  EXPECT_EQ(err.at("code"), "validation_failed");
  EXPECT_EQ(err.at("request_id"), "req-1");
  EXPECT_EQ(err.at("message"), "2 fields are invalid: phone, start");
  ASSERT_EQ(err.at("fields").as_array().size(), 2u);
  EXPECT_EQ(err.at("fields").at(0).at("field"), "phone");
  EXPECT_EQ(err.at("fields").at(1).at("message"), "start is missing");
}

TEST(ErrorsTest, InternalErrorsDoNotLeakTheirMessage) {
  const std::string body = error_body(api_error(Error::internal("password=hunter2 in a stack")), "r");
  EXPECT_EQ(body.find("hunter2"), std::string::npos);
  EXPECT_NE(body.find("request id"), std::string::npos);
}

TEST(ErrorsTest, OtherErrorsHaveNoFieldsMember) {
  const auto body = json::parse(error_body(ApiError{Problem::kNotFound, "no customer 7", {}}, "r"));
  EXPECT_FALSE(body.at("error").as_object().contains("fields"));
  EXPECT_EQ(body.at("error").at("message"), "no customer 7");
}

}  // namespace
}  // namespace autovoice::server
