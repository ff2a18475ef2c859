// migrate and seed: create or upgrade the schema; load demo or bulk data.
#include <iomanip>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/seed.h"

namespace autovoice::cli {

namespace {

void add_migrate(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("migrate", "Create or upgrade the database schema (safe to run again)");
  cmd->callback([&ctx] {
    const auto report = value_or_fail(ctx.store_for_migration().migrate());
    if (report.applied.empty()) {
      ctx.out << "schema is current (version " << report.to_version << ")\n";
      return;
    }
    for (int v : report.applied) ctx.out << "applied migration " << v << '\n';
    ctx.out << "schema upgraded from version " << report.from_version << " to " << report.to_version << '\n';
  });
}

void add_seed(CLI::App& app, Context& ctx) {
  struct Options {
    bool demo = false;
    std::size_t bulk = 0;
    std::size_t reminders = 0;
    std::string date = "tomorrow";
    int days = 365;
    unsigned seed = 1;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("seed", "Load data: the demo shop, or bulk data for load tests");
  auto* demo = cmd->add_flag("--demo", opt->demo,
                             "A believable shop: customers, vehicles and a week of appointments");
  auto* bulk = cmd->add_option("--bulk", opt->bulk, "This many random appointments (for benchmarks)");
  auto* reminders = cmd->add_option(
      "--reminders", opt->reminders,
      "This many customers, each with one CONFIRMED appointment on --date (a reminder sweep's load)");
  demo->excludes(bulk);
  demo->excludes(reminders);
  bulk->excludes(reminders);
  cmd->add_option("--date", opt->date, "With --reminders: the local day, today, tomorrow or YYYY-MM-DD")
      ->capture_default_str();
  cmd->add_option("--days", opt->days, "With --bulk: spread over this many days from now")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "With --bulk: random seed")->capture_default_str();
  cmd->add_flag("--json", opt->json, "Print the summary as JSON");
  cmd->callback([&ctx, opt] {
    if (!opt->demo && opt->bulk == 0 && opt->reminders == 0) fail_usage("seed needs --demo, --bulk N or --reminders N");
    Store& store = ctx.store();
    const auto now = ctx.clock().now_seconds();
    if (opt->reminders > 0) {
      const TimeZone* zone = value_or_fail(find_time_zone(ctx.settings().shop_timezone, "SHOP_TIMEZONE"));
      const Interval day = shop_day(ctx, opt->date);
      auto progress = [&ctx](std::size_t done, std::size_t total) {
        ctx.err << "\rloaded " << done << "/" << total << " customers" << std::flush;
        if (done == total) ctx.err << '\n';
      };
      const auto r = value_or_fail(
          seed_reminder_load(store, opt->reminders, local_date(day.begin, zone), zone, now, progress));
      if (opt->json) {
        return print_json(ctx.out, boost::json::object{{"customers", r.customers}, {"appointments", r.appointments}});
      }
      ctx.out << "seeded " << r.customers << " customers, each with one confirmed appointment on "
              << date::format("%F", date::zoned_seconds{zone, day.begin}) << '\n';
      return;
    }
    if (opt->demo) {
      const TimeZone* zone = value_or_fail(find_time_zone(ctx.settings().shop_timezone, "SHOP_TIMEZONE"));
      const auto r = value_or_fail(seed_demo(store, zone, now));
      if (opt->json) {
        return print_json(ctx.out, boost::json::object{{"customers", r.customers},
                                                       {"vehicles", r.vehicles},
                                                       {"appointments", r.appointments},
                                                       {"confirmed_tomorrow", r.confirmed_tomorrow}});
      }
      ctx.out << "seeded the demo shop \"" << ctx.settings().shop_name << "\" (" << zone->name() << "): "
              << r.customers << " customers, " << r.vehicles << " vehicles, " << r.appointments
              << " appointments, " << r.confirmed_tomorrow << " confirmed for tomorrow\n";
      return;
    }
    if (opt->days < 1 || opt->days > 3660) fail_usage("--days must be from 1 to 3660");
    auto progress = [&ctx](std::size_t done, std::size_t total) {
      ctx.err << "\rloaded " << done << "/" << total << " appointments" << std::flush;
      if (done == total) ctx.err << '\n';
    };
    const auto r = value_or_fail(seed_bulk(store, opt->bulk, opt->days, now, opt->seed, progress));
    if (opt->json) {
      return print_json(ctx.out, boost::json::object{{"customers", r.customers},
                                                     {"appointments", r.appointments},
                                                     {"appointments_per_second", r.appointments_per_second}});
    }
    ctx.out << "seeded " << r.customers << " customers and " << r.appointments << " appointments ("
            << std::fixed << std::setprecision(0) << r.appointments_per_second << " appointments/s)\n";
  });
}

}  // namespace

void add_store_commands(CLI::App& app, Context& ctx) {
  add_migrate(app, ctx);
  add_seed(app, ctx);
}

}  // namespace autovoice::cli
