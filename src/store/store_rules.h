// The rules and messages every Store backend applies the same way: page
// bounds, "does not exist" errors, the fire ledger's claim decision. One
// place, so SQLite and PostgreSQL answer alike (the contract suite checks it).
// Internal to src/store.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace autovoice::store_rules {

inline constexpr int kMaxPageLimit = 10000;

// limit 1..kMaxPageLimit, offset >= 0; else kInvalidArgument on that field.
Status check_page(const Page& page);

Error customer_missing(CustomerId id);
Error vehicle_missing(VehicleId id);
Error appointment_missing(AppointmentId id);
// kInvalidArgument on field vehicle_id.
Error vehicle_of_other_customer(VehicleId vehicle, CustomerId owner, CustomerId wanted);
// kFailedPrecondition when `version` is newer than this binary's schema.
Status refuse_newer_schema(int version);

// kInvalidArgument naming `field` when value is empty.
Status require_name(const char* field, std::string_view value);
// job and worker non-empty, lease positive; else kInvalidArgument naming the field.
Status check_fire_names(std::string_view job, std::string_view worker);
Status check_lease(std::chrono::seconds lease);

// A job_fires row as both backends read it back.
struct StoredFire {
  std::string worker;
  std::string state;  // "running", or the FireOutcome it finished with
  TimePoint lease_until;
};
// What a claim attempt means, read from the row after the upsert.
FireClaim claim_from(const StoredFire& row, std::string_view worker);
// Why `worker` may not renew or finish the fire.
Error fire_conflict(std::string_view job, TimePoint fire_time, std::string_view worker,
                    const std::optional<StoredFire>& row);

}  // namespace autovoice::store_rules
