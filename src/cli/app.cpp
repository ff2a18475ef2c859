#include <iostream>

#include "cli/command.h"
#include "cron/cron_expression.h"

namespace autovoice::cli {

void fail(const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal:
      throw CommandFailed(kExitFailure, error.message);
    default:
      throw CommandFailed(kExitUsage, error.message);
  }
}

void fail_usage(const std::string& message) { throw CommandFailed(kExitUsage, message); }

const Settings& Context::settings() {
  if (!settings_) {
    auto loaded = Settings::load(env_);
    if (!loaded) fail(loaded.error());
    // The schedule is checked by the cron parser, which config cannot depend on.
    if (auto cron = CronExpression::parse(loaded->reminder_cron_schedule); !cron) {
      fail(Error::invalid("REMINDER_CRON_SCHEDULE", "REMINDER_CRON_SCHEDULE='" +
                                                        loaded->reminder_cron_schedule +
                                                        "' is not valid: " + cron.error().message));
    }
    settings_ = std::make_unique<Settings>(std::move(*loaded));
  }
  return *settings_;
}

Store& Context::store_for_migration() {
  if (!store_) store_ = value_or_fail(open_store(settings().database_url));
  return *store_;
}

Store& Context::store() {
  Store& s = store_for_migration();
  if (!schema_checked_) {
    value_or_fail(require_current_schema(s));
    schema_checked_ = true;
  }
  return s;
}

namespace {

void add_config_check(CLI::App& app, Context& ctx) {
  auto* config = app.add_subcommand("config", "Inspect the configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand(
      "check", "Validate every setting and print the effective configuration (secrets masked)");
  check->callback([&ctx] {
    ctx.out << ctx.settings().describe();
    ctx.out << "configuration OK\n";
  });
}

}  // namespace

void add_config_commands(CLI::App& app, Context& ctx) { add_config_check(app, ctx); }

int run(int argc, const char* const* argv, Context& ctx) {
  CLI::App app{"autovoice: appointment-reminder calls for auto-repair shops", "autovoice"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  add_config_commands(app, ctx);
  add_store_commands(app, ctx);
  add_record_commands(app, ctx);
  add_cron_commands(app, ctx);
  add_sandbox_commands(app, ctx);
  add_serve_commands(app, ctx);
  add_remind_commands(app, ctx);
  try {
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, ctx.out, ctx.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, ctx.out, ctx.err);
  } catch (const CLI::ParseError& e) {
    ctx.err << "autovoice: " << e.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const CommandFailed& e) {
    ctx.err << "autovoice: " << e.what() << '\n';
    return e.exit_code;
  }
}

}  // namespace autovoice::cli
