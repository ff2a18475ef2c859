// Time in autovoice: instants are UTC seconds (TimePoint); "days", calling
// hours and what a customer hears are computed in an IANA time zone from the
// system tzdata, daylight-saving time included.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>
#include <date/tz.h>

#include "domain/result.h"

namespace autovoice {

using TimePoint = std::chrono::sys_seconds;
using TimeZone = date::time_zone;

// Looks up an IANA zone name ("America/New_York"). Error names the value.
Result<const TimeZone*> find_time_zone(std::string_view name, std::string_view field = "time_zone");

// "2026-11-26T15:00:00Z" (UTC, second precision).
std::string format_utc(TimePoint t);
// "2026-11-26T10:00:00-05:00" in the given zone.
std::string format_in_zone(TimePoint t, const TimeZone* zone);

// Parses a date-time. With "Z" or an offset ("+02:00", "-0500") it is absolute;
// without one it is a local time in `zone`. Accepted shapes: "YYYY-MM-DD",
// "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM[:SS]" plus optional zone designator.
// A local time that does not exist (skipped by a spring-forward change) is an
// error; a repeated one (fall-back) means its first occurrence.
Result<TimePoint> parse_datetime(std::string_view text, const TimeZone* zone,
                                 std::string_view field = "time");

// Parses an RFC 2822 date as Twilio writes it ("Wed, 25 Nov 2026 14:00:00
// +0000"; any offset). nullopt when the text is anything else.
std::optional<TimePoint> parse_rfc2822(std::string_view text);

// Parses "YYYY-MM-DD" into a calendar date.
Result<date::year_month_day> parse_date(std::string_view text, std::string_view field = "date");

// The local calendar date of an instant in a zone.
date::year_month_day local_date(TimePoint t, const TimeZone* zone);

// [start, end) in UTC of a local calendar day. When midnight falls in a DST gap
// the day starts at the first instant after the gap.
struct Interval {
  TimePoint begin;
  TimePoint end;
};
Interval local_day(date::year_month_day day, const TimeZone* zone);

// Resolves a local wall time that may be skipped or repeated: a skipped time
// maps to the instant the gap ends, a repeated one to its first occurrence.
TimePoint resolve_local(date::local_seconds local, const TimeZone* zone);

}  // namespace autovoice
