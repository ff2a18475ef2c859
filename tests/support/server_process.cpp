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

#include "support/loopback_socket.h"
#include "support/sandbox_process.h"

namespace autovoice::testing {

namespace {

// Runs the binary with `args` and `env` to completion; stderr to `err_path`.
int run_to_end(const std::string& bin, std::vector<std::string> args, const std::map<std::string, std::string>& env,
               const std::string& err_path) {
  const int pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    FILE* f = std::freopen(err_path.c_str(), "a", stderr);
    (void)f;
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> cargs;
    args.insert(args.begin(), bin);
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(bin.c_str(), cargs.data());
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

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
  if (int rc = run_to_end(bin, {"migrate"}, full, err); rc != 0) {
    throw std::runtime_error("autovoice migrate failed (" + std::to_string(rc) + "): " + stderr_text());
  }

  const std::string port_file = dir_ + "/port";
  std::vector<std::string> argv{bin, "serve", "--port", std::to_string(port), "--port-file", port_file};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    FILE* f = std::freopen(err.c_str(), "a", stderr);
    (void)f;
    for (const auto& [k, v] : full) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(bin, cargs.data());
    std::_Exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    int written = 0;
    if (in >> written && written > 0) {
      port_ = written;
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("autovoice serve exited at start: " + stderr_text());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("autovoice serve did not start: " + stderr_text());
}

ServerProcess::~ServerProcess() {
  stop();
  std::error_code ec;
  if (!std::getenv("AUTOVOICE_KEEP_TEST_FILES")) std::filesystem::remove_all(dir_, ec);
}

int ServerProcess::stop() {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ServerProcess::stderr_text() const {
  std::ifstream in(dir_ + "/stderr");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ServerProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

}  // namespace autovoice::testing
