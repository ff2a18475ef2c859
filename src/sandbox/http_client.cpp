#include "sandbox/http_client.h"

#include <memory>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "sandbox/loopback.h"

namespace autovoice::sandbox {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

using Done = std::function<void(Result<HttpReply>)>;

constexpr int kHttp11 = 11;

bool is_http_error(const boost::system::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_version).category();
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// One request on its own connection. Owned by the handlers of its pending
// operation; all of them run on the executor given to async_fetch.
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(net::any_io_executor ex, HttpRequest request, LoopbackTarget target, Done done,
        Clock::time_point started)
      : stream_(std::move(ex)),
        request_(std::move(request)),
        target_(std::move(target)),
        done_(std::move(done)),
        started_(started),
        deadline_(started + request_.timeout) {
    parser_.body_limit(kMaxReplyBodyBytes);
  }

  // Starts on the stream's executor, so nothing completes inline.
  void start() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->run(); });
  }

 private:
  void run() {
    stream_.expires_at(deadline_);
    stream_.async_connect(target_.endpoints,
                          beast::bind_front_handler(&Fetch::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const net::ip::tcp::endpoint& /*endpoint*/) {
    if (ec) return fail_io(ec, "cannot connect");
    beast::error_code ignored;
    stream_.socket().set_option(net::ip::tcp::no_delay(true), ignored);
    message_.method(request_.method == "GET" ? http::verb::get : http::verb::post);
    message_.target(target_.target);
    message_.version(kHttp11);
    for (const auto& [name, value] : request_.headers) message_.insert(name, value);
    message_.set(http::field::host, target_.host_header);
    message_.set(http::field::user_agent, kWebhookUserAgent);
    message_.set(http::field::connection, "close");
    message_.erase(http::field::content_type);
    if (!request_.content_type.empty()) {
      message_.set(http::field::content_type, request_.content_type);
    }
    message_.body() = std::move(request_.body);
    message_.prepare_payload();
    stream_.expires_at(deadline_);
    http::async_write(stream_, message_,
                      beast::bind_front_handler(&Fetch::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return fail_io(ec, "connection failed while sending the request");
    stream_.expires_at(deadline_);
    http::async_read(stream_, buffer_, parser_,
                     beast::bind_front_handler(&Fetch::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::body_limit) {
      return finish(Error::invalid("reply.body", where() + ": reply body is larger than the " +
                                                     std::to_string(kMaxReplyBodyBytes) +
                                                     "-byte limit"));
    }
    if (ec == http::error::end_of_stream) {
      return finish(Error::unavailable(where() + ": connection closed before any reply"));
    }
    if (ec == http::error::partial_message) {
      return finish(Error::unavailable(where() + ": connection closed in the middle of the reply"));
    }
    if (ec && is_http_error(ec)) {
      return finish(
          Error::invalid("reply", where() + ": malformed HTTP reply (" + ec.message() + ")"));
    }
    if (ec) return fail_io(ec, "connection failed while reading the reply");

    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    http::response<http::string_body>& response = parser_.get();
    HttpReply reply;
    reply.status = static_cast<int>(response.result_int());
    reply.content_type = std::string(response[http::field::content_type]);
    reply.body = std::move(response.body());
    reply.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
    finish(std::move(reply));
  }

  std::string where() const { return request_.method + " " + request_.url; }

  void fail_io(beast::error_code ec, std::string_view during) {
    if (ec == beast::error::timeout) {
      return finish(Error::unavailable(where() + ": no complete reply within " +
                                       std::to_string(request_.timeout.count()) + " ms"));
    }
    finish(Error::unavailable(where() + ": " + std::string(during) + " (" + ec.message() + ")"));
  }

  void finish(Result<HttpReply> result) {
    stream_.close();
    Done done = std::move(done_);
    done(std::move(result));
  }

  beast::tcp_stream stream_;
  HttpRequest request_;
  LoopbackTarget target_;
  Done done_;
  Clock::time_point started_;
  Clock::time_point deadline_;
  http::request<http::string_body> message_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

// The request's own faults, found before any connection is made.
Status check_request(const HttpRequest& request) {
  const std::string where = request.method + " " + request.url;
  if (request.method != "GET" && request.method != "POST") {
    return Error::invalid("method", where + ": method must be GET or POST");
  }
  if (request.method == "GET" && !request.body.empty()) {
    return Error::invalid("body", where + ": a GET request carries no body");
  }
  if (request.timeout.count() <= 0) {
    return Error::invalid("timeout", where + ": timeout must be positive, got " +
                                         std::to_string(request.timeout.count()) + " ms");
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value)) {
      return Error::invalid("headers", where + ": header \"" + name.substr(0, 40) +
                                           "\" has an empty name or a line break");
    }
  }
  if (has_line_break(request.content_type)) {
    return Error::invalid("content_type", where + ": content type has a line break");
  }
  return ok_status();
}

}  // namespace

void async_fetch(net::any_io_executor ex, HttpRequest request, Done done) {
  const Clock::time_point started = Clock::now();
  auto fail_soon = [&](Error error) {
    net::post(ex, [done = std::move(done), error = std::move(error)]() mutable {
      done(std::move(error));
    });
  };
  if (Status checked = check_request(request); !checked.ok()) {
    return fail_soon(std::move(checked).error());
  }
  auto target = parse_loopback_url(request.url, UrlKind::kHttp);
  if (!target.ok()) {
    Error error = std::move(target).error();
    error.message = request.method + " " + error.message;
    return fail_soon(std::move(error));
  }
  std::make_shared<Fetch>(std::move(ex), std::move(request), std::move(target).value(),
                          std::move(done), started)
      ->start();
}

}  // namespace autovoice::sandbox
