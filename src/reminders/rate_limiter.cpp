#include "reminders/rate_limiter.h"

#include <algorithm>
#include <condition_variable>
#include <thread>

namespace autovoice::reminders {

TokenBucket::TokenBucket(double rate, double burst) : rate_(rate), burst_(std::max(1.0, burst)), tokens_(burst_) {}

TokenBucket::Clock::duration TokenBucket::try_take(Clock::time_point now) {
  if (unlimited()) return Clock::duration::zero();
  std::lock_guard lock(mutex_);
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return Clock::duration::zero();
  }
  const double wait_seconds = (1.0 - tokens_) / rate_;
  // Rounded up, so that waiting this long always finds the token there.
  return std::chrono::ceil<Clock::duration>(std::chrono::duration<double>(wait_seconds));
}

bool TokenBucket::take(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const auto wait = try_take(Clock::now());
    if (wait == Clock::duration::zero()) return true;
    std::unique_lock lock(m);
    wake.wait_for(lock, stop, wait, [] { return false; });
  }
  return false;
}

}  // namespace autovoice::reminders
