#include "conversation/tts.h"

#include <utility>

#include "telephony/mulaw.h"

namespace autovoice::conversation {

std::chrono::milliseconds Audio::duration() const {
  constexpr std::size_t kSamplesPerMs = telephony::kCallSampleRate / 1000;
  return std::chrono::milliseconds{
      static_cast<std::chrono::milliseconds::rep>(mulaw.size() / kSamplesPerMs)};
}

Status check_tts_text(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return Error::invalid("text", "text to speak contains a NUL byte");
  }
  if (text.find_first_not_of(" \t\n\v\f\r") == std::string_view::npos) {
    return Error::invalid("text", "text to speak is empty or only whitespace");
  }
  return ok_status();
}

CachingTts::CachingTts(Tts& inner, std::size_t capacity_bytes)
    : inner_(inner), capacity_bytes_(capacity_bytes) {}

TtsCacheStats CachingTts::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Result<Audio> CachingTts::synthesize(std::string_view text) {
  std::unique_lock lock(mu_);
  if (auto it = index_.find(text); it != index_.end()) {
    ++stats_.hits;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->audio;
  }
  if (auto it = flights_.find(text); it != flights_.end()) {
    ++stats_.coalesced;
    const std::shared_ptr<Flight> flight = it->second;
    ++flight->waiters;
    flight->done_cv.wait(lock, [&] { return flight->done; });
    return *flight->result;
  }

  ++stats_.misses;
  auto flight = std::make_shared<Flight>();
  flight->text = std::string(text);
  flights_.emplace(flight->text, flight);
  lock.unlock();

  std::optional<Result<Audio>> result;
  try {
    result.emplace(inner_.synthesize(text));
  } catch (...) {
    // Waiters must not hang on a flight that will never land.
    lock.lock();
    finish_flight_locked(*flight, Error::internal("text-to-speech failed with an exception"));
    lock.unlock();
    flight->done_cv.notify_all();
    throw;
  }

  lock.lock();
  if (result->ok()) insert_locked(text, result->value());
  finish_flight_locked(*flight, *result);
  lock.unlock();
  flight->done_cv.notify_all();
  return std::move(*result);
}

void CachingTts::finish_flight_locked(Flight& flight, const Result<Audio>& result) {
  if (flight.waiters > 0) flight.result.emplace(result);
  flight.done = true;
  flights_.erase(flight.text);  // the caller still holds a reference to `flight`
}

void CachingTts::insert_locked(std::string_view text, const Audio& audio) {
  const std::size_t charge = text.size() + audio.mulaw.size();
  if (charge > capacity_bytes_) return;
  while (stats_.bytes + charge > capacity_bytes_) {
    const Entry& victim = lru_.back();
    stats_.bytes -= victim.text.size() + victim.audio.mulaw.size();
    index_.erase(victim.text);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front(Entry{std::string(text), audio});
  index_.emplace(lru_.front().text, lru_.begin());
  stats_.bytes += charge;
  stats_.entries = lru_.size();
}

}  // namespace autovoice::conversation
