#include "server/server.h"

#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "config/logging.h"
#include "server/db_pool.h"
#include "server/handlers/handlers.h"
#include "server/media_stream_session.h"
#include "server/metrics.h"
#include "server/request_auth.h"
#include "server/router.h"

namespace autovoice::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kRequestIdMaxLength = 64;
constexpr std::string_view kServerName = "autovoice";
constexpr std::chrono::milliseconds kAcceptPause{50};

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// A request id: the caller's X-Request-Id when it is short and plain, else
// a process-unique one ("3f9c2a1b-00000017").
class RequestIds {
 public:
  RequestIds() {
    std::random_device random;
    prefix_ = random();
  }
  std::string next(std::string_view given) {
    if (!given.empty() && given.size() <= kRequestIdMaxLength && plain(given)) return std::string(given);
    const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
    char text[32];
    const int len = std::snprintf(text, sizeof text, "%08x-%08llx", prefix_,
                                  static_cast<unsigned long long>(n));
    return std::string(text, static_cast<std::size_t>(len));
  }

 private:
  static bool plain(std::string_view s) {
    for (char c : s) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.') return false;
    }
    return true;
  }
  unsigned prefix_ = 0;
  std::atomic<std::uint64_t> counter_{0};
};

Response error_response(const ApiError& error, std::string_view request_id) {
  Response res{http_status(error.problem), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = error_body(error, request_id);
  return res;
}

// One accepted connection. Touched only on its strand.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool idle = true;       // waiting for a request (shutdown may cut it)
  bool upgraded = false;  // handed to a WebSocket session (MediaStreams closes it)
};

}  // namespace

struct Server::Impl {
  Impl(ServerConfig c, Store& s, Clock& cl, const TimeZone* zone, int thread_count)
      : config(std::move(c)),
        store(s),
        clock(cl),
        ioc(thread_count),
        db(config.db_threads),
        services{config, store, db, nullptr, clock, zone, streams, cl.now()},
        control(asio::make_strand(ioc)),
        acceptor(control),
        grace_timer(control),
        accept_pause(control),
        threads_wanted(thread_count) {}

  ServerConfig config;
  Store& store;
  Clock& clock;
  asio::io_context ioc;
  DbPool db;
  MediaStreams streams;
  std::unique_ptr<Metrics> metrics;
  Services services;
  Router router;
  std::vector<RouteSpec> routes;
  // The acceptor and the shutdown timers are touched on this strand only.
  asio::strand<asio::io_context::executor_type> control;
  tcp::acceptor acceptor;
  asio::steady_timer grace_timer;
  asio::steady_timer accept_pause;
  int threads_wanted;
  std::vector<std::thread> threads;
  RequestIds request_ids;
  std::atomic<bool> stopping{false};
  std::once_flag shutdown_once;

  std::mutex connections_mutex;
  std::unordered_set<std::shared_ptr<Connection>> connections;  // GUARDED_BY(connections_mutex)

  void accept_loop() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (stopping.load() || !acceptor.is_open()) return;
      if (!ec) {
        auto conn = std::make_shared<Connection>(std::move(socket));
        {
          std::lock_guard lock(connections_mutex);
          connections.insert(conn);
        }
        asio::co_spawn(conn->stream.get_executor(), session(conn), asio::detached);
        accept_loop();
        return;
      }
      // Out of descriptors or memory: pause rather than spin on the error.
      spdlog::warn("accept failed: {}; pausing {} ms", ec.message(), kAcceptPause.count());
      accept_pause.expires_after(kAcceptPause);
      accept_pause.async_wait([this](beast::error_code wait_error) {
        if (!wait_error) accept_loop();
      });
    });
  }

  void forget(const std::shared_ptr<Connection>& conn) {
    std::lock_guard lock(connections_mutex);
    connections.erase(conn);
    if (stopping.load() && connections.empty()) {
      asio::post(control, [this] { grace_timer.cancel(); });
    }
  }

  asio::awaitable<void> session(std::shared_ptr<Connection> conn) {
    try {
      co_await serve(*conn);
    } catch (const std::exception& e) {
      spdlog::error("connection ended by an unexpected error: {}", e.what());
    }
    if (!conn->upgraded) {
      beast::error_code ignored;
      conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      conn->stream.socket().close(ignored);
    }
    forget(conn);
  }

  asio::awaitable<void> serve(Connection& conn) {
    beast::flat_buffer buffer;
    for (;;) {
      if (stopping.load()) co_return;
      http::request_parser<http::string_body> parser;
      parser.body_limit(config.body_limit);
      parser.header_limit(kHeaderLimit);
      conn.stream.expires_after(config.timeout);
      conn.idle = true;
      auto [ec, bytes] = co_await http::async_read(conn.stream, buffer, parser, kAsTuple);
      conn.idle = false;
      const auto started = std::chrono::steady_clock::now();
      if (ec) {
        std::optional<ApiError> error = read_error(ec, parser.got_some());
        if (!error) co_return;
        const std::string id = request_ids.next({});
        Response res = error_response(*error, id);
        co_await send(conn, res, id, false, metrics->unmatched_route(), "", started);
        co_return;
      }
      Request& req = parser.get();
      const std::string id = request_ids.next(req["X-Request-Id"]);
      Routed routed = route_request(req, id);
      const bool websocket_route = routed.route < routes.size() && routes[routed.route].upgrade;
      if (routed.exchange && websocket_route) {
        co_await upgrade(conn, req, routed.route, id, started);
        co_return;
      }
      Response res;
      if (routed.refusal) {
        res = std::move(*routed.refusal);
      } else {
        res = co_await run_handler(routes[routed.route], *routed.exchange);
      }
      // A refused upgrade closes the connection; other answers keep it when the client asked.
      const bool keep_alive =
          req.keep_alive() && !stopping.load() && !(websocket_route && websocket::is_upgrade(req));
      res.version(req.version());
      if (!co_await send(conn, res, id, keep_alive, routed.route, req.method_string(), started)) co_return;
      if (!keep_alive) co_return;
    }
  }

  // nullopt: close quietly (the peer left, or was idle too long before saying anything).
  std::optional<ApiError> read_error(beast::error_code ec, bool got_some) const {
    if (ec == http::error::body_limit) {
      return ApiError{Problem::kBodyTooLarge,
                      "the request body is over the limit of " + std::to_string(config.body_limit) +
                          " bytes (HTTP_BODY_LIMIT)",
                      {}};
    }
    if (ec == http::error::header_limit) {
      return ApiError{Problem::kBadRequest, "the request headers are over 16 KiB", {}};
    }
    if (ec == beast::error::timeout) {
      if (got_some) spdlog::info("a client was too slow to send its request; disconnected");
      return std::nullopt;  // tcp_stream has closed the socket: nothing can be sent
    }
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof || ec == http::error::partial_message) {
      return std::nullopt;
    }
    return ApiError{Problem::kBadRequest, "malformed HTTP request: " + ec.message(), {}};
  }

  // Writes the answer, records it; false when the connection is gone.
  asio::awaitable<bool> send(Connection& conn, Response& res, const std::string& id, bool keep_alive,
                             std::size_t route, std::string_view method,
                             std::chrono::steady_clock::time_point started) {
    res.keep_alive(keep_alive);
    res.set(http::field::server, kServerName);
    res.set("X-Request-Id", id);
    res.prepare_payload();
    // Counted before the write, so that a client that has its answer sees it counted.
    const int status = res.result_int();
    metrics->record_request(route, status, std::chrono::steady_clock::now() - started);
    conn.stream.expires_after(config.timeout);
    auto [ec, bytes] = co_await http::async_write(conn.stream, res, kAsTuple);
    log_request(id, method, route, status, std::chrono::steady_clock::now() - started, ec);
    co_return !ec;
  }

  void log_request(const std::string& id, std::string_view method, std::size_t route, int status,
                   std::chrono::steady_clock::duration took, beast::error_code write_error) const {
    const auto level = status >= 500 ? spdlog::level::warn : spdlog::level::info;
    if (!spdlog::should_log(level)) return;
    LogEvent event("request");
    event.field("request_id", std::string_view(id))
        .field("method", method)
        .field("route", route < routes.size() ? std::string_view(routes[route].pattern)
                                              : std::string_view("unmatched"))
        .field("status", static_cast<std::int64_t>(status))
        .field("ms", std::chrono::duration<double, std::milli>(took).count());
    if (write_error) event.field("write_error", std::string_view(write_error.message()));
    event.log(level);
  }

  // Where a request goes, decided once: its route (for the metrics and the
  // log), the Exchange its handler gets, or the answer that stops it first: a
  // malformed target, no route, a wrong method, a WebSocket route without an
  // upgrade, a guard that refuses.
  struct Routed {
    std::size_t route;
    std::optional<Exchange> exchange;  // the request may go on
    std::optional<Response> refusal;
  };

  Routed route_request(Request& req, const std::string& id) {
    Routed out{metrics->unmatched_route(), std::nullopt, std::nullopt};
    auto url = boost::urls::parse_origin_form(req.target());
    if (!url) {
      out.refusal = error_response({Problem::kBadRequest, "malformed request target", {}}, id);
      return out;
    }
    const std::string_view path = url->encoded_path();
    Router::Match match = router.match(req.method(), path);
    if (match.kind == Router::Match::Kind::kNoRoute) {
      out.refusal = error_response({Problem::kNoRoute, "no route " + std::string(path), {}}, id);
      return out;
    }
    if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
      out.refusal = error_response(
          {Problem::kMethodNotAllowed,
           std::string(req.method_string()) + " is not allowed on " + std::string(path) + "; allowed: " + match.allow,
           {}},
          id);
      out.refusal->set(http::field::allow, match.allow);
      return out;
    }
    out.route = match.route;
    const RouteSpec& spec = routes[out.route];
    const bool websocket_route = static_cast<bool>(spec.upgrade);
    if (websocket_route && !websocket::is_upgrade(req)) {
      out.refusal = error_response(
          {Problem::kBadRequest, std::string(path) + " takes a WebSocket upgrade only", {}}, id);
      return out;
    }
    Exchange ex{req, path, url->encoded_query(), std::move(match.params), {}, id};
    if (auto denied = check_guard(spec.guard, req, ex, websocket_route)) {
      out.refusal = error_response(*denied, id);
      if (denied->problem == Problem::kUnauthorized) out.refusal->set(http::field::www_authenticate, "Bearer");
      return out;
    }
    out.exchange.emplace(std::move(ex));
    return out;
  }

  // Runs a route's handler; its error, or an exception escaping it, becomes the error answer.
  asio::awaitable<Response> run_handler(const RouteSpec& spec, Exchange& ex) {
    const std::string& id = ex.request_id;
    std::optional<Reply> reply;
    try {
      reply.emplace(co_await spec.handler(ex));
    } catch (const std::exception& e) {
      LogEvent("handler failed").field("request_id", std::string_view(id)).field("error", std::string_view(e.what())).log(spdlog::level::err);
      co_return error_response({Problem::kInternal, e.what(), {}}, id);
    }
    if (!*reply) {
      const ApiError& error = reply->error();
      if (error.problem == Problem::kInternal) {
        LogEvent("internal error").field("request_id", std::string_view(id)).field("error", std::string_view(error.message)).log(spdlog::level::err);
      }
      co_return error_response(error, id);
    }
    co_return std::move(**reply);
  }

  // Checks a route's guard; an error when the request may not proceed.
  std::optional<ApiError> check_guard(Guard guard, const Request& req, Exchange& ex, bool websocket) {
    switch (guard) {
      case Guard::kPublic:
        return std::nullopt;
      case Guard::kApiKey:
        if (api_key_matches(req[http::field::authorization], config.api_key)) return std::nullopt;
        return ApiError{Problem::kUnauthorized,
                        config.api_key.empty()
                            ? "the CRM API is disabled: API_KEY is not set on the server"
                            : "missing or wrong API key: send Authorization: Bearer <API_KEY>",
                        {}};
      case Guard::kCarrierSignature: {
        if (!config.check_signatures) {
          auto form = telephony::decode_form(req.body());
          if (form) ex.form = std::move(*form);
          return std::nullopt;
        }
        auto form = check_carrier_request(req, config.base_url, config.auth_token, websocket);
        if (!form) {
          if (form.error().problem == Problem::kForbidden) {
            metrics->signature_rejected();
            LogEvent("carrier signature rejected")
                .field("request_id", std::string_view(ex.request_id))
                .field("path", ex.path)
                .log(spdlog::level::warn);
          }
          return form.error();
        }
        ex.form = std::move(*form);
        return std::nullopt;
      }
    }
    return ApiError{Problem::kInternal, "unknown guard", {}};
  }

  // Takes over the connection for a WebSocket route whose guard passed, and
  // runs its session until it ends.
  asio::awaitable<void> upgrade(Connection& conn, Request& req, std::size_t route, const std::string& id,
                                std::chrono::steady_clock::time_point started) {
    conn.upgraded = true;
    conn.stream.expires_never();
    WebSocket ws(std::move(conn.stream));
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.set_option(websocket::stream_base::decorator([id](websocket::response_type& res) {
      res.set(http::field::server, kServerName);
      res.set("X-Request-Id", id);
    }));
    ws.read_message_max(kMediaMessageLimit);
    auto [ec] = co_await ws.async_accept(req, kAsTuple);
    const auto took = std::chrono::steady_clock::now() - started;
    metrics->record_request(route, ec ? 400 : 101, took);
    log_request(id, req.method_string(), route, ec ? 400 : 101, took, ec);
    if (ec) co_return;
    co_await routes[route].upgrade(ws, req, id);
  }

  void shutdown() {
    std::call_once(shutdown_once, [this] {
      spdlog::info("shutting down: no new connections; finishing requests in flight (up to {} s)",
                   config.shutdown_grace.count());
      stopping.store(true);
      asio::post(control, [this] {
        beast::error_code ignored;
        acceptor.close(ignored);
        accept_pause.cancel();
        grace_timer.expires_after(config.shutdown_grace);
        grace_timer.async_wait([this](beast::error_code ec) {
          if (ec) return;  // everything finished in time
          spdlog::warn("shutdown grace of {} s is over; cutting the remaining connections",
                       config.shutdown_grace.count());
          ioc.stop();
        });
        std::lock_guard lock(connections_mutex);
        for (const auto& conn : connections) {
          asio::post(conn->stream.get_executor(), [conn] {
            if (conn->idle && !conn->upgraded) conn->stream.cancel();
          });
        }
        if (connections.empty()) grace_timer.cancel();
      });
      streams.close_all();
      for (auto& t : threads) t.join();
      db.join();
      spdlog::info("server stopped");
    });
  }
};

Result<std::unique_ptr<Server>> Server::start(ServerConfig config, Store& store, Clock& clock) {
  auto zone = find_time_zone(config.shop_timezone, "SHOP_TIMEZONE");
  if (!zone) return zone.error();
  beast::error_code ec;
  const auto address = asio::ip::make_address(config.host, ec);
  if (ec) return Error::invalid("HOST", "HOST='" + config.host + "' is not an IP address");
  int threads = config.threads > 0 ? config.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;

  auto impl = std::make_unique<Impl>(std::move(config), store, clock, *zone, threads);
  Impl& s = *impl;
  // The route table, then the metrics that label each route.
  s.routes = all_routes(s.services);
  std::vector<RouteLabel> labels;
  for (const RouteSpec& r : s.routes) {
    s.router.add(r.method, r.pattern);
    labels.push_back(RouteLabel{std::string(http::to_string(r.method)), r.pattern});
  }
  s.metrics = std::make_unique<Metrics>(std::move(labels));
  s.services.metrics = s.metrics.get();

  const tcp::endpoint endpoint(address, s.config.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error::unavailable("cannot listen on " + s.config.host + ":" + std::to_string(s.config.port) +
                              ": " + ec.message());
  }
  s.accept_loop();
  for (int i = 0; i < s.threads_wanted; ++i) {
    s.threads.emplace_back([&s] {
      try {
        s.ioc.run();
      } catch (const std::exception& e) {
        spdlog::critical("event loop stopped by an unexpected error: {}", e.what());
      }
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() {
  if (impl_) impl_->shutdown();
}
uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }
Metrics& Server::metrics() { return *impl_->metrics; }
void Server::shutdown() { impl_->shutdown(); }

}  // namespace autovoice::server
