// Time: parsing, formatting and calendar days in IANA zones, DST included.
// DST dates used: the US springs forward 2026-03-08 02:00 and falls back
// 2026-11-01 02:00; Brazil (America/Sao_Paulo) sprang forward at midnight on
// 2018-11-04, so that day had no 00:00.

#include "domain/time.h"

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace autovoice {
namespace {

using std::chrono::hours;
using ::testing::HasSubstr;

const TimeZone* zone(const char* name) {
  auto z = find_time_zone(name);
  EXPECT_TRUE(z.ok()) << name;
  return z.ok() ? *z : nullptr;
}

TimePoint utc(const char* text) {
  auto t = parse_datetime(text, nullptr);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : TimePoint{};
}

date::year_month_day ymd(int y, unsigned m, unsigned d) {
  return date::year{y} / date::month{m} / date::day{d};
}

TEST(TimeZoneTest, FindsIanaZonesAndRejectsOthersNamingTheField) {
  ASSERT_TRUE(find_time_zone("America/New_York").ok());
  EXPECT_EQ((*find_time_zone("Europe/Berlin"))->name(), "Europe/Berlin");

  struct Case {
    const char* name;
    const char* field;
  };
  const Case cases[] = {
      {"", "time_zone"}, {"Mars/Olympus_Mons", "time_zone"}, {"EST+5", "time_zone"}};
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    auto z = find_time_zone(tc.name);
    ASSERT_FALSE(z.ok());
    EXPECT_EQ(z.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(z.error().field, tc.field);
    EXPECT_THAT(z.error().message, HasSubstr("IANA"));
  }
  auto custom = find_time_zone("Nowhere/City", "SHOP_TIMEZONE");
  ASSERT_FALSE(custom.ok());
  EXPECT_EQ(custom.error().field, "SHOP_TIMEZONE");
}

TEST(ParseDatetimeTest, ParsesAbsoluteAndLocalTimes) {
  struct Case {
    const char* text;
    const char* zone;  // nullptr: no zone given
    const char* expected_utc;
  };
  const Case cases[] = {
      {"2026-11-26T15:00:00Z", nullptr, "2026-11-26T15:00:00Z"},
      {"2026-11-26T15:00Z", nullptr, "2026-11-26T15:00:00Z"},
      {"2026-11-26Z", nullptr, "2026-11-26T00:00:00Z"},
      {"2026-11-26T10:00:00-05:00", nullptr, "2026-11-26T15:00:00Z"},
      {"2026-11-26T10:00:00-0500", nullptr, "2026-11-26T15:00:00Z"},
      {"2026-11-26T20:30+05:30", nullptr, "2026-11-26T15:00:00Z"},
      {"2026-11-26T15:00:00Z", "Asia/Tokyo", "2026-11-26T15:00:00Z"},  // offset wins over zone
      {"2026-11-26 10:00", "America/New_York", "2026-11-26T15:00:00Z"},
      {"2026-11-26T10:00:30", "America/New_York", "2026-11-26T15:00:30Z"},
      {"2026-11-26", "America/New_York", "2026-11-26T05:00:00Z"},
      {"2026-07-01T10:00", "America/New_York", "2026-07-01T14:00:00Z"},  // EDT
      {"2026-07-01T10:00", "Europe/London", "2026-07-01T09:00:00Z"},     // BST
      {"2026-03-08T03:00", "America/New_York", "2026-03-08T07:00:00Z"},  // just after the gap
      // Fall-back: 01:30 happens twice; the first (EDT) is meant.
      {"2026-11-01T01:30", "America/New_York", "2026-11-01T05:30:00Z"},
      {"2024-02-29T12:00Z", nullptr, "2024-02-29T12:00:00Z"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(std::string(tc.text) + " in " + (tc.zone ? tc.zone : "(none)"));
    auto t = parse_datetime(tc.text, tc.zone ? zone(tc.zone) : nullptr);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(format_utc(*t), tc.expected_utc);
  }
}

TEST(ParseDatetimeTest, RejectsMalformedOrImpossibleTimesNamingTheField) {
  struct Case {
    const char* text;
    const char* zone;
    const char* says;
  };
  const Case cases[] = {
      {"", nullptr, "is not of the form"},
      {"26-11-2026", nullptr, "is not of the form"},
      {"2026-13-01T00:00Z", nullptr, "is not of the form"},
      {"2026-02-30T00:00Z", nullptr, "is not of the form"},
      {"2026-11-26X10:00Z", nullptr, "is not of the form"},
      {"2026-11-26T1000Z", nullptr, "is not of the form"},
      {"2026-11-26T10:00 UTC", nullptr, "is not of the form"},
      {"2026-11-26T25:00Z", nullptr, "out of range"},
      {"2026-11-26T10:60Z", nullptr, "out of range"},
      {"2026-11-26T10:00+19:00", nullptr, "offset out of range"},
      {"2026-11-26T10:00", nullptr, "needs a zone offset"},
      // Spring-forward: 02:30 does not exist in New York that night.
      {"2026-03-08T02:30", "America/New_York", "does not exist"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.text);
    auto t = parse_datetime(tc.text, tc.zone ? zone(tc.zone) : nullptr, "start");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(t.error().field, "start");
    EXPECT_THAT(t.error().message, HasSubstr(tc.says));
  }
}

TEST(ParseDateTest, AcceptsOnlyRealCalendarDates) {
  struct Case {
    const char* text;
    bool ok;
  };
  const Case cases[] = {
      {"2024-02-29", true}, {"2026-12-31", true},  {"2023-02-29", false},  {"2026-04-31", false},
      {"2026-1-05", false}, {"2026/01/05", false}, {"2026-01-05T", false}, {"", false},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.text);
    auto d = parse_date(tc.text, "day");
    EXPECT_EQ(d.ok(), tc.ok);
    if (!d.ok()) {
      EXPECT_EQ(d.error().field, "day");
    }
  }
  EXPECT_EQ(*parse_date("2024-02-29"), ymd(2024, 2, 29));
}

TEST(FormatTest, FormatsUtcAndZonedTimesWithOffsets) {
  struct Case {
    const char* utc;
    const char* zone;
    const char* expected;
  };
  const Case cases[] = {
      {"2026-11-26T15:00:00Z", "America/New_York", "2026-11-26T10:00:00-05:00"},
      {"2026-07-01T15:00:00Z", "America/New_York", "2026-07-01T11:00:00-04:00"},
      {"2026-11-26T15:00:00Z", "Asia/Kolkata", "2026-11-26T20:30:00+05:30"},
      {"2026-07-01T12:00:00Z", "Europe/London", "2026-07-01T13:00:00+01:00"},
      {"2026-11-26T15:00:00Z", "UTC", "2026-11-26T15:00:00+00:00"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(std::string(tc.utc) + " in " + tc.zone);
    EXPECT_EQ(format_in_zone(utc(tc.utc), zone(tc.zone)), tc.expected);
  }
  EXPECT_EQ(format_utc(TimePoint{}), "1970-01-01T00:00:00Z");
}

TEST(LocalDateTest, IsTheCalendarDayInTheZone) {
  struct Case {
    const char* utc;
    const char* zone;
    date::year_month_day expected;
  };
  const Case cases[] = {
      {"2026-11-27T03:00:00Z", "America/New_York", ymd(2026, 11, 26)},
      {"2026-11-27T03:00:00Z", "UTC", ymd(2026, 11, 27)},
      {"2026-11-26T12:00:00Z", "Pacific/Auckland", ymd(2026, 11, 27)},
      {"2026-11-27T04:59:59Z", "America/New_York", ymd(2026, 11, 26)},
      {"2026-11-27T05:00:00Z", "America/New_York", ymd(2026, 11, 27)},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(std::string(tc.utc) + " in " + tc.zone);
    EXPECT_EQ(local_date(utc(tc.utc), zone(tc.zone)), tc.expected);
  }
}

TEST(LocalDayTest, SpansMidnightToMidnightIncludingDstChanges) {
  struct Case {
    const char* name;
    const char* zone;
    date::year_month_day day;
    const char* begin;
    const char* end;
    hours length;
  };
  const Case cases[] = {
      {"ordinary day", "America/New_York", ymd(2026, 11, 26), "2026-11-26T05:00:00Z",
       "2026-11-27T05:00:00Z", hours{24}},
      {"spring forward is 23 hours", "America/New_York", ymd(2026, 3, 8), "2026-03-08T05:00:00Z",
       "2026-03-09T04:00:00Z", hours{23}},
      {"fall back is 25 hours", "America/New_York", ymd(2026, 11, 1), "2026-11-01T04:00:00Z",
       "2026-11-02T05:00:00Z", hours{25}},
      {"UTC", "UTC", ymd(2026, 3, 8), "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", hours{24}},
      {"east of UTC", "Asia/Tokyo", ymd(2026, 1, 1), "2025-12-31T15:00:00Z", "2026-01-01T15:00:00Z",
       hours{24}},
      // Midnight did not exist: the day starts when the gap ends (01:00 -02).
      {"midnight in the gap", "America/Sao_Paulo", ymd(2018, 11, 4), "2018-11-04T03:00:00Z",
       "2018-11-05T02:00:00Z", hours{23}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    const Interval day = local_day(tc.day, zone(tc.zone));
    EXPECT_EQ(format_utc(day.begin), tc.begin);
    EXPECT_EQ(format_utc(day.end), tc.end);
    EXPECT_EQ(day.end - day.begin, tc.length);
  }
}

TEST(ResolveLocalTest, SkippedTimesMoveToGapEndAndRepeatedTimesTakeTheFirst) {
  struct Case {
    const char* name;
    date::local_seconds local;
    const char* expected_utc;
  };
  using date::local_days;
  const Case cases[] = {
      {"unique", local_days{ymd(2026, 6, 1)} + hours{9}, "2026-06-01T13:00:00Z"},
      {"skipped 02:30", local_days{ymd(2026, 3, 8)} + hours{2} + std::chrono::minutes{30},
       "2026-03-08T07:00:00Z"},
      {"repeated 01:30", local_days{ymd(2026, 11, 1)} + hours{1} + std::chrono::minutes{30},
       "2026-11-01T05:30:00Z"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    EXPECT_EQ(format_utc(resolve_local(tc.local, zone("America/New_York"))), tc.expected_utc);
  }
}

TEST(Rfc2822Test, ParsesTwiliosDatesWithAnyOffset) {
  EXPECT_EQ(parse_rfc2822("Thu, 26 Nov 2026 09:30:00 +0000"),
            TimePoint{date::sys_days{date::year{2026} / 11 / 26}} + std::chrono::hours{9} + std::chrono::minutes{30});
  EXPECT_EQ(parse_rfc2822("Thu, 26 Nov 2026 09:30:00 -0500"),
            TimePoint{date::sys_days{date::year{2026} / 11 / 26}} + std::chrono::hours{14} + std::chrono::minutes{30});
  EXPECT_FALSE(parse_rfc2822("2026-11-26T09:30:00Z").has_value());
  EXPECT_FALSE(parse_rfc2822("Thu, 26 Nov 2026 09:30:00 +0000 trailing").has_value());
  EXPECT_FALSE(parse_rfc2822("").has_value());
}

}  // namespace
}  // namespace autovoice
