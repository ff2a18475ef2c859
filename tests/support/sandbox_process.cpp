#include "sandbox_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include "support/child_process.h"
#include "telephony/base64.h"

namespace autovoice::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

json::value HttpResult::json() const {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return nullptr;
  return v;
}

HttpResult http_call(const std::string& method, const std::string& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout) {
  HttpResult out;
  const auto started = std::chrono::steady_clock::now();
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    out.error = "bad url";
    return out;
  }
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(std::string(parsed->host()), std::string(parsed->port()), ec);
  if (ec) {
    out.error = ec.message();
    return out;
  }
  http::request<http::string_body> req{http::string_to_verb(method),
                                       std::string(parsed->encoded_target()), 11};
  req.set(http::field::host, std::string(parsed->encoded_host_and_port()));
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty()) {
    if (req[http::field::content_type].empty()) {
      req.set(http::field::content_type, "application/x-www-form-urlencoded");
    }
    req.body() = body;
  }
  req.prepare_payload();
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  // Beast's timeouts work on asynchronous operations only: chain them and run.
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e) {
      ec = e;
      return;
    }
    http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
      if (e2) {
        ec = e2;
        return;
      }
      http::async_read(stream, buffer, res, [&](beast::error_code e3, std::size_t) { ec = e3; });
    });
  });
  io.run();
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (ec) {
    out.error = ec.message();
    return out;
  }
  out.status = res.result_int();
  out.body = res.body();
  return out;
}

std::string basic_auth(const std::string& sid, const std::string& token) {
  const std::string raw = sid + ":" + token;
  return "Basic " + telephony::base64_encode(
                        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

SandboxProcess::SandboxProcess(std::vector<std::string> args, std::string callees_json) {
  const char* bin = std::getenv("AUTOVOICE_BIN");
  if (!bin) throw std::runtime_error("AUTOVOICE_BIN is not set (the autovoice binary to test)");
  char tmpl[] = "/tmp/autovoice-sandbox-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  const std::string port_file = dir_ + "/port";
  std::vector<std::string> argv{bin, "sandbox", "--port", "0", "--port-file", port_file,
                                "--record", record_path()};
  if (!callees_json.empty()) {
    std::ofstream(dir_ + "/callees.json") << callees_json;
    argv.push_back("--callees");
    argv.push_back(dir_ + "/callees.json");
  }
  argv.insert(argv.end(), args.begin(), args.end());

  port_ = start_and_wait_for_port(std::move(argv),
                                  {{"TWILIO_ACCOUNT_SID", kTestAccountSid},
                                   {"TWILIO_AUTH_TOKEN", kTestAuthToken},
                                   {"AUTOVOICE_ENV_FILE", "/dev/null"}},
                                  dir_ + "/stderr", port_file, "autovoice sandbox", &pid_);
}

SandboxProcess::~SandboxProcess() {
  stop();
  std::error_code ec;
  if (!std::getenv("AUTOVOICE_KEEP_TEST_FILES")) std::filesystem::remove_all(dir_, ec);
}

int SandboxProcess::stop() { return stop_child(&pid_); }

std::string SandboxProcess::stderr_text() const { return read_text_file(dir_ + "/stderr"); }

std::string SandboxProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string SandboxProcess::api(const std::string& tail) const {
  return base_url() + "/2010-04-01/Accounts/" + kTestAccountSid + "/" + tail;
}

HttpResult SandboxProcess::post_api(const std::string& tail, const std::string& form_body) const {
  return http_call("POST", api(tail), form_body,
                   {{"Authorization", basic_auth(kTestAccountSid, kTestAuthToken)}});
}

HttpResult SandboxProcess::get_api(const std::string& tail) const {
  return http_call("GET", api(tail), {}, {{"Authorization", basic_auth(kTestAccountSid, kTestAuthToken)}});
}

json::value SandboxProcess::call_record(const std::string& sid) const {
  auto r = http_call("GET", base_url() + "/sandbox/calls/" + sid);
  if (r.status != 200) return nullptr;
  return r.json();
}

json::value SandboxProcess::wait_for_end(const std::string& sid, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json::value record;
  while (std::chrono::steady_clock::now() < deadline) {
    record = call_record(sid);
    if (record.is_object()) {
      const auto status = record.as_object().at("status").as_string();
      if (status == "completed" || status == "busy" || status == "no-answer" ||
          status == "failed" || status == "canceled") {
        return record;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return record;
}

}  // namespace autovoice::testing
