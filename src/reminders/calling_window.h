// Calling hours: when a customer may be phoned (or texted), in the customer's
// own time zone, daylight-saving time included. A call outside them is
// deferred to the next moment they allow.
#pragma once

#include "config/settings.h"
#include "domain/time.h"

namespace autovoice::reminders {

struct CallingHours {
  LocalTimeOfDay start{8 * 60};  // inclusive
  LocalTimeOfDay end{21 * 60};   // exclusive; later than start
};

// Whether `t` falls within the hours on its local day in `zone`.
bool within_calling_hours(TimePoint t, const TimeZone* zone, const CallingHours& hours);

// `t` itself when it is within the hours, else the next local day-time
// `hours.start` after it (today's when `t` is before it, else tomorrow's). A
// start time skipped by a spring-forward change maps to the instant the gap
// ends; a repeated one to its first occurrence.
TimePoint next_calling_moment(TimePoint t, const TimeZone* zone, const CallingHours& hours);

}  // namespace autovoice::reminders
