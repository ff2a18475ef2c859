// ServerHarness: the real autovoice server, in process, on a free loopback
// port, over a fresh database (SQLite by default, or PostgreSQL), with
// helpers that speak to it as the carrier (signed webhooks) and as the shop's
// software (the API key) would.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "domain/clock.h"
#include "server/http.h"
#include "server/server.h"
#include "store/store.h"
#include "support/sandbox_process.h"
#include "support/test_database.h"
#include "telephony/form.h"

namespace autovoice::testing {

inline constexpr const char* kServerBaseUrl = "https://autovoice.test";  // what the carrier signs
inline constexpr const char* kServerAuthToken = "server-test-auth-token";
inline constexpr const char* kServerApiKey = "test-api-key-0123456789";

class ServerHarness {
 public:
  // Null (with *why) when the backend is unavailable here.
  static std::unique_ptr<ServerHarness> create(Backend backend, std::string* why,
                                               server::ServerConfig config = default_config(),
                                               Store* store_override = nullptr);
  static server::ServerConfig default_config();
  ~ServerHarness();

  server::Server& server() { return *server_; }
  Store& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  int port() const { return port_; }
  std::string url(const std::string& target) const;  // http://127.0.0.1:PORT + target

  // POST a form as the carrier would: signed over kServerBaseUrl + target.
  HttpResult carrier_post(const std::string& target, const telephony::FormParams& form,
                          std::vector<std::pair<std::string, std::string>> headers = {}) const;
  // The same, unsigned or with a given signature header value.
  HttpResult carrier_post_with_signature(const std::string& target, const telephony::FormParams& form,
                                         const std::string& signature) const;
  // CRM API call with the API key; body is JSON text (or empty).
  HttpResult api(const std::string& method, const std::string& target, const std::string& body = {}) const;
  // GET /metrics as text.
  std::string metrics() const;

  // Stops the server now (graceful).
  void shutdown();

 private:
  ServerHarness() : clock_(std::chrono::system_clock::time_point{std::chrono::seconds{1'795'000'000}}) {}
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> owned_store_;
  Store* store_ = nullptr;
  FakeClock clock_;
  std::unique_ptr<server::Server> server_;
  int port_ = 0;
};

// Sums the values of every series of `name` whose labels contain each of
// `labels` ("route=\"/healthz\""), from Prometheus text. 0 when none.
double metric_value(const std::string& text, const std::string& name,
                    const std::vector<std::string>& labels = {});

}  // namespace autovoice::testing
