#include "server/errors.h"

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace autovoice::server {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

struct Row {
  Problem problem;
  http::status status;
  std::string_view code;
};

constexpr Row kTable[] = {
    {Problem::kBadRequest, http::status::bad_request, "bad_request"},
    {Problem::kUnauthorized, http::status::unauthorized, "unauthorized"},
    {Problem::kForbidden, http::status::forbidden, "invalid_signature"},
    {Problem::kNoRoute, http::status::not_found, "no_route"},
    {Problem::kMethodNotAllowed, http::status::method_not_allowed, "method_not_allowed"},
    {Problem::kTimeout, http::status::request_timeout, "timeout"},
    {Problem::kConflict, http::status::conflict, "conflict"},
    {Problem::kBodyTooLarge, http::status::payload_too_large, "body_too_large"},
    {Problem::kValidation, http::status::unprocessable_entity, "validation_failed"},
    {Problem::kNotFound, http::status::not_found, "not_found"},
    {Problem::kUnavailable, http::status::service_unavailable, "unavailable"},
    {Problem::kInternal, http::status::internal_server_error, "internal"},
};

const Row& row(Problem p) {
  for (const Row& r : kTable) {
    if (r.problem == p) return r;
  }
  return kTable[std::size(kTable) - 1];
}

}  // namespace

ApiError validation_error(FieldErrors fields) {
  std::vector<std::string_view> names;
  for (const FieldError& f : fields) {
    if (std::find(names.begin(), names.end(), f.field) == names.end()) names.push_back(f.field);
  }
  std::string message;
  if (fields.empty()) {
    message = "the request is invalid";
  } else if (fields.size() == 1) {
    message = fields.front().message;
  } else {
    message = std::to_string(names.size()) + (names.size() == 1 ? " field is" : " fields are") + " invalid: ";
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) message += ", ";
      message += names[i];
    }
  }
  return ApiError{Problem::kValidation, std::move(message), std::move(fields)};
}

http::status http_status(Problem p) { return row(p).status; }
std::string_view problem_code(Problem p) { return row(p).code; }

ApiError api_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return validation_error({FieldError{error.field, error.message}});
    case ErrorCode::kNotFound:
      return ApiError{Problem::kNotFound, error.message, {}};
    case ErrorCode::kConflict:
      return ApiError{Problem::kConflict, error.message, {}};
    case ErrorCode::kUnavailable:
    case ErrorCode::kFailedPrecondition:
      return ApiError{Problem::kUnavailable, error.message, {}};
    case ErrorCode::kInternal:
      break;
  }
  return ApiError{Problem::kInternal, error.message, {}};
}

std::string error_body(const ApiError& error, std::string_view request_id) {
  json::object inner;
  inner["code"] = problem_code(error.problem);
  inner["message"] = error.problem == Problem::kInternal
                         ? std::string("internal error; the server log has the details under this request id")
                         : error.message;
  inner["request_id"] = request_id;
  if (error.problem == Problem::kValidation) {
    json::array fields;
    for (const FieldError& f : error.fields) {
      fields.push_back(json::object{{"field", f.field}, {"message", f.message}});
    }
    inner["fields"] = std::move(fields);
  }
  return json::serialize(json::object{{"error", std::move(inner)}});
}

}  // namespace autovoice::server
