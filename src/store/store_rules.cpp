#include "store/store_rules.h"

namespace autovoice::store_rules {

namespace {
constexpr std::size_t kMaxQuotedLength = 64;
std::string in_quotes(std::string_view text) {
  return "'" + std::string(text.substr(0, kMaxQuotedLength)) + "'";
}
}  // namespace

Status check_page(const Page& page) {
  if (page.limit < 1 || page.limit > kMaxPageLimit) {
    return Error::invalid("limit", "limit " + std::to_string(page.limit) + " is out of range 1-" +
                                       std::to_string(kMaxPageLimit));
  }
  if (page.offset < 0) {
    return Error::invalid("offset",
                          "offset " + std::to_string(page.offset) + " must not be negative");
  }
  return ok_status();
}

Error customer_missing(CustomerId id) {
  return Error::not_found("customer " + std::to_string(id) + " does not exist");
}
Error vehicle_missing(VehicleId id) {
  return Error::not_found("vehicle " + std::to_string(id) + " does not exist");
}
Error appointment_missing(AppointmentId id) {
  return Error::not_found("appointment " + std::to_string(id) + " does not exist");
}

Error vehicle_of_other_customer(VehicleId vehicle, CustomerId owner, CustomerId wanted) {
  return Error::invalid("vehicle_id", "vehicle " + std::to_string(vehicle) +
                                          " belongs to customer " + std::to_string(owner) +
                                          ", not customer " + std::to_string(wanted));
}

Status refuse_newer_schema(int version) {
  if (version <= latest_schema_version()) return ok_status();
  return Error::precondition("database schema is at version " + std::to_string(version) +
                             ", newer than version " + std::to_string(latest_schema_version()) +
                             " that this autovoice knows: upgrade autovoice");
}

Status require_name(const char* field, std::string_view value) {
  if (!value.empty()) return ok_status();
  return Error::invalid(field, std::string(field) + " must not be empty");
}

Status check_fire_names(std::string_view job, std::string_view worker) {
  if (auto s = require_name("job", job); !s) return s;
  return require_name("worker", worker);
}

Status check_lease(std::chrono::seconds lease) {
  if (lease > std::chrono::seconds::zero()) return ok_status();
  return Error::invalid("lease",
                        "lease of " + std::to_string(lease.count()) + " s must be positive");
}

FireClaim claim_from(const StoredFire& row, std::string_view worker) {
  if (row.state != "running") return FireClaim{FireClaim::State::kDone, TimePoint{}};
  if (row.worker == worker) return FireClaim{FireClaim::State::kClaimed, row.lease_until};
  return FireClaim{FireClaim::State::kHeldElsewhere, row.lease_until};
}

Error fire_conflict(std::string_view job, TimePoint fire_time, std::string_view worker,
                    const std::optional<StoredFire>& row) {
  std::string message = "the fire of job " + in_quotes(job) + " at " + format_utc(fire_time);
  if (!row) {
    message += " was never claimed";
  } else if (row->state != "running") {
    message += " has already finished (" + row->state + ")";
  } else {
    message +=
        " is held by worker " + in_quotes(row->worker) + " until " + format_utc(row->lease_until);
  }
  return Error::conflict(message + ", not by worker " + in_quotes(worker));
}

}  // namespace autovoice::store_rules
