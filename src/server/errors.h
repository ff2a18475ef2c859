// How every failure becomes an HTTP answer: one table, here. Handlers return
// an ApiError (or a domain Error, turned into one by api_error) and never
// build a 4xx/5xx response themselves.
//
// Every error answer is JSON:
//   {"error": {"code": "validation_failed", "message": "...", "request_id": "...",
//              "fields": [{"field": "phone", "message": "..."}]}}
// ("fields" only for validation errors.)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/status.hpp>

#include "domain/result.h"

namespace autovoice::server {

// One bad input field and what is wrong with it (the message names the value
// and what is expected).
struct FieldError {
  std::string field;
  std::string message;
  friend bool operator==(const FieldError&, const FieldError&) = default;
};
using FieldErrors = std::vector<FieldError>;

enum class Problem {
  kBadRequest,        // 400 malformed request line, headers, body or query
  kUnauthorized,      // 401 missing or wrong API key
  kForbidden,         // 403 missing or wrong X-Twilio-Signature
  kNoRoute,           // 404 no such path
  kMethodNotAllowed,  // 405 the path exists, the method does not
  kTimeout,           // 408 the client was too slow to send its request
  kConflict,          // 409 a uniqueness or state rule forbids the change
  kBodyTooLarge,      // 413 over HTTP_BODY_LIMIT
  kValidation,        // 422 well-formed, but fields are invalid
  kNotFound,          // 404 the record does not exist
  kUnavailable,       // 503 the database cannot be reached
  kInternal,          // 500 a bug; details go to the log only
};

struct ApiError {
  Problem problem = Problem::kInternal;
  std::string message;
  FieldErrors fields;  // kValidation
};

boost::beast::http::status http_status(Problem p);
std::string_view problem_code(Problem p);  // "validation_failed", ...

// A domain error as the API reports it: kInvalidArgument becomes a 422 naming
// error.field, kNotFound 404, kConflict 409, kUnavailable 503,
// kFailedPrecondition 503 (the database is not ready), kInternal 500.
ApiError api_error(const Error& error);
// A 422 naming each field. Its message is the one error's message, or counts
// and names the fields ("3 fields are invalid: phone, email, time_zone").
ApiError validation_error(FieldErrors fields);

// The JSON body of an error answer. Internal errors say only "internal error"
// plus the request id (the real message is logged, not sent).
std::string error_body(const ApiError& error, std::string_view request_id);

}  // namespace autovoice::server
