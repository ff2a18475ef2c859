// Text-to-speech at the edge of the conversation part: what the caller hears.
//
// A Tts turns plain text into call audio: 8000 Hz mono G.711 mu-law, the
// format of a media stream, ready for telephony::split_frames(). EspeakTts
// (espeak_tts.h) is the engine; CachingTts below keeps the audio of prompts
// that are spoken again (greetings, menus). Tests use a fake
// (tests/support/fake_tts.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/result.h"

namespace autovoice::conversation {

// Call audio: 8000 Hz mono G.711 mu-law, one byte a sample (125 us).
struct Audio {
  std::vector<uint8_t> mulaw;

  // Play time: mulaw.size() / 8 ms, rounded down.
  std::chrono::milliseconds duration() const;
  bool operator==(const Audio&) const = default;
};

// kInvalidArgument (field "text") when `text` is empty or only ASCII
// whitespace, or holds a NUL byte; otherwise ok. Every Tts applies it.
Status check_tts_text(std::string_view text);

// Thread safety: every implementation is safe for concurrent calls from
// multiple threads without external synchronisation.
class Tts {
 public:
  virtual ~Tts() = default;

  // Speaks `text` (UTF-8 plain text; markup such as "<speak>" is read out as
  // words, never interpreted). On success the audio holds speech.
  // Errors: kInvalidArgument (field "text") for text check_tts_text()
  // refuses or that the engine cannot speak; kUnavailable when the engine
  // cannot run (e.g. its data files are missing); kInternal for an engine
  // failure. Synthesis blocks: do not call it on a server event-loop thread.
  virtual Result<Audio> synthesize(std::string_view text) = 0;
};

// 8 MiB: about 17 minutes of call audio.
inline constexpr std::size_t kDefaultTtsCacheBytes = std::size_t{8} << 20;

struct TtsCacheStats {
  uint64_t hits = 0;       // answered from the cache
  uint64_t misses = 0;     // passed to the wrapped Tts
  uint64_t coalesced = 0;  // waited for the same text already being synthesised
  uint64_t evictions = 0;  // entries dropped to stay within the byte budget
  std::size_t bytes = 0;   // charged now: text bytes + audio bytes of every entry
  std::size_t entries = 0;
};

// CachingTts: a Tts that remembers the audio of each exact text it has
// spoken, up to a budget of bytes (each entry is charged its text's bytes
// plus its audio's bytes), evicting the least recently used entries first.
// An entry larger than the whole budget is returned but not kept; a budget
// of 0 keeps nothing. Failures are never cached.
//
// Concurrent requests for the same text that is not cached are synthesised
// once: the first caller runs the wrapped Tts, the others wait for it and get
// its result (success or error). Requests for different texts run in
// parallel, as far as the wrapped Tts allows.
//
// Thread safety: safe for concurrent use without external synchronisation.
class CachingTts final : public Tts {
 public:
  // REQUIRES: `inner` outlives this object.
  explicit CachingTts(Tts& inner, std::size_t capacity_bytes = kDefaultTtsCacheBytes);
  CachingTts(const CachingTts&) = delete;
  CachingTts& operator=(const CachingTts&) = delete;

  Result<Audio> synthesize(std::string_view text) override;

  std::size_t capacity_bytes() const { return capacity_bytes_; }
  TtsCacheStats stats() const;

 private:
  struct Entry {
    std::string text;
    Audio audio;
  };
  // One synthesis under way; callers for the same text wait on `done_cv`.
  struct Flight {
    std::string text;
    std::condition_variable done_cv;
    bool done = false;                    // GUARDED_BY(mu_)
    std::size_t waiters = 0;              // GUARDED_BY(mu_)
    std::optional<Result<Audio>> result;  // GUARDED_BY(mu_); set when done and waiters > 0
  };

  // REQUIRES: mu_ is held.
  void insert_locked(std::string_view text, const Audio& audio);
  // REQUIRES: mu_ is held.
  void finish_flight_locked(Flight& flight, const Result<Audio>& result);

  Tts& inner_;
  const std::size_t capacity_bytes_;

  mutable std::mutex mu_;
  // Most recently used first. The maps' keys view the strings in the values.
  std::list<Entry> lru_;                                                    // GUARDED_BY(mu_)
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // GUARDED_BY(mu_)
  std::unordered_map<std::string_view, std::shared_ptr<Flight>> flights_;   // GUARDED_BY(mu_)
  TtsCacheStats stats_;                                                     // GUARDED_BY(mu_)
};

}  // namespace autovoice::conversation
