// FakeTts: a Tts for tests. It speaks any text as a 400 Hz tone lasting 10 ms
// per byte of text, so equal texts give equal audio and longer texts longer
// audio. It counts its calls, can be told to fail (fault injection), and can
// be held so that calls block until released (to line threads up).
// Safe for concurrent use.
#pragma once

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "conversation/tts.h"
#include "telephony/mulaw.h"

namespace autovoice::testing {

class FakeTts final : public conversation::Tts {
 public:
  static constexpr std::size_t kSamplesPerTextByte = 80;  // 10 ms at 8 kHz

  Result<conversation::Audio> synthesize(std::string_view text) override {
    std::unique_lock lock(mu_);
    ++calls_;
    ++calls_by_text_[std::string(text)];
    ++in_progress_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !held_; });
    --in_progress_;
    if (Status s = conversation::check_tts_text(text); !s) return std::move(s).error();
    if (failure_) return *failure_;
    return tone(text.size() * kSamplesPerTextByte);
  }

  // The audio synthesize() gives for `text`.
  static conversation::Audio tone_for(std::string_view text) {
    return tone(text.size() * kSamplesPerTextByte);
  }

  // From now on every call fails with `error` (or succeeds again, given nullopt).
  void fail_with(std::optional<Error> error) {
    std::lock_guard lock(mu_);
    failure_ = std::move(error);
  }
  // While held, calls block inside synthesize() until release().
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    held_ = false;
    changed_.notify_all();
  }
  // Waits until `n` calls are inside synthesize(); false after `timeout`.
  bool wait_for_in_progress(std::size_t n,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return in_progress_ >= n; });
  }

  std::size_t calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::size_t calls_for(const std::string& text) const {
    std::lock_guard lock(mu_);
    const auto it = calls_by_text_.find(text);
    return it == calls_by_text_.end() ? 0 : it->second;
  }

 private:
  static conversation::Audio tone(std::size_t samples) {
    conversation::Audio audio;
    audio.mulaw.reserve(samples);
    for (std::size_t i = 0; i < samples; ++i) {
      const double t = static_cast<double>(i) / telephony::kCallSampleRate;
      const double s = 8000.0 * std::sin(2.0 * std::numbers::pi * 400.0 * t);
      audio.mulaw.push_back(telephony::mulaw_encode(static_cast<int16_t>(s)));
    }
    return audio;
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::size_t calls_ = 0;                             // GUARDED_BY(mu_)
  std::map<std::string, std::size_t> calls_by_text_;  // GUARDED_BY(mu_)
  std::size_t in_progress_ = 0;                       // GUARDED_BY(mu_)
  bool held_ = false;                                 // GUARDED_BY(mu_)
  std::optional<Error> failure_;                      // GUARDED_BY(mu_)
};

}  // namespace autovoice::testing
