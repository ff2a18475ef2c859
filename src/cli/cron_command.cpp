// cron next: the next fire times of a cron expression in a time zone.
//
//   autovoice cron next EXPR [--tz ZONE] [--from TIME] [-n N] [--json]
//
// Works with no configuration at all when --tz is given: the settings are read
// only to find the default zone (REMINDER_TIMEZONE, else SHOP_TIMEZONE).
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/output.h"
#include "cron/cron_expression.h"

namespace autovoice::cli {

namespace {

constexpr int kDefaultCount = 5;
constexpr int kMaxCount = 1000;

struct CronNextOptions {
  std::vector<std::string> words;  // the expression, possibly given as separate words
  std::string zone;
  std::string from;
  int count = kDefaultCount;
  bool json = false;
};

std::string join_words(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

const TimeZone* zone_or_fail(const CronNextOptions& opt, Context& ctx) {
  if (!opt.zone.empty()) return value_or_fail(find_time_zone(opt.zone, "--tz"));
  const Settings& settings = ctx.settings();
  if (!settings.reminder_timezone.empty()) {
    return value_or_fail(find_time_zone(settings.reminder_timezone, "REMINDER_TIMEZONE"));
  }
  return value_or_fail(find_time_zone(settings.shop_timezone, "SHOP_TIMEZONE"));
}

void run_cron_next(const CronNextOptions& opt, Context& ctx) {
  if (opt.count < 1 || opt.count > kMaxCount) {
    fail(Error::invalid("--count", "-n " + std::to_string(opt.count) + " is out of range 1-" +
                                       std::to_string(kMaxCount)));
  }
  const std::string text = join_words(opt.words);
  auto parsed = CronExpression::parse(text);
  if (!parsed) {
    Error error = parsed.error();
    std::string shown = text.substr(0, 80);
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // keep it one line
    }
    error.message = "cron expression '" + shown + "': " + error.message;
    fail(error);
  }
  const CronExpression& expr = *parsed;
  const TimeZone* zone = zone_or_fail(opt, ctx);
  const TimePoint start = opt.from.empty()
                              ? ctx.clock().now_seconds()
                              : value_or_fail(parse_datetime(opt.from, zone, "--from"));

  std::vector<TimePoint> times;
  times.reserve(static_cast<std::size_t>(opt.count));
  TimePoint t = start;
  for (int i = 0; i < opt.count; ++i) {
    const auto next = expr.next_after(t, zone);
    if (!next) break;
    times.push_back(*next);
    t = *next;
  }

  if (opt.json) {
    boost::json::array out;
    out.reserve(times.size());
    for (const TimePoint time : times) {
      out.push_back(
          boost::json::object{{"time", format_in_zone(time, zone)}, {"utc", format_utc(time)}});
    }
    print_json(ctx.out, out);
    return;
  }
  for (const TimePoint time : times) ctx.out << format_in_zone(time, zone) << '\n';
  if (static_cast<int>(times.size()) < opt.count) {
    ctx.err << "(no further fire time within 400 years in " << zone->name() << ")\n";
  }
}

void add_cron_next(CLI::App& cron, Context& ctx) {
  auto opt = std::make_shared<CronNextOptions>();
  auto* cmd = cron.add_subcommand(
      "next", "Print the next fire times of a cron expression, ISO-8601 with the zone's offset");
  cmd->add_option("expression", opt->words,
                  "Five fields (minute hour day-of-month month day-of-week) or a macro such as "
                  "@daily; quote it: '*/15 9-17 * * MON-FRI'")
      ->required();
  cmd->add_option("--tz", opt->zone,
                  "IANA time zone (default: REMINDER_TIMEZONE, else SHOP_TIMEZONE)");
  cmd->add_option("--from", opt->from,
                  "Start strictly after this time: YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], local to "
                  "the zone without an offset (default: now)");
  cmd->add_option("-n,--count", opt->count, "How many fire times to print, 1-1000")
      ->capture_default_str();
  cmd->add_flag("--json", opt->json,
                R"(Print a JSON array of {"time": local with offset, "utc": UTC} objects)");
  cmd->callback([&ctx, opt] { run_cron_next(*opt, ctx); });
}

}  // namespace

void add_cron_commands(CLI::App& app, Context& ctx) {
  auto* cron = app.add_subcommand("cron", "Cron expressions, as used by REMINDER_CRON_SCHEDULE");
  cron->require_subcommand(1);
  add_cron_next(*cron, ctx);
}

}  // namespace autovoice::cli
