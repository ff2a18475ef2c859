// What every subcommand of the autovoice binary shares: where to print, the
// settings and the store (both opened on first use), the clock, and how a
// command fails.
//
// A command that meets bad input calls fail(error): the program prints one
// line, "autovoice: <message>", and exits with 2 for bad input (invalid
// argument, unknown id, conflict, configuration) or 1 when a dependency failed
// (database unreachable, internal error). Nothing is written before the input
// has been validated.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "config/settings.h"
#include "domain/clock.h"
#include "domain/result.h"
#include "store/store.h"

namespace autovoice::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Thrown by fail(); caught once, in run(), and turned into the exit code.
struct CommandFailed : std::runtime_error {
  CommandFailed(int code, const std::string& message) : std::runtime_error(message), exit_code(code) {}
  int exit_code;
};

[[noreturn]] void fail(const Error& error);
[[noreturn]] void fail_usage(const std::string& message);

// Unwraps a Result or fails the command with its error.
template <typename T>
T value_or_fail(Result<T> result) {
  if (!result) fail(result.error());
  return std::move(result).value();
}
inline void check_or_fail(const Status& status) {
  if (!status) fail(status.error());
}

class Context {
 public:
  Context(std::ostream& out_stream, std::ostream& err_stream, Environment env, Clock& clock)
      : out(out_stream), err(err_stream), env_(std::move(env)), clock_(clock) {}

  std::ostream& out;
  std::ostream& err;

  // Loaded and validated on first use; a bad value fails the command naming the variable.
  const Settings& settings();
  // The configured store with a current schema (otherwise: "run autovoice migrate").
  Store& store();
  // The configured store as it is, for `migrate`.
  Store& store_for_migration();
  Clock& clock() { return clock_; }
  const Environment& env() const { return env_; }

 private:
  Environment env_;
  Clock& clock_;
  std::unique_ptr<Settings> settings_;
  std::unique_ptr<Store> store_;
  bool schema_checked_ = false;
};

// Each adds its subcommands to the app; the callbacks use ctx.
void add_config_commands(CLI::App& app, Context& ctx);
void add_store_commands(CLI::App& app, Context& ctx);  // migrate, seed
void add_record_commands(CLI::App& app, Context& ctx);  // customers, vehicles, appointments, calls
void add_cron_commands(CLI::App& app, Context& ctx);    // cron next
void add_sandbox_commands(CLI::App& app, Context& ctx); // sandbox
void add_serve_commands(CLI::App& app, Context& ctx);   // serve
void add_remind_commands(CLI::App& app, Context& ctx);  // remind, worker

// "today", "tomorrow" or YYYY-MM-DD, as a local day in the shop's zone
// (SHOP_TIMEZONE); a bad date fails the command.
Interval shop_day(Context& ctx, const std::string& text);

// Parses argv and runs the chosen subcommand; returns the process exit code.
int run(int argc, const char* const* argv, Context& ctx);

}  // namespace autovoice::cli
