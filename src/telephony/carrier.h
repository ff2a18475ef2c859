// Carrier: the phone company as autovoice sees it — place an outbound call,
// send an SMS, look calls up. The real implementation is TwilioClient
// (twilio_client.h); the sandbox carrier's client side and test fakes implement
// the same interface, so the reminder worker never knows which one it talks to.
//
// Thread safety: a Carrier is safe for concurrent use from multiple threads
// without external synchronization; several requests may be in flight at once.
// Every method blocks the calling thread until the carrier answers, the request
// times out, or the connection fails — never call it on an event-loop thread.
//
// Failures are values (CarrierResult<T> holding a CarrierError), never
// exceptions. What a failure means for the caller:
//   retryable()      the carrier did not act on the request, or may act if asked
//                    again later: HTTP 429 (20429), any 5xx, a timeout, a refused
//                    or dropped connection. Back off and retry.
//   !retryable()     retrying the same request will fail the same way: a number
//                    the carrier rejects (21211 To, 21212 From, 21217), a bad
//                    callback URL (21205), bad credentials (20003), an unknown
//                    call SID (404), or a malformed answer from the carrier.
//   outcome_unknown  the request may have reached the carrier before the failure
//                    (a timeout or a connection dropped after sending). A retried
//                    create_call could then ring the customer twice: first ask
//                    list_calls({to, started_after}) whether the call exists.
// Error messages never contain the auth token; phone numbers in them are masked.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "domain/result.h"
#include "domain/time.h"

namespace autovoice::telephony {

// Why a carrier request failed, with what the carrier said about it.
struct CarrierError {
  // kUnavailable: retry may help (429, 5xx, timeout, connection failure).
  // kInvalidArgument: the request was rejected (a 4xx naming a parameter).
  // kFailedPrecondition: our account or credentials are wrong (401, 403).
  // kNotFound: the resource does not exist (404).
  // kInternal: the carrier's answer could not be understood.
  ErrorCode code = ErrorCode::kInternal;
  std::string message;    // human-readable; names the operation and what went wrong
  std::string field;      // the request parameter at fault ("To", "From", "Url"), if known
  int http_status = 0;    // 0 when no HTTP answer was received
  int twilio_code = 0;    // Twilio's error code (e.g. 21211), 0 when none was given
  std::string more_info;  // Twilio's documentation link for twilio_code, if given
  bool outcome_unknown = false;  // the carrier may have acted on the request anyway

  bool retryable() const { return code == ErrorCode::kUnavailable; }

  // The plain domain Error (code, message, field), for callers returning Result<T>.
  Error to_error() const { return Error{code, message, field}; }
  operator Error() const { return to_error(); }  // NOLINT(google-explicit-constructor)
};

// The value of a carrier request: a T or a CarrierError.
template <typename T>
using CarrierResult = Result<T, CarrierError>;

// Parameters of an outbound call (Twilio: POST Calls.json). Phone numbers are E.164.
struct CallRequest {
  std::string to;
  std::string from;
  std::string url;                 // where the carrier fetches TwiML when answered
  std::string method = "POST";     // HTTP method for `url`
  std::string status_callback;     // empty = no status callbacks
  std::vector<std::string> status_callback_events = {"initiated", "ringing", "answered",
                                                     "completed"};
  std::string status_callback_method = "POST";
  std::optional<int> timeout_seconds;  // ring time before giving up (Twilio: 5-600)
  std::string machine_detection;       // "", "Enable" or "DetectMessageEnd"
};

// Parameters of an outbound SMS (Twilio: POST Messages.json).
struct SmsRequest {
  std::string to;
  std::string from;
  std::string body;
  std::string status_callback;  // empty = none
};

// A call as the carrier reports it.
struct CallInfo {
  std::string sid;        // "CA" + 32 hex digits
  std::string status;     // as the carrier says: queued, ringing, in-progress, completed,
                          // busy, failed, no-answer, canceled
  std::string to;
  std::string from;
  std::string direction;  // "outbound-api", "inbound", ...
  std::optional<TimePoint> start_time;  // unset until the call starts
  std::optional<TimePoint> end_time;    // unset until the call ends
  std::optional<int> duration_seconds;  // unset until the call ends
  std::string answered_by;  // "human", "machine_start", ... ; empty without detection
  std::optional<int> error_code;  // the carrier's error code for a failed call
  std::string error_message;
};

// An SMS as the carrier reports it.
struct MessageInfo {
  std::string sid;     // "SM" or "MM" + 32 hex digits
  std::string status;  // queued, sending, sent, delivered, failed, ...
  std::string to;
  std::string from;
  std::optional<int> error_code;
  std::string error_message;
};

// Which calls list_calls returns: all conditions that are set must hold.
struct CallFilter {
  std::string to;                         // empty = any number
  std::optional<TimePoint> started_after;  // Twilio's StartTime> (inclusive)
};

class Carrier {
 public:
  virtual ~Carrier() = default;

  // Places an outbound call. On success the carrier has accepted the call
  // (typically status "queued") and the result carries its SID; the call's
  // progress arrives later on status_callback. On failure see the file comment.
  virtual CarrierResult<CallInfo> create_call(const CallRequest& request) = 0;

  // Sends an SMS. On success the carrier has queued it and returns its SID.
  virtual CarrierResult<MessageInfo> send_sms(const SmsRequest& request) = 0;

  // The current state of one call. kNotFound when the carrier has no such call;
  // kInvalidArgument when `sid` is not a call SID (nothing is sent then).
  virtual CarrierResult<CallInfo> fetch_call(const std::string& sid) = 0;

  // Calls matching `filter`, newest first as the carrier orders them, across all
  // result pages. Calls not yet started may be included by the carrier.
  virtual CarrierResult<std::vector<CallInfo>> list_calls(const CallFilter& filter) = 0;
};

}  // namespace autovoice::telephony
