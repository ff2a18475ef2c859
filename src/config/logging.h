// Logging: how autovoice's log lines look, and structured events.
//
// configure_logging() installs spdlog's default logger, writing one line per
// event to stderr in one of two formats (times are UTC, to the millisecond):
//
//   json:  {"time":"2026-11-25T10:00:00.123Z","level":"info","msg":"...","key":"value","n":3}
//   text:  2026-11-25 10:00:00.123 info  ... key=value n=3
//
// Plain spdlog calls (spdlog::info("job {} ran", name)) come out in the same
// format with no fields. In json mode every line is one valid JSON object
// whatever the message or fields contain: quotes, backslashes and control
// characters are escaped, and bytes that are not valid UTF-8 become U+FFFD.
// In text mode control characters are escaped too, so an event is always one
// line, and a value with spaces, quotes, '=' or escapes is written quoted.
//
// Level names are trace, debug, info, warn, error, critical (and off, which
// logs nothing).
//
// Thread safety: logging (spdlog calls and LogEvent::log) is safe from any
// number of threads at once. configure_logging() replaces the default logger
// and must not run while other threads log: call it at start-up.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include "domain/result.h"

namespace autovoice {

struct Settings;

enum class LogFormat { kJson, kText };

// The integer types LogEvent::field takes besides std::int64_t and
// std::uint64_t: not bool, and not character types (a char would be
// ambiguous rather than logged as a number).
template <typename T>
concept LogIntegerType =
    std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
    !std::same_as<T, signed char> && !std::same_as<T, unsigned char> && !std::same_as<T, char8_t> &&
    !std::same_as<T, char16_t> && !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>;

// "trace", "debug", "info", "warn", "error", "critical" or "off", in any case.
// Anything else is kInvalidArgument on field LOG_LEVEL.
Result<spdlog::level::level_enum> parse_log_level(std::string_view level);

// Installs the default spdlog logger writing to stderr in `format`, logging
// events at `level` and above. A bad level gives kInvalidArgument on field
// LOG_LEVEL and leaves the current logger as it was.
Status configure_logging(LogFormat format, std::string_view level);
// The same, writing to `sink` (whose formatter is replaced) instead of stderr.
Status configure_logging(LogFormat format, std::string_view level, spdlog::sink_ptr sink);
// From LOG_FORMAT and LOG_LEVEL as Settings::load validated them.
Status configure_logging(const Settings& settings);

// The formatter configure_logging() gives its sink, for sinks set up elsewhere.
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

// A structured log line: a message plus typed fields, written by the installed
// format, fields in the order first given:
//
//   LogEvent("reminder call placed").field("call_sid", sid).field("attempt", 2)
//       .log(spdlog::level::info);
//
// A field named like one of the line's own keys (time, level, msg) or with an
// empty name is written with '_' before its name ("_time"); giving a name
// again replaces its value.
//
// The fields reach the formatter made by make_log_formatter() through the
// logging thread, during the log() call: they show on a synchronous logger's
// sinks (what configure_logging installs). An asynchronous logger, a
// backtrace dump or another formatter gets the message alone.
class LogEvent {
 public:
  using Value = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;
  struct Field {
    std::string key;
    Value value;
  };

  explicit LogEvent(std::string_view message);

  LogEvent& field(std::string_view key, std::string_view value);
  LogEvent& field(std::string_view key, const char* value);  // nullptr is written as "(null)"
  LogEvent& field(std::string_view key, std::int64_t value);
  LogEvent& field(std::string_view key, std::uint64_t value);
  LogEvent& field(std::string_view key, double value);  // NaN and infinities as strings in json
  LogEvent& field(std::string_view key, bool value);
  // Other integer types (int, unsigned, long long...) as 64-bit ones.
  template <LogIntegerType T>
  LogEvent& field(std::string_view key, T value) {
    if constexpr (std::is_signed_v<T>) {
      return field(key, static_cast<std::int64_t>(value));
    } else {
      return field(key, static_cast<std::uint64_t>(value));
    }
  }
  template <std::floating_point T>
  LogEvent& field(std::string_view key, T value) {
    return field(key, static_cast<double>(value));
  }

  // Logs the event on the default logger at `level`; returns at once, writing
  // nothing, when the logger's level is above `level`.
  void log(spdlog::level::level_enum level) const;

  const std::string& message() const { return message_; }
  const std::vector<Field>& fields() const { return fields_; }

 private:
  LogEvent& set(std::string_view key, Value value);

  std::string message_;
  std::vector<Field> fields_;
};

}  // namespace autovoice
