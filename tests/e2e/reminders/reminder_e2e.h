// What the reminder job's end-to-end tests share: a Shop (a temporary folder
// and the environment every autovoice command of a test gets), commands run
// to their end or in the background, and the sandbox carrier's own record of
// the calls it received (the ground truth: a number called twice is a
// customer rung twice, whatever the database says).
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/loopback_socket.h"
#include "support/sandbox_process.h"

namespace autovoice::testing {

inline constexpr const char* kShopFrom = "+12125550100";

// The number `seed --reminders N` gives its i-th customer (from 0).
inline std::string seeded_number(int i) { return "+1212" + std::to_string(2'000'000 + i); }

struct CommandRun {
  int status = -1;
  std::string out;
  std::string err;

  boost::json::value json() const {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(out, ec);
    if (ec) return nullptr;
    return v;
  }
};

// A port on loopback that nothing listens on (taken free, then closed).
inline int closed_loopback_port() {
  int port = 0;
  ::close(listen_on_loopback(1, port));
  return port;
}

class Shop {
 public:
  // `database_url` empty: a SQLite file in the shop's own folder.
  explicit Shop(std::string database_url = {}) {
    const char* bin = std::getenv("AUTOVOICE_BIN");
    if (!bin) throw std::runtime_error("AUTOVOICE_BIN is not set (the autovoice binary to test)");
    bin_ = bin;
    char tmpl[] = "/tmp/autovoice-reminders-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    env = {{"AUTOVOICE_ENV_FILE", "/dev/null"},
           {"DATABASE_URL", database_url.empty() ? "sqlite://" + dir_ + "/autovoice.db" : database_url},
           {"TWILIO_ACCOUNT_SID", kTestAccountSid},
           {"TWILIO_AUTH_TOKEN", kTestAuthToken},
           {"TWILIO_PHONE_NUMBER", kShopFrom},
           {"SHOP_TIMEZONE", "America/New_York"},
           // All day, so that the tests do not depend on the hour they run at.
           {"CALLING_HOURS_START", "00:00"},
           {"CALLING_HOURS_END", "23:59"},
           {"YOUR_TEST_NUMBER", ""},
           {"LOG_FORMAT", "text"}};
  }
  ~Shop() {
    std::error_code ec;
    if (!std::getenv("AUTOVOICE_KEEP_TEST_FILES")) std::filesystem::remove_all(dir_, ec);
  }
  Shop(const Shop&) = delete;
  Shop& operator=(const Shop&) = delete;

  // Added to every command's environment (and overriding it).
  std::map<std::string, std::string> env;

  const std::string& dir() const { return dir_; }

  // Reminder calls go to `sandbox`; the carrier is told to fetch TwiML and
  // post status callbacks at `server_base` (http://127.0.0.1:PORT).
  void use_carrier(const SandboxProcess& sandbox, const std::string& server_base) {
    env["TWILIO_API_BASE"] = sandbox.base_url();
    env["BASE_URL"] = server_base;
    env.erase("SERVER_API_URL");
  }

  // Runs `autovoice args...` to its end.
  CommandRun run(std::vector<std::string> args, const std::map<std::string, std::string>& extra = {}) {
    const std::string tag = "run" + std::to_string(++runs_);
    const int pid = start(std::move(args), tag, extra);
    return finish(pid, tag);
  }

  // Starts `autovoice args...` in the background; its stdout and stderr go to
  // files named after `tag`. Returns the pid for finish() (or a signal).
  int start(std::vector<std::string> args, const std::string& tag,
            const std::map<std::string, std::string>& extra = {}) {
    std::vector<std::string> argv{bin_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> full = env;
    for (const auto& [k, v] : extra) full[k] = v;
    std::filesystem::remove(dir_ + "/" + tag + ".err");
    return start_child(std::move(argv), full, dir_ + "/" + tag + ".out", dir_ + "/" + tag + ".err");
  }

  // Waits for a command start() began; its exit status and output.
  CommandRun finish(int pid, const std::string& tag) {
    CommandRun r;
    r.status = wait_child(pid);
    r.out = read_text_file(dir_ + "/" + tag + ".out");
    r.err = read_text_file(dir_ + "/" + tag + ".err");
    return r;
  }

 private:
  std::string bin_;
  std::string dir_;
  int runs_ = 0;
};

// GET /sandbox/calls: every call the sandbox received, in creation order.
inline boost::json::array sandbox_calls(const SandboxProcess& sandbox) {
  auto r = http_call("GET", sandbox.base_url() + "/sandbox/calls", {}, {}, std::chrono::seconds(60));
  if (r.status != 200) throw std::runtime_error("GET /sandbox/calls failed: " + r.error + " " + r.body);
  return r.json().at("calls").as_array();
}

// How many calls the sandbox received for each number.
inline std::map<std::string, int> calls_per_number(const SandboxProcess& sandbox) {
  std::map<std::string, int> out;
  for (const auto& call : sandbox_calls(sandbox)) ++out[std::string(call.at("to").as_string())];
  return out;
}

// Checks that each of the first `count` seeded numbers was called exactly
// once (a test failure names every other one) and counts the exceptions.
struct OnceEach {
  int twice = 0;
  int missed = 0;
};
inline OnceEach check_called_once_each(const std::map<std::string, int>& per_number, int count) {
  OnceEach out;
  for (int i = 0; i < count; ++i) {
    auto it = per_number.find(seeded_number(i));
    if (it == per_number.end()) {
      ++out.missed;
      ADD_FAILURE() << seeded_number(i) << " was never called";
    } else if (it->second != 1) {
      ++out.twice;
      ADD_FAILURE() << seeded_number(i) << " was called " << it->second << " times";
    }
  }
  return out;
}

inline boost::json::object sandbox_stats(const SandboxProcess& sandbox) {
  auto r = http_call("GET", sandbox.base_url() + "/sandbox/stats");
  if (r.status != 200) throw std::runtime_error("GET /sandbox/stats failed: " + r.error);
  return r.json().as_object();
}

inline int64_t number_of(const boost::json::value& v, std::string_view key) {
  const auto* p = v.as_object().if_contains(key);
  return p && p->is_int64() ? p->as_int64() : (p && p->is_uint64() ? static_cast<int64_t>(p->as_uint64()) : -1);
}

inline std::string text_of(const boost::json::value& v, std::string_view key) {
  const auto* p = v.as_object().if_contains(key);
  return p && p->is_string() ? std::string(p->as_string()) : std::string();
}

// The reminders (reminders list --json) of the shop, all of them.
inline boost::json::array all_reminders(Shop& shop) {
  CommandRun r = shop.run({"reminders", "list", "--json", "--limit", "10000"});
  if (r.status != 0) throw std::runtime_error("reminders list failed: " + r.err);
  return r.json().as_array();
}

// customer id -> phone number (customers list --json).
inline std::map<int64_t, std::string> customer_numbers(Shop& shop) {
  CommandRun r = shop.run({"customers", "list", "--json", "--limit", "10000"});
  if (r.status != 0) throw std::runtime_error("customers list failed: " + r.err);
  std::map<int64_t, std::string> out;
  const boost::json::value customers = r.json();
  for (const auto& c : customers.as_array()) out[number_of(c, "id")] = text_of(c, "phone");
  return out;
}

}  // namespace autovoice::testing
