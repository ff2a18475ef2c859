#include "domain/time.h"

#include <cctype>
#include <charconv>
#include <sstream>

namespace autovoice {

namespace {

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string quoted(std::string_view text) { return "'" + std::string(text.substr(0, 60)) + "'"; }

}  // namespace

Result<const TimeZone*> find_time_zone(std::string_view name, std::string_view field) {
  if (name.empty()) return Error::invalid(std::string(field), "time zone is empty; expected an IANA name like America/New_York");
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return Error::invalid(std::string(field), "unknown time zone " + quoted(name) +
                                                  "; expected an IANA name like America/New_York");
  }
}

std::string format_utc(TimePoint t) { return date::format("%FT%TZ", t); }

std::string format_in_zone(TimePoint t, const TimeZone* zone) {
  const date::zoned_seconds zt{zone, t};
  std::string s = date::format("%FT%T%z", zt);  // offset as +hhmm
  if (s.size() >= 5) s.insert(s.size() - 2, ":");
  return s;
}

Result<date::year_month_day> parse_date(std::string_view text, std::string_view field) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !parse_int(text.substr(0, 4), y) ||
      !parse_int(text.substr(5, 2), m) || !parse_int(text.substr(8, 2), d)) {
    return Error::invalid(std::string(field), "date " + quoted(text) + " is not of the form YYYY-MM-DD");
  }
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return Error::invalid(std::string(field), "date " + quoted(text) + " does not exist");
  return ymd;
}

date::year_month_day local_date(TimePoint t, const TimeZone* zone) {
  const auto local = zone->to_local(t);
  return date::year_month_day{date::floor<date::days>(local)};
}

TimePoint resolve_local(date::local_seconds local, const TimeZone* zone) {
  const auto info = zone->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
      return TimePoint{local.time_since_epoch() - info.first.offset};
    case date::local_info::ambiguous:
      return TimePoint{local.time_since_epoch() - info.first.offset};
    case date::local_info::nonexistent:
    default:
      return info.second.begin;  // the instant the gap ends
  }
}

Interval local_day(date::year_month_day day, const TimeZone* zone) {
  const date::local_days start{day};
  return Interval{resolve_local(date::local_seconds{start}, zone),
                  resolve_local(date::local_seconds{start + date::days{1}}, zone)};
}

std::optional<TimePoint> parse_rfc2822(std::string_view text) {
  std::istringstream in{std::string(text)};
  in.imbue(std::locale::classic());
  TimePoint t;
  // GCC 12 at -O3 flags a variable inside date::parse as maybe uninitialized
  // (a false positive in the third-party header, inlined here).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  in >> date::parse("%a, %d %b %Y %T %z", t);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  if (in.fail()) return std::nullopt;
  in >> std::ws;
  if (!in.eof()) return std::nullopt;
  return t;
}

Result<TimePoint> parse_datetime(std::string_view text, const TimeZone* zone, std::string_view field) {
  const std::string f(field);
  const std::string bad = "time " + quoted(text) +
                          " is not of the form YYYY-MM-DD[ HH:MM[:SS]][Z|+HH:MM]";
  if (text.size() < 10) return Error::invalid(f, bad);
  auto ymd = parse_date(text.substr(0, 10), field);
  if (!ymd) return Error::invalid(f, bad);
  std::string_view rest = text.substr(10);
  int hh = 0;
  int mm = 0;
  int ss = 0;
  if (!rest.empty() && rest.front() != 'Z' && rest.front() != '+' && rest.front() != '-') {
    if (rest.front() != 'T' && rest.front() != ' ') return Error::invalid(f, bad);
    rest.remove_prefix(1);
    if (rest.size() < 5 || rest[2] != ':' || !parse_int(rest.substr(0, 2), hh) ||
        !parse_int(rest.substr(3, 2), mm)) {
      return Error::invalid(f, bad);
    }
    rest.remove_prefix(5);
    if (!rest.empty() && rest.front() == ':') {
      if (rest.size() < 3 || !parse_int(rest.substr(1, 2), ss)) return Error::invalid(f, bad);
      rest.remove_prefix(3);
    }
    if (hh > 23 || mm > 59 || ss > 59) {
      return Error::invalid(f, "time " + quoted(text) + " has an hour, minute or second out of range");
    }
  }
  const date::local_seconds local = date::local_days{*ymd} + std::chrono::hours{hh} +
                                    std::chrono::minutes{mm} + std::chrono::seconds{ss};
  if (rest.empty()) {
    if (zone == nullptr) return Error::invalid(f, "time " + quoted(text) + " needs a zone offset such as Z");
    const auto info = zone->get_info(local);
    if (info.result == date::local_info::nonexistent) {
      return Error::invalid(f, "local time " + quoted(text) + " does not exist in " + zone->name() +
                                   " (the clocks skip it for daylight-saving time)");
    }
    return resolve_local(local, zone);
  }
  if (rest == "Z") return TimePoint{local.time_since_epoch()};
  // Offset: +HH:MM or +HHMM.
  const int sign = rest.front() == '-' ? -1 : 1;
  if (rest.front() != '+' && rest.front() != '-') return Error::invalid(f, bad);
  rest.remove_prefix(1);
  int oh = 0;
  int om = 0;
  if (rest.size() == 5 && rest[2] == ':' && parse_int(rest.substr(0, 2), oh) && parse_int(rest.substr(3, 2), om)) {
  } else if (rest.size() == 4 && parse_int(rest.substr(0, 2), oh) && parse_int(rest.substr(2, 2), om)) {
  } else {
    return Error::invalid(f, bad);
  }
  if (oh > 18 || om > 59) return Error::invalid(f, "time " + quoted(text) + " has an offset out of range");
  const auto offset = std::chrono::hours{oh} + std::chrono::minutes{om};
  return TimePoint{local.time_since_epoch() - sign * offset};
}

}  // namespace autovoice
