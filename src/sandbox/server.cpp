#include "sandbox/server.h"

#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "telephony/form.h"

namespace autovoice::sandbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

namespace {

constexpr std::chrono::seconds kReadTimeout{30};
constexpr std::chrono::seconds kWriteTimeout{30};

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// What a route decided: an answer, or to close the connection unanswered.
struct Outcome {
  std::optional<Response> response;  // nullopt = drop the connection
  milliseconds delay{0};             // hold the answer this long
};

Response json_response(const Request& req, http::status status, const json::value& body) {
  Response res{status, req.version()};
  res.set(http::field::server, "autovoice-sandbox");
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.keep_alive(req.keep_alive());
  res.body() = json::serialize(body);
  res.prepare_payload();
  return res;
}

Response api_error(const Request& req, const ApiError& error) {
  return json_response(req, static_cast<http::status>(error.http_status), error_json(error));
}

Response plain_error(const Request& req, http::status status, std::string message) {
  return json_response(req, status,
                       json::object{{"error", std::move(message)}, {"status", static_cast<int>(status)}});
}

// "/2010-04-01/Accounts/{AC}/Calls/{CA}.json" split on '/'.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::any_io_executor ex, Network& net) : executor(ex), acceptor(ex), network(net) {}

  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  Network& network;
  bool stopped = false;

  void accept() {
    acceptor.async_accept(executor,
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            if (self->stopped) return;
                            if (!ec) self->serve(std::move(socket));
                            self->accept();
                          });
  }

  void serve(tcp::socket socket);

  // --- routing ----------------------------------------------------------------
  Outcome route(const Request& req) {
    const std::string_view target = req.target();
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return {plain_error(req, http::status::bad_request, "malformed request target")};
    const std::string path(url->path());
    const std::string_view query = url->encoded_query();
    const auto parts = segments(path);

    if (parts.size() >= 1 && parts[0] == "sandbox") return {sandbox_route(req, parts, query)};
    if (parts.size() == 1 && parts[0] == "healthz") {
      return {json_response(req, http::status::ok, json::object{{"status", "ok"}})};
    }
    if (parts.size() >= 3 && parts[0] == kApiVersion && parts[1] == "Accounts") {
      return api_route(req, parts, query, path);
    }
    return {api_error(req, not_found_error(path))};
  }

  Response sandbox_route(const Request& req, const std::vector<std::string_view>& parts,
                         std::string_view query) {
    const bool get = req.method() == http::verb::get;
    const std::string_view what = parts.size() >= 2 ? parts[1] : std::string_view{};
    if (what == "calls" && parts.size() == 2) {
      if (!get) return method_not_allowed(req);
      auto params = telephony::decode_form(query);
      if (!params) return plain_error(req, http::status::bad_request, params.error().message);
      const auto to = telephony::form_value(*params, "to").value_or("");
      return json_response(req, http::status::ok,
                           json::object{{"calls", network.record_json(to)}});
    }
    if (what == "calls" && parts.size() == 3) {
      if (!get) return method_not_allowed(req);
      auto record = network.call_record_json(parts[2]);
      if (!record) return plain_error(req, http::status::not_found, "no call " + std::string(parts[2]));
      return json_response(req, http::status::ok, *record);
    }
    if (what == "messages" && parts.size() == 2) {
      if (!get) return method_not_allowed(req);
      return json_response(req, http::status::ok,
                           json::object{{"messages", network.messages_json()}});
    }
    if (what == "stats" && parts.size() == 2) {
      if (!get) return method_not_allowed(req);
      return json_response(req, http::status::ok, network.stats_json());
    }
    if (what == "faults" && parts.size() == 2) {
      if (get) return json_response(req, http::status::ok, faults_json(network.faults()));
      if (req.method() != http::verb::post) return method_not_allowed(req);
      auto merged = merge_faults_json(network.faults(), req.body());
      if (!merged) {
        return json_response(req, http::status::bad_request,
                             json::object{{"error", merged.error().message},
                                          {"field", merged.error().field},
                                          {"status", 400}});
      }
      network.faults() = *merged;
      return json_response(req, http::status::ok, faults_json(network.faults()));
    }
    return plain_error(req, http::status::not_found, "no sandbox route " + std::string(req.target()));
  }

  Response method_not_allowed(const Request& req) {
    return json_response(req, http::status::method_not_allowed,
                         json::object{{"code", 20004},
                                      {"message", "Method not allowed"},
                                      {"more_info", "https://www.twilio.com/docs/errors/20004"},
                                      {"status", 405}});
  }

  Outcome api_route(const Request& req, const std::vector<std::string_view>& parts,
                    std::string_view query, const std::string& path) {
    const std::string_view authorization = req[http::field::authorization];
    if (auto ok = authenticate(network.account(), authorization); !ok) {
      network.record_api(req.method_string(), req.target(), 401, "");
      return {api_error(req, ok.error())};
    }
    if (parts[2] != network.account().sid) return {api_error(req, not_found_error(path))};

    // One roll per request decides the fault.
    const Faults& faults = network.faults();
    std::string_view fault_name;
    Outcome out{std::nullopt, faults.latency};
    switch (network.dice().roll_api(faults)) {
      case ApiFault::kDrop:  // no response: the connection is closed
        fault_name = "drop";
        break;
      case ApiFault::kError500:
        fault_name = "error_500";
        out.response = api_error(req, ApiError::make(500, 20500, "Internal Server Error"));
        break;
      case ApiFault::kError429:
        fault_name = "error_429";
        out.response = api_error(req, ApiError::make(429, 20429, "Too Many Requests"));
        break;
      case ApiFault::kHang:  // carried out, answered late
        fault_name = "hang";
        out.delay = faults.hang;
        out.response = api_call(req, parts, query, path);
        break;
      case ApiFault::kNone:
        out.response = api_call(req, parts, query, path);
        break;
    }
    network.record_api(req.method_string(), req.target(),
                       out.response ? out.response->result_int() : 0, fault_name);
    return out;
  }

  Response api_call(const Request& req, const std::vector<std::string_view>& parts,
                    std::string_view query, const std::string& path) {
    const bool get = req.method() == http::verb::get;
    const bool post = req.method() == http::verb::post;
    const Account& account = network.account();
    if (parts.size() == 4 && parts[3] == "Calls.json") {
      if (post) {
        auto form = telephony::decode_form(req.body());
        if (!form) return api_error(req, ApiError::make(400, 20001, form.error().message));
        auto create = validate_create_call(*form);
        if (!create) return api_error(req, create.error());
        if (auto refused = network.refuse_call(*create)) return api_error(req, *refused);
        const CallRecord& call = network.create_call(std::move(*create));
        return json_response(req, http::status::created, call_json(call, account));
      }
      if (get) {
        auto params = telephony::decode_form(query);
        if (!params) return api_error(req, ApiError::make(400, 20001, params.error().message));
        auto list = parse_call_list_query(*params);
        if (!list) return api_error(req, list.error());
        return json_response(req, http::status::ok,
                             calls_page_json(network.call_records(), *list, account));
      }
      return method_not_allowed(req);
    }
    if (parts.size() == 5 && parts[3] == "Calls" && parts[4].ends_with(".json")) {
      if (!get) return method_not_allowed(req);
      const std::string_view sid = parts[4].substr(0, parts[4].size() - 5);
      const CallRecord* call = network.find_call(sid);
      if (!call) return api_error(req, not_found_error(path));
      return json_response(req, http::status::ok, call_json(*call, account));
    }
    if (parts.size() == 4 && parts[3] == "Messages.json") {
      if (!post) return method_not_allowed(req);
      auto form = telephony::decode_form(req.body());
      if (!form) return api_error(req, ApiError::make(400, 20001, form.error().message));
      auto create = validate_create_message(*form);
      if (!create) return api_error(req, create.error());
      const MessageRecord& message = network.create_message(std::move(*create));
      return json_response(req, http::status::created, message_json(message, account));
    }
    return api_error(req, not_found_error(path));
  }
};

// One connection: read a request, answer (after any delay), repeat while
// keep-alive. One request in flight per connection, as HTTP/1.1 without
// pipelining.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Server::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)), timer_(stream_.get_executor()) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kRequestBodyLimit);
    stream_.expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec == http::error::body_limit) {
      Request head;
      head.version(11);
      head.keep_alive(false);
      return write(json_response(head, http::status::payload_too_large,
                                 json::object{{"error", "request body over 1 MiB"},
                                              {"status", 413}}),
                   milliseconds{0});
    }
    if (ec) {
      Request head;
      head.version(11);
      head.keep_alive(false);
      return write(plain_error(head, http::status::bad_request, "malformed HTTP request: " + ec.message()),
                   milliseconds{0});
    }
    Request req = parser_->release();
    // Connections share the network's single thread: route in place.
    Outcome outcome = server_->route(req);
    if (!outcome.response) return drop(outcome.delay);
    write(std::move(*outcome.response), outcome.delay);
  }

  void write(Response res, milliseconds delay) {
    response_ = std::move(res);
    if (delay > milliseconds{0}) {
      timer_.expires_after(delay);
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->send();
      });
      return;
    }
    send();
  }

  void send() {
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->response_.keep_alive()) return self->close();
      self->read();
    });
  }

  void drop(milliseconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
      self->stream_.socket().close(ignored);
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Server::Impl> server_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
};

void Server::Impl::serve(tcp::socket socket) {
  std::make_shared<Connection>(std::move(socket), shared_from_this())->start();
}

Result<std::unique_ptr<Server>> Server::start(asio::any_io_executor executor, Network& network,
                                              const std::string& host, uint16_t port) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Error{ErrorCode::kInvalidArgument, "not an IP address: " + host, "host"};
  if (!address.is_loopback()) {
    return Error{ErrorCode::kInvalidArgument,
                 "the sandbox listens on loopback only, not on " + host, "host"};
  }
  auto impl = std::make_shared<Impl>(executor, network);
  const tcp::endpoint endpoint{address, port};
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{ErrorCode::kUnavailable,
                 "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message(),
                 "port"};
  }
  impl->accept();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

uint16_t Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void Server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace autovoice::sandbox
