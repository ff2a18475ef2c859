#include "twiml_app.h"

#include "loopback_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>

#include "telephony/media_stream.h"
#include "telephony/signature.h"
#include "telephony/twiml.h"

namespace autovoice::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kFrameBytes = 160;

std::string twiml_for(const std::string& path, const std::string& query, int port) {
  using telephony::Response;
  Response r;
  if (path == "/voice/stream") {
    std::string appointment = "42";
    if (auto params = telephony::decode_form(query)) {
      if (auto v = telephony::form_value(*params, "appointment_id")) appointment = std::string(*v);
    }
    r.connect_stream({.url = "ws://127.0.0.1:" + std::to_string(port) + "/media",
                      .parameters = {{"call_type", "outbound_reminder"},
                                     {"appointment_id", appointment}}});
  } else if (path == "/voice/gather") {
    telephony::GatherBody body;
    body.say("Press 1 or say yes");
    r.gather({.input = "dtmf speech", .num_digits = 1, .timeout = 3, .action = "/voice/gathered"},
             body);
    r.say("We did not hear you");
  } else if (path == "/voice/gathered") {
    r.say("Thank you");
    r.hangup();
  } else if (path == "/voice/redirect") {
    r.redirect("/voice/say");
  } else if (path == "/voice/say") {
    r.say("Hello from the test application");
  } else if (path == "/voice/bad") {
    return "<html><body>not TwiML</body></html>";
  } else {
    return {};
  }
  return r.str();
}

}  // namespace

TwimlApp::TwimlApp(std::string auth_token, int prompt_frames, int tail_frames)
    : auth_token_(std::move(auth_token)), prompt_frames_(prompt_frames), tail_frames_(tail_frames) {
  listen_fd_ = listen_on_loopback(128, port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TwimlApp::~TwimlApp() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

std::string TwimlApp::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void TwimlApp::set_route_status(const std::string& path, int status) {
  std::lock_guard lock(mu_);
  statuses_[path] = status;
}

void TwimlApp::set_route_delay(const std::string& path, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  delays_[path] = delay;
}

std::vector<AppWebhook> TwimlApp::webhooks(const std::string& path) const {
  std::lock_guard lock(mu_);
  std::vector<AppWebhook> out;
  for (const auto& w : webhooks_) {
    if (path.empty() || w.path == path) out.push_back(w);
  }
  return out;
}

std::vector<AppStream> TwimlApp::streams() const {
  std::lock_guard lock(mu_);
  return streams_;
}

bool TwimlApp::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

void TwimlApp::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void TwimlApp::serve(int fd) {
  asio::io_context io;
  beast::error_code ec;
  tcp::socket socket(io);
  socket.assign(tcp::v4(), fd, ec);
  if (ec) return;
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) break;
    auto target = boost::urls::parse_origin_form(req.target());
    if (!target) break;
    const std::string path(target->path());
    const std::string query(target->encoded_query());
    const std::string signature(req[telephony::kSignatureHeader]);

    if (websocket::is_upgrade(req)) {
      websocket::stream<tcp::socket> ws(std::move(socket));
      ws.accept(req, ec);
      if (ec) return;
      serve_stream(&ws, std::string(req.target()), signature);
      break;
    }

    AppWebhook hook;
    hook.method = std::string(req.method_string());
    hook.path = path;
    hook.query = query;
    hook.at = std::chrono::steady_clock::now();
    const std::string full_url = url(req.target());
    if (req.method() == http::verb::post) {
      if (auto decoded = telephony::decode_form(req.body())) hook.params = std::move(*decoded);
      hook.signature_valid =
          telephony::validate_signature(auth_token_, full_url, hook.params, signature);
    } else {
      if (auto decoded = telephony::decode_form(query)) hook.params = std::move(*decoded);
      hook.signature_valid = telephony::validate_signature(auth_token_, full_url, {}, signature);
    }
    int status = 200;
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard lock(mu_);
      webhooks_.push_back(hook);
      if (auto it = statuses_.find(path); it != statuses_.end()) status = it->second;
      if (auto it = delays_.find(path); it != delays_.end()) delay = it->second;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);

    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(false);
    std::string body;
    if (path.starts_with("/voice/")) body = twiml_for(path, query, port_);
    if (status == 200 && path.starts_with("/voice/") && body.empty()) status = 404;
    if (status == 200 && !(path.starts_with("/voice/") || path == "/status" || path == "/sms")) {
      status = 404;
    }
    res.result(static_cast<http::status>(status));
    if (status == 200 && !body.empty()) {
      res.set(http::field::content_type, "application/xml");
      res.body() = body;
    }
    res.prepare_payload();
    http::write(socket, res, ec);
    break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

void TwimlApp::serve_stream(void* stream_ptr, const std::string& target,
                            const std::string& signature) {
  auto& ws = *static_cast<websocket::stream<tcp::socket>*>(stream_ptr);
  std::size_t index;
  {
    std::lock_guard lock(mu_);
    index = streams_.size();
    streams_.emplace_back();
    streams_[index].signature_valid =
        telephony::validate_signature(auth_token_, "ws://127.0.0.1:" + std::to_string(port_) + target,
                                      {}, signature);
  }
  auto with = [&](auto fn) {
    std::lock_guard lock(mu_);
    fn(streams_[index]);
  };
  beast::error_code ec;
  std::string stream_sid;
  const std::vector<uint8_t> tone(kFrameBytes, 0x10);
  auto send_frames = [&](int frames) {
    for (int i = 0; i < frames && !ec; ++i) {
      ws.text(true);
      ws.write(asio::buffer(telephony::media_message(stream_sid, tone)), ec);
    }
  };
  auto send = [&](const std::string& text) {
    if (ec) return;
    ws.text(true);
    ws.write(asio::buffer(text), ec);
  };

  telephony::MediaStreamParser parser;
  beast::flat_buffer buffer;
  for (;;) {
    buffer.clear();
    ws.read(buffer, ec);
    if (ec) break;
    const std::string text = beast::buffers_to_string(buffer.data());
    auto message = parser.parse(text);
    if (!message) {
      with([&](AppStream& s) { s.events.push_back("malformed"); });
      continue;
    }
    bool close_now = false;
    std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, telephony::ConnectedMessage>) {
            with([&](AppStream& s) { s.events.push_back("connected"); });
          } else if constexpr (std::is_same_v<T, telephony::StartMessage>) {
            stream_sid = m.stream_sid;
            with([&](AppStream& s) {
              s.events.push_back("start");
              s.custom_parameters = m.custom_parameters;
              s.call_sid = m.call_sid;
              s.stream_sid = m.stream_sid;
              s.prompt_sent_at = std::chrono::steady_clock::now();
            });
            send_frames(prompt_frames_);
            send(telephony::mark_message(stream_sid, "prompt"));
          } else if constexpr (std::is_same_v<T, telephony::MediaMessage>) {
            with([&](AppStream& s) {
              if (s.media_frames == 0) s.events.push_back("media");
              ++s.media_frames;
              if (m.chunk != s.last_chunk + 1) s.chunks_in_order = false;
              const bool voiced = std::any_of(m.payload.begin(), m.payload.end(), [](uint8_t b) {
                return b != 0xFF && b != 0x7F;  // mu-law's two zeros
              });
              if (voiced) ++s.voiced_frames;
              s.last_chunk = m.chunk;
            });
          } else if constexpr (std::is_same_v<T, telephony::DtmfMessage>) {
            with([&](AppStream& s) {
              s.events.push_back("dtmf");
              s.dtmf.push_back(m.digit);
            });
            if (m.digit == "2") send(telephony::clear_message(stream_sid));
            if (m.digit == "#") close_now = true;
          } else if constexpr (std::is_same_v<T, telephony::MarkMessage>) {
            const auto now = std::chrono::steady_clock::now();
            bool send_tail = false;
            with([&](AppStream& s) {
              s.events.push_back("mark");
              s.marks.push_back(m.name);
              if (m.name == "prompt") {
                s.prompt_mark_at = now;
                s.tail_sent_at = now;
                send_tail = true;
              } else if (m.name == "tail") {
                s.tail_mark_at = now;
              }
            });
            if (send_tail) {
              send_frames(tail_frames_);
              send(telephony::mark_message(stream_sid, "tail"));
            }
          } else if constexpr (std::is_same_v<T, telephony::StopMessage>) {
            with([&](AppStream& s) {
              s.events.push_back("stop");
              s.stop_received = true;
            });
          }
        },
        *message);
    if (close_now) {
      ws.close(websocket::close_code::normal, ec);
      // Drain until the carrier answers the close.
      while (!ec) {
        buffer.clear();
        ws.read(buffer, ec);
      }
      break;
    }
  }
  with([&](AppStream& s) { s.closed = true; });
}

}  // namespace autovoice::testing
