// ServerProcess: the real `autovoice serve` binary on a free loopback port,
// over a fresh, migrated SQLite database in a temporary folder, for end-to-end
// tests. BASE_URL is the server's own loopback address, so a carrier on
// loopback (the sandbox) reaches it at the URL it signs. TWILIO_AUTH_TOKEN is
// the sandbox's test token. Stopped with SIGTERM when the object goes away.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace autovoice::testing {

inline constexpr const char* kProcessApiKey = "e2e-api-key-0123456789";

class ServerProcess {
 public:
  // `env` is added to the server's environment; `args` go after
  // `autovoice serve --port P --port-file F`.
  explicit ServerProcess(std::map<std::string, std::string> env = {}, std::vector<std::string> args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  int pid() const { return pid_; }
  std::string base_url() const;  // http://127.0.0.1:PORT
  std::string database_url() const { return "sqlite://" + dir_ + "/autovoice.db"; }
  // SIGTERM, then waits; returns the exit status (128 + signal when killed).
  int stop();
  std::string stderr_text() const;

 private:
  std::string dir_;
  int pid_ = -1;
  int port_ = 0;
};

}  // namespace autovoice::testing
