// Faults the sandbox injects on demand, so that tests and benchmarks see what a
// real carrier does on a bad day. Configured at start (autovoice sandbox
// --latency-ms ... ) and changed at run time (POST /sandbox/faults).
//
// On the REST API (Calls.json and Messages.json; never on /sandbox/* routes):
//   latency        every answer is delayed this long
//   error_500_rate a share of requests answered 500 with Twilio's error JSON
//                  (code 20500), nothing created
//   error_429_rate a share answered 429 (code 20429, Too Many Requests),
//                  nothing created
//   drop_rate      a share whose connection is closed without an answer,
//                  nothing created
//   hang_rate      a share that IS carried out (the call exists and rings) but
//                  whose answer is held for `hang` (default 30 s): the client
//                  times out not knowing the outcome, as after a network
//                  failure between Twilio and the client
// The kinds are exclusive: one roll per request decides; the rates must add up
// to at most 1.
//
// On dialling: calls_per_second > 0 queues calls beyond that rate, as Twilio
// does with an account's CPS: the create request is answered at once (status
// "queued") and the call starts dialling when its turn comes.
//
// On status callbacks: duplicate_rate sends a share of callbacks twice;
// reorder_rate holds a share back and sends it after the call's next callback
// (a final status is never held back: there is nothing after it). Twilio
// promises neither order nor uniqueness, and receivers must cope.
//
// On webhooks: webhook_timeout is how long the sandbox waits for the
// application's answer (Twilio: 15 s), after which the request counts as
// failed. The sandbox never retries a webhook (Twilio retries none unless
// asked to by connection overrides, which the sandbox does not support).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include <boost/json/object.hpp>

#include "domain/result.h"

namespace autovoice::sandbox {

struct Faults {
  std::chrono::milliseconds latency{0};
  double error_500_rate = 0;
  double error_429_rate = 0;
  double drop_rate = 0;
  double hang_rate = 0;
  std::chrono::milliseconds hang{30'000};
  double calls_per_second = 0;  // 0 = no limit
  double duplicate_rate = 0;
  double reorder_rate = 0;
  std::chrono::milliseconds webhook_timeout{15'000};

  friend bool operator==(const Faults&, const Faults&) = default;
};

// Checks the ranges: rates in [0, 1] with the four API rates summing to at
// most 1; latency and hang in [0, 10 min]; calls_per_second in [0, 10000];
// webhook_timeout in [1 ms, 10 min]. The error's field names the member.
Status validate(const Faults& faults);

// {"latency_ms": 0, "error_500_rate": 0, ..., "webhook_timeout_ms": 15000}
boost::json::object faults_json(const Faults& faults);

// Applies a JSON object of the members above onto `base` (members left out
// keep their value). Unknown members, wrong types and out-of-range values are
// errors naming the member; `base` is then unchanged.
Result<Faults> merge_faults_json(const Faults& base, std::string_view json_text);

enum class ApiFault { kNone, kError500, kError429, kDrop, kHang };

// Rolls the dice for API requests and callbacks. Deterministic for a seed.
// Not thread-safe: one per event loop.
class FaultDice {
 public:
  explicit FaultDice(uint64_t seed) : rng_(seed) {}

  ApiFault roll_api(const Faults& faults);
  // True with probability `rate`.
  bool chance(double rate);

 private:
  std::mt19937_64 rng_;
};

// The calls-per-second queue: each call gets the first start time at least
// 1/cps after the previous call's. Times are in any monotonic clock's
// duration since its epoch. With cps <= 0 every call starts at once.
class DialQueue {
 public:
  using Duration = std::chrono::nanoseconds;

  // The instant at which a call created at `now` may start dialling.
  Duration reserve(Duration now, double calls_per_second);
  // Calls reserved but not yet due at `now`.
  int waiting(Duration now, double calls_per_second) const;

 private:
  std::optional<Duration> last_;  // the latest start handed out
};

}  // namespace autovoice::sandbox
