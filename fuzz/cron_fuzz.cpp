// libFuzzer target: CronExpression::parse on arbitrary bytes; for every
// expression it accepts, next_after in a few zones must give strictly
// increasing whole-minute times whose local time matches (or is gap-shifted).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cron/cron_expression.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using autovoice::CronExpression;
  using autovoice::TimePoint;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = CronExpression::parse(text);
  if (!parsed) {
    check(!parsed.error().message.empty());
    check(parsed.error().message.find('\n') == std::string_view::npos);
    return 0;
  }
  static const autovoice::TimeZone* const kZones[] = {
      date::locate_zone("America/New_York"), date::locate_zone("Australia/Lord_Howe"),
      date::locate_zone("Pacific/Apia"), date::locate_zone("UTC")};
  // Start a little before a clock change (New York, 2026-03-08 and 2026-11-01)
  // or at Apia's skipped day, chosen by the input.
  static const TimePoint kStarts[] = {
      date::sys_days{date::year{2026} / 3 / 7}, date::sys_days{date::year{2026} / 10 / 31},
      date::sys_days{date::year{2011} / 12 / 29}, date::sys_days{date::year{2026} / 4 / 4}};
  const std::size_t pick = size == 0 ? 0 : data[0];
  for (const auto* zone : kZones) {
    TimePoint t = kStarts[(pick + static_cast<std::size_t>(zone == kZones[0])) % 4];
    for (int i = 0; i < 8; ++i) {
      const auto next = parsed->next_after(t, zone);
      if (!next) break;
      check(*next > t);
      check(next->time_since_epoch().count() % 60 == 0 || zone != kZones[3]);
      const auto info = zone->get_info(*next);
      const date::local_seconds local{next->time_since_epoch() + info.offset};
      if (!parsed->matches(local)) {
        check(parsed->is_fixed_time());
        const auto before = zone->get_info(info.begin - std::chrono::seconds{1});
        const auto gap = info.offset - before.offset;
        check(gap.count() > 0 && *next < info.begin + gap && parsed->matches(local - gap));
      }
      t = *next;
    }
  }
  return 0;
}
