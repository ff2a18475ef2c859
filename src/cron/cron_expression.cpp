#include "cron/cron_expression.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdio>
#include <limits>
#include <span>

namespace autovoice {

namespace {

constexpr std::string_view kFieldsHint = "minute hour day-of-month month day-of-week";

enum FieldIndex : int { kMinute = 0, kHour, kDayOfMonth, kMonth, kDayOfWeek, kFieldCount };

struct FieldSpec {
  std::string_view name;
  int min;
  int max;           // largest value accepted (7 for day-of-week: Sunday again)
  int wildcard_max;  // what `*` and `N/S` run up to
  int step_max;
  std::span<const std::string_view> names;  // 3-letter names of values names_base.., or none
  int names_base;
  std::string_view names_hint;
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

constexpr std::array<FieldSpec, kFieldCount> kFields = {{
    {"minute", 0, 59, 59, 59, {}, 0, {}},
    {"hour", 0, 23, 23, 23, {}, 0, {}},
    {"day-of-month", 1, 31, 31, 30, {}, 0, {}},
    {"month", 1, 12, 12, 11, kMonthNames, 1, "JAN-DEC"},
    {"day-of-week", 0, 7, 6, 6, kDayNames, 0, "SUN-SAT"},
}};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Text of outside input made safe for a one-line message: control and
// non-ASCII bytes escaped, long text shortened.
std::string printable(std::string_view text) {
  constexpr std::size_t kMaxShown = 48;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == kMaxShown) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02X", static_cast<unsigned>(c));
      out += buf.data();
    }
  }
  return out;
}
std::string quoted(std::string_view text) {
  // Appended piecewise: `"'" + std::string + "'"` trips GCC 12's -Wrestrict at -O3.
  std::string out(1, '\'');
  out += printable(text);
  out += '\'';
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// --- civil calendar (proleptic Gregorian), after Howard Hinnant's algorithms ---

constexpr std::int64_t kSecondsPerDay = 86400;

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr bool is_leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr unsigned days_in_month(unsigned m, bool leap) {
  constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap ? 29 : kDays[m - 1];
}

constexpr unsigned weekday_from_days(std::int64_t z) {  // 0 = Sunday; day 0 was a Thursday
  return static_cast<unsigned>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

// The supported range of instants and local times.
constexpr std::int64_t kMinSeconds = days_from_civil(1, 1, 1) * kSecondsPerDay;
constexpr std::int64_t kMaxSeconds = days_from_civil(10000, 1, 1) * kSecondsPerDay;
constexpr std::int64_t kHorizonSeconds = days_from_civil(2401, 1, 1) * kSecondsPerDay -
                                         days_from_civil(2000, 1, 1) * kSecondsPerDay;  // 401 years

// First set bit at or above `from`, or -1.
template <typename Bits>
int next_bit(Bits bits, unsigned from) {
  if (from >= sizeof(Bits) * 8) return -1;
  const Bits rest = static_cast<Bits>(bits >> from);
  if (rest == 0) return -1;
  return static_cast<int>(from) + std::countr_zero(rest);
}

}  // namespace

// --- parsing ---

class CronParser {
 public:
  static Result<CronExpression> parse(std::string_view text);

 private:
  struct Field {
    std::uint64_t values = 0;       // bit v
    bool star = false;              // the field begins with '*'
    bool last_day = false;          // day-of-month L
    std::uint8_t last_weekday = 0;  // day-of-week NL: bit N
    std::uint64_t nth_weekday = 0;  // day-of-week N#k: bit N*5 + (k-1)
  };

  CronParser(int index, std::string_view field)
      : index_(index), spec_(kFields[index]), field_(field) {}

  Error error(const std::string& message) const {
    return Error::invalid("cron", "field " + std::to_string(index_ + 1) + " (" +
                                      std::string(spec_.name) + "): " + message);
  }
  Result<Field> parse_field();
  Status parse_item(std::string_view item, Field& out);
  // Reads a number or name at pos; a name at the end of a day-of-week range
  // that is SUN reads as 7 when `range_end`.
  Result<int> parse_value(std::string_view item, std::size_t& pos, bool range_end, int range_start);
  Result<int> parse_step(std::string_view item, std::size_t& pos);

  int index_;
  const FieldSpec& spec_;
  std::string_view field_;
};

Result<CronParser::Field> CronParser::parse_field() {
  Field field;
  field.star = !field_.empty() && field_.front() == '*';
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = field_.find(',', start);
    const std::string_view item = field_.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return error("empty item in list " + quoted(field_));
    if (auto status = parse_item(item, field); !status) return status.error();
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return field;
}

Result<int> CronParser::parse_value(std::string_view item, std::size_t& pos, bool range_end,
                                    int range_start) {
  const std::size_t begin = pos;
  if (pos < item.size() && is_digit(item[pos])) {
    long long value = 0;
    while (pos < item.size() && is_digit(item[pos])) {
      value = std::min(value * 10 + (item[pos] - '0'), 1'000'000LL);
      ++pos;
    }
    if (value < spec_.min || value > spec_.max) {
      return error(printable(item.substr(begin, pos - begin)) + " is out of range " +
                   std::to_string(spec_.min) + "-" + std::to_string(spec_.max));
    }
    return static_cast<int>(value);
  }
  if (pos < item.size() && is_alpha(item[pos])) {
    while (pos < item.size() && is_alpha(item[pos])) ++pos;
    const std::string_view word = item.substr(begin, pos - begin);
    if (index_ == kDayOfMonth && iequals(word, "L")) {
      return error("L must stand alone, not in a range or with a step: " + quoted(item));
    }
    if (spec_.names.empty()) return error(quoted(word) + " is not a number");
    for (std::size_t i = 0; i < spec_.names.size(); ++i) {
      if (iequals(word, spec_.names[i])) {
        const int value = spec_.names_base + static_cast<int>(i);
        if (index_ == kDayOfWeek && range_end && value == 0 && range_start > 0) return 7;
        return value;
      }
    }
    return error("unknown name " + quoted(word) + "; expected a number or " +
                 std::string(spec_.names_hint));
  }
  if (pos >= item.size()) return error("missing value at the end of " + quoted(item));
  return error("unexpected " + quoted(item.substr(pos, 1)) + " in " + quoted(item));
}

Result<int> CronParser::parse_step(std::string_view item, std::size_t& pos) {
  // pos is just after '/'.
  if (pos >= item.size()) return error("missing step after '/' in " + quoted(item));
  const std::size_t begin = pos;
  if (!is_digit(item[pos])) {
    std::size_t end = pos;
    while (end < item.size() && !is_space(item[end])) ++end;
    return error("step " + quoted(item.substr(begin, end - begin)) + " in " + quoted(item) +
                 " is not a positive number");
  }
  long long step = 0;
  while (pos < item.size() && is_digit(item[pos])) {
    step = std::min(step * 10 + (item[pos] - '0'), 1'000'000LL);
    ++pos;
  }
  if (step < 1 || step > spec_.step_max) {
    return error("step " + printable(item.substr(begin, pos - begin)) + " in " + quoted(item) +
                 " is out of range 1-" + std::to_string(spec_.step_max));
  }
  return static_cast<int>(step);
}

Status CronParser::parse_item(std::string_view item, Field& out) {
  std::size_t pos = 0;
  int first = 0;
  int last = 0;
  int step = 1;
  auto trailing = [&]() -> Status {
    if (pos < item.size()) {
      return error("unexpected " + quoted(item.substr(pos, 1)) + " in " + quoted(item));
    }
    return ok_status();
  };

  if (index_ == kDayOfMonth && iequals(item, "L")) {
    out.last_day = true;
    return ok_status();
  }
  if (item[0] == '*') {
    first = spec_.min;
    last = spec_.wildcard_max;
    pos = 1;
    if (pos < item.size() && item[pos] == '/') {
      ++pos;
      auto s = parse_step(item, pos);
      if (!s) return s.error();
      step = *s;
    }
    if (auto status = trailing(); !status) return status;
  } else {
    auto v = parse_value(item, pos, false, 0);
    if (!v) return v.error();
    first = *v;
    last = first;
    if (pos < item.size() && index_ == kDayOfWeek && (item[pos] == 'L' || item[pos] == 'l') &&
        pos + 1 == item.size()) {
      out.last_weekday = static_cast<std::uint8_t>(out.last_weekday | (1U << (first % 7)));
      return ok_status();
    }
    if (pos < item.size() && index_ == kDayOfWeek && item[pos] == '#') {
      ++pos;
      if (pos >= item.size()) return error("missing occurrence after '#' in " + quoted(item));
      const std::size_t begin = pos;
      long long k = 0;
      while (pos < item.size() && is_digit(item[pos])) {
        k = std::min(k * 10 + (item[pos] - '0'), 1'000'000LL);
        ++pos;
      }
      if (pos == begin) {
        return error("occurrence after '#' in " + quoted(item) + " is not a number");
      }
      if (k < 1 || k > 5) {
        return error("occurrence " + printable(item.substr(begin, pos - begin)) + " in " +
                     quoted(item) + " is out of range 1-5");
      }
      if (auto status = trailing(); !status) return status;
      out.nth_weekday |= std::uint64_t{1} << ((first % 7) * 5 + static_cast<int>(k - 1));
      return ok_status();
    }
    if (pos < item.size() && item[pos] == '-') {
      ++pos;
      if (pos >= item.size()) return error("missing end of range in " + quoted(item));
      auto e = parse_value(item, pos, true, first);
      if (!e) return e.error();
      last = *e;
      if (last < first) {
        return error("range " + printable(item.substr(0, pos)) +
                     " is reversed: the start must not be after the end");
      }
      if (pos < item.size() && item[pos] == '/') {
        ++pos;
        auto s = parse_step(item, pos);
        if (!s) return s.error();
        step = *s;
      }
    } else if (pos < item.size() && item[pos] == '/') {
      ++pos;
      auto s = parse_step(item, pos);
      if (!s) return s.error();
      step = *s;
      last = spec_.wildcard_max;
      if (first > last) last = first;  // `7/2` in day-of-week: Sunday only
    }
    if (auto status = trailing(); !status) return status;
  }
  for (int v = first; v <= last; v += step) {
    const int value = index_ == kDayOfWeek ? v % 7 : v;
    out.values |= std::uint64_t{1} << value;
  }
  return ok_status();
}

Result<CronExpression> CronParser::parse(std::string_view text) {
  const std::string_view source = trim(text);
  if (source.empty()) {
    return Error::invalid("cron", "expression is empty; expected 5 fields (" +
                                      std::string(kFieldsHint) + ") or a macro such as @daily");
  }
  std::array<std::string_view, kFieldCount + 1> fields;
  int count = 0;
  {
    std::size_t pos = 0;
    while (pos < source.size()) {
      while (pos < source.size() && is_space(source[pos])) ++pos;
      if (pos >= source.size()) break;
      const std::size_t begin = pos;
      while (pos < source.size() && !is_space(source[pos])) ++pos;
      if (count <= kFieldCount) fields[count] = source.substr(begin, pos - begin);
      ++count;
    }
  }
  std::string_view spec = source;
  if (fields[0].front() == '@') {
    if (count > 1) {
      return Error::invalid(
          "cron", "unexpected " + quoted(fields[1]) + " after macro " + quoted(fields[0]));
    }
    const Macro* macro = nullptr;
    for (const auto& m : kMacros) {
      if (iequals(fields[0], m.name)) macro = &m;
    }
    if (macro == nullptr) {
      if (iequals(fields[0], "@reboot")) {
        return Error::invalid("cron", "macro '@reboot' is not supported: it has no fire times");
      }
      return Error::invalid("cron", "unknown macro " + quoted(fields[0]) +
                                        "; expected @yearly, @annually, @monthly, @weekly, "
                                        "@daily, @midnight or @hourly");
    }
    spec = macro->expansion;
    count = 0;
    std::size_t pos = 0;
    while (pos < spec.size()) {
      const std::size_t space = std::min(spec.find(' ', pos), spec.size());
      fields[count++] = spec.substr(pos, space - pos);
      pos = space + 1;
    }
  }
  if (count != kFieldCount) {
    return Error::invalid("cron", "expected 5 fields (" + std::string(kFieldsHint) + "), got " +
                                      std::to_string(count) + ": " + quoted(source));
  }

  std::array<Field, kFieldCount> parsed;
  for (int i = 0; i < kFieldCount; ++i) {
    CronParser parser(i, fields[i]);
    auto field = parser.parse_field();
    if (!field) return field.error();
    parsed[i] = *field;
  }

  CronExpression expr;
  expr.source_ = std::string(source);
  expr.minutes_ = parsed[kMinute].values;
  expr.hours_ = static_cast<std::uint32_t>(parsed[kHour].values);
  expr.months_ = static_cast<std::uint16_t>(parsed[kMonth].values);
  expr.fixed_time_ = !parsed[kMinute].star && !parsed[kHour].star;

  const Field& dom = parsed[kDayOfMonth];
  const Field& dow = parsed[kDayOfWeek];
  const bool both_must_match = dom.star || dow.star;
  // The selected days (bit d-1 = day d) of a month of `length` days starting
  // on `first_weekday`.
  auto month_days = [&](unsigned length, unsigned first_weekday) {
    constexpr std::uint32_t kEveryWeek = 0x10204081U;  // bits 0, 7, 14, 21, 28
    const std::uint32_t in_month = (std::uint32_t{1} << length) - 1;
    const std::uint32_t last_week = in_month & ~((std::uint32_t{1} << (length - 7)) - 1);
    std::uint32_t dom_days = static_cast<std::uint32_t>(dom.values >> 1) & in_month;
    if (dom.last_day) dom_days |= std::uint32_t{1} << (length - 1);
    std::uint32_t dow_days = 0;
    for (unsigned weekday = 0; weekday < 7; ++weekday) {
      const unsigned first = (weekday + 7 - first_weekday) % 7;  // bit of its first day
      const std::uint32_t days = (kEveryWeek << first) & in_month;
      if (((dow.values >> weekday) & 1U) != 0) dow_days |= days;
      if (((dow.last_weekday >> weekday) & 1U) != 0) dow_days |= days & last_week;
      for (unsigned k = 0; k < 5; ++k) {
        if (((dow.nth_weekday >> (weekday * 5 + k)) & 1U) != 0 && first + 7 * k < length) {
          dow_days |= std::uint32_t{1} << (first + 7 * k);
        }
      }
    }
    return both_must_match ? (dom_days & dow_days) : (dom_days | dow_days);
  };
  std::array<std::array<std::uint32_t, 7>, 4> by_length{};  // months of 28-31 days
  for (unsigned length = 28; length <= 31; ++length) {
    for (unsigned first_weekday = 0; first_weekday < 7; ++first_weekday) {
      by_length[length - 28][first_weekday] = month_days(length, first_weekday);
    }
  }
  bool fires = false;
  for (unsigned month = 1; month <= 12; ++month) {
    for (const bool leap : {false, true}) {
      if (leap && month != 2) continue;
      const unsigned length = days_in_month(month, leap);
      for (unsigned first_weekday = 0; first_weekday < 7; ++first_weekday) {
        const std::uint32_t mask = by_length[length - 28][first_weekday];
        expr.day_masks_[CronExpression::mask_index(month, leap, first_weekday)] = mask;
        if (mask != 0 && ((expr.months_ >> month) & 1U) != 0) fires = true;
      }
    }
  }
  if (!fires) {
    if (dow.star && fields[kDayOfWeek] == "*") {
      return Error::invalid("cron", "field 3 (day-of-month): " + quoted(fields[kDayOfMonth]) +
                                        " never occurs in month " + quoted(fields[kMonth]) +
                                        ", so the expression never fires");
    }
    return Error::invalid(
        "cron", "fields 3 and 5 (day-of-month and day-of-week): " + quoted(fields[kDayOfMonth]) +
                    " and " + quoted(fields[kDayOfWeek]) + " never select the same day in month " +
                    quoted(fields[kMonth]) + ", so the expression never fires");
  }
  return expr;
}

Result<CronExpression> CronExpression::parse(std::string_view text) {
  return CronParser::parse(text);
}

// --- matching and next fire time ---

bool CronExpression::matches(date::local_seconds local) const {
  const std::int64_t secs = local.time_since_epoch().count();
  const std::int64_t days = floor_div(secs, kSecondsPerDay);
  const std::int64_t sod = secs - days * kSecondsPerDay;
  if (sod % 60 != 0) return false;
  const auto minute = static_cast<unsigned>(sod / 60 % 60);
  const auto hour = static_cast<unsigned>(sod / 3600);
  const Civil c = civil_from_days(days);
  if (((minutes_ >> minute) & 1U) == 0 || ((hours_ >> hour) & 1U) == 0 ||
      ((months_ >> c.month) & 1U) == 0) {
    return false;
  }
  const unsigned first_weekday = weekday_from_days(days - (c.day - 1));
  return ((day_mask(c.month, is_leap(c.year), first_weekday) >> (c.day - 1)) & 1U) != 0;
}

std::optional<std::int64_t> CronExpression::next_local(std::int64_t from,
                                                       std::int64_t limit) const {
  // Round up to a whole minute.
  std::int64_t start = floor_div(from + 59, 60) * 60;
  if (start >= limit) return std::nullopt;
  std::int64_t days = floor_div(start, kSecondsPerDay);
  const auto minute_of_day = static_cast<unsigned>((start - days * kSecondsPerDay) / 60);
  Civil c = civil_from_days(days);
  std::int64_t year = c.year;
  unsigned month = c.month;
  unsigned day = c.day;
  unsigned hour = minute_of_day / 60;
  unsigned minute = minute_of_day % 60;

  while (true) {
    // Month.
    if (((months_ >> month) & 1U) == 0) {
      const int next = next_bit(months_, month + 1);
      if (next < 0) {
        ++year;
        month = static_cast<unsigned>(std::countr_zero(months_));
      } else {
        month = static_cast<unsigned>(next);
      }
      day = 1;
      hour = 0;
      minute = 0;
      if (days_from_civil(year, month, 1) * kSecondsPerDay >= limit) return std::nullopt;
    }
    // Day.
    const bool leap = is_leap(year);
    const std::int64_t month_start = days_from_civil(year, month, 1);
    const std::uint32_t mask = day_mask(month, leap, weekday_from_days(month_start));
    const int found = next_bit(mask, day - 1);
    if (found < 0) {
      if (++month > 12) {
        month = 1;
        ++year;
      }
      day = 1;
      hour = 0;
      minute = 0;
      if (days_from_civil(year, month, 1) * kSecondsPerDay >= limit) return std::nullopt;
      continue;
    }
    if (static_cast<unsigned>(found) + 1 != day) {
      day = static_cast<unsigned>(found) + 1;
      hour = 0;
      minute = 0;
    }
    const std::int64_t day_start = (month_start + day - 1) * kSecondsPerDay;
    if (day_start >= limit) return std::nullopt;
    // Hour and minute.
    int h = next_bit(hours_, hour);
    if (h >= 0 && static_cast<unsigned>(h) != hour) minute = 0;
    int m = h >= 0 ? next_bit(minutes_, minute) : -1;
    if (h >= 0 && m < 0) {
      h = next_bit(hours_, static_cast<unsigned>(h) + 1);
      m = std::countr_zero(minutes_);
    }
    if (h < 0) {
      ++day;  // past the month's end, the day mask finds nothing and moves on
      hour = 0;
      minute = 0;
      continue;
    }
    const std::int64_t result = day_start + std::int64_t{h} * 3600 + std::int64_t{m} * 60;
    if (result >= limit) return std::nullopt;
    return result;
  }
}

namespace {

// One period of constant UTC offset of a zone, [begin, end), with what the
// fire-time rules need to know about the periods before it.
struct OffsetPeriod {
  const TimeZone* zone = nullptr;
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t offset = 0;
  std::int64_t previous_offset = 0;  // offset just before begin
  std::int64_t high_water = 0;       // the latest local time reached before begin (or min)
};

thread_local OffsetPeriod t_period_cache;

OffsetPeriod lookup_period(const TimeZone* zone, std::int64_t at) {
  const OffsetPeriod& cached = t_period_cache;
  if (cached.zone == zone && cached.begin <= at && at < cached.end) return cached;

  using Seconds = std::chrono::seconds;
  const auto info = zone->get_info(date::sys_seconds{Seconds{at}});
  OffsetPeriod period;
  period.zone = zone;
  period.begin = std::max(info.begin.time_since_epoch().count(), kMinSeconds - kSecondsPerDay * 2);
  period.end = std::min(info.end.time_since_epoch().count(), kMaxSeconds + kSecondsPerDay * 2);
  period.offset = info.offset.count();
  period.previous_offset = period.offset;
  period.high_water = std::numeric_limits<std::int64_t>::min();
  // Earlier periods that end within two days of begin may reach later local
  // times (a backward change of up to a day); look at a few.
  std::int64_t cursor = period.begin;
  for (int i = 0; i < 4 && cursor > kMinSeconds; ++i) {
    const auto before = zone->get_info(date::sys_seconds{Seconds{cursor - 1}});
    const std::int64_t before_offset = before.offset.count();
    if (i == 0) period.previous_offset = before_offset;
    period.high_water = std::max(period.high_water, cursor + before_offset);
    cursor = before.begin.time_since_epoch().count();
    if (cursor < period.begin - 2 * kSecondsPerDay) break;
  }
  t_period_cache = period;
  return period;
}

}  // namespace

std::optional<TimePoint> CronExpression::next_after(TimePoint t, const TimeZone* zone) const {
  if (zone == nullptr) return std::nullopt;
  const std::int64_t after = t.time_since_epoch().count();
  if (after < kMinSeconds || after >= kMaxSeconds) return std::nullopt;
  const std::int64_t from = after + 1;
  const std::int64_t stop = std::min(kMaxSeconds, after + kHorizonSeconds);

  std::optional<std::int64_t> best;
  std::int64_t at = from;
  while (at < stop) {
    const OffsetPeriod period = lookup_period(zone, at);
    if (best && *best < period.begin) break;
    const std::int64_t end = std::min(period.end, stop);
    // Local times of this period's own instants.
    std::int64_t local_from = at + period.offset;
    if (fixed_time_) local_from = std::max(local_from, period.high_water);
    if (auto local = next_local(local_from, end + period.offset)) {
      const std::int64_t instant = *local - period.offset;
      if (!best || instant < *best) best = instant;
    }
    // A fixed-time job's local times skipped by a forward change at begin
    // fire shifted by the gap: local - previous offset, within [begin, begin + gap).
    const std::int64_t gap = period.offset - period.previous_offset;
    if (fixed_time_ && gap > 0 && at < period.begin + gap) {
      const std::int64_t gap_local_begin = period.begin + period.previous_offset;
      const std::int64_t gap_from =
          std::max({gap_local_begin, at + period.previous_offset, period.high_water});
      if (auto local = next_local(gap_from, gap_local_begin + gap)) {
        const std::int64_t instant = *local - period.previous_offset;
        if (!best || instant < *best) best = instant;
      }
    }
    if (best && *best < period.end) break;
    at = period.end;
  }
  if (!best || *best >= stop) return std::nullopt;
  return TimePoint{std::chrono::seconds{*best}};
}

}  // namespace autovoice
