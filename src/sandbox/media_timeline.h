// The pure parts of the sandbox's side of a Twilio Media Stream: when each
// media frame is due, the callee's audio cut into frames, the application's
// audio "playing" to the callee with its marks, and the text of a media frame.
// No I/O and no clock: times are passed in. MediaSession (media_session.h)
// drives them from its timer and its socket.
//
// Stream time is the call's own time line: 20 ms of it per frame, 8 mu-law
// bytes per millisecond. With a speed-up s the whole line runs s times faster
// on the wall clock.
//
// The classes are not thread-safe (one instance per stream, used from its
// strand); the free functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "telephony/mulaw.h"

namespace autovoice::sandbox {

using StreamTime = std::chrono::microseconds;  // since the stream started

inline constexpr std::chrono::milliseconds kFrameDuration{20};
inline constexpr std::size_t kMulawBytesPerMs = 8;  // 8000 Hz, one byte a sample
inline constexpr StreamTime kTimePerMulawByte{125};

// Wall-clock offset from the stream's start at which frame `index` (0-based;
// its chunk number is index + 1) is due: index * 20 ms / speed, computed from
// the index alone so that rounding never accumulates.
// REQUIRES: speed >= 1.
std::chrono::nanoseconds frame_due_after(uint64_t index, double speed);

// Stream time at wall-clock offset `elapsed` from the start: elapsed * speed.
StreamTime stream_time_at(std::chrono::nanoseconds elapsed, double speed);

// The earliest wall-clock offset at which stream time reaches `t`:
// ceil(t / speed). stream_time_at(wall_offset_of(t, s), s) >= t.
std::chrono::nanoseconds wall_offset_of(StreamTime t, double speed);

// The callee's voice: clips queued by the script, cut into 160-byte frames.
class CalleeAudio {
 public:
  // Queues `mulaw` after whatever is still to be sent.
  void append(std::span<const uint8_t> mulaw);
  // Fills `frame` with the next 160 bytes; what the clips do not cover is
  // silence (kMulawSilence). Returns the number of clip bytes used (0: silence).
  std::size_t next_frame(std::span<uint8_t, telephony::kFrameBytes> frame);
  std::size_t queued_bytes() const { return buffer_.size() - read_; }

 private:
  std::vector<uint8_t> buffer_;
  std::size_t read_ = 0;  // bytes of buffer_ already sent
};

// The application's audio as the callee hears it: each media message is
// appended to a buffer that plays in real time (stream time), and each mark
// is answered once all the audio queued before it has played. As Twilio does,
// a clear drops what has not played yet and answers every pending mark at once.
// Only durations are kept, never the audio.
class Playback {
 public:
  // Queues `bytes` of audio received at `now`, after any still playing.
  void append(std::size_t bytes, StreamTime now);

  // A mark received at `now`. True when it is to be answered at once (all the
  // audio before it has played); otherwise it is pending.
  bool mark(std::string name, StreamTime now);

  // The stream time at which the oldest pending mark is due; none when no mark
  // is pending.
  std::optional<StreamTime> next_mark_due() const;
  // Removes and returns the oldest pending mark. REQUIRES: next_mark_due().
  std::string pop_mark();
  // Removes and returns the pending marks due by `now`, oldest first.
  std::vector<std::string> take_due_marks(StreamTime now);

  struct Cleared {
    std::size_t bytes = 0;           // audio dropped unplayed
    std::vector<std::string> marks;  // pending marks, oldest first: answer them now
  };
  // Drops the audio not yet played at `now` and every pending mark.
  Cleared clear(StreamTime now);

  // True while queued audio is still playing at `now`.
  bool playing(StreamTime now) const { return busy_until_ > now; }
  // Audio bytes not yet played at `now`.
  std::size_t unplayed_bytes(StreamTime now) const;
  // Audio bytes played by `now` since the stream started (cleared ones excluded).
  uint64_t played_bytes(StreamTime now) const;
  uint64_t cleared_bytes() const { return cleared_total_; }

 private:
  struct PendingMark {
    StreamTime due;
    std::string name;
  };
  StreamTime busy_until_{0};  // when everything queued so far has played
  uint64_t queued_total_ = 0;
  uint64_t cleared_total_ = 0;
  std::deque<PendingMark> marks_;  // due times never decrease
};

// Writes inbound media frames (track "inbound") for one stream into a reused
// string, with the constant parts prebuilt: the same bytes as
// telephony::serialize_inbound of the equivalent MediaMessage, without
// building a JSON document per frame.
class MediaFrameWriter {
 public:
  explicit MediaFrameWriter(std::string_view stream_sid);

  // Replaces the contents of `out` (keeping its capacity) with the frame.
  void write(std::string& out, uint64_t sequence_number, uint64_t chunk, uint64_t timestamp_ms,
             std::span<const uint8_t> payload) const;

 private:
  std::string suffix_;  // after the payload: "\"},\"streamSid\":\"MZ...\"}"
};

}  // namespace autovoice::sandbox
