// Seed data: a believable demo shop, and bulk data for benchmarks.
#pragma once

#include <cstddef>
#include <functional>

#include "domain/result.h"
#include "domain/time.h"
#include "store/store.h"

namespace autovoice {

struct DemoSeedReport {
  std::size_t customers = 0;
  std::size_t vehicles = 0;
  std::size_t appointments = 0;
  std::size_t confirmed_tomorrow = 0;
};

// Loads the demo shop into an empty store: a few dozen customers with their
// vehicles and appointments over the past few days and the next week, in the
// shop's zone; several CONFIRMED for tomorrow, among them one opted-out
// customer, one with a foreign (UK) number and one in another time zone. All
// phone numbers are in fictional ranges (NANP 555-01xx, UK 020 7946 0xxx).
// Fails with kFailedPrecondition when the store already has customers.
Result<DemoSeedReport> seed_demo(Store& store, const TimeZone* shop_zone, TimePoint now);

struct BulkSeedReport {
  std::size_t customers = 0;
  std::size_t appointments = 0;
  double appointments_per_second = 0;
};

// Loads `appointments` appointments spread evenly at random over `days` days
// from `start`, one customer (with one vehicle) per 20 appointments, a fifth of
// them CONFIRMED. Phone numbers are +1555xxxxxxx (an unassigned area code).
// `progress(done, total)` is called after each batch. Deterministic for a seed.
Result<BulkSeedReport> seed_bulk(Store& store, std::size_t appointments, int days, TimePoint start,
                                 unsigned seed,
                                 const std::function<void(std::size_t, std::size_t)>& progress = {});

// Loads `count` customers (phone numbers +1 212 200-0000 upward, one each),
// each with a vehicle and one CONFIRMED appointment on the local day `day` in
// `zone`, spread over 09:00-17:45 in quarter hours: a reminder sweep's load.
// `progress(done, total)` is called every 500 customers.
Result<BulkSeedReport> seed_reminder_load(Store& store, std::size_t count, date::year_month_day day,
                                          const TimeZone* zone, TimePoint now,
                                          const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace autovoice
