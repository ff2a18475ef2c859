// The sandbox carrier under load: many simultaneous calls, each streaming the
// callee's audio (50 media frames a second) to a voice application.
//
//   AUTOVOICE_BIN=build/bench/src/cli/autovoice build/bench/bench/sandbox_stream_bench [CALLS] [SECONDS]
//
// Starts the real `autovoice sandbox` (speed 1, no speech synthesis), and in
// this process a voice application on its own thread: it answers the voice
// webhook with <Connect><Stream> and accepts every media stream. CALLS calls
// (default 200) are created at once through the REST API; each callee answers
// after 1 s and hangs up after SECONDS (default 10). The application stamps
// every media frame on arrival; a frame's lateness is its arrival minus its
// place in the stream's schedule, anchored at the stream's earliest frame
// (arrival - (chunk - 1) x 20 ms, minimised over the stream). Prints frames
// received, the lateness distribution, the sandbox's own worst send lateness
// and the CPU the sandbox process used.
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "sandbox_process.h"
#include "telephony/form.h"
#include "telephony/media_stream.h"
#include "telephony/twiml.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace autovoice;

namespace {

constexpr auto kFrame = std::chrono::milliseconds(20);

struct StreamArrivals {
  std::vector<std::pair<uint64_t, Clock::time_point>> frames;  // chunk, arrival
};

struct App {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  int port = 0;
  std::mutex mu;
  std::vector<std::shared_ptr<StreamArrivals>> streams;  // GUARDED_BY(mu)
  std::atomic<int> open_streams{0};
};

// One connection: an HTTP webhook, or a WebSocket upgrade that we then read
// until it closes.
class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(tcp::socket s, App& app) : socket_(std::move(s)), app_(app) {}
  void start() {
    http::async_read(socket_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->on_request();
    });
  }

 private:
  void on_request() {
    if (websocket::is_upgrade(req_)) {
      ws_ = std::make_unique<websocket::stream<tcp::socket>>(std::move(socket_));
      ws_->async_accept(req_, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return;
        self->arrivals_ = std::make_shared<StreamArrivals>();
        self->arrivals_->frames.reserve(4096);
        {
          std::lock_guard lock(self->app_.mu);
          self->app_.streams.push_back(self->arrivals_);
        }
        ++self->app_.open_streams;
        self->read_frame();
      });
      return;
    }
    res_ = std::make_shared<http::response<http::string_body>>(http::status::ok, 11);
    if (req_.target().starts_with("/voice")) {
      telephony::Response r;
      r.connect_stream({.url = "ws://127.0.0.1:" + std::to_string(app_.port) + "/media"});
      res_->set(http::field::content_type, "application/xml");
      res_->body() = r.str();
    }
    res_->keep_alive(false);
    res_->prepare_payload();
    http::async_write(socket_, *res_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  void read_frame() {
    frame_.clear();
    ws_->async_read(frame_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        --self->app_.open_streams;
        return;
      }
      const auto now = Clock::now();
      auto message = self->parser_.parse(
          std::string_view(static_cast<const char*>(self->frame_.data().data()), self->frame_.size()));
      if (message) {
        if (const auto* media = std::get_if<telephony::MediaMessage>(&*message)) {
          self->arrivals_->frames.emplace_back(media->chunk, now);
        }
      }
      self->read_frame();
    });
  }

  tcp::socket socket_;
  App& app_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::shared_ptr<http::response<http::string_body>> res_;
  std::unique_ptr<websocket::stream<tcp::socket>> ws_;
  beast::flat_buffer frame_;
  telephony::MediaStreamParser parser_;
  std::shared_ptr<StreamArrivals> arrivals_;
};

void accept(App& app) {
  app.acceptor.async_accept([&app](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Conn>(std::move(socket), app)->start();
    if (app.acceptor.is_open()) accept(app);
  });
}

// user + system CPU seconds of a process, from /proc.
double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // fields 3..13
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 200;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  if (calls < 1 || calls > 2000 || seconds < 1 || seconds > 300) {
    std::cerr << "usage: sandbox_stream_bench [CALLS 1-2000] [SECONDS 1-300]\n";
    return 2;
  }

  App app;
  tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), 0};
  app.acceptor.open(endpoint.protocol());
  app.acceptor.set_option(asio::socket_base::reuse_address(true));
  app.acceptor.bind(endpoint);
  app.acceptor.listen(asio::socket_base::max_listen_connections);
  app.port = app.acceptor.local_endpoint().port();
  accept(app);
  std::thread app_thread([&] { app.io.run(); });

  const std::string callees = R"({"default": {"answer": "human", "answer_after_s": 1, "hangup_after_s": )" +
                              std::to_string(seconds) + "}}";
  testing::SandboxProcess sandbox({"--no-speech"}, callees);
  const int pid = sandbox.pid();
  const double cpu_before = cpu_seconds(pid);
  const auto started = Clock::now();

  const std::string app_url = "http://127.0.0.1:" + std::to_string(app.port);
  std::vector<std::string> sids;
  for (int i = 0; i < calls; ++i) {
    char to[16];
    std::snprintf(to, sizeof to, "+1555%07d", 2000000 + i);
    auto r = sandbox.post_api("Calls.json", telephony::encode_form({{"To", to},
                                                                   {"From", "+15550009999"},
                                                                   {"Url", app_url + "/voice"}}));
    if (r.status != 201) {
      std::cerr << "create failed: " << r.status << " " << r.body << "\n";
      return 1;
    }
    sids.push_back(std::string(r.json().as_object().at("sid").as_string()));
  }
  const double create_s = std::chrono::duration<double>(Clock::now() - started).count();

  // Wait for every call to end.
  for (const auto& sid : sids) sandbox.wait_for_end(sid, std::chrono::seconds(seconds + 60));
  const double wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  const double cpu_used = cpu_seconds(pid) - cpu_before;
  auto stats = testing::http_call("GET", sandbox.base_url() + "/sandbox/stats").json();
  sandbox.stop();
  app.acceptor.close();
  app.io.stop();
  app_thread.join();

  std::vector<double> lateness_ms;
  uint64_t frames = 0;
  int complete_streams = 0;
  for (const auto& s : app.streams) {
    if (s->frames.empty()) continue;
    ++complete_streams;
    frames += s->frames.size();
    Clock::time_point anchor = Clock::time_point::max();
    for (const auto& [chunk, at] : s->frames) {
      anchor = std::min(anchor, at - kFrame * static_cast<int64_t>(chunk - 1));
    }
    for (const auto& [chunk, at] : s->frames) {
      const auto due = anchor + kFrame * static_cast<int64_t>(chunk - 1);
      lateness_ms.push_back(std::chrono::duration<double, std::milli>(at - due).count());
    }
  }
  const double worst = lateness_ms.empty() ? 0 : *std::max_element(lateness_ms.begin(), lateness_ms.end());
  std::printf("calls: %d created in %.2f s; streams seen by the application: %d\n", calls, create_s,
              complete_streams);
  std::printf("media frames received: %llu (%.0f/s over the run)\n",
              static_cast<unsigned long long>(frames), static_cast<double>(frames) / wall_s);
  std::printf("frame lateness at the application: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms"
              " (target: max <= 20 ms)\n",
              percentile(lateness_ms, 0.5), percentile(lateness_ms, 0.99),
              percentile(lateness_ms, 0.999), worst);
  if (stats.is_object()) {
    std::printf("sandbox's own worst send lateness: %.2f ms\n",
                stats.as_object().at("max_frame_lateness_ms").to_number<double>());
  }
  std::printf("sandbox CPU: %.2f s over %.1f s wall (%.0f%% of one core)\n", cpu_used, wall_s,
              100.0 * cpu_used / wall_s);
  return worst <= 20.0 && complete_streams == calls ? 0 : 1;
}
