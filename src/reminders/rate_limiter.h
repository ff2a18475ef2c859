// TokenBucket: the carrier's calls-per-second limit (CALLS_PER_SECOND). Tokens
// accrue at `rate` per second up to `burst`; each request takes one. The
// bucket only paces when requests may start — requests themselves run
// concurrently, so the carrier's latency does not slow the sweep.
//
// Thread safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <mutex>
#include <stop_token>

namespace autovoice::reminders {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // rate <= 0: no limit (every take succeeds at once). burst >= 1.
  explicit TokenBucket(double rate, double burst = 1.0);

  // Takes one token if one is available at `now`; otherwise takes nothing
  // and returns how long until one will be.
  Clock::duration try_take(Clock::time_point now);
  // Blocks until a token is taken; false when `stop` was requested first.
  bool take(std::stop_token stop);

  bool unlimited() const { return rate_ <= 0; }

 private:
  const double rate_;
  const double burst_;
  std::mutex mutex_;
  double tokens_;                      // GUARDED_BY(mutex_)
  Clock::time_point last_{};           // GUARDED_BY(mutex_); when tokens_ was computed
  bool started_ = false;               // GUARDED_BY(mutex_)
};

}  // namespace autovoice::reminders
