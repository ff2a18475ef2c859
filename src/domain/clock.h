// Clock: the only way autovoice code reads the time. Production uses
// SystemClock; tests use FakeClock and move it. Both are safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>

#include "domain/time.h"

namespace autovoice {

class Clock {
 public:
  virtual ~Clock() = default;
  // The wall clock (UTC). May jump (NTP step, suspend/resume).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // A clock that never goes backwards, for measuring intervals.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;

  TimePoint now_seconds() const { return std::chrono::floor<std::chrono::seconds>(now()); }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that moves only when told. set() may move the wall clock backwards
// or forwards without moving the steady clock, as an NTP step does.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start) : wall_(start.time_since_epoch().count()) {}

  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::system_clock::duration{wall_.load()}};
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point{std::chrono::steady_clock::duration{steady_.load()}};
  }
  // Moves both clocks forward by d.
  void advance(std::chrono::system_clock::duration d) {
    wall_ += d.count();
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d).count();
  }
  // Sets the wall clock only (a clock step).
  void set(std::chrono::system_clock::time_point t) { wall_ = t.time_since_epoch().count(); }

 private:
  std::atomic<std::chrono::system_clock::rep> wall_;
  std::atomic<std::chrono::steady_clock::rep> steady_{0};
};

}  // namespace autovoice
