// The sandbox carrier's REST semantics: Twilio's 2010-04-01 API as pure
// functions, with no I/O, no clock and no randomness. The network server that
// answers HTTP requests calls these and owns the state (the calls made so far,
// the SID counter, the current time).
//
//   POST /2010-04-01/Accounts/{AC}/Calls.json       validate_create_call -> call_json
//   GET  /2010-04-01/Accounts/{AC}/Calls/{CA}.json  call_json (or not_found_error)
//   GET  /2010-04-01/Accounts/{AC}/Calls.json?...   parse_call_list_query -> calls_page_json
//   POST /2010-04-01/Accounts/{AC}/Messages.json    validate_create_message -> message_json
//   any failure                                     error_json(ApiError), HTTP ApiError::http_status
//
// Error codes follow Twilio's published error catalogue
// (https://www.twilio.com/docs/errors/{code}): 20003 bad credentials (401),
// 20404 unknown resource (404), 21201 call without To, 21211 invalid To,
// 21213 call without From, 21212 invalid From, 21205 missing or invalid Url,
// 21208 invalid Timeout, 21609 invalid StatusCallback, 21604 message without
// To, 21603 message without From, 21602 message without Body, 21617 Body over
// 1600 characters. Codes for which Twilio documents nothing specific (a bad
// list filter) use 20001 "Invalid parameter" with HTTP 400.
//
// Every function is pure and safe to call concurrently from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "domain/result.h"
#include "domain/time.h"
#include "telephony/form.h"

namespace autovoice::sandbox {

using telephony::FormParams;

inline constexpr std::string_view kApiVersion = "2010-04-01";
inline constexpr std::size_t kMaxMessageBodyChars = 1600;  // Unicode code points
inline constexpr int kDefaultTimeoutSeconds = 60;
inline constexpr int kMinTimeoutSeconds = 5;    // shorter values are raised to this
inline constexpr int kMaxTimeoutSeconds = 600;  // longer values are lowered to this
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// The one account the sandbox serves.
struct Account {
  std::string sid;         // "AC" + 32 hex digits
  std::string auth_token;  // never logged
};

// A Twilio REST error: the HTTP status and the body error_json() writes.
struct ApiError {
  int http_status = 400;
  int code = 0;             // Twilio's error code, e.g. 21211
  std::string message;      // Twilio's wording; phone numbers appear as given
  std::string more_info;    // "https://www.twilio.com/docs/errors/{code}"

  // An error with more_info filled in from `code`.
  static ApiError make(int http_status, int code, std::string message);
  friend bool operator==(const ApiError&, const ApiError&) = default;
};

template <typename T>
using ApiResult = Result<T, ApiError>;
// Success (std::monostate) or an ApiError.
using ApiStatus = ApiResult<std::monostate>;

// Checks an `Authorization` header value: "Basic " (scheme case-insensitive)
// and base64 of "{account sid}:{auth token}", compared in constant time.
// On failure (missing, malformed, wrong SID or token):
// ApiError{401, 20003, "Authenticate", ".../errors/20003"}.
ApiStatus authenticate(const Account& account, std::string_view authorization);

// 404 / 20404 for a path the sandbox does not know, as Twilio words it:
// "The requested resource {path} was not found".
ApiError not_found_error(std::string_view path);

// 400 / 21211 for a To number that is well formed but not in service (an
// unassigned number), as Twilio answers a call to one: "The 'To' number
// {to} is not a valid phone number." Nothing is created.
ApiError unassigned_number_error(std::string_view to);

// A validated POST Calls.json request.
struct CallCreate {
  std::string to;    // E.164
  std::string from;  // E.164
  std::string url;   // absolute http(s) URL
  std::string method = "POST";  // "GET" or "POST" (given case-insensitively)
  std::string status_callback;  // "" = no status callbacks
  // As given (repeated StatusCallbackEvent keys and/or space-separated values),
  // lower-cased, duplicates removed, order of first appearance. Twilio's events
  // are initiated, ringing, answered and completed; other words are kept but
  // match nothing. Empty = Twilio's default: only the final status is sent.
  std::vector<std::string> status_callback_events;
  std::string status_callback_method = "POST";
  int timeout_s = kDefaultTimeoutSeconds;  // within [5, 600]
  std::string machine_detection;  // "", "Enable" or "DetectMessageEnd"

  bool machine_detection_asked() const { return !machine_detection.empty(); }
};

// Validates a POST Calls.json body. Checks, in this order (the first failure
// is returned, HTTP 400): To present (21201) and E.164 (21211); From present
// (21213) and E.164 (21212); Url present and an absolute http(s) URL with a
// host (21205); Method and StatusCallbackMethod GET or POST (20001);
// StatusCallback, when given, an absolute http(s) URL (21609);
// Timeout a whole number >= 1 (21208), then clamped to [5, 600] as Twilio
// does; MachineDetection "Enable" or "DetectMessageEnd" (20001).
ApiResult<CallCreate> validate_create_call(const FormParams& params);

// A validated POST Messages.json request.
struct MessageCreate {
  std::string to;
  std::string from;
  std::string body;
  std::string status_callback;  // "" = none
};

// Validates a POST Messages.json body: To present (21604) and E.164 (21211);
// From present (21603) and E.164 (21212); Body present and non-empty (21602),
// at most 1600 code points (21617); StatusCallback an absolute http(s) URL
// (21609). All HTTP 400.
ApiResult<MessageCreate> validate_create_message(const FormParams& params);

// A Twilio SID: `prefix` + 32 lowercase hex digits, a pure function of `seed`.
// Distinct seeds give distinct SIDs (the first 16 digits are a bijective mix of
// the seed); the caller supplies the seed (a counter, or entropy it gathered).
std::string new_sid(std::string_view prefix, uint64_t seed);

// "Tue, 31 Aug 2010 20:36:28 +0000": RFC 2822 in UTC, English names, as
// Twilio writes every date in its 2010-04-01 API.
std::string format_rfc2822(TimePoint t);

// A call as the sandbox holds it.
struct CallRecord {
  std::string sid;  // "CA..."
  CallCreate request;
  std::string status = "queued";  // queued, initiated, ringing, in-progress, completed,
                                  // busy, no-answer, failed, canceled
  TimePoint date_created{};
  TimePoint date_updated{};
  std::optional<TimePoint> start_time;  // set when dialling starts
  std::optional<TimePoint> end_time;    // set at the final status
  std::optional<int> duration_s;        // set at the final status
  std::string answered_by;              // "" = null
};

// The Call resource JSON exactly as Twilio shapes it: account_sid, annotation,
// answered_by, api_version, caller_name, date_created, date_updated,
// direction ("outbound-api"), duration (string or null), end_time,
// forwarded_from, from, from_formatted, group_sid, parent_call_sid,
// phone_number_sid, price (null), price_unit ("USD"), queue_time, sid,
// start_time, status, subresource_uris, to, to_formatted, trunk_sid, uri
// ("/2010-04-01/Accounts/{AC}/Calls/{CA}.json"). Unset values are null.
boost::json::object call_json(const CallRecord& call, const Account& account);

// A message as the sandbox holds it.
struct MessageRecord {
  std::string sid;  // "SM..."
  MessageCreate request;
  std::string status = "queued";
  TimePoint date_created{};
  TimePoint date_updated{};
  std::optional<TimePoint> date_sent;
};

// The Message resource JSON as Twilio shapes it (account_sid, api_version,
// body, date_created, date_sent, date_updated, direction "outbound-api",
// error_code, error_message, from, messaging_service_sid, num_media,
// num_segments, price, price_unit, sid, status, subresource_uris, to, uri).
boost::json::object message_json(const MessageRecord& message, const Account& account);

// {"code": 21211, "message": "...", "more_info": "...", "status": 400}
boost::json::object error_json(const ApiError& error);

// The query of GET Calls.json: To, StartTime> (on or after; "YYYY-MM-DD" is
// that day's 00:00 UTC, or an ISO 8601 date-time with Z or an offset, as
// autovoice's client sends), PageSize (1-1000, default 50) and Page (>= 0).
struct CallListQuery {
  std::string to;                          // "" = any
  std::optional<TimePoint> started_after;  // inclusive
  int page_size = kDefaultPageSize;
  int page = 0;
};

// Parses the list query; a malformed StartTime>, PageSize or Page is a 400 /
// 20001 naming the parameter. Unknown parameters are ignored.
ApiResult<CallListQuery> parse_call_list_query(const FormParams& query);

// True when `call` matches the filter. A call that has not started yet is
// compared by its date_created, so a just-created call is found by the
// duplicate check of Carrier::list_calls.
bool call_matches(const CallRecord& call, const CallListQuery& query);

// One page of GET Calls.json: the matching calls newest first (by
// date_created; among equal times, later in `calls` first), and the paging
// fields Twilio returns: calls, end, first_page_uri, next_page_uri (null on
// the last page, else the path of the next page), page, page_size,
// previous_page_uri, start, uri. `calls` is in creation order.
boost::json::object calls_page_json(const std::vector<CallRecord>& calls,
                                    const CallListQuery& query, const Account& account);

}  // namespace autovoice::sandbox
