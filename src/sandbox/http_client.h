// The sandbox carrier's HTTP/1.1 client: how it calls autovoice's webhooks
// (voice URLs, status callbacks) as Twilio would.
//
// Each request opens a new TCP connection and closes it after the reply, as
// Twilio's webhook requests do; it carries "Connection: close" and
// "User-Agent: TwilioProxy/1.1". Only loopback URLs are fetched (see
// loopback.h): anything else fails at once, without a connection, with an
// error saying the sandbox never leaves loopback. https:// to a loopback host
// is spoken as plain http to the same host and port: there is no TLS
// terminator on loopback.
//
// async_fetch is safe to call from any thread; the request runs on `ex`.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "domain/result.h"

namespace autovoice::sandbox {

inline constexpr std::string_view kWebhookUserAgent = "TwilioProxy/1.1";
// A reply body larger than this fails the request.
inline constexpr std::size_t kMaxReplyBodyBytes = std::size_t{1024} * 1024;
// Twilio waits 15 s for a webhook's reply.
inline constexpr std::chrono::milliseconds kDefaultFetchTimeout{15000};

struct HttpRequest {
  std::string method = "POST";  // "GET" or "POST"
  std::string url;              // http:// or https:// on loopback
  // Extra header lines (X-Twilio-Signature, I-Twilio-Idempotency-Token...),
  // sent in this order. Host, User-Agent, Connection, Content-Type and
  // Content-Length are the client's own and replace same-named entries.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;          // a POST's body; a GET has none
  std::string content_type;  // "" = no Content-Type header
                             // (for forms: application/x-www-form-urlencoded)
  // The whole request: connecting, sending and reading the reply.
  std::chrono::milliseconds timeout = kDefaultFetchTimeout;
};

struct HttpReply {
  int status = 0;  // any status, 4xx and 5xx included, is a reply
  std::string body;
  std::string content_type;              // the reply's Content-Type, "" when absent
  std::chrono::microseconds elapsed{0};  // from the call to the complete reply
};

// Sends `request` and calls `done` exactly once, on `ex` (never inline), with
// the reply or an error:
//   kInvalidArgument, field "url"     the URL is malformed or off loopback
//   kInvalidArgument, field "method"  not GET or POST
//   kInvalidArgument, field "body"    a GET with a body
//   kInvalidArgument, field "timeout" a timeout that is not positive
//   kUnavailable                      connection refused or lost, or no
//                                     complete reply within the timeout
//   kInvalidArgument, field "reply"   the reply is not valid HTTP/1.1
//   kInvalidArgument, field "reply.body"  its body exceeds kMaxReplyBodyBytes
// Every message names the method and the URL. `done` may be called from the
// io_context's thread after the caller's state is gone: capture accordingly.
void async_fetch(boost::asio::any_io_executor ex, HttpRequest request,
                 std::function<void(Result<HttpReply>)> done);

}  // namespace autovoice::sandbox
