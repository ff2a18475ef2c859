// The carrier's side of one Twilio Media Stream (bidirectional
// <Connect><Stream>): the sandbox connects to the application's WebSocket as
// Twilio would and plays the callee.
//
// What it does, in order:
//   - connects to `url` (ws://, or wss:// spoken as ws:// on loopback; loopback
//     only, see loopback.h) with X-Twilio-Signature on the upgrade request;
//   - sends "connected", then "start" (tracks ["inbound"], audio/x-mulaw 8000 Hz
//     mono, the custom parameters), both written by telephony::serialize_inbound;
//   - sends a "media" frame of 160 bytes every 20 ms of stream time: frame n
//     (0-based) has chunk n + 1, timestamp n * 20 ms and is due at
//     start + n * 20 ms / speed. Deadlines are absolute, so there is no drift;
//     a late timer sends every frame already due at once and no more. The
//     payload is the callee's audio (play_audio) or silence (0xFF);
//   - reads the application's messages (telephony::parse_outbound): "media"
//     plays to the callee in real time (stream time, 8 bytes a millisecond),
//     "mark" is answered with a "mark" event once all the audio queued before
//     it has played (at once when nothing is playing), "clear" drops the
//     unplayed audio and answers every pending mark at once. A malformed
//     message, a binary one or one for another streamSid is reported and
//     ignored, as Twilio ignores it; the session goes on;
//   - ends when the callee hangs up (hangup(): "stop", then a normal WebSocket
//     close), when the application closes the WebSocket, or when the
//     connection fails; the observer hears why.
// sequenceNumber counts every message the session sends after "connected",
// from 1 ("start"), media, dtmf, mark and stop alike, as Twilio numbers them.
//
// Thread safety: every public member may be called from any thread. Work is
// posted to the session's strand; the observer is called on that strand.
//
// Lifetime: a MediaSession is owned by shared_ptr and kept alive by its own
// pending operations, so dropping the last outside reference does not end it.
// An owner that goes away first calls hangup() (the call ended) or abort()
// (tear-down): after abort() returns the observer is never called again.
// Destroying the io_context with operations pending is safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include "domain/result.h"

namespace autovoice::sandbox {

inline constexpr std::string_view kMediaStreamUserAgent = "Twilio.TmeWs/1.0";
// Speed-ups above this are refused: frames would be 20 us apart.
inline constexpr double kMaxMediaSpeed = 1000.0;
// The largest message accepted from the application; a larger one ends the
// session (the WebSocket fails with "message too big").
inline constexpr std::size_t kMaxApplicationMessageBytes = std::size_t{1024} * 1024;
// Messages waiting to be written. An application that stops reading for this
// many messages (20 s of frames at speed 1) ends the session.
inline constexpr std::size_t kMaxQueuedMessages = 1000;

struct MediaSessionConfig {
  std::string url;          // ws:// or wss:// on loopback
  std::string signature;    // the X-Twilio-Signature header value
  std::string account_sid;  // "AC" + 32 hex digits
  std::string call_sid;     // "CA" + 32 hex digits
  std::string stream_sid;   // "MZ" + 32 hex digits, chosen by the caller
  // <Parameter> name/value pairs, in TwiML order. start.customParameters is a
  // JSON object, so a repeated name keeps its last value.
  std::vector<std::pair<std::string, std::string>> custom_parameters;
  double speed = 1.0;  // >= 1: the whole stream runs this many times faster
  // Connecting plus the upgrade; also bounds the closing handshake.
  std::chrono::milliseconds connect_timeout{5000};
};

// Why a session ended.
enum class MediaSessionEnd {
  kHungUp,             // hangup(): "stop" sent and the WebSocket closed
  kApplicationClosed,  // the application closed the WebSocket
  kConnectFailed,      // no connection, or the upgrade was refused or timed out
  kConnectionLost,     // the connection failed while open (or the application
                       // stopped reading)
};

std::string_view media_session_end_name(MediaSessionEnd end);

enum class MediaEventKind {
  kOpened,    // the upgrade succeeded
  kSent,      // name: connected, start, media, dtmf, mark, stop
  kReceived,  // name: media, mark, clear (from the application)
  kIgnored,   // a message that was not understood; details: why
  // count: bytes of application audio played since the last kAudioPlayed.
  // Reported when the queued audio has all played, before a mark is
  // answered, before a clear and at the end; never per frame.
  kAudioPlayed,
  kAudioCleared,  // count: bytes of application audio dropped by a clear
  kClosed,        // the last event (none after abort()); end and details say why
};

// One observation. Views are valid only during the observer call.
struct MediaEvent {
  MediaEventKind kind = MediaEventKind::kOpened;
  std::string_view name;     // kSent / kReceived: the message's event
  std::string_view details;  // a mark's name (sent or received), a DTMF digit,
                             // why a message was ignored, why the session
                             // closed; else ""
  // kSent media: frames sent together (one callback for a catch-up burst);
  // kReceived media: the payload's bytes; kAudioPlayed / kAudioCleared: bytes.
  uint64_t count = 0;
  std::span<const uint8_t> audio;                  // kReceived media: the decoded payload
  MediaSessionEnd end = MediaSessionEnd::kHungUp;  // kClosed only
};

// Called on the session's strand. It must not block; it may call the
// session's members (they post). No strings are built per media frame.
using MediaObserver = std::function<void(const MediaEvent&)>;

// Counters, readable from any thread at any time.
struct MediaSessionStats {
  uint64_t frames_sent = 0;  // media frames handed to the WebSocket
  // The most any frame was handed over after its deadline.
  std::chrono::microseconds max_send_lateness{0};
  uint64_t messages_received = 0;     // from the application, ignored ones included
  uint64_t bytes_received = 0;        // WebSocket payload bytes from the application
  uint64_t audio_bytes_received = 0;  // decoded media payload bytes
  uint64_t marks_answered = 0;
  uint64_t messages_ignored = 0;
};

class MediaSession : public std::enable_shared_from_this<MediaSession> {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Checks `config` and starts connecting on `ex` (a strand of it is made).
  // kInvalidArgument naming the field when the URL is malformed or off
  // loopback, a SID is malformed, speed is not within [1, kMaxMediaSpeed],
  // connect_timeout is not positive or the signature has a line break.
  // Everything later (a refused connection included) reaches the observer.
  static Result<std::shared_ptr<MediaSession>> start(const boost::asio::any_io_executor& ex,
                                                     MediaSessionConfig config,
                                                     MediaObserver observer);

  MediaSession(Key key, const boost::asio::any_io_executor& ex, MediaSessionConfig config,
               MediaObserver observer);
  ~MediaSession();
  MediaSession(const MediaSession&) = delete;
  MediaSession& operator=(const MediaSession&) = delete;

  // The callee speaks: `mulaw` (8 kHz mu-law) is sent after any clip still
  // playing. Given before the stream opens, it starts with the first frame;
  // ignored once the session is closing.
  void play_audio(std::vector<uint8_t> mulaw);

  // The callee presses a key: a "dtmf" event (track inbound_track).
  // kInvalidArgument (field "digit") unless `digit` is one of 0-9 * #.
  // Pressed before the stream opens, it is sent right after "start"; ignored
  // once the session is closing.
  Status send_dtmf(std::string digit);

  // The callee hangs up: no more media, "stop", then a normal close. Before the
  // stream is open it just ends the session. Idempotent.
  void hangup();

  // Tear-down: closes the connection without "stop". After abort() returns the
  // observer is never called again (if it is running on another thread, abort
  // waits for it to return; so do not call abort() while holding a lock the
  // observer takes). Idempotent; callable from the observer.
  void abort();

  MediaSessionStats stats() const;
  const MediaSessionConfig& config() const { return config_; }

 private:
  struct Io;
  enum class State { kConnecting, kOpen, kClosing, kClosed };

  // All of these run on the strand.
  void connect();
  void on_connect(boost::system::error_code ec);
  void on_handshake(boost::system::error_code ec);
  std::chrono::microseconds stream_now(std::chrono::steady_clock::time_point now) const;
  void arm_timer();
  void on_tick(boost::system::error_code ec);
  void send_due_frames(std::chrono::steady_clock::time_point now);
  void answer_due_marks(std::chrono::steady_clock::time_point now);
  void report_played(std::chrono::microseconds at);
  void read_next();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void handle_message(std::string_view text, bool is_text);
  void ignore(const std::string& why);
  void answer_mark(std::string name);
  void send_dtmf_now(const std::string& digit);
  void send(std::string text, std::string_view event, std::string_view details);
  std::string spare_buffer();
  bool enqueue(std::string text);
  void write_next();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void begin_hangup();
  void on_close_timeout(boost::system::error_code ec);
  void close_websocket();
  void on_close(boost::system::error_code ec);
  void finish(MediaSessionEnd end, const std::string& reason);
  void teardown();
  void notify(const MediaEvent& event);

  const MediaSessionConfig config_;
  std::unique_ptr<Io> io_;  // sockets, timer, buffers and timeline: touched on the strand only
  State state_ = State::kConnecting;  // strand only
  uint64_t next_sequence_ = 1;        // strand only

  std::recursive_mutex observer_mutex_;
  MediaObserver observer_;          // GUARDED_BY(observer_mutex_)
  bool observer_detached_ = false;  // GUARDED_BY(observer_mutex_)

  std::atomic<uint64_t> frames_sent_{0};
  std::atomic<int64_t> max_lateness_us_{0};
  std::atomic<uint64_t> messages_received_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::atomic<uint64_t> audio_bytes_received_{0};
  std::atomic<uint64_t> marks_answered_{0};
  std::atomic<uint64_t> messages_ignored_{0};
};

}  // namespace autovoice::sandbox
