// SandboxProcess: the real `autovoice sandbox` binary, started on a free
// loopback port for a test and stopped (SIGTERM, then waited for) when the
// object goes away. The binary's path comes from AUTOVOICE_BIN.
//
// http_call: a blocking HTTP/1.1 request on loopback, for tests.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace autovoice::testing {

inline constexpr const char* kTestAccountSid = "AC0123456789abcdef0123456789abcdef";
inline constexpr const char* kTestAuthToken = "sandbox-test-token";

struct HttpResult {
  int status = 0;  // 0 = no answer (connection closed, refused or timed out)
  std::string body;
  std::string error;
  std::chrono::milliseconds elapsed{0};

  boost::json::value json() const;  // the body parsed; null when it is not JSON
};

HttpResult http_call(const std::string& method, const std::string& url, const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

// "Basic base64(sid:token)"
std::string basic_auth(const std::string& sid, const std::string& token);

class SandboxProcess {
 public:
  // `args` go after `autovoice sandbox --port 0 --port-file F --record R`.
  explicit SandboxProcess(std::vector<std::string> args = {}, std::string callees_json = {});
  ~SandboxProcess();
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;

  int port() const { return port_; }
  int pid() const { return pid_; }
  std::string base_url() const;                       // http://127.0.0.1:PORT
  std::string api(const std::string& tail) const;     // base + /2010-04-01/Accounts/{AC}/ + tail
  std::string record_path() const { return dir_ + "/record.jsonl"; }

  // Authenticated REST calls.
  HttpResult post_api(const std::string& tail, const std::string& form_body) const;
  HttpResult get_api(const std::string& tail) const;

  // GET /sandbox/calls/{sid} (null when unknown).
  boost::json::value call_record(const std::string& sid) const;
  // Waits until the call's status is final; returns its record.
  boost::json::value wait_for_end(const std::string& sid,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  // Sends SIGTERM and waits; returns the exit status.
  int stop();
  std::string stderr_text() const;

 private:
  std::string dir_;
  int pid_ = -1;
  int port_ = 0;
};

}  // namespace autovoice::testing
