#include "support/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/child_process.h"
#include "support/loopback_socket.h"
#include "support/sandbox_process.h"

namespace autovoice::testing {

ServerProcess::ServerProcess(std::map<std::string, std::string> env, std::vector<std::string> args) {
  const char* bin = std::getenv("AUTOVOICE_BIN");
  if (!bin) throw std::runtime_error("AUTOVOICE_BIN is not set (the autovoice binary to test)");
  char tmpl[] = "/tmp/autovoice-server-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // BASE_URL must name the port before the server starts: take a free one.
  int port = 0;
  ::close(listen_on_loopback(1, port));

  std::map<std::string, std::string> full = {{"AUTOVOICE_ENV_FILE", "/dev/null"},
                                             {"DATABASE_URL", database_url()},
                                             {"BASE_URL", "http://127.0.0.1:" + std::to_string(port)},
                                             {"TWILIO_ACCOUNT_SID", kTestAccountSid},
                                             {"TWILIO_AUTH_TOKEN", kTestAuthToken},
                                             {"API_KEY", kProcessApiKey},
                                             {"SERVER_THREADS", "2"},
                                             {"SHUTDOWN_GRACE_SECONDS", "5"}};
  for (auto& [k, v] : env) full[k] = v;
  const std::string err = dir_ + "/stderr";
  if (int rc = run_to_end({bin, "migrate"}, full, err); rc != 0) {
    throw std::runtime_error("autovoice migrate failed (" + std::to_string(rc) + "): " + stderr_text());
  }

  const std::string port_file = dir_ + "/port";
  std::vector<std::string> argv{bin, "serve", "--port", std::to_string(port), "--port-file", port_file};
  argv.insert(argv.end(), args.begin(), args.end());
  port_ = start_and_wait_for_port(std::move(argv), full, err, port_file, "autovoice serve", &pid_);
}

ServerProcess::~ServerProcess() {
  stop();
  std::error_code ec;
  if (!std::getenv("AUTOVOICE_KEEP_TEST_FILES")) std::filesystem::remove_all(dir_, ec);
}

int ServerProcess::stop() { return stop_child(&pid_); }

std::string ServerProcess::stderr_text() const { return read_text_file(dir_ + "/stderr"); }

std::string ServerProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

}  // namespace autovoice::testing
