#include "support/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace autovoice::testing {

namespace {

int spawn(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
          const std::string& err_path, const std::string& out_path = {}) {
  std::fflush(nullptr);  // else the child would write the parent's buffered output again
  const int pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    FILE* f = std::freopen(err_path.c_str(), "a", stderr);
    (void)f;
    if (!out_path.empty()) {
      FILE* o = std::freopen(out_path.c_str(), "w", stdout);
      (void)o;
    }
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(cargs[0], cargs.data());
    std::_Exit(127);
  }
  return pid;
}

int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

int start_and_wait_for_port(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
                            const std::string& err_path, const std::string& port_file,
                            const std::string& what, int* pid) {
  *pid = spawn(std::move(argv), env, err_path);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) return port;
    int status = 0;
    if (::waitpid(*pid, &status, WNOHANG) == *pid) {
      *pid = -1;
      throw std::runtime_error(what + " exited at start: " + read_text_file(err_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error(what + " did not start: " + read_text_file(err_path));
}

int run_to_end(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
               const std::string& err_path) {
  const int pid = spawn(std::move(argv), env, err_path);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return exit_status(status);
}

int start_child(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
                const std::string& out_path, const std::string& err_path) {
  return spawn(std::move(argv), env, err_path, out_path);
}

int wait_child(int pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return exit_status(status);
}

int stop_child(int* pid) {
  if (*pid <= 0) return 0;
  ::kill(*pid, SIGTERM);
  int status = 0;
  ::waitpid(*pid, &status, 0);
  *pid = -1;
  return exit_status(status);
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace autovoice::testing
