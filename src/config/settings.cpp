#include "config/settings.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace autovoice {

namespace {

constexpr int kMaxDaysBefore = 30;
constexpr double kMaxCallsPerSecond = 1000.0;
constexpr int kMaxAttempts = 10;
constexpr int kMaxDialConcurrency = 256;
constexpr int kMaxCarrierTimeoutSeconds = 120;
constexpr int kMaxRetryDelayMinutes = 24 * 60;
constexpr int kMaxMisfireGraceSeconds = 7 * 24 * 3600;
constexpr int kMaxShutdownGraceSeconds = 3600;
constexpr int kMaxServerThreads = 64;
constexpr int kMaxDbPoolSize = 64;
constexpr int kMinBodyLimit = 1024;
constexpr int kMaxBodyLimit = 64 * 1024 * 1024;
constexpr int kMaxHttpTimeoutSeconds = 300;

std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])) != 0) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "NAME='value' is not valid: expected ..." (secrets pass shown = "(hidden)").
Error bad(std::string_view name, std::string_view shown, std::string_view expected) {
  std::string message(name);
  message += "='";
  message += std::string(shown.substr(0, 80));
  message += "' is not valid: expected ";
  message += expected;
  return Error::invalid(std::string(name), std::move(message));
}

// Reads variables, remembering the first error so load() reads as a list.
class Reader {
 public:
  explicit Reader(const Environment& env) : env_(env) {}

  const Error* error() const { return error_ ? &*error_ : nullptr; }

  // The trimmed value, or nullopt when unset or empty.
  std::optional<std::string> raw(std::string_view name) const {
    auto it = env_.find(name);
    if (it == env_.end()) return std::nullopt;
    std::string v = trim(it->second);
    if (v.empty()) return std::nullopt;
    return v;
  }

  void text(std::string_view name, std::string& out, std::size_t max_length = 200) {
    auto v = raw(name);
    if (!v) return;
    if (v->size() > max_length) return record(bad(name, *v, "at most " + std::to_string(max_length) + " characters"));
    out = *v;
  }

  void secret(std::string_view name, Secret& out) {
    auto v = raw(name);
    if (v) out = Secret(*v);
  }

  void integer(std::string_view name, int& out, int lo, int hi) {
    auto v = raw(name);
    if (!v) return;
    int n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n < lo || n > hi) {
      return record(bad(name, *v, "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi)));
    }
    out = n;
  }

  void number(std::string_view name, double& out, double lo_exclusive, double hi) {
    auto v = raw(name);
    if (!v) return;
    double n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || !std::isfinite(n) || n <= lo_exclusive ||
        n > hi) {
      std::ostringstream expected;
      expected << "a number greater than " << lo_exclusive << " and at most " << hi;
      return record(bad(name, *v, expected.str()));
    }
    out = n;
  }

  void boolean(std::string_view name, bool& out) {
    auto v = raw(name);
    if (!v) return;
    const std::string l = lower(*v);
    if (l == "true" || l == "1" || l == "yes" || l == "on") {
      out = true;
    } else if (l == "false" || l == "0" || l == "no" || l == "off") {
      out = false;
    } else {
      record(bad(name, *v, "true or false"));
    }
  }

  void phone(std::string_view name, std::optional<PhoneNumber>& out) {
    auto v = raw(name);
    if (!v) return;
    auto p = PhoneNumber::parse(*v);
    if (!p) return record(bad(name, mask_phone(*v), "a phone number in E.164 form like +15551234567 (" +
                                                         p.error().message + ")"));
    out = *p;
  }

  void zone(std::string_view name, std::string& out) {
    auto v = raw(name);
    if (!v) return;
    if (!find_time_zone(*v)) return record(bad(name, *v, "an IANA time zone name like America/New_York"));
    out = *v;
  }

  void http_url(std::string_view name, std::string& out) {
    auto v = raw(name);
    if (!v) return;
    std::string url = *v;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    const bool scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    const auto host_start = url.find("://") + 3;
    const bool host_ok = scheme_ok && host_start < url.size() && url[host_start] != '/' && url[host_start] != ':';
    bool clean = true;
    for (char c : url) clean = clean && std::isspace(static_cast<unsigned char>(c)) == 0 && c != '?' && c != '#';
    if (!scheme_ok || !host_ok || !clean) {
      return record(bad(name, *v, "an http:// or https:// URL with a host and no query, like https://shop.example.com"));
    }
    out = url;
  }

  void time_of_day(std::string_view name, LocalTimeOfDay& out) {
    auto v = raw(name);
    if (!v) return;
    int h = 0;
    int m = 0;
    const bool shape = (v->size() == 5 && (*v)[2] == ':') || (v->size() == 4 && (*v)[1] == ':');
    const std::size_t colon = v->find(':');
    if (!shape || std::from_chars(v->data(), v->data() + colon, h).ec != std::errc() ||
        std::from_chars(v->data() + colon + 1, v->data() + v->size(), m).ec != std::errc() || h < 0 ||
        h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) {
      return record(bad(name, *v, "a local time HH:MM from 00:00 to 24:00"));
    }
    out.minutes = h * 60 + m;
  }

  void record(Error e) {
    if (!error_) error_ = std::move(e);
  }

 private:
  const Environment& env_;
  std::optional<Error> error_;
};

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

// postgresql://user:secret@host/db -> postgresql://user:****@host/db
std::string mask_url_password(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "****" + url.substr(at);
}

}  // namespace

std::string Secret::masked() const {
  if (value_.empty()) return "(unset)";
  if (value_.size() < 12) return "****";
  return "****" + value_.substr(value_.size() - 4);
}

std::string LocalTimeOfDay::str() const {
  const int h = minutes / 60;
  const int m = minutes % 60;
  return std::string(h < 10 ? "0" : "") + std::to_string(h) + (m < 10 ? ":0" : ":") + std::to_string(m);
}

Result<Settings> Settings::load(const Environment& env) {
  Settings s;
  Reader r(env);

  if (auto v = r.raw("DATABASE_URL")) {
    const bool known = v->starts_with("sqlite://") || *v == "sqlite::memory:" ||
                       v->starts_with("postgresql://") || v->starts_with("postgres://");
    if (!known || *v == "sqlite://" || *v == "sqlite:///") {
      r.record(bad("DATABASE_URL", mask_url_password(*v),
                   "sqlite:///path/app.db or postgresql://user@host:port/db"));
    } else {
      s.database_url = *v;
    }
  }
  r.http_url("BASE_URL", s.base_url);
  s.server_api_url = s.base_url + "/api/v1";
  r.http_url("SERVER_API_URL", s.server_api_url);
  r.text("HOST", s.listen_host, 255);
  r.integer("PORT", s.listen_port, 1, 65535);
  r.secret("API_KEY", s.api_key);
  r.integer("SERVER_THREADS", s.server_threads, 0, kMaxServerThreads);
  r.integer("DB_POOL_SIZE", s.db_pool_size, 1, kMaxDbPoolSize);
  int body_limit = static_cast<int>(s.http_body_limit);
  r.integer("HTTP_BODY_LIMIT", body_limit, kMinBodyLimit, kMaxBodyLimit);
  s.http_body_limit = static_cast<std::size_t>(body_limit);
  int http_timeout = static_cast<int>(s.http_timeout.count());
  r.integer("HTTP_TIMEOUT_SECONDS", http_timeout, 1, kMaxHttpTimeoutSeconds);
  s.http_timeout = std::chrono::seconds{http_timeout};
  if (!s.api_key.empty() && s.api_key.reveal().size() < 16) {
    r.record(bad("API_KEY", "(hidden)", "at least 16 characters"));
  }

  if (auto v = r.raw("TWILIO_ACCOUNT_SID")) {
    if (v->size() != 34 || !v->starts_with("AC") || !is_hex(std::string_view(*v).substr(2))) {
      r.record(bad("TWILIO_ACCOUNT_SID", *v, "AC followed by 32 hexadecimal digits"));
    } else {
      s.twilio_account_sid = *v;
    }
  }
  r.secret("TWILIO_AUTH_TOKEN", s.twilio_auth_token);
  r.phone("TWILIO_PHONE_NUMBER", s.twilio_phone_number);
  r.http_url("TWILIO_API_BASE", s.twilio_api_base);

  r.text("SHOP_NAME", s.shop_name, 100);
  r.phone("SHOP_PHONE", s.shop_phone);
  r.zone("SHOP_TIMEZONE", s.shop_timezone);

  r.text("REMINDER_CRON_SCHEDULE", s.reminder_cron_schedule, 200);
  r.zone("REMINDER_TIMEZONE", s.reminder_timezone);
  r.integer("REMINDER_DAYS_BEFORE", s.reminder_days_before, 0, kMaxDaysBefore);
  r.phone("YOUR_TEST_NUMBER", s.your_test_number);
  r.time_of_day("CALLING_HOURS_START", s.calling_hours_start);
  r.time_of_day("CALLING_HOURS_END", s.calling_hours_end);
  if (!r.error() && s.calling_hours_start.minutes >= s.calling_hours_end.minutes) {
    r.record(bad("CALLING_HOURS_END", s.calling_hours_end.str(),
                 "a time later than CALLING_HOURS_START (" + s.calling_hours_start.str() + ")"));
  }
  if (r.raw("CALLS_PER_SECOND") == "0") {
    s.calls_per_second = 0;  // no limit
  } else {
    r.number("CALLS_PER_SECOND", s.calls_per_second, 0.0, kMaxCallsPerSecond);
  }
  r.integer("DIAL_CONCURRENCY", s.dial_concurrency, 1, kMaxDialConcurrency);
  int carrier_timeout = static_cast<int>(s.carrier_timeout.count());
  r.integer("CARRIER_TIMEOUT_SECONDS", carrier_timeout, 1, kMaxCarrierTimeoutSeconds);
  s.carrier_timeout = std::chrono::seconds{carrier_timeout};
  r.integer("RETRY_MAX_ATTEMPTS", s.retry_max_attempts, 1, kMaxAttempts);
  int retry_minutes = static_cast<int>(s.retry_delay.count());
  r.integer("RETRY_DELAY_MINUTES", retry_minutes, 1, kMaxRetryDelayMinutes);
  s.retry_delay = std::chrono::minutes{retry_minutes};
  r.boolean("SMS_FALLBACK", s.sms_fallback);

  int misfire = static_cast<int>(s.misfire_grace.count());
  r.integer("MISFIRE_GRACE_SECONDS", misfire, 0, kMaxMisfireGraceSeconds);
  s.misfire_grace = std::chrono::seconds{misfire};
  int shutdown = static_cast<int>(s.shutdown_grace.count());
  r.integer("SHUTDOWN_GRACE_SECONDS", shutdown, 0, kMaxShutdownGraceSeconds);
  s.shutdown_grace = std::chrono::seconds{shutdown};

  if (auto v = r.raw("LOG_LEVEL")) {
    const std::string l = lower(*v);
    if (l == "trace" || l == "debug" || l == "info" || l == "warn" || l == "error" || l == "critical" ||
        l == "off") {
      s.log_level = l;
    } else {
      r.record(bad("LOG_LEVEL", *v, "one of trace, debug, info, warn, error, critical, off"));
    }
  }
  if (auto v = r.raw("LOG_FORMAT")) {
    const std::string l = lower(*v);
    if (l == "json" || l == "text") {
      s.log_json = l == "json";
    } else {
      r.record(bad("LOG_FORMAT", *v, "json or text"));
    }
  }

  if (const Error* e = r.error()) return *e;
  return s;
}

std::string Settings::describe() const {
  std::ostringstream out;
  auto line = [&](std::string_view name, const std::string& value) {
    out << name << '=' << value << '\n';
  };
  auto phone = [](const std::optional<PhoneNumber>& p) { return p ? p->masked() : std::string("(unset)"); };
  line("DATABASE_URL", mask_url_password(database_url));
  line("BASE_URL", base_url);
  line("SERVER_API_URL", server_api_url);
  line("HOST", listen_host);
  line("PORT", std::to_string(listen_port));
  line("API_KEY", api_key.masked());
  line("SERVER_THREADS", server_threads == 0 ? "0 (one per core)" : std::to_string(server_threads));
  line("DB_POOL_SIZE", std::to_string(db_pool_size));
  line("HTTP_BODY_LIMIT", std::to_string(http_body_limit));
  line("HTTP_TIMEOUT_SECONDS", std::to_string(http_timeout.count()));
  line("TWILIO_ACCOUNT_SID", twilio_account_sid.empty() ? "(unset)" : twilio_account_sid);
  line("TWILIO_AUTH_TOKEN", twilio_auth_token.masked());
  line("TWILIO_PHONE_NUMBER", phone(twilio_phone_number));
  line("TWILIO_API_BASE", twilio_api_base);
  line("SHOP_NAME", shop_name);
  line("SHOP_PHONE", phone(shop_phone));
  line("SHOP_TIMEZONE", shop_timezone);
  line("REMINDER_CRON_SCHEDULE", reminder_cron_schedule);
  line("REMINDER_TIMEZONE", reminder_timezone.empty() ? shop_timezone + " (SHOP_TIMEZONE)" : reminder_timezone);
  line("REMINDER_DAYS_BEFORE", std::to_string(reminder_days_before));
  line("YOUR_TEST_NUMBER", your_test_number ? your_test_number->masked() : "(unset: call every customer)");
  line("CALLING_HOURS_START", calling_hours_start.str());
  line("CALLING_HOURS_END", calling_hours_end.str());
  std::ostringstream cps;
  cps << calls_per_second;
  line("CALLS_PER_SECOND", calls_per_second > 0 ? cps.str() : "0 (no limit)");
  line("DIAL_CONCURRENCY", std::to_string(dial_concurrency));
  line("CARRIER_TIMEOUT_SECONDS", std::to_string(carrier_timeout.count()));
  line("RETRY_MAX_ATTEMPTS", std::to_string(retry_max_attempts));
  line("RETRY_DELAY_MINUTES", std::to_string(retry_delay.count()));
  line("SMS_FALLBACK", sms_fallback ? "true" : "false");
  line("MISFIRE_GRACE_SECONDS", std::to_string(misfire_grace.count()));
  line("SHUTDOWN_GRACE_SECONDS", std::to_string(shutdown_grace.count()));
  line("LOG_LEVEL", log_level);
  line("LOG_FORMAT", log_json ? "json" : "text");
  return out.str();
}

Result<Environment> parse_dotenv(std::string_view text, std::string_view file_name) {
  Environment env;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = trim(std::string_view(line).substr(7));
    const auto eq = line.find('=');
    const std::string key = trim(std::string_view(line).substr(0, eq == std::string::npos ? 0 : eq));
    bool key_ok = eq != std::string::npos && !key.empty() &&
                  std::isdigit(static_cast<unsigned char>(key.front())) == 0;
    for (char c : key) key_ok = key_ok && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_');
    if (!key_ok) {
      return Error::invalid(std::string(file_name), std::string(file_name) + ":" + std::to_string(line_no) +
                                                        ": expected NAME=value");
    }
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const char quote = value.front();
      const auto close = value.find(quote, 1);
      if (close == std::string::npos) {
        return Error::invalid(std::string(file_name), std::string(file_name) + ":" +
                                                          std::to_string(line_no) + ": unterminated quote");
      }
      value = value.substr(1, close - 1);
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(std::string_view(value).substr(0, hash));  // trailing comment
    }
    env[key] = value;
  }
  return env;
}

Result<Environment> load_environment(const char* const* envp, const std::string& dotenv_path) {
  Environment env;
  if (!dotenv_path.empty()) {
    std::ifstream in(dotenv_path);
    if (in) {
      std::stringstream buffer;
      buffer << in.rdbuf();
      auto file = parse_dotenv(buffer.str(), dotenv_path);
      if (!file) return file;
      env = std::move(*file);
    }
  }
  for (const char* const* p = envp; p != nullptr && *p != nullptr; ++p) {
    std::string_view entry(*p);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  return env;
}

}  // namespace autovoice
