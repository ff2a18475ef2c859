// The media-stream WebSocket (Twilio Media Streams, bidirectional
// <Connect><Stream>): one session per call, after a signed upgrade.
//
// A session reads every frame, parses it (telephony/media_stream.h), keeps
// the call's state (CallStream), logs what arrives (connected, start with the
// custom parameters, dtmf, marks, stop; media frames are counted, not
// logged) and closes cleanly: after "stop" it closes with 1000 (normal); at
// server shutdown with 1001 (going away). A frame that does not parse is
// counted and logged, and the stream goes on. (The conversation that speaks
// on the stream is built on top of this.)
//
// MediaStreams is the registry of open sessions: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include <boost/asio/awaitable.hpp>

#include "server/http.h"
#include "telephony/media_stream.h"

namespace autovoice::server {

// Frames are 20 ms of audio (about 300 bytes of JSON); anything this large is not Twilio's.
inline constexpr std::size_t kMediaMessageLimit = 64 * 1024;

// What one call's stream has said so far.
struct CallStream {
  std::string stream_sid;
  std::string call_sid;
  std::string account_sid;
  std::map<std::string, std::string> parameters;  // <Parameter>s from the start message
  std::int64_t media_frames = 0;
  std::int64_t media_bytes = 0;                    // decoded mu-law bytes
  std::string digits;                              // every DTMF key, in order
  std::int64_t marks = 0;
  std::int64_t invalid_frames = 0;
  std::int64_t sequence_gaps = 0;                  // sequence numbers skipped
  std::uint64_t last_sequence = 0;
  bool started = false;
  bool stopped = false;

  // Folds one message in; returns false when it does not belong (a second
  // start, a message for another stream).
  bool apply(const telephony::InboundMessage& message);
};

class MediaStreams {
 public:
  struct Session;  // one open stream: its executor and socket

  std::size_t active() const;
  // Asks every open stream to close (1001, going away). Returns at once.
  void close_all();

  void add(const std::shared_ptr<Session>& session);
  void remove(const std::shared_ptr<Session>& session);

 private:
  mutable std::mutex mutex_;
  std::unordered_set<std::shared_ptr<Session>> sessions_;  // GUARDED_BY(mutex_)
};

// Runs one media stream on an accepted WebSocket until it closes.
boost::asio::awaitable<void> run_media_stream(WebSocket& ws, std::string request_id, Services& services);

}  // namespace autovoice::server
