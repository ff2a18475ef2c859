// autovoice sandbox: a Twilio-compatible carrier on loopback (src/sandbox/).
//
//   autovoice sandbox [--port P] [--callees FILE] [--speed N] [--record FILE]
//                     [--latency-ms N] [--error-500-rate R] [--error-429-rate R]
//                     [--drop-rate R] [--hang-rate R] [--cps N] ...
//
// It serves the account of TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, and listens
// where TWILIO_API_BASE points when that is a loopback http:// address (so the
// worker and the sandbox agree with no extra setting), else on 127.0.0.1:8765.
// Runs until SIGINT or SIGTERM; then ends the calls still up, delivers their
// final status callbacks (for at most 5 s) and exits 0.
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/url/parse.hpp>

#include "cli/command.h"
#include "conversation/espeak_tts.h"
#include "conversation/tts.h"
#include "sandbox/network.h"
#include "sandbox/server.h"

namespace autovoice::cli {

namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

constexpr uint16_t kDefaultPort = 8765;
constexpr std::chrono::seconds kDrainLimit{5};

struct SandboxOptions {
  std::string host = "127.0.0.1";
  int port = -1;  // -1 = from TWILIO_API_BASE, else kDefaultPort
  std::string callees_file;
  double speed = 1;
  std::string record_file;
  std::string port_file;
  uint64_t seed = 1;
  bool no_speech = false;
  int64_t latency_ms = 0;
  int64_t hang_ms = 30'000;
  int64_t webhook_timeout_ms = 15'000;
  sandbox::Faults faults;
};

std::string read_file_or_fail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Error::invalid("callees", "cannot read the callee file " + path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The port of TWILIO_API_BASE when it is http:// on a loopback address.
std::optional<uint16_t> port_of_api_base(const std::string& api_base) {
  auto url = boost::urls::parse_absolute_uri(api_base);
  if (!url || url->scheme() != "http") return std::nullopt;
  const std::string host(url->encoded_host());
  if (host != "127.0.0.1" && host != "localhost") return std::nullopt;
  if (!url->has_port()) return uint16_t{80};
  return url->port_number();
}

void run_sandbox(SandboxOptions& opt, Context& ctx) {
  const Settings& settings = ctx.settings();
  if (settings.twilio_account_sid.empty() || settings.twilio_auth_token.reveal().empty()) {
    fail(Error::invalid("TWILIO_ACCOUNT_SID",
                        "the sandbox serves the account of TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: "
                        "set both (for the sandbox any AC followed by 32 hex digits, and any token)"));
  }
  if (!(opt.speed >= 1 && opt.speed <= 1000)) {
    fail(Error::invalid("speed", "--speed " + std::to_string(opt.speed) + " is outside [1, 1000]"));
  }
  opt.faults.latency = milliseconds{opt.latency_ms};
  opt.faults.hang = milliseconds{opt.hang_ms};
  opt.faults.webhook_timeout = milliseconds{opt.webhook_timeout_ms};
  check_or_fail(sandbox::validate(opt.faults));

  sandbox::NetworkOptions network_options;
  network_options.account = {settings.twilio_account_sid,
                             std::string(settings.twilio_auth_token.reveal())};
  if (!opt.callees_file.empty()) {
    network_options.callees = value_or_fail(sandbox::parse_callees(read_file_or_fail(opt.callees_file)));
  }
  network_options.speed = opt.speed;
  network_options.seed = opt.seed;
  network_options.faults = opt.faults;

  std::ofstream record;
  if (!opt.record_file.empty()) {
    record.open(opt.record_file, std::ios::app);
    if (!record) fail(Error::invalid("record", "cannot write the record file " + opt.record_file));
    network_options.record_sink = &record;
  }

  std::unique_ptr<conversation::EspeakTts> espeak;
  std::unique_ptr<conversation::CachingTts> tts;
  if (!opt.no_speech) {
    auto engine = conversation::EspeakTts::create({});
    if (!engine) {
      ctx.err << "sandbox: speech synthesis unavailable (" << engine.error().message
              << "); callees' speech is sent as silence\n";
    } else {
      espeak = std::move(*engine);
      tts = std::make_unique<conversation::CachingTts>(*espeak);
      network_options.tts = tts.get();
    }
  }

  uint16_t port = kDefaultPort;
  if (opt.port >= 0) {
    if (opt.port > 65535) fail(Error::invalid("port", "--port " + std::to_string(opt.port) + " is not a port"));
    port = static_cast<uint16_t>(opt.port);
  } else if (auto from_base = port_of_api_base(settings.twilio_api_base)) {
    port = *from_base;
  }

  asio::io_context io{1};
  sandbox::Network network(io.get_executor(), std::move(network_options));
  auto server = value_or_fail(sandbox::Server::start(io.get_executor(), network, opt.host, port));
  const std::string address = "http://" + opt.host + ":" + std::to_string(server->port());
  ctx.err << "sandbox: Twilio API on " << address << " for account " << settings.twilio_account_sid
          << " (speed x" << opt.speed << ")\n"
          << "sandbox: the network's record: " << address << "/sandbox/calls"
          << (opt.record_file.empty() ? "" : " and " + opt.record_file) << '\n';
  if (!opt.port_file.empty()) {
    std::ofstream(opt.port_file) << server->port() << '\n';
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer drain(io);
  std::chrono::steady_clock::time_point drain_deadline;
  std::function<void()> wait_idle = [&] {
    if (network.idle() || std::chrono::steady_clock::now() >= drain_deadline) {
      io.stop();
      return;
    }
    drain.expires_after(milliseconds{20});
    drain.async_wait([&](boost::system::error_code) { wait_idle(); });
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    ctx.err << "sandbox: stopping; ending the calls still up\n";
    server->stop();
    network.shutdown();
    drain_deadline = std::chrono::steady_clock::now() + kDrainLimit;
    wait_idle();
  });
  io.run();
  const auto stats = network.stats();
  ctx.err << "sandbox: stopped after " << stats.calls_created << " calls and "
          << stats.messages_created << " messages\n";
}

}  // namespace

void add_sandbox_commands(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<SandboxOptions>();
  auto* cmd = app.add_subcommand(
      "sandbox", "Run a Twilio-compatible carrier on loopback: REST API, calls, media streams");
  cmd->add_option("--host", opt->host, "Loopback address to listen on")->capture_default_str();
  cmd->add_option("--port", opt->port,
                  "Port (0 = any free port; default: TWILIO_API_BASE's port when it is a "
                  "loopback http address, else 8765)");
  cmd->add_option("--port-file", opt->port_file, "Write the port listened on to this file");
  cmd->add_option("--callees", opt->callees_file, "Callee file (JSON): how each number behaves");
  cmd->add_option("--speed", opt->speed, "Run the network this many times faster (1-1000)")
      ->capture_default_str();
  cmd->add_option("--record", opt->record_file, "Append the network's record to this file (JSON lines)");
  cmd->add_option("--seed", opt->seed, "Seed for SIDs and fault dice")->capture_default_str();
  cmd->add_flag("--no-speech", opt->no_speech, "Do not synthesise callees' speech (send silence)");
  cmd->add_option("--latency-ms", opt->latency_ms, "Delay every REST answer")->capture_default_str();
  cmd->add_option("--error-500-rate", opt->faults.error_500_rate, "Share of REST requests answered 500");
  cmd->add_option("--error-429-rate", opt->faults.error_429_rate, "Share of REST requests answered 429");
  cmd->add_option("--drop-rate", opt->faults.drop_rate, "Share of REST connections closed unanswered");
  cmd->add_option("--hang-rate", opt->faults.hang_rate,
                  "Share of REST requests carried out but answered only after --hang-ms");
  cmd->add_option("--hang-ms", opt->hang_ms, "How long a hung answer is held")->capture_default_str();
  cmd->add_option("--cps", opt->faults.calls_per_second,
                  "Calls per second; calls beyond it are queued (0 = no limit)");
  cmd->add_option("--duplicate-rate", opt->faults.duplicate_rate, "Share of status callbacks sent twice");
  cmd->add_option("--reorder-rate", opt->faults.reorder_rate,
                  "Share of status callbacks sent after the call's next one");
  cmd->add_option("--webhook-timeout-ms", opt->webhook_timeout_ms,
                  "How long to wait for a webhook's answer")->capture_default_str();
  cmd->callback([opt, &ctx] { run_sandbox(*opt, ctx); });
}

}  // namespace autovoice::cli
