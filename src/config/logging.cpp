#include "config/logging.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <utility>

#include "config/settings.h"

namespace autovoice {
namespace {

// How LogEvent's fields reach the formatter: LogEvent::log() points this at
// itself for the duration of its (synchronous) call into the logger, on its
// own thread, and the formatter takes the fields only when the message it is
// formatting is that event's message string itself, compared by address. A
// plain spdlog call, whatever its text, can never be read as an event, and
// nothing is encoded into or parsed out of the message.
thread_local const LogEvent* t_logging_event = nullptr;

class CurrentEvent {
 public:
  explicit CurrentEvent(const LogEvent& e) : previous_(std::exchange(t_logging_event, &e)) {}
  ~CurrentEvent() { t_logging_event = previous_; }
  CurrentEvent(const CurrentEvent&) = delete;
  CurrentEvent& operator=(const CurrentEvent&) = delete;

 private:
  const LogEvent* previous_;
};

using Buffer = spdlog::memory_buf_t;

void put(Buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }
void put(Buffer& out, char c) { out.push_back(c); }

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The UTF-8 sequence starting at s[i]: its length and whether it is valid.
// When invalid, the length is that of its longest valid prefix (at least 1),
// which becomes one U+FFFD, as Unicode recommends.
struct Utf8Sequence {
  std::size_t length;
  bool valid;
};

Utf8Sequence utf8_sequence(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {1, true};
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 == 0xE0) {
    n = 3;
    lo = 0xA0;  // no overlong forms
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    n = 3;
  } else if (b0 == 0xED) {
    n = 3;
    hi = 0x9F;  // no surrogates
  } else if (b0 == 0xF0) {
    n = 4;
    lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    n = 4;
  } else if (b0 == 0xF4) {
    n = 4;
    hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {1, false};
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return {k, false};
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return {k, false};
  }
  return {n, true};
}

void put_unicode_escape(Buffer& out, unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  put(out, "\\u00");
  put(out, kHex[c >> 4]);
  put(out, kHex[c & 0xF]);
}

// `s` as the inside of a JSON string: escapes for quotes, backslashes and
// control characters, U+FFFD for invalid UTF-8.
void put_escaped(Buffer& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const Utf8Sequence seq = utf8_sequence(s, i);
      put(out, seq.valid ? s.substr(i, seq.length) : kReplacement);
      i += seq.length;
      continue;
    }
    switch (c) {
      case '"':
        put(out, "\\\"");
        break;
      case '\\':
        put(out, "\\\\");
        break;
      case '\n':
        put(out, "\\n");
        break;
      case '\r':
        put(out, "\\r");
        break;
      case '\t':
        put(out, "\\t");
        break;
      case '\b':
        put(out, "\\b");
        break;
      case '\f':
        put(out, "\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          put_unicode_escape(out, c);
        } else {
          put(out, static_cast<char>(c));
        }
    }
    ++i;
  }
}

void put_json_string(Buffer& out, std::string_view s) {
  put(out, '"');
  put_escaped(out, s);
  put(out, '"');
}

// Text mode: a message needs no quotes, only its control characters and
// invalid UTF-8 made visible.
void put_text_message(Buffer& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || c >= 0x80) {
      // put_escaped() handles exactly these; '"' and '\\' never reach it here.
      const std::size_t len = c >= 0x80 ? utf8_sequence(s, i).length : 1;
      put_escaped(out, s.substr(i, len));
      i += len;
    } else {
      put(out, static_cast<char>(c));
      ++i;
    }
  }
}

// Text mode: a value is written bare unless it is empty or holds a space,
// '=', a quote, a backslash, a control character or non-ASCII bytes; then it
// is quoted with JSON escapes.
void put_text_value(Buffer& out, std::string_view s) {
  bool bare = !s.empty();
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '=' || c == '"' || c == '\\') {
      bare = false;
      break;
    }
  }
  if (bare) {
    put(out, s);
  } else {
    put_json_string(out, s);
  }
}

// Text mode keys are never quoted: anything but printable ASCII other than
// '=' and '"' becomes '_'.
void put_text_key(Buffer& out, std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    put(out, c <= 0x20 || c >= 0x7F || c == '=' || c == '"' ? '_' : ch);
  }
}

template <typename T>
void put_number(Buffer& out, T n) {
  std::array<char, 32> buf;
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), n);
  out.append(buf.data(), end);
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

void put_two(Buffer& out, unsigned n) {
  put(out, static_cast<char>('0' + n / 10 % 10));
  put(out, static_cast<char>('0' + n % 10));
}

// "2026-11-25<sep>10:00:00.123", UTC.
void put_time(Buffer& out, std::chrono::system_clock::time_point t, char separator) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  const int y = static_cast<int>(ymd.year());
  put_two(out, static_cast<unsigned>(y / 100));
  put_two(out, static_cast<unsigned>(y % 100));
  put(out, '-');
  put_two(out, static_cast<unsigned>(ymd.month()));
  put(out, '-');
  put_two(out, static_cast<unsigned>(ymd.day()));
  put(out, separator);
  put_two(out, static_cast<unsigned>(hms.hours().count()));
  put(out, ':');
  put_two(out, static_cast<unsigned>(hms.minutes().count()));
  put(out, ':');
  put_two(out, static_cast<unsigned>(hms.seconds().count()));
  put(out, '.');
  const auto millis = static_cast<unsigned>(hms.subseconds().count());
  put(out, static_cast<char>('0' + millis / 100));
  put_two(out, millis % 100);
}

void put_json_value(Buffer& out, const LogEvent::Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    put_json_string(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    put_number(out, *i);
  } else if (const auto* u = std::get_if<std::uint64_t>(&value)) {
    put_number(out, *u);
  } else if (const auto* d = std::get_if<double>(&value)) {
    if (std::isnan(*d)) {
      put(out, "\"NaN\"");
    } else if (std::isinf(*d)) {
      put(out, *d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
      put_number(out, *d);
    }
  } else {
    put(out, std::get<bool>(value) ? "true" : "false");
  }
}

void put_text_field_value(Buffer& out, const LogEvent::Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    put_text_value(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    put_number(out, *i);
  } else if (const auto* u = std::get_if<std::uint64_t>(&value)) {
    put_number(out, *u);
  } else if (const auto* d = std::get_if<double>(&value)) {
    put_number(out, *d);  // nan, inf, -inf
  } else {
    put(out, std::get<bool>(value) ? "true" : "false");
  }
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, Buffer& dest) override {
    const std::string_view message(msg.payload.data(), msg.payload.size());
    const LogEvent* event = t_logging_event;
    const std::vector<LogEvent::Field>* fields = nullptr;
    if (event != nullptr && message.data() == event->message().data() &&
        message.size() == event->message().size()) {
      fields = &event->fields();
    }
    if (format_ == LogFormat::kJson) {
      put(dest, "{\"time\":\"");
      put_time(dest, msg.time, 'T');
      put(dest, "Z\",\"level\":\"");
      put(dest, level_name(msg.level));
      put(dest, "\",\"msg\":");
      put_json_string(dest, message);
      if (fields != nullptr) {
        for (const LogEvent::Field& f : *fields) {
          put(dest, ',');
          put_json_string(dest, f.key);
          put(dest, ':');
          put_json_value(dest, f.value);
        }
      }
      put(dest, '}');
    } else {
      put_time(dest, msg.time, ' ');
      put(dest, ' ');
      const std::string_view level = level_name(msg.level);
      put(dest, level);
      for (std::size_t width = level.size(); width < 5; ++width) put(dest, ' ');
      put(dest, ' ');
      put_text_message(dest, message);
      if (fields != nullptr) {
        for (const LogEvent::Field& f : *fields) {
          put(dest, ' ');
          put_text_key(dest, f.key);
          put(dest, '=');
          put_text_field_value(dest, f.value);
        }
      }
    }
    put(dest, '\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  LogFormat format_;
};

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

Result<spdlog::level::level_enum> parse_log_level(std::string_view level) {
  std::string l(level);
  for (char& c : l) c = ascii_lower(c);
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [name, value] : kLevels) {
    if (l == name) return value;
  }
  std::string message = "LOG_LEVEL='";
  message += level.substr(0, 80);
  message += "' is not valid: expected one of trace, debug, info, warn, error, critical, off";
  return Error::invalid("LOG_LEVEL", std::move(message));
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  return std::make_unique<LineFormatter>(format);
}

Status configure_logging(LogFormat format, std::string_view level, spdlog::sink_ptr sink) {
  auto parsed = parse_log_level(level);
  if (!parsed) return parsed.error();
  sink->set_formatter(make_log_formatter(format));
  auto logger = std::make_shared<spdlog::logger>("", std::move(sink));
  logger->set_level(*parsed);
  spdlog::set_default_logger(std::move(logger));
  return ok_status();
}

Status configure_logging(LogFormat format, std::string_view level) {
  if (auto parsed = parse_log_level(level); !parsed) return parsed.error();
  return configure_logging(format, level, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

Status configure_logging(const Settings& settings) {
  return configure_logging(settings.log_json ? LogFormat::kJson : LogFormat::kText,
                           settings.log_level);
}

LogEvent::LogEvent(std::string_view message) : message_(message) {}

LogEvent& LogEvent::set(std::string_view key, Value value) {
  std::string name;
  if (key.empty() || key == "time" || key == "level" || key == "msg") name = "_";
  name += key;
  for (Field& f : fields_) {
    if (f.key == name) {
      f.value = std::move(value);
      return *this;
    }
  }
  fields_.push_back({std::move(name), std::move(value)});
  return *this;
}

LogEvent& LogEvent::field(std::string_view key, std::string_view value) {
  return set(key, std::string(value));
}
LogEvent& LogEvent::field(std::string_view key, const char* value) {
  return set(key, std::string(value != nullptr ? value : "(null)"));
}
LogEvent& LogEvent::field(std::string_view key, std::int64_t value) { return set(key, value); }
LogEvent& LogEvent::field(std::string_view key, std::uint64_t value) { return set(key, value); }
LogEvent& LogEvent::field(std::string_view key, double value) { return set(key, value); }
LogEvent& LogEvent::field(std::string_view key, bool value) { return set(key, value); }

void LogEvent::log(spdlog::level::level_enum level) const {
  spdlog::logger* logger = spdlog::default_logger_raw();
  if (logger == nullptr || !logger->should_log(level)) return;
  CurrentEvent current(*this);
  logger->log(level, spdlog::string_view_t(message_.data(), message_.size()));
}

}  // namespace autovoice
