// Settings: autovoice's configuration, read once at start-up from environment
// variables and an optional .env file (the environment wins over the file).
//
// Every value is validated by Settings::load; the first bad one gives an Error
// whose field is the variable's name and whose message names the variable, the
// value (secrets masked) and what is expected. Nothing else reads the
// environment.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/phone.h"
#include "domain/result.h"
#include "domain/time.h"

namespace autovoice {

using Environment = std::map<std::string, std::string, std::less<>>;

// A value that must never reach a log: it has no operator<<, prints masked.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  // "****" plus the last 4 characters when long enough, "(unset)" when empty.
  std::string masked() const;

 private:
  std::string value_;
};

// Wall-clock minutes since local midnight, e.g. 08:00 = 480.
struct LocalTimeOfDay {
  int minutes = 0;
  std::string str() const;  // "08:00"
};

struct Settings {
  // Storage
  std::string database_url = "sqlite://autovoice.db";  // relative to the working directory
  // Where the carrier reaches us, and where the worker points calls.
  std::string base_url = "http://127.0.0.1:8080";
  std::string server_api_url;  // default: BASE_URL + "/api/v1"
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  Secret api_key;
  // The server (autovoice serve)
  int server_threads = 0;        // event-loop threads; 0 = one per core
  int db_pool_size = 4;          // threads that do the server's database work
  std::size_t http_body_limit = 1024 * 1024;  // bytes; larger request bodies get 413
  std::chrono::seconds http_timeout{10};      // to read a request (slow clients) or write an answer
  // Carrier
  std::string twilio_account_sid;
  Secret twilio_auth_token;
  std::optional<PhoneNumber> twilio_phone_number;
  std::string twilio_api_base = "https://api.twilio.com";
  // Shop
  std::string shop_name = "Our Shop";
  std::optional<PhoneNumber> shop_phone;
  std::string shop_timezone = "America/New_York";
  // Reminders
  std::string reminder_cron_schedule = "0 9 * * *";
  std::string reminder_timezone;  // default: the shop's
  int reminder_days_before = 1;
  std::optional<PhoneNumber> your_test_number;  // set = call only this number
  LocalTimeOfDay calling_hours_start{8 * 60};
  LocalTimeOfDay calling_hours_end{21 * 60};
  double calls_per_second = 1.0;  // 0 = no limit (the sandbox, benchmarks)
  int dial_concurrency = 32;      // carrier requests in flight at once
  std::chrono::seconds carrier_timeout{15};  // one carrier request, connecting included
  int retry_max_attempts = 2;  // attempts in all, the first call included
  std::chrono::minutes retry_delay{15};
  bool sms_fallback = false;
  // Scheduler
  std::chrono::seconds misfire_grace{3600};
  std::chrono::seconds shutdown_grace{30};
  // Logging
  std::string log_level = "info";
  bool log_json = true;

  // Validates every variable; see the file comment.
  static Result<Settings> load(const Environment& env);

  // The effective configuration, one "NAME=value" a line, secrets masked.
  std::string describe() const;
};

// The process environment merged over a .env file: a missing file is fine; a
// malformed line is an error naming the file and line. `KEY=value`,
// `export KEY=value`, quotes, and # comments are understood.
Result<Environment> load_environment(const char* const* envp, const std::string& dotenv_path);
// Parses .env text (exposed for tests).
Result<Environment> parse_dotenv(std::string_view text, std::string_view file_name);

}  // namespace autovoice
