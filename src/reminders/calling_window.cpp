#include "reminders/calling_window.h"

#include <chrono>

namespace autovoice::reminders {

namespace {

// Local midnight of t's local day, and the minutes since then on the wall clock.
struct LocalMoment {
  date::local_days day;
  int minutes;
};

LocalMoment local_moment(TimePoint t, const TimeZone* zone) {
  const auto local = zone->to_local(t);
  const auto day = date::floor<date::days>(local);
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(local - day);
  return LocalMoment{day, static_cast<int>(minutes.count())};
}

TimePoint at(date::local_days day, LocalTimeOfDay time, const TimeZone* zone) {
  return resolve_local(date::local_seconds{day} + std::chrono::minutes{time.minutes}, zone);
}

}  // namespace

bool within_calling_hours(TimePoint t, const TimeZone* zone, const CallingHours& hours) {
  const LocalMoment m = local_moment(t, zone);
  return m.minutes >= hours.start.minutes && m.minutes < hours.end.minutes;
}

TimePoint next_calling_moment(TimePoint t, const TimeZone* zone, const CallingHours& hours) {
  if (within_calling_hours(t, zone, hours)) return t;
  const LocalMoment m = local_moment(t, zone);
  const TimePoint today = at(m.day, hours.start, zone);
  if (m.minutes < hours.start.minutes && today > t) return today;
  return at(m.day + date::days{1}, hours.start, zone);
}

}  // namespace autovoice::reminders
