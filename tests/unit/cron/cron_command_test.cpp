// `autovoice cron next`: output formats, defaults, and one-line failures.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace autovoice::cli {
namespace {

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

// 2026-03-06T17:00:00Z is a Friday, 12:00 in New York.
constexpr std::int64_t kNow = 1772816400;

Outcome run_cli(std::vector<const char*> args, Environment env = {}) {
  std::ostringstream out;
  std::ostringstream err;
  FakeClock clock{std::chrono::system_clock::time_point{std::chrono::seconds{kNow}}};
  Context ctx(out, err, std::move(env), clock);
  args.insert(args.begin(), "autovoice");
  const int code = run(static_cast<int>(args.size()), args.data(), ctx);
  return {code, out.str(), err.str()};
}

TEST(CronCommandTest, PrintsNextFireTimesWithTheZoneOffset) {
  const auto r = run_cli({"cron", "next", "0 9 * * *", "--tz", "America/New_York", "--from",
                          "2026-03-06T12:00", "-n", "3"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "2026-03-07T09:00:00-05:00\n2026-03-08T09:00:00-04:00\n2026-03-09T09:00:00-04:00\n");
}

TEST(CronCommandTest, PrintsJsonWithLocalAndUtcTimes) {
  const auto r = run_cli({"cron", "next", "30 2 * * *", "--tz", "America/New_York", "--from",
                          "2026-03-07T12:00", "-n", "2", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  const auto value = boost::json::parse(r.out);
  ASSERT_TRUE(value.is_array());
  const auto& array = value.as_array();
  ASSERT_EQ(array.size(), 2U);
  EXPECT_EQ(array[0].at("time").as_string(), "2026-03-08T03:30:00-04:00");
  EXPECT_EQ(array[0].at("utc").as_string(), "2026-03-08T07:30:00Z");
  EXPECT_EQ(array[1].at("time").as_string(), "2026-03-09T02:30:00-04:00");
}

TEST(CronCommandTest, DefaultsToFiveTimesFromNowInTheShopZone) {
  const auto r = run_cli({"cron", "next", "@daily"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "2026-03-07T00:00:00-05:00\n2026-03-08T00:00:00-05:00\n2026-03-09T00:00:00-04:00\n"
            "2026-03-10T00:00:00-04:00\n2026-03-11T00:00:00-04:00\n");
}

TEST(CronCommandTest, ReminderTimezoneOverridesShopTimezone) {
  auto r = run_cli({"cron", "next", "0 9 * * *", "-n", "1"}, {{"SHOP_TIMEZONE", "Europe/London"}});
  EXPECT_EQ(r.out, "2026-03-07T09:00:00+00:00\n") << r.err;
  r = run_cli({"cron", "next", "0 9 * * *", "-n", "1"},
              {{"SHOP_TIMEZONE", "Europe/London"}, {"REMINDER_TIMEZONE", "Asia/Tokyo"}});
  EXPECT_EQ(r.out, "2026-03-07T09:00:00+09:00\n") << r.err;
}

TEST(CronCommandTest, WorksWithBadConfigurationWhenTzIsGiven) {
  const Environment broken{{"SHOP_TIMEZONE", "Mars/Olympus"}, {"REMINDER_DAYS_BEFORE", "soon"}};
  const auto r = run_cli({"cron", "next", "0 9 * * *", "--tz", "UTC", "-n", "1"}, broken);
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "2026-03-07T09:00:00+00:00\n");
}

TEST(CronCommandTest, AcceptsTheExpressionAsSeparateWords) {
  const auto r = run_cli({"cron", "next", "0", "9", "*", "*", "MON-FRI", "--tz", "UTC", "-n", "2"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "2026-03-09T09:00:00+00:00\n2026-03-10T09:00:00+00:00\n");
}

TEST(CronCommandTest, FromWithAnOffsetIsAbsolute) {
  const auto r = run_cli({"cron", "next", "0 * * * *", "--tz", "Asia/Kolkata", "--from",
                          "2026-03-06T12:00:00Z", "-n", "1"});
  EXPECT_EQ(r.out, "2026-03-06T18:00:00+05:30\n") << r.err;
}

struct FailureCase {
  std::vector<const char*> args;
  std::string message;
};

TEST(CronCommandTest, BadInputFailsWithOneLineAndExitCode2) {
  const std::vector<FailureCase> cases = {
      {{"cron", "next", "0 24 * * *", "--tz", "UTC"},
       "autovoice: cron expression '0 24 * * *': field 2 (hour): 24 is out of range 0-23\n"},
      {{"cron", "next", "0 0 30 2 *", "--tz", "UTC"},
       "autovoice: cron expression '0 0 30 2 *': field 3 (day-of-month): '30' never occurs in "
       "month '2', so the expression never fires\n"},
      {{"cron", "next", "0 9 * * *", "--tz", "Mars/Olympus"},
       "autovoice: unknown time zone 'Mars/Olympus'; expected an IANA name like "
       "America/New_York\n"},
      {{"cron", "next", "0 9 * * *", "--tz", "UTC", "--from", "yesterday"},
       "autovoice: time 'yesterday' is not of the form YYYY-MM-DD[ HH:MM[:SS]][Z|+HH:MM]\n"},
      {{"cron", "next", "0 9 * * *", "--tz", "UTC", "-n", "0"},
       "autovoice: -n 0 is out of range 1-1000\n"},
      {{"cron", "next", "0 9 * * *", "--tz", "UTC", "-n", "1001"},
       "autovoice: -n 1001 is out of range 1-1000\n"},
  };
  for (const auto& c : cases) {
    const auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, kExitUsage) << c.message;
    EXPECT_EQ(r.err, c.message);
    EXPECT_EQ(r.out, "");
  }
}

TEST(CronCommandTest, MissingExpressionIsAUsageError) {
  const auto r = run_cli({"cron", "next"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_EQ(r.out, "");
}

TEST(CronCommandTest, HelpDescribesTheSubcommands) {
  auto r = run_cli({"cron", "--help"});
  EXPECT_EQ(r.exit_code, kExitOk);
  EXPECT_NE(r.out.find("Print the next fire times"), std::string::npos) << r.out;
  r = run_cli({"cron", "next", "--help"});
  EXPECT_NE(r.out.find("--tz"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace autovoice::cli
