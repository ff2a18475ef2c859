#include "sandbox/faults.h"

#include <cmath>
#include <string>

#include <boost/json/parse.hpp>

namespace autovoice::sandbox {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

constexpr milliseconds kMaxDelay{10 * 60 * 1000};
constexpr double kMaxCallsPerSecond = 10'000;

Error fault_error(std::string_view member, std::string message) {
  return Error{ErrorCode::kInvalidArgument,
               "fault " + std::string(member) + ": " + std::move(message), std::string(member)};
}

Status check_rate(std::string_view member, double rate) {
  if (!(rate >= 0 && rate <= 1)) {
    return fault_error(member, std::to_string(rate) + " is not a rate between 0 and 1");
  }
  return {};
}

Status check_delay(std::string_view member, milliseconds value, milliseconds min) {
  if (value < min || value > kMaxDelay) {
    return fault_error(member, std::to_string(value.count()) + " ms is outside [" +
                                   std::to_string(min.count()) + ", " +
                                   std::to_string(kMaxDelay.count()) + "] ms");
  }
  return {};
}

// A JSON number (integer or not) as a double.
std::optional<double> number_of(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return std::nullopt;
}

}  // namespace

Status validate(const Faults& f) {
  for (auto [member, rate] : {std::pair{"error_500_rate", f.error_500_rate},
                              std::pair{"error_429_rate", f.error_429_rate},
                              std::pair{"drop_rate", f.drop_rate},
                              std::pair{"hang_rate", f.hang_rate},
                              std::pair{"duplicate_rate", f.duplicate_rate},
                              std::pair{"reorder_rate", f.reorder_rate}}) {
    if (auto s = check_rate(member, rate); !s) return s;
  }
  const double api_total = f.error_500_rate + f.error_429_rate + f.drop_rate + f.hang_rate;
  if (api_total > 1 + 1e-9) {
    return fault_error("error_500_rate",
                       "error_500_rate + error_429_rate + drop_rate + hang_rate is " +
                           std::to_string(api_total) + ", more than 1");
  }
  if (auto s = check_delay("latency_ms", f.latency, milliseconds{0}); !s) return s;
  if (auto s = check_delay("hang_ms", f.hang, milliseconds{0}); !s) return s;
  if (auto s = check_delay("webhook_timeout_ms", f.webhook_timeout, milliseconds{1}); !s) return s;
  if (!(f.calls_per_second >= 0 && f.calls_per_second <= kMaxCallsPerSecond)) {
    return fault_error("calls_per_second", std::to_string(f.calls_per_second) +
                                               " is outside [0, 10000] (0 = no limit)");
  }
  return {};
}

json::object faults_json(const Faults& f) {
  return json::object{{"latency_ms", f.latency.count()},
                      {"error_500_rate", f.error_500_rate},
                      {"error_429_rate", f.error_429_rate},
                      {"drop_rate", f.drop_rate},
                      {"hang_rate", f.hang_rate},
                      {"hang_ms", f.hang.count()},
                      {"calls_per_second", f.calls_per_second},
                      {"duplicate_rate", f.duplicate_rate},
                      {"reorder_rate", f.reorder_rate},
                      {"webhook_timeout_ms", f.webhook_timeout.count()}};
}

Result<Faults> merge_faults_json(const Faults& base, std::string_view json_text) {
  boost::system::error_code ec;
  json::value doc = json::parse(json_text, ec);
  if (ec) return fault_error("body", "not valid JSON (" + ec.message() + ")");
  if (!doc.is_object()) return fault_error("body", "expected a JSON object");

  Faults out = base;
  for (const auto& [key, value] : doc.as_object()) {
    const std::string_view name = key;
    if (name.empty()) return fault_error("body", "a member with an empty name");
    const std::optional<double> number = number_of(value);
    if (!number) return fault_error(name, "expected a number");
    const double x = *number;
    auto as_ms = [&]() -> Result<milliseconds> {
      if (!(x >= 0 && x <= static_cast<double>(kMaxDelay.count())) || x != std::floor(x)) {
        return fault_error(name, "expected a whole number of milliseconds in [0, 600000]");
      }
      return milliseconds{static_cast<int64_t>(x)};
    };
    if (name == "error_500_rate") out.error_500_rate = x;
    else if (name == "error_429_rate") out.error_429_rate = x;
    else if (name == "drop_rate") out.drop_rate = x;
    else if (name == "hang_rate") out.hang_rate = x;
    else if (name == "duplicate_rate") out.duplicate_rate = x;
    else if (name == "reorder_rate") out.reorder_rate = x;
    else if (name == "calls_per_second") out.calls_per_second = x;
    else if (name == "latency_ms" || name == "hang_ms" || name == "webhook_timeout_ms") {
      auto ms = as_ms();
      if (!ms) return ms.error();
      if (name == "latency_ms") out.latency = *ms;
      else if (name == "hang_ms") out.hang = *ms;
      else out.webhook_timeout = *ms;
    } else {
      return fault_error(name, "unknown fault (known: latency_ms, error_500_rate, error_429_rate, "
                               "drop_rate, hang_rate, hang_ms, calls_per_second, duplicate_rate, "
                               "reorder_rate, webhook_timeout_ms)");
    }
  }
  if (auto s = validate(out); !s) return s.error();
  return out;
}

ApiFault FaultDice::roll_api(const Faults& f) {
  const double total = f.error_500_rate + f.error_429_rate + f.drop_rate + f.hang_rate;
  if (total <= 0) return ApiFault::kNone;
  const double x = std::uniform_real_distribution<double>(0, 1)(rng_);
  double edge = f.error_500_rate;
  if (x < edge) return ApiFault::kError500;
  if (x < (edge += f.error_429_rate)) return ApiFault::kError429;
  if (x < (edge += f.drop_rate)) return ApiFault::kDrop;
  if (x < (edge += f.hang_rate)) return ApiFault::kHang;
  return ApiFault::kNone;
}

bool FaultDice::chance(double rate) {
  if (rate <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

DialQueue::Duration DialQueue::reserve(Duration now, double calls_per_second) {
  if (calls_per_second <= 0) {
    last_ = now;
    return now;
  }
  const auto gap = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(1.0 / calls_per_second));
  Duration start = now;
  if (last_ && *last_ + gap > now) start = *last_ + gap;
  last_ = start;
  return start;
}

int DialQueue::waiting(Duration now, double calls_per_second) const {
  if (!last_ || *last_ <= now || calls_per_second <= 0) return 0;
  const double ahead = std::chrono::duration<double>(*last_ - now).count();
  return static_cast<int>(std::ceil(ahead * calls_per_second));
}

}  // namespace autovoice::sandbox
