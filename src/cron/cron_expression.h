// CronExpression: a crontab schedule ("0 9 * * MON-FRI") parsed once and asked
// for its next fire time in an IANA time zone, daylight-saving time included.
//
// A parsed CronExpression is immutable. It is safe to share between threads
// and to call next_after() concurrently without external synchronization.
//
// Syntax (5 fields separated by spaces or tabs, or one macro):
//
//   field              values   names      extensions
//   1 minute           0-59
//   2 hour             0-23
//   3 day-of-month     1-31                L (the last day of the month)
//   4 month            1-12     JAN-DEC
//   5 day-of-week      0-7      SUN-SAT    NL (the last weekday N of the month, e.g. 5L),
//                                          N#k (the k-th weekday N of the month, e.g. 1#2)
//
//   Each field is a comma-separated list of items; an item is `*`, `N`, `N-M`,
//   `*/S`, `N-M/S` or `N/S` (= N to the field's maximum, step S; `5/15` in the
//   minute field is 5,20,35,50). Names are three letters in any case and may be
//   used wherever a number may. 0 and 7 both mean Sunday; a day-of-week range
//   ending in the name SUN ends on Sunday (`FRI-SUN` = Friday, Saturday, Sunday).
//   `L`, `NL` and `N#k` (k 1-5) stand alone in an item (no range, no step) and
//   mix with other items in a list (`1,15,L`; `MON,5L`).
//   Macros (any case): @yearly = @annually = `0 0 1 1 *`, @monthly = `0 0 1 * *`,
//   @weekly = `0 0 * * 0`, @daily = @midnight = `0 0 * * *`, @hourly = `0 * * * *`.
//
// Day matching (the Vixie cron rule): a day-of-month or day-of-week field that
// begins with `*` (`*`, `*/2`) counts as a wildcard. When either day field is a
// wildcard, a day must match both fields; when neither is, a day matches if it
// matches either (`0 0 1,15 * MON` fires on the 1st, the 15th and every Monday).
// Note that, as in Vixie cron, `*/2` in day-of-month is a wildcard for this rule:
// `0 0 */2 * MON` fires on Mondays that fall on an odd day of the month.
//
// Rejected at parse time, with a message that names the field and the token
// (e.g. "field 2 (hour): 24 is out of range 0-23"): a wrong number of fields,
// empty items, values out of range, reversed ranges (`5-1`; write `1-5`), steps
// that are missing, not a number, 0, or larger than the field's span (59 for
// minutes, 23 for hours, 30 for days of the month, 11 for months, 6 for days of
// the week), unknown names and macros, trailing characters in an item, and
// schedules that can never fire (`0 0 30 2 *`, `0 0 31 4,6,9,11 *`). A
// schedule that fires only in some years (`0 0 29 2 *`, `0 0 * * 1#5`) is fine.
//
// Fire times in a time zone. Local times are matched against the fields; how a
// local time maps to an instant depends on the kind of job, as in Vixie cron
// and cronie:
//
//   * A fixed-time job is one whose minute field and hour field both do not
//     begin with `*` (`30 2 * * *`, `0,30 9-17 * * *`, @daily, @weekly).
//     - A local time skipped by a forward clock change (a "gap") fires once, at
//       the instant the skipped time would have had under the offset in force
//       before the change, i.e. shifted forward by the length of the gap
//       (`30 2 * * *` in America/New_York on 2026-03-08 fires at 03:30 EDT; in
//       Australia/Lord_Howe, whose gap is 30 minutes, 02:15 fires at 02:45). If
//       that instant is also a regular fire time, it fires once.
//     - A local time repeated by a backward change fires once, at its first
//       occurrence (`30 1 * * *` on 2026-11-01 in New York: 01:30 EDT only).
//     Consequently the local time of a fire time matches the expression, except
//     for gap-shifted fire times, whose local time minus the gap matches.
//   * A wildcard job is every other job (minute or hour field begins with `*`:
//     `*/30 * * * *`, `*/5 9-17 * * MON-FRI`, @hourly). It follows elapsed time:
//     it fires at every instant whose local time matches, so it fires in both
//     passes through a repeated hour (`*/30 * * * *` fires at 01:00 and 01:30 EDT
//     and again at 01:00 and 01:30 EST on 2026-11-01) and not at all in a gap.
//
// Every zone of the system tzdata is supported, including half-hour changes and
// zones that skipped or repeated a whole day (Pacific/Apia skipped 2011-12-30).
// Beyond the last transition the tzdata file lists (2037 for zones with DST in
// the system's "fat" TZif files, as read by date/tz), a zone keeps its last
// offset.
#pragma once

#include <date/tz.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.h"
#include "domain/time.h"

namespace autovoice {

class CronExpression {
 public:
  // Parses a crontab expression or macro (see the file comment). Leading and
  // trailing white space is ignored. On failure the Error has code
  // kInvalidArgument, field "cron", and a one-line message naming the field
  // and token at fault, e.g. "field 2 (hour): 24 is out of range 0-23".
  static Result<CronExpression> parse(std::string_view text);

  // The first fire time strictly after t in `zone` (see the file comment for
  // gaps and repeated hours). Fire times are whole minutes of local time, and
  // successive calls with the previous result give strictly increasing times.
  // Returns nullopt when no fire time exists within 400 years after t or
  // before 10000-01-01 UTC (possible only for a wildcard job whose every
  // match falls into gaps), when t is before 0001-01-01 UTC, or when zone is
  // null.
  // REQUIRES: zone comes from the tz database (find_time_zone,
  // date::locate_zone, date::get_tzdb()) and so lives for the whole program.
  // Does not allocate (beyond the tz database's one-time loading of a zone).
  // Looks up the zone's offsets only when t leaves the offset period of the
  // previous call on the same thread (a thread-local cache); a call takes well
  // under a microsecond (bench/cron_bench.cpp).
  std::optional<TimePoint> next_after(TimePoint t, const TimeZone* zone) const;

  // Whether a local wall time is selected by the fields (seconds must be 0).
  // Ignores time zones: this is the matching rule alone.
  bool matches(date::local_seconds local) const;

  // True for a fixed-time job, false for a wildcard job (see the file comment).
  bool is_fixed_time() const { return fixed_time_; }

  // The text given to parse(), without surrounding white space.
  std::string_view source() const { return source_; }

 private:
  CronExpression() = default;

  // The days of one month that the day fields select (bit d-1 = day d),
  // for a month of the given number of days whose first day is `first_weekday`
  // (0 = Sunday).
  std::uint32_t day_mask(unsigned month, bool leap, unsigned first_weekday) const {
    return day_masks_[mask_index(month, leap, first_weekday)];
  }
  static unsigned mask_index(unsigned month, bool leap, unsigned first_weekday) {
    return (month == 2 && leap ? 12U : month - 1) * 7U + first_weekday;  // < 91
  }
  // Earliest selected local time (seconds since the local epoch) >= from and
  // < limit, if any.
  std::optional<std::int64_t> next_local(std::int64_t from, std::int64_t limit) const;

  friend class CronParser;

  std::uint64_t minutes_ = 0;  // bit m: minute m selected
  std::uint32_t hours_ = 0;    // bit h
  std::uint16_t months_ = 0;   // bit m, 1-12
  bool fixed_time_ = false;
  // [month-1][first weekday] for ordinary months, then 7 entries for leap Februaries.
  std::array<std::uint32_t, 91> day_masks_{};
  std::string source_;
};

}  // namespace autovoice
