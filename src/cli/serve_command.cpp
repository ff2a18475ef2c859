// autovoice serve: the HTTP and WebSocket server (src/server/).
//
//   autovoice serve [--host H] [--port P] [--port-file F] [--log-format json|text]
//                   [--dev-skip-signature-check]
//
// Listens on HOST:PORT (default 127.0.0.1:8080), logs to stderr (LOG_FORMAT,
// LOG_LEVEL), and runs until SIGINT or SIGTERM; then stops gracefully (see
// server/server.h) and exits 0. Carrier webhooks need TWILIO_AUTH_TOKEN to
// check their signatures; --dev-skip-signature-check turns the check off for
// development, with a warning at every start.
#include <algorithm>
#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "cli/command.h"
#include "config/logging.h"
#include "server/server.h"

namespace autovoice::cli {

namespace {

namespace asio = boost::asio;

struct ServeOptions {
  std::string host;
  int port = -1;  // -1 = PORT
  std::string port_file;
  std::string log_format;  // "" = LOG_FORMAT
  bool skip_signature_check = false;
};

void run_serve(const ServeOptions& opt, Context& ctx) {
  const Settings& settings = ctx.settings();
  LogFormat format = settings.log_json ? LogFormat::kJson : LogFormat::kText;
  if (opt.log_format == "text") format = LogFormat::kText;
  if (opt.log_format == "json") format = LogFormat::kJson;
  check_or_fail(configure_logging(format, settings.log_level));

  server::ServerConfig config;
  config.host = opt.host.empty() ? settings.listen_host : opt.host;
  if (opt.port > 65535) fail(Error::invalid("port", "--port " + std::to_string(opt.port) + " is not a port"));
  config.port = static_cast<uint16_t>(opt.port >= 0 ? opt.port : settings.listen_port);
  config.threads = settings.server_threads;
  config.db_threads = settings.db_pool_size;
  config.body_limit = settings.http_body_limit;
  config.timeout = settings.http_timeout;
  config.shutdown_grace = settings.shutdown_grace;
  config.base_url = settings.base_url;
  config.auth_token = settings.twilio_auth_token.reveal();
  config.check_signatures = !opt.skip_signature_check;
  config.api_key = settings.api_key.reveal();
  config.shop_timezone = settings.shop_timezone;

  if (config.check_signatures && config.auth_token.empty()) {
    fail(Error::invalid("TWILIO_AUTH_TOKEN",
                        "TWILIO_AUTH_TOKEN is not set, so carrier webhooks cannot be checked against "
                        "X-Twilio-Signature; set it (with the sandbox carrier any value will do, the same "
                        "on both sides) or, for development only, pass --dev-skip-signature-check"));
  }
  Store& store = ctx.store();  // a current schema, or "run autovoice migrate"

  if (!config.check_signatures) {
    spdlog::warn(
        "X-Twilio-Signature checks are OFF (--dev-skip-signature-check): anyone who can reach this "
        "server can post fake carrier webhooks. Development only; never run it like this in production.");
  }
  if (config.api_key.empty()) {
    spdlog::warn("API_KEY is not set: the CRM API under /api/v1/ answers 401 to every request");
  }

  auto server = value_or_fail(server::Server::start(config, store, ctx.clock()));
  LogEvent("listening")
      .field("address", "http://" + config.host + ":" + std::to_string(server->port()))
      .field("base_url", std::string_view(config.base_url))
      .field("threads", static_cast<std::int64_t>(
                            config.threads > 0 ? config.threads
                                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))))
      .field("db_threads", static_cast<std::int64_t>(config.db_threads))
      .log(spdlog::level::info);
  if (!opt.port_file.empty()) {
    std::ofstream(opt.port_file) << server->port() << '\n';
  }

  asio::io_context signals_io{1};
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](boost::system::error_code, int signal) {
    spdlog::info("received {}", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  signals_io.run();
  server->shutdown();
}

}  // namespace

void add_serve_commands(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand(
      "serve", "Run the HTTP/WebSocket server: voice webhooks, media streams, status callbacks, CRM API");
  cmd->add_option("--host", opt->host, "Address to listen on (default: HOST, 127.0.0.1)");
  cmd->add_option("--port", opt->port, "Port (0 = any free port; default: PORT, 8080)");
  cmd->add_option("--port-file", opt->port_file, "Write the port listened on to this file");
  cmd->add_option("--log-format", opt->log_format, "json (one object a line) or text (default: LOG_FORMAT)")
      ->check(CLI::IsMember({"json", "text"}));
  cmd->add_flag("--dev-skip-signature-check", opt->skip_signature_check,
                "Development only: accept carrier webhooks without a valid X-Twilio-Signature");
  cmd->callback([opt, &ctx] { run_serve(*opt, ctx); });
}

}  // namespace autovoice::cli
