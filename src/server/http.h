// What the server's parts share: the request and response types, the request
// in flight (Exchange) as a handler sees it, the route table's entries and
// the services handlers use.
//
// A handler is a coroutine returning a Reply: a Response, or an ApiError that
// the server turns into the error answer (errors.h). The server sets the
// version, keep-alive, Content-Length and X-Request-Id; handlers set the status,
// Content-Type and body only.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/value.hpp>

#include "domain/clock.h"
#include "domain/result.h"
#include "domain/time.h"
#include "server/errors.h"
#include "telephony/form.h"

namespace autovoice {
class Store;
}

namespace autovoice::server {

class DbPool;
class Metrics;
class MediaStreams;

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Reply = Result<Response, ApiError>;
using WebSocket = boost::beast::websocket::stream<boost::beast::tcp_stream>;

// The server's configuration, from Settings plus the command line.
struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;               // 0 = any free port (Server::port() tells which)
  int threads = 0;                    // event-loop threads; 0 = one per core
  int db_threads = 4;
  std::size_t body_limit = 1024 * 1024;
  std::chrono::seconds timeout{10};   // reading a request, writing an answer, an idle keep-alive
  std::chrono::seconds shutdown_grace{30};
  std::string base_url;               // BASE_URL, no trailing '/': what the carrier signs
  std::string auth_token;             // TWILIO_AUTH_TOKEN: the signing key
  bool check_signatures = true;       // false only with the development flag
  std::string api_key;                // API_KEY; empty = the CRM API answers 401 to everyone
  std::string shop_timezone = "America/New_York";
};

// What handlers use. All members outlive the server.
struct Services {
  const ServerConfig& config;
  Store& store;
  DbPool& db;
  Metrics* metrics;  // set once the route table (which labels the metrics) is built
  Clock& clock;
  const TimeZone* shop_zone;
  MediaStreams& streams;
  std::chrono::system_clock::time_point process_start;
};

// One request as its handler sees it.
struct Exchange {
  const Request& request;
  std::string_view path;             // percent-encoded, no query
  std::string_view query;            // percent-encoded, without '?'
  std::vector<std::string> params;   // the route's {placeholders}, decoded, in order
  telephony::FormParams form;        // carrier webhooks: the form body, decoded
  std::string request_id;
};

// Who may call a route.
enum class Guard {
  kPublic,            // health, readiness, metrics (the server listens where the operator says)
  kApiKey,            // Authorization: Bearer <API_KEY>
  kCarrierSignature,  // X-Twilio-Signature over BASE_URL + path + query (+ form body)
};

using Handler = std::function<boost::asio::awaitable<Reply>(Exchange&)>;
// Takes over an upgraded connection (after its signature was checked).
using UpgradeHandler =
    std::function<boost::asio::awaitable<void>(WebSocket&, const Request&, std::string request_id)>;

struct RouteSpec {
  boost::beast::http::verb method;
  std::string pattern;
  Guard guard = Guard::kPublic;
  Handler handler;           // ordinary requests
  UpgradeHandler upgrade;    // WebSocket routes (method GET); handler unused
};

// Answers handlers build.
Response json_reply(boost::beast::http::status status, const boost::json::value& body);
Response twiml_reply(std::string xml);
Response empty_reply(boost::beast::http::status status);

}  // namespace autovoice::server
