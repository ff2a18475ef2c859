// CronExpression: syntax, matching rules and rejections (time-zone free: UTC).
#include "cron/cron_expression.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace autovoice {
namespace {

TimePoint at(const char* iso) {
  auto t = parse_datetime(iso, nullptr);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : TimePoint{};
}

// The next `n` fire times after `from`, formatted in `zone_name`.
std::vector<std::string> fires(const CronExpression& expr, const char* from, int n,
                               const char* zone_name = "UTC") {
  const TimeZone* zone = date::locate_zone(zone_name);
  std::vector<std::string> out;
  TimePoint t = at(from);
  for (int i = 0; i < n; ++i) {
    const auto next = expr.next_after(t, zone);
    if (!next) break;
    out.push_back(format_in_zone(*next, zone));
    t = *next;
  }
  return out;
}

std::vector<std::string> fires(const char* text, const char* from, int n,
                               const char* zone_name = "UTC") {
  const auto expr = CronExpression::parse(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << (expr.ok() ? "" : expr.error().message);
  if (!expr.ok()) return {};
  return fires(*expr, from, n, zone_name);
}

struct FireCase {
  const char* expression;
  const char* from;  // UTC
  std::vector<std::string> expected;
};

void check_cases(const std::vector<FireCase>& cases) {
  for (const auto& c : cases) {
    EXPECT_EQ(fires(c.expression, c.from, static_cast<int>(c.expected.size())), c.expected)
        << "expression: " << c.expression << " from " << c.from;
  }
}

// 2026-03-01 is a Sunday.

TEST(CronParseTest, EveryMacroExpandsToItsSchedule) {
  check_cases({
      {"@yearly",
       "2026-03-15T12:00:00Z",
       {"2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00"}},
      {"@annually", "2026-03-15T12:00:00Z", {"2027-01-01T00:00:00+00:00"}},
      {"@monthly",
       "2026-03-15T12:00:00Z",
       {"2026-04-01T00:00:00+00:00", "2026-05-01T00:00:00+00:00"}},
      {"@weekly",
       "2026-03-15T12:00:00Z",
       {"2026-03-22T00:00:00+00:00", "2026-03-29T00:00:00+00:00"}},
      {"@daily",
       "2026-03-15T12:00:00Z",
       {"2026-03-16T00:00:00+00:00", "2026-03-17T00:00:00+00:00"}},
      {"@midnight", "2026-03-15T12:00:00Z", {"2026-03-16T00:00:00+00:00"}},
      {"@hourly",
       "2026-03-15T12:00:00Z",
       {"2026-03-15T13:00:00+00:00", "2026-03-15T14:00:00+00:00"}},
      {"@DAILY", "2026-03-15T12:00:00Z", {"2026-03-16T00:00:00+00:00"}},
      {"  @Hourly\t", "2026-03-15T12:00:00Z", {"2026-03-15T13:00:00+00:00"}},
  });
}

TEST(CronParseTest, MacrosAreFixedTimeExceptHourly) {
  for (const char* text : {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight"}) {
    EXPECT_TRUE(CronExpression::parse(text)->is_fixed_time()) << text;
  }
  EXPECT_FALSE(CronExpression::parse("@hourly")->is_fixed_time());
}

TEST(CronParseTest, FixedTimeMeansMinuteAndHourDoNotBeginWithStar) {
  EXPECT_TRUE(CronExpression::parse("30 2 * * *")->is_fixed_time());
  EXPECT_TRUE(CronExpression::parse("0,30 9-17 * * *")->is_fixed_time());
  EXPECT_TRUE(CronExpression::parse("5/15 1 * * *")->is_fixed_time());
  EXPECT_FALSE(CronExpression::parse("*/30 * * * *")->is_fixed_time());
  EXPECT_FALSE(CronExpression::parse("*/5 9-17 * * MON-FRI")->is_fixed_time());
  EXPECT_FALSE(CronExpression::parse("0 */2 * * *")->is_fixed_time());
  EXPECT_FALSE(CronExpression::parse("* 1 * * *")->is_fixed_time());
}

TEST(CronParseTest, SourceIsTheTrimmedText) {
  EXPECT_EQ(CronExpression::parse("  0 9 * * *\n")->source(), "0 9 * * *");
  EXPECT_EQ(CronExpression::parse("@daily")->source(), "@daily");
}

TEST(CronParseTest, FieldsMaySeparatedByTabsAndRunsOfSpaces) {
  check_cases({{"0\t9  *   * *", "2026-03-15T12:00:00Z", {"2026-03-16T09:00:00+00:00"}}});
}

TEST(CronParseTest, DayFieldsMatchEitherWhenBothAreRestricted) {
  // The 1st, the 15th and every Monday.
  check_cases(
      {{"0 0 1,15 * MON",
        "2026-03-01T00:00:00Z",
        {"2026-03-02T00:00:00+00:00", "2026-03-09T00:00:00+00:00", "2026-03-15T00:00:00+00:00",
         "2026-03-16T00:00:00+00:00", "2026-03-23T00:00:00+00:00", "2026-03-30T00:00:00+00:00",
         "2026-04-01T00:00:00+00:00"}}});
}

TEST(CronParseTest, DayFieldBeginningWithStarMakesBothDayFieldsRequired) {
  // Vixie cron: `*/2` is a wildcard for the OR rule, so Mondays on odd days only.
  check_cases({
      {"0 0 */2 * MON",
       "2026-03-01T00:00:00Z",
       {"2026-03-09T00:00:00+00:00", "2026-03-23T00:00:00+00:00", "2026-04-13T00:00:00+00:00"}},
      {"0 0 1-7 * */6",
       "2026-03-01T00:00:00Z",
       {"2026-03-07T00:00:00+00:00", "2026-04-04T00:00:00+00:00", "2026-04-05T00:00:00+00:00"}},
      {"0 0 * * MON",
       "2026-03-01T00:00:00Z",
       {"2026-03-02T00:00:00+00:00", "2026-03-09T00:00:00+00:00"}},
      {"0 0 13 * *",
       "2026-03-01T00:00:00Z",
       {"2026-03-13T00:00:00+00:00", "2026-04-13T00:00:00+00:00"}},
  });
}

TEST(CronParseTest, NamesAreAcceptedInAnyCase) {
  check_cases({
      {"0 0 1 jan,Jul *",
       "2026-03-01T00:00:00Z",
       {"2026-07-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"}},
      {"0 12 * * mon-FRI", "2026-03-06T13:00:00Z", {"2026-03-09T12:00:00+00:00"}},
      {"0 0 1 FEB-apr/2 *",
       "2026-01-01T00:00:00Z",
       {"2026-02-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00", "2027-02-01T00:00:00+00:00"}},
      {"0 0 * * Sat,sun",
       "2026-03-02T00:00:00Z",
       {"2026-03-07T00:00:00+00:00", "2026-03-08T00:00:00+00:00", "2026-03-14T00:00:00+00:00"}},
      {"0 0 1 DeC *", "2026-03-01T00:00:00Z", {"2026-12-01T00:00:00+00:00"}},
  });
}

TEST(CronParseTest, ZeroAndSevenBothMeanSunday) {
  for (const char* text : {"0 0 * * 0", "0 0 * * 7", "0 0 * * SUN", "0 0 * * 7-7"}) {
    EXPECT_EQ(fires(text, "2026-03-02T00:00:00Z", 2),
              (std::vector<std::string>{"2026-03-08T00:00:00+00:00", "2026-03-15T00:00:00+00:00"}))
        << text;
  }
  const std::vector<std::string> fri_to_sun{
      "2026-03-06T00:00:00+00:00", "2026-03-07T00:00:00+00:00", "2026-03-08T00:00:00+00:00",
      "2026-03-13T00:00:00+00:00"};
  EXPECT_EQ(fires("0 0 * * 5-7", "2026-03-02T00:00:00Z", 4), fri_to_sun);
  EXPECT_EQ(fires("0 0 * * FRI-SUN", "2026-03-02T00:00:00Z", 4), fri_to_sun);
}

TEST(CronParseTest, StepsSelectEveryNthValue) {
  check_cases({
      {"*/15 * * * *",
       "2026-03-01T00:00:00Z",
       {"2026-03-01T00:15:00+00:00", "2026-03-01T00:30:00+00:00", "2026-03-01T00:45:00+00:00",
        "2026-03-01T01:00:00+00:00"}},
      {"5/15 * * * *",
       "2026-03-01T00:00:00Z",
       {"2026-03-01T00:05:00+00:00", "2026-03-01T00:20:00+00:00", "2026-03-01T00:35:00+00:00",
        "2026-03-01T00:50:00+00:00", "2026-03-01T01:05:00+00:00"}},
      {"1-10/2 0 * * *",
       "2026-03-01T00:00:00Z",
       {"2026-03-01T00:01:00+00:00", "2026-03-01T00:03:00+00:00", "2026-03-01T00:05:00+00:00",
        "2026-03-01T00:07:00+00:00", "2026-03-01T00:09:00+00:00", "2026-03-02T00:01:00+00:00"}},
      {"0 */6 * * *",
       "2026-03-01T00:00:00Z",
       {"2026-03-01T06:00:00+00:00", "2026-03-01T12:00:00+00:00", "2026-03-01T18:00:00+00:00",
        "2026-03-02T00:00:00+00:00"}},
      {"0 0 */10 * *",
       "2026-01-01T00:00:00Z",
       {"2026-01-11T00:00:00+00:00", "2026-01-21T00:00:00+00:00", "2026-01-31T00:00:00+00:00",
        "2026-02-01T00:00:00+00:00"}},
      {"0 0 1 */5 *",
       "2026-01-01T00:00:00Z",
       {"2026-06-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"}},
      {"0,30 1,2 * * *",
       "2026-03-01T00:00:00Z",
       {"2026-03-01T01:00:00+00:00", "2026-03-01T01:30:00+00:00", "2026-03-01T02:00:00+00:00",
        "2026-03-01T02:30:00+00:00", "2026-03-02T01:00:00+00:00"}},
      {"58-59/59 23 31 12 *",
       "2026-01-01T00:00:00Z",
       {"2026-12-31T23:58:00+00:00", "2027-12-31T23:58:00+00:00"}},
  });
}

TEST(CronParseTest, LastDayOfMonth) {
  check_cases({
      {"0 0 L * *",
       "2027-12-31T00:00:00Z",
       {"2028-01-31T00:00:00+00:00", "2028-02-29T00:00:00+00:00", "2028-03-31T00:00:00+00:00",
        "2028-04-30T00:00:00+00:00"}},
      {"0 0 l 2 *",
       "2026-03-01T00:00:00Z",
       {"2027-02-28T00:00:00+00:00", "2028-02-29T00:00:00+00:00"}},
      {"0 0 1,15,L * *",
       "2026-04-02T00:00:00Z",
       {"2026-04-15T00:00:00+00:00", "2026-04-30T00:00:00+00:00", "2026-05-01T00:00:00+00:00"}},
  });
}

TEST(CronParseTest, LastWeekdayOfMonth) {
  check_cases({
      {"0 0 * * 5L",
       "2026-03-01T00:00:00Z",
       {"2026-03-27T00:00:00+00:00", "2026-04-24T00:00:00+00:00", "2026-05-29T00:00:00+00:00"}},
      {"0 0 * * 7l",
       "2026-03-01T00:00:00Z",
       {"2026-03-29T00:00:00+00:00", "2026-04-26T00:00:00+00:00"}},
      {"0 0 * * 0L", "2026-03-01T00:00:00Z", {"2026-03-29T00:00:00+00:00"}},
  });
}

TEST(CronParseTest, NthWeekdayOfMonth) {
  check_cases({
      {"0 0 * * 1#2",
       "2026-03-01T00:00:00Z",
       {"2026-03-09T00:00:00+00:00", "2026-04-13T00:00:00+00:00", "2026-05-11T00:00:00+00:00"}},
      {"0 0 * * MON#1",
       "2026-03-01T00:00:00Z",
       {"2026-03-02T00:00:00+00:00", "2026-04-06T00:00:00+00:00"}},
      // A fifth Sunday: March 2026 has one (the 29th); April does not.
      {"0 0 * * 0#5",
       "2026-03-01T00:00:00Z",
       {"2026-03-29T00:00:00+00:00", "2026-05-31T00:00:00+00:00"}},
      {"0 0 * * MON#1,5L",
       "2026-03-01T00:00:00Z",
       {"2026-03-02T00:00:00+00:00", "2026-03-27T00:00:00+00:00", "2026-04-06T00:00:00+00:00",
        "2026-04-24T00:00:00+00:00"}},
      // Restricted day-of-month too: either matches.
      {"0 0 20 * 1#1",
       "2026-03-01T00:00:00Z",
       {"2026-03-02T00:00:00+00:00", "2026-03-20T00:00:00+00:00", "2026-04-06T00:00:00+00:00"}},
  });
}

TEST(CronParseTest, SchedulesThatFireOnlyInSomeYearsAreAccepted) {
  check_cases({
      {"0 0 29 2 *",
       "2026-01-01T00:00:00Z",
       {"2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"}},
      // The fifth Monday of February: a leap-year February that starts on a Monday.
      {"0 0 * 2 1#5",
       "2026-01-01T00:00:00Z",
       {"2044-02-29T00:00:00+00:00", "2072-02-29T00:00:00+00:00"}},
      {"0 0 31 4,6,9,11,12 *", "2026-01-01T00:00:00Z", {"2026-12-31T00:00:00+00:00"}},
  });
}

TEST(CronParseTest, NextAfterIsStrictlyLaterAndOnWholeMinutes) {
  const auto expr = CronExpression::parse("* * * * *");
  ASSERT_TRUE(expr.ok());
  const TimeZone* utc = date::locate_zone("UTC");
  EXPECT_EQ(format_utc(*expr->next_after(at("2026-03-01T10:00:00Z"), utc)), "2026-03-01T10:01:00Z");
  EXPECT_EQ(format_utc(*expr->next_after(at("2026-03-01T10:00:59Z"), utc)), "2026-03-01T10:01:00Z");
  EXPECT_EQ(format_utc(*expr->next_after(at("2026-03-01T09:59:59Z"), utc)), "2026-03-01T10:00:00Z");
}

TEST(CronParseTest, NextAfterCrossesYearEnds) {
  check_cases({{"59 23 31 12 *", "2026-12-31T23:59:00Z", {"2027-12-31T23:59:00+00:00"}},
               {"0 0 1 1 *", "2026-12-31T23:59:59Z", {"2027-01-01T00:00:00+00:00"}}});
}

TEST(CronParseTest, NextAfterReturnsNothingOutsideTheSupportedRange) {
  const auto expr = CronExpression::parse("0 0 * * *");
  ASSERT_TRUE(expr.ok());
  const TimeZone* utc = date::locate_zone("UTC");
  EXPECT_FALSE(expr->next_after(at("9999-12-31T00:00:00Z"), utc).has_value());
  EXPECT_FALSE(expr->next_after(TimePoint::max(), utc).has_value());
  EXPECT_FALSE(expr->next_after(TimePoint::min(), utc).has_value());
  EXPECT_FALSE(expr->next_after(at("2026-01-01T00:00:00Z"), nullptr).has_value());
  EXPECT_EQ(format_utc(*expr->next_after(at("9999-12-30T00:00:00Z"), utc)), "9999-12-31T00:00:00Z");
}

TEST(CronParseTest, MatchesLocalTimes) {
  const auto expr = CronExpression::parse("*/5 9-17 * * MON-FRI");
  ASSERT_TRUE(expr.ok());
  using date::local_days;
  using std::chrono::hours;
  using std::chrono::minutes;
  const local_days monday{date::year{2026} / 3 / 2};
  EXPECT_TRUE(expr->matches(monday + hours{9}));
  EXPECT_TRUE(expr->matches(monday + hours{17} + minutes{55}));
  EXPECT_FALSE(expr->matches(monday + hours{18}));
  EXPECT_FALSE(expr->matches(monday + hours{9} + minutes{1}));
  EXPECT_FALSE(expr->matches(monday + hours{9} + std::chrono::seconds{30}));
  EXPECT_FALSE(expr->matches(monday - date::days{1} + hours{9}));  // Sunday
}

struct RejectCase {
  const char* expression;
  const char* message;
};

TEST(CronParseTest, RejectsMalformedExpressionsNamingFieldAndToken) {
  const std::vector<RejectCase> cases = {
      // Shape.
      {"",
       "expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a "
       "macro such as @daily"},
      {"   \t",
       "expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a "
       "macro such as @daily"},
      {"0 9 * *",
       "expected 5 fields (minute hour day-of-month month day-of-week), got 4: '0 9 * *'"},
      {"0 9 * * * *",
       "expected 5 fields (minute hour day-of-month month day-of-week), got 6: '0 9 * * * *'"},
      {"0 9 * * * 2026",
       "expected 5 fields (minute hour day-of-month month day-of-week), got 6: '0 9 * * * 2026'"},
      {"daily", "expected 5 fields (minute hour day-of-month month day-of-week), got 1: 'daily'"},
      // Macros.
      {"@fortnightly",
       "unknown macro '@fortnightly'; expected @yearly, @annually, @monthly, @weekly, @daily, "
       "@midnight or @hourly"},
      {"@",
       "unknown macro '@'; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
       "@hourly"},
      {"@reboot", "macro '@reboot' is not supported: it has no fire times"},
      {"@daily now", "unexpected 'now' after macro '@daily'"},
      // Ranges of values.
      {"60 * * * *", "field 1 (minute): 60 is out of range 0-59"},
      {"0 24 * * *", "field 2 (hour): 24 is out of range 0-23"},
      {"0 0 0 * *", "field 3 (day-of-month): 0 is out of range 1-31"},
      {"0 0 32 * *", "field 3 (day-of-month): 32 is out of range 1-31"},
      {"0 0 * 0 *", "field 4 (month): 0 is out of range 1-12"},
      {"0 0 * 13 *", "field 4 (month): 13 is out of range 1-12"},
      {"0 0 * * 8", "field 5 (day-of-week): 8 is out of range 0-7"},
      {"0 1,2,99 * * *", "field 2 (hour): 99 is out of range 0-23"},
      {"0 10-99 * * *", "field 2 (hour): 99 is out of range 0-23"},
      {"99999999999999999999 * * * *",
       "field 1 (minute): 99999999999999999999 is out of range 0-59"},
      // Lists.
      {"1,,2 * * * *", "field 1 (minute): empty item in list '1,,2'"},
      {",1 * * * *", "field 1 (minute): empty item in list ',1'"},
      {"0 9, * * *", "field 2 (hour): empty item in list '9,'"},
      {"0 0 * * ,", "field 5 (day-of-week): empty item in list ','"},
      // Steps.
      {"*/0 * * * *", "field 1 (minute): step 0 in '*/0' is out of range 1-59"},
      {"*/-5 * * * *", "field 1 (minute): step '-5' in '*/-5' is not a positive number"},
      {"*/ * * * *", "field 1 (minute): missing step after '/' in '*/'"},
      {"*/60 * * * *", "field 1 (minute): step 60 in '*/60' is out of range 1-59"},
      {"0 */24 * * *", "field 2 (hour): step 24 in '*/24' is out of range 1-23"},
      {"0 0 1-10/x * *", "field 3 (day-of-month): step 'x' in '1-10/x' is not a positive number"},
      {"0 0 * */12 *", "field 4 (month): step 12 in '*/12' is out of range 1-11"},
      {"0 0 * * */7", "field 5 (day-of-week): step 7 in '*/7' is out of range 1-6"},
      {"*/5/2 * * * *", "field 1 (minute): unexpected '/' in '*/5/2'"},
      // Ranges.
      {"5-1 * * * *",
       "field 1 (minute): range 5-1 is reversed: the start must not be after the end"},
      {"0 0 * * FRI-MON",
       "field 5 (day-of-week): range FRI-MON is reversed: the start must not be after the end"},
      {"0 0 * DEC-JAN *",
       "field 4 (month): range DEC-JAN is reversed: the start must not be after the end"},
      {"1- * * * *", "field 1 (minute): missing end of range in '1-'"},
      {"-5 * * * *", "field 1 (minute): unexpected '-' in '-5'"},
      {"1-2-3 * * * *", "field 1 (minute): unexpected '-' in '1-2-3'"},
      {"*-5 * * * *", "field 1 (minute): unexpected '-' in '*-5'"},
      // Names.
      {"0 0 * FOO *", "field 4 (month): unknown name 'FOO'; expected a number or JAN-DEC"},
      {"0 0 * * MONDAY",
       "field 5 (day-of-week): unknown name 'MONDAY'; expected a number or SUN-SAT"},
      {"0 0 * * JAN", "field 5 (day-of-week): unknown name 'JAN'; expected a number or SUN-SAT"},
      {"MON * * * *", "field 1 (minute): 'MON' is not a number"},
      {"0 0 MON * *", "field 3 (day-of-month): 'MON' is not a number"},
      // Trailing garbage.
      {"5x * * * *", "field 1 (minute): unexpected 'x' in '5x'"},
      {"0 9h * * *", "field 2 (hour): unexpected 'h' in '9h'"},
      {"*5 * * * *", "field 1 (minute): unexpected '5' in '*5'"},
      {"0 0 1;2 * *", "field 3 (day-of-month): unexpected ';' in '1;2'"},
      {"0 0 ? * *", "field 3 (day-of-month): unexpected '?' in '?'"},
      {"0 0 * * \x01", "field 5 (day-of-week): unexpected '\\x01' in '\\x01'"},
      // Extensions used where they do not belong.
      {"L * * * *", "field 1 (minute): 'L' is not a number"},
      {"0 0 L-5 * *",
       "field 3 (day-of-month): L must stand alone, not in a range or with a step: 'L-5'"},
      {"0 0 L/2 * *",
       "field 3 (day-of-month): L must stand alone, not in a range or with a step: 'L/2'"},
      {"0 0 1-L * *",
       "field 3 (day-of-month): L must stand alone, not in a range or with a step: '1-L'"},
      {"0 0 5L * *", "field 3 (day-of-month): unexpected 'L' in '5L'"},
      {"0 0 * * 5L2", "field 5 (day-of-week): unexpected 'L' in '5L2'"},
      {"0 0 * * 1-5L", "field 5 (day-of-week): unexpected 'L' in '1-5L'"},
      {"0 0 * * 1#6", "field 5 (day-of-week): occurrence 6 in '1#6' is out of range 1-5"},
      {"0 0 * * 1#0", "field 5 (day-of-week): occurrence 0 in '1#0' is out of range 1-5"},
      {"0 0 * * 1#", "field 5 (day-of-week): missing occurrence after '#' in '1#'"},
      {"0 0 * * 1#x", "field 5 (day-of-week): occurrence after '#' in '1#x' is not a number"},
      {"0 0 * * 1#2#3", "field 5 (day-of-week): unexpected '#' in '1#2#3'"},
      {"0 0 * * 1-5#2", "field 5 (day-of-week): unexpected '#' in '1-5#2'"},
      {"0 0 1#2 * *", "field 3 (day-of-month): unexpected '#' in '1#2'"},
      // Never fires.
      {"0 0 30 2 *",
       "field 3 (day-of-month): '30' never occurs in month '2', so the expression never fires"},
      {"0 0 31 4,6,9,11 *",
       "field 3 (day-of-month): '31' never occurs in month '4,6,9,11', so the expression never "
       "fires"},
      {"0 0 30,31 FEB *",
       "field 3 (day-of-month): '30,31' never occurs in month 'FEB', so the expression never "
       "fires"},
      {"0 0 */30 * 1#2",
       "fields 3 and 5 (day-of-month and day-of-week): '*/30' and '1#2' never select the same day "
       "in month '*', so the expression never fires"},
      {"0 0 31 2 */2",
       "fields 3 and 5 (day-of-month and day-of-week): '31' and '*/2' never select the same day in "
       "month '2', so the expression never fires"},
  };
  for (const auto& c : cases) {
    const auto result = CronExpression::parse(c.expression);
    ASSERT_FALSE(result.ok()) << "accepted: " << c.expression;
    EXPECT_EQ(result.error().message, c.message) << "expression: " << c.expression;
    EXPECT_EQ(result.error().field, "cron");
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(CronParseTest, LongGarbageIsShortenedInMessages) {
  const std::string text = "0 0 * * " + std::string(200, 'x');
  const auto result = CronExpression::parse(text);
  ASSERT_FALSE(result.ok());
  EXPECT_LT(result.error().message.size(), 200U);
  EXPECT_EQ(result.error().message.find('\n'), std::string::npos);
}

TEST(CronParseTest, AParsedExpressionIsACopyableValue) {
  auto parsed = CronExpression::parse("0 9 * * *");
  ASSERT_TRUE(parsed.ok());
  const CronExpression copy = *parsed;
  parsed = CronExpression::parse("0 10 * * *");
  EXPECT_EQ(copy.source(), "0 9 * * *");
  EXPECT_EQ(fires(copy, "2026-03-01T00:00:00Z", 1),
            std::vector<std::string>{"2026-03-01T09:00:00+00:00"});
}

}  // namespace
}  // namespace autovoice
