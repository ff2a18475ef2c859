// CronExpression::next_after in real time zones: clock changes, half-hour
// changes, a skipped day, and every zone of the system tzdata.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "cron/cron_expression.h"

namespace autovoice {
namespace {

using std::chrono::seconds;

const TimeZone* zone_named(const char* name) { return date::locate_zone(name); }

// The next `n` fire times after local time `from` in `zone_name`, formatted in that zone.
std::vector<std::string> fires_in(const char* zone_name, const char* text, const char* from,
                                  int n) {
  const TimeZone* zone = zone_named(zone_name);
  const auto expr = CronExpression::parse(text);
  EXPECT_TRUE(expr.ok()) << text;
  auto start = parse_datetime(from, zone);
  EXPECT_TRUE(start.ok()) << from;
  std::vector<std::string> out;
  if (!expr.ok() || !start.ok()) return out;
  TimePoint t = *start;
  for (int i = 0; i < n; ++i) {
    const auto next = expr->next_after(t, zone);
    if (!next) break;
    out.push_back(format_in_zone(*next, zone));
    t = *next;
  }
  return out;
}

struct ZoneCase {
  const char* zone;
  const char* expression;
  const char* from;  // local time in zone, or with an offset
  std::vector<std::string> expected;
};

void check_cases(const std::vector<ZoneCase>& cases) {
  for (const auto& c : cases) {
    EXPECT_EQ(fires_in(c.zone, c.expression, c.from, static_cast<int>(c.expected.size())),
              c.expected)
        << c.zone << " '" << c.expression << "' from " << c.from;
  }
}

// America/New_York 2026: 02:00 EST -> 03:00 EDT on 03-08; 02:00 EDT -> 01:00 EST on 11-01.

TEST(CronDstTest, FixedTimeInSpringGapFiresOnceShiftedByTheGap) {
  check_cases({
      {"America/New_York",
       "30 2 * * *",
       "2026-03-07T00:00",
       {"2026-03-07T02:30:00-05:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"}},
      {"America/New_York",
       "0 2 * * *",
       "2026-03-07T12:00",
       {"2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"}},
      // Shifted 02:00 and 02:30 coincide with 03:00 and 03:30: each fires once.
      {"America/New_York",
       "0,30 2,3 * * *",
       "2026-03-08T01:59",
       {"2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:00:00-04:00"}},
      // Asked from inside the shifted hour.
      {"America/New_York",
       "30 2 * * *",
       "2026-03-08T03:10:00-04:00",
       {"2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"}},
      {"America/New_York",
       "30 2 * * *",
       "2026-03-08T03:30:00-04:00",
       {"2026-03-09T02:30:00-04:00"}},
  });
}

TEST(CronDstTest, FixedTimeInRepeatedHourFiresOnceAtFirstOccurrence) {
  check_cases({
      {"America/New_York",
       "30 1 * * *",
       "2026-10-31T00:00",
       {"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
      {"America/New_York",
       "0 1-3 * * *",
       "2026-11-01T00:30",
       {"2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00"}},
      // Asked from inside the second pass: the first already happened.
      {"America/New_York",
       "30 1 * * *",
       "2026-11-01T01:10:00-05:00",
       {"2026-11-02T01:30:00-05:00"}},
      {"America/New_York",
       "30 1 * * *",
       "2026-11-01T01:10:00-04:00",
       {"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
  });
}

TEST(CronDstTest, WildcardJobFollowsElapsedTimeThroughRepeatedHour) {
  check_cases({
      {"America/New_York",
       "*/30 * * * *",
       "2026-11-01T00:00",
       {"2026-11-01T00:30:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"}},
      {"America/New_York",
       "*/20 1 * * *",
       "2026-11-01T00:00",
       {"2026-11-01T01:00:00-04:00", "2026-11-01T01:20:00-04:00", "2026-11-01T01:40:00-04:00",
        "2026-11-01T01:00:00-05:00", "2026-11-01T01:20:00-05:00", "2026-11-01T01:40:00-05:00",
        "2026-11-02T01:00:00-05:00"}},
      {"America/New_York",
       "@hourly",
       "2026-11-01T00:30",
       {"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"}},
  });
}

TEST(CronDstTest, WildcardJobSkipsTheSpringGap) {
  check_cases({
      {"America/New_York",
       "*/30 * * * *",
       "2026-03-08T01:00",
       {"2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"}},
      {"America/New_York", "*/15 2 * * *", "2026-03-07T23:00", {"2026-03-09T02:00:00-04:00"}},
  });
}

TEST(CronDstTest, EuropeLondon) {
  // 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
  check_cases({
      {"Europe/London",
       "30 1 * * *",
       "2026-03-28T12:00",
       {"2026-03-29T02:30:00+01:00", "2026-03-30T01:30:00+01:00"}},
      {"Europe/London",
       "30 1 * * *",
       "2026-10-24T12:00",
       {"2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"}},
      {"Europe/London",
       "0 * * * *",
       "2026-10-24T23:30",
       {"2026-10-25T00:00:00+01:00", "2026-10-25T01:00:00+01:00", "2026-10-25T01:00:00+00:00",
        "2026-10-25T02:00:00+00:00"}},
      {"Europe/London",
       "*/30 0-2 * * *",
       "2026-03-29T00:00",
       {"2026-03-29T00:30:00+00:00", "2026-03-29T02:00:00+01:00", "2026-03-29T02:30:00+01:00"}},
  });
}

TEST(CronDstTest, LordHoweHalfHourChanges) {
  // Australia/Lord_Howe: +10:30 standard, +11:00 summer. 2026-04-05 02:00 -> 01:30;
  // 2026-10-04 02:00 -> 02:30.
  check_cases({
      {"Australia/Lord_Howe",
       "15 2 * * *",
       "2026-10-03T12:00",
       {"2026-10-04T02:45:00+11:00", "2026-10-05T02:15:00+11:00"}},
      {"Australia/Lord_Howe",
       "*/15 * * * *",
       "2026-10-04T01:30",
       {"2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00"}},
      {"Australia/Lord_Howe",
       "45 1 * * *",
       "2026-04-04T12:00",
       {"2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"}},
      {"Australia/Lord_Howe",
       "*/15 1 * * *",
       "2026-04-05T00:00",
       {"2026-04-05T01:00:00+11:00", "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00",
        "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30",
        "2026-04-06T01:00:00+10:30"}},
  });
}

TEST(CronDstTest, ApiaSkippedDay) {
  // Pacific/Apia went from 2011-12-29 23:59:59 -10:00 to 2011-12-31 00:00:00 +14:00.
  check_cases({
      // The skipped 12-30 09:00 shifts by the 24-hour gap onto 12-31 09:00: once.
      {"Pacific/Apia",
       "0 9 * * *",
       "2011-12-29T00:00",
       {"2011-12-29T09:00:00-10:00", "2011-12-31T09:00:00+14:00", "2012-01-01T09:00:00+14:00"}},
      {"Pacific/Apia",
       "0 12 30 12 *",
       "2011-12-01T00:00",
       {"2011-12-31T12:00:00+14:00", "2012-12-30T12:00:00+14:00"}},
      {"Pacific/Apia",
       "*/30 * 30 12 *",
       "2011-12-29T23:00",
       {"2012-12-30T00:00:00+14:00", "2012-12-30T00:30:00+14:00"}},
      {"Pacific/Apia",
       "0 * * * *",
       "2011-12-29T22:30",
       {"2011-12-29T23:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T01:00:00+14:00"}},
  });
}

TEST(CronDstTest, SouthernHemisphere) {
  // Australia/Sydney 2026: 03:00 AEDT -> 02:00 AEST on 04-05; 02:00 -> 03:00 AEDT on 10-04.
  check_cases({
      {"Australia/Sydney",
       "30 2 * * *",
       "2026-04-04T12:00",
       {"2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"}},
      {"Australia/Sydney",
       "30 2 * * *",
       "2026-10-03T12:00",
       {"2026-10-04T03:30:00+11:00", "2026-10-05T02:30:00+11:00"}},
      {"Australia/Sydney",
       "*/30 2 * * *",
       "2026-04-05T00:00",
       {"2026-04-05T02:00:00+11:00", "2026-04-05T02:30:00+11:00", "2026-04-05T02:00:00+10:00",
        "2026-04-05T02:30:00+10:00", "2026-04-06T02:00:00+10:00"}},
  });
}

TEST(CronDstTest, MidnightInAGap) {
  // America/Santiago moves from 24:00 -04 to 01:00 -03 on 2026-09-06.
  check_cases({
      {"America/Santiago",
       "@daily",
       "2026-09-05T12:00",
       {"2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"}},
      {"America/Santiago",
       "0 * * * *",
       "2026-09-05T23:30",
       {"2026-09-06T01:00:00-03:00", "2026-09-06T02:00:00-03:00"}},
  });
}

TEST(CronDstTest, WeekdaySchedulesUseTheLocalDate) {
  // 09:00 Monday-Friday in New York is 13:00 or 14:00 UTC, and 23:30 local on a
  // Friday is already Saturday in UTC.
  check_cases({
      {"America/New_York",
       "*/5 9-17 * * MON-FRI",
       "2026-03-06T17:50",
       {"2026-03-06T17:55:00-05:00", "2026-03-09T09:00:00-04:00", "2026-03-09T09:05:00-04:00"}},
      {"America/New_York",
       "30 23 * * FRI",
       "2026-03-06T00:00",
       {"2026-03-06T23:30:00-05:00", "2026-03-13T23:30:00-04:00"}},
      {"Asia/Kolkata", "0 9 * * *", "2026-03-06T10:00", {"2026-03-07T09:00:00+05:30"}},
  });
}

// --- properties over many zones ---

struct Period {
  std::int64_t begin;
  std::int64_t end;
  std::int64_t offset;
};

Period period_at(const TimeZone* zone, std::int64_t at) {
  const auto info = zone->get_info(date::sys_seconds{seconds{at}});
  return Period{info.begin.time_since_epoch().count(), info.end.time_since_epoch().count(),
                info.offset.count()};
}

date::local_seconds local_of(std::int64_t local) { return date::local_seconds{seconds{local}}; }

// Every fire time in [from, to), by checking each minute (offsets must be whole
// minutes). The rules of the header, written the slow way.
std::vector<std::int64_t> brute_force_fires(const CronExpression& expr, const TimeZone* zone,
                                            std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  Period period = period_at(zone, from);
  Period previous = period_at(zone, period.begin - 1);
  for (std::int64_t s = (from + 59) / 60 * 60; s < to; s += 60) {
    if (s >= period.end) {
      previous = period;
      period = period_at(zone, s);
    }
    const std::int64_t local = s + period.offset;
    const std::int64_t repeated_until = period.begin + previous.offset;  // first pass's end
    bool fire = expr.matches(local_of(local)) && (!expr.is_fixed_time() || local >= repeated_until);
    const std::int64_t gap = period.offset - previous.offset;
    if (expr.is_fixed_time() && gap > 0 && s < period.begin + gap &&
        expr.matches(local_of(s + previous.offset))) {
      fire = true;
    }
    if (fire) out.push_back(s);
  }
  return out;
}

std::vector<std::int64_t> next_after_fires(const CronExpression& expr, const TimeZone* zone,
                                           std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  TimePoint t{seconds{from - 1}};
  while (true) {
    const auto next = expr.next_after(t, zone);
    if (!next || next->time_since_epoch().count() >= to) break;
    out.push_back(next->time_since_epoch().count());
    t = *next;
  }
  return out;
}

std::int64_t utc_seconds(int y, unsigned m, unsigned d) {
  return date::sys_seconds{date::sys_days{date::year{y} / m / d}}.time_since_epoch().count();
}

// Around every offset change of 2011 and 2026 in every zone, next_after gives
// exactly the fire times a minute-by-minute scan finds.
TEST(CronAllZonesTest, AgreesWithMinuteScanAroundEveryClockChange) {
  const auto fixed = CronExpression::parse("0,15,30,45 0-23 * * *");
  const auto wildcard = CronExpression::parse("*/15 * * * *");
  const auto sparse = CronExpression::parse("30 0-3 * * *");
  ASSERT_TRUE(fixed.ok() && wildcard.ok() && sparse.ok());
  ASSERT_TRUE(fixed->is_fixed_time());
  ASSERT_FALSE(wildcard->is_fixed_time());
  int changes = 0;
  for (const auto& zone : date::get_tzdb().zones) {
    for (const int year : {2011, 2026}) {
      std::int64_t at = utc_seconds(year, 1, 1);
      const std::int64_t year_end = utc_seconds(year + 1, 1, 1);
      while (true) {
        const Period p = period_at(&zone, at);
        if (p.end >= year_end) break;
        const Period q = period_at(&zone, p.end);
        at = p.end;
        if (q.offset == p.offset) continue;
        ++changes;
        const std::int64_t margin = std::abs(q.offset - p.offset) + 3 * 3600;
        const std::int64_t from = p.end - margin;
        const std::int64_t to = p.end + margin;
        for (const CronExpression* expr : {&*fixed, &*wildcard, &*sparse}) {
          ASSERT_EQ(next_after_fires(*expr, &zone, from, to),
                    brute_force_fires(*expr, &zone, from, to))
              << zone.name() << " '" << expr->source() << "' around "
              << format_utc(TimePoint{seconds{p.end}});
        }
      }
    }
  }
  EXPECT_GT(changes, 200);
}

// For every zone, a year of fire times (2011-03 to 2012-03: Apia's skipped day
// included) is strictly increasing, each fire time's local time matches the
// expression or is a gap-shifted one, and a fixed-time job never fires twice at
// the same local time.
TEST(CronAllZonesTest, FireTimesIncreaseStrictlyAndMatchInEveryZone) {
  const char* expressions[] = {"30 2 * * *",     "0 0 * * *",       "*/20 0-3 * * SUN",
                               "15 */6 1-7 * *", "0 9 * * MON-FRI", "*/30 * 30 12 *",
                               "0 12 L * *",     "45 1 * * 0#1"};
  const std::int64_t from = utc_seconds(2011, 3, 1);
  const std::int64_t to = utc_seconds(2012, 3, 1);
  std::size_t total = 0;
  for (const char* text : expressions) {
    const auto expr = CronExpression::parse(text);
    ASSERT_TRUE(expr.ok()) << text;
    for (const auto& zone : date::get_tzdb().zones) {
      std::vector<std::int64_t> locals;
      TimePoint t{seconds{from}};
      TimePoint previous = t;
      while (true) {
        const auto next = expr->next_after(t, &zone);
        ASSERT_TRUE(next.has_value()) << zone.name() << " " << text;
        if (next->time_since_epoch().count() >= to) break;
        ASSERT_GT(*next, previous) << zone.name() << " " << text;
        ++total;
        const auto info = zone.get_info(*next);
        const date::local_seconds local{next->time_since_epoch() + info.offset};
        if (!expr->matches(local)) {
          // Only a fixed-time job's gap shift may land on a non-matching local time.
          ASSERT_TRUE(expr->is_fixed_time())
              << zone.name() << " " << text << " at " << format_in_zone(*next, &zone);
          const auto before = zone.get_info(info.begin - seconds{1});
          const auto gap = info.offset - before.offset;
          ASSERT_GT(gap, seconds{0}) << zone.name() << " " << format_in_zone(*next, &zone);
          ASSERT_LT(*next, info.begin + gap) << zone.name() << " " << format_in_zone(*next, &zone);
          ASSERT_TRUE(expr->matches(local - gap)) << zone.name() << " " << text;
        }
        locals.push_back(local.time_since_epoch().count());
        previous = *next;
        t = *next;
      }
      if (expr->is_fixed_time()) {
        std::sort(locals.begin(), locals.end());
        ASSERT_EQ(std::adjacent_find(locals.begin(), locals.end()), locals.end())
            << zone.name() << " " << text << " fired twice at one local time";
      }
    }
  }
  EXPECT_GT(total, 100000U);
}

// Far from now: beyond tzdata's last listed change a zone keeps its last offset,
// and the results keep increasing.
TEST(CronAllZonesTest, FarFutureAndFarPastStillIncrease) {
  const auto expr = CronExpression::parse("30 2 * * *");
  ASSERT_TRUE(expr.ok());
  for (const auto& zone : date::get_tzdb().zones) {
    for (const int year : {1850, 1970, 2036, 2500}) {
      TimePoint t{seconds{utc_seconds(year, 1, 1)}};
      for (int i = 0; i < 5; ++i) {
        const auto next = expr->next_after(t, &zone);
        ASSERT_TRUE(next.has_value()) << zone.name() << " " << year;
        ASSERT_GT(*next, t);
        ASSERT_LT(*next - t, std::chrono::hours{49}) << zone.name() << " " << year;
        t = *next;
      }
    }
  }
}

}  // namespace
}  // namespace autovoice
