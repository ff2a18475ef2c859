#include "support/server_harness.h"

#include <sstream>

#include "telephony/signature.h"

namespace autovoice::testing {

namespace tel = telephony;

server::ServerConfig ServerHarness::default_config() {
  server::ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.threads = 2;
  config.db_threads = 2;
  config.timeout = std::chrono::seconds(5);
  config.shutdown_grace = std::chrono::seconds(5);
  config.base_url = kServerBaseUrl;
  config.auth_token = kServerAuthToken;
  config.api_key = kServerApiKey;
  config.shop_timezone = "America/New_York";
  return config;
}

std::unique_ptr<ServerHarness> ServerHarness::create(Backend backend, std::string* why,
                                                     server::ServerConfig config, Store* store_override) {
  std::unique_ptr<ServerHarness> h(new ServerHarness());
  if (store_override != nullptr) {
    h->store_ = store_override;
  } else {
    h->db_ = TestDatabase::create(backend, why);
    if (h->db_ == nullptr) return nullptr;
    auto opened = open_store(h->db_->url());
    if (!opened) {
      *why = "open_store: " + opened.error().message;
      return nullptr;
    }
    h->owned_store_ = std::move(*opened);
    if (auto migrated = h->owned_store_->migrate(); !migrated) {
      *why = "migrate: " + migrated.error().message;
      return nullptr;
    }
    h->store_ = h->owned_store_.get();
  }
  auto started = server::Server::start(std::move(config), *h->store_, h->clock_);
  if (!started) {
    *why = "Server::start: " + started.error().message;
    return nullptr;
  }
  h->server_ = std::move(*started);
  h->port_ = h->server_->port();
  return h;
}

ServerHarness::~ServerHarness() { shutdown(); }

void ServerHarness::shutdown() {
  if (server_) server_->shutdown();
}

std::string ServerHarness::url(const std::string& target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + target;
}

HttpResult ServerHarness::carrier_post(const std::string& target, const tel::FormParams& form,
                                       std::vector<std::pair<std::string, std::string>> headers) const {
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  headers.emplace_back(std::string(tel::kSignatureHeader),
                       tel::compute_signature(kServerAuthToken, std::string(kServerBaseUrl) + target, form));
  return http_call("POST", url(target), tel::encode_form(form), headers);
}

HttpResult ServerHarness::carrier_post_with_signature(const std::string& target, const tel::FormParams& form,
                                                      const std::string& signature) const {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  if (!signature.empty()) headers.emplace_back(std::string(tel::kSignatureHeader), signature);
  return http_call("POST", url(target), tel::encode_form(form), headers);
}

HttpResult ServerHarness::api(const std::string& method, const std::string& target,
                              const std::string& body) const {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", std::string("Bearer ") + kServerApiKey}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return http_call(method, url(target), body, headers);
}

std::string ServerHarness::metrics() const { return http_call("GET", url("/metrics")).body; }

double metric_value(const std::string& text, const std::string& name, const std::vector<std::string>& labels) {
  std::istringstream in(text);
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!line.starts_with(name)) continue;
    const char after = line.size() > name.size() ? line[name.size()] : '\0';
    if (after != '{' && after != ' ') continue;
    const auto space = line.rfind(' ');
    const std::string series = line.substr(0, space);
    bool all = true;
    for (const auto& l : labels) all = all && series.find(l) != std::string::npos;
    if (all) sum += std::stod(line.substr(space + 1));
  }
  return sum;
}

}  // namespace autovoice::testing
