#include "sandbox/media_session.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <variant>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "sandbox/loopback.h"
#include "sandbox/media_timeline.h"
#include "telephony/media_stream.h"
#include "telephony/mulaw.h"
#include "telephony/sid.h"
#include "telephony/signature.h"

namespace autovoice::sandbox {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::size_t kSpareBuffers = 64;     // written messages kept for reuse
constexpr std::size_t kMessageReserve = 512;  // a media frame is about 330 bytes
constexpr std::string_view kProtocol = "Call";
constexpr std::string_view kProtocolVersion = "1.0.0";
constexpr std::string_view kMediaEncoding = "audio/x-mulaw";
constexpr std::string_view kDtmfTrack = "inbound_track";

bool is_dtmf_digit(std::string_view digit) {
  return digit.size() == 1 &&
         ((digit[0] >= '0' && digit[0] <= '9') || digit[0] == '*' || digit[0] == '#');
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

Status check_config(const MediaSessionConfig& config) {
  if (auto target = parse_loopback_url(config.url, UrlKind::kWebSocket); !target) {
    return std::move(target).error();
  }
  if (auto s = telephony::check_sid(config.account_sid, "AC", "account_sid"); !s) return s;
  if (auto s = telephony::check_sid(config.call_sid, "CA", "call_sid"); !s) return s;
  if (auto s = telephony::check_sid(config.stream_sid, "MZ", "stream_sid"); !s) return s;
  if (!std::isfinite(config.speed) || config.speed < 1.0 || config.speed > kMaxMediaSpeed) {
    return Error::invalid("speed", "speed " + std::to_string(config.speed) + " is not within [1, " +
                                       std::to_string(static_cast<int>(kMaxMediaSpeed)) + "]");
  }
  if (config.connect_timeout.count() <= 0) {
    return Error::invalid("connect_timeout", "connect_timeout must be positive, got " +
                                                 std::to_string(config.connect_timeout.count()) +
                                                 " ms");
  }
  if (has_line_break(config.signature)) {
    return Error::invalid("signature", "signature has a line break");
  }
  return ok_status();
}

}  // namespace

std::string_view media_session_end_name(MediaSessionEnd end) {
  switch (end) {
    case MediaSessionEnd::kHungUp:
      return "hung-up";
    case MediaSessionEnd::kApplicationClosed:
      return "application-closed";
    case MediaSessionEnd::kConnectFailed:
      return "connect-failed";
    case MediaSessionEnd::kConnectionLost:
      return "connection-lost";
  }
  return "unknown";
}

// Everything the strand owns: the connection, the timer, the buffers and the
// stream's timeline.
struct MediaSession::Io {
  Io(const net::any_io_executor& ex, const MediaSessionConfig& config)
      : strand(net::make_strand(ex)),
        target(parse_loopback_url(config.url, UrlKind::kWebSocket).value()),
        ws(strand),
        timer(strand),
        frame_writer(config.stream_sid) {}

  net::strand<net::any_io_executor> strand;
  LoopbackTarget target;
  websocket::stream<beast::tcp_stream> ws;
  websocket::response_type upgrade_response;
  net::steady_timer timer;
  Clock::time_point connect_deadline{};

  beast::flat_buffer read_buffer;
  telephony::MediaStreamParser parser;

  std::deque<std::string> queue;   // front() is being written
  std::vector<std::string> spare;  // written messages, storage kept for reuse
  bool close_sent = false;

  MediaFrameWriter frame_writer;
  std::array<uint8_t, telephony::kFrameBytes> frame{};
  CalleeAudio callee;
  std::vector<std::string> dtmf_before_open;
  Playback playback;
  Clock::time_point start{};  // the stream's time 0
  uint64_t next_frame = 0;    // 0-based index of the next media frame
  uint64_t played_reported = 0;
};

Result<std::shared_ptr<MediaSession>> MediaSession::start(const net::any_io_executor& ex,
                                                          MediaSessionConfig config,
                                                          MediaObserver observer) {
  if (auto checked = check_config(config); !checked) return std::move(checked).error();
  auto session = std::make_shared<MediaSession>(Key{}, ex, std::move(config), std::move(observer));
  net::post(session->io_->strand, [session] { session->connect(); });
  return session;
}

MediaSession::MediaSession(Key /*key*/, const net::any_io_executor& ex, MediaSessionConfig config,
                           MediaObserver observer)
    : config_(std::move(config)),
      io_(std::make_unique<Io>(ex, config_)),
      observer_(std::move(observer)) {}

MediaSession::~MediaSession() = default;

// ---- script API (any thread) ----

void MediaSession::play_audio(std::vector<uint8_t> mulaw) {
  net::post(io_->strand, [self = shared_from_this(), mulaw = std::move(mulaw)] {
    if (self->state_ == State::kConnecting || self->state_ == State::kOpen) {
      self->io_->callee.append(mulaw);
    }
  });
}

Status MediaSession::send_dtmf(std::string digit) {
  if (!is_dtmf_digit(digit)) {
    return Error::invalid("digit", "digit \"" + digit.substr(0, 8) + "\" is not one of 0-9 * #");
  }
  net::post(io_->strand, [self = shared_from_this(), digit = std::move(digit)]() mutable {
    if (self->state_ == State::kConnecting) {
      self->io_->dtmf_before_open.push_back(std::move(digit));
    } else if (self->state_ == State::kOpen) {
      self->send_dtmf_now(digit);
    }
  });
  return ok_status();
}

void MediaSession::hangup() {
  net::post(io_->strand, [self = shared_from_this()] { self->begin_hangup(); });
}

void MediaSession::abort() {
  {
    std::lock_guard lock(observer_mutex_);
    observer_detached_ = true;
  }
  net::post(io_->strand, [self = shared_from_this()] {
    if (self->state_ == State::kClosed) return;
    self->state_ = State::kClosed;
    self->teardown();
  });
}

MediaSessionStats MediaSession::stats() const {
  MediaSessionStats s;
  s.frames_sent = frames_sent_.load(std::memory_order_relaxed);
  s.max_send_lateness = std::chrono::microseconds(max_lateness_us_.load(std::memory_order_relaxed));
  s.messages_received = messages_received_.load(std::memory_order_relaxed);
  s.bytes_received = bytes_received_.load(std::memory_order_relaxed);
  s.audio_bytes_received = audio_bytes_received_.load(std::memory_order_relaxed);
  s.marks_answered = marks_answered_.load(std::memory_order_relaxed);
  s.messages_ignored = messages_ignored_.load(std::memory_order_relaxed);
  return s;
}

// ---- connecting ----

void MediaSession::connect() {
  if (state_ != State::kConnecting) return;  // hung up or aborted before the start
  auto& tcp = beast::get_lowest_layer(io_->ws);
  io_->connect_deadline = Clock::now() + config_.connect_timeout;
  tcp.expires_at(io_->connect_deadline);
  tcp.async_connect(io_->target.endpoints,
                    [self = shared_from_this()](error_code ec, const net::ip::tcp::endpoint&) {
                      self->on_connect(ec);
                    });
}

void MediaSession::on_connect(error_code ec) {
  if (state_ != State::kConnecting) return;
  if (ec) {
    return finish(MediaSessionEnd::kConnectFailed,
                  ec == beast::error::timeout
                      ? "cannot connect to " + config_.url + ": no connection within " +
                            std::to_string(config_.connect_timeout.count()) + " ms"
                      : "cannot connect to " + config_.url + ": " + ec.message());
  }
  // Frames are small and due now: no Nagle delay (it would hold one for 40 ms).
  error_code ignored;
  beast::get_lowest_layer(io_->ws).socket().set_option(net::ip::tcp::no_delay(true), ignored);
  // From here the WebSocket's own timeouts apply; the upgrade gets what is left.
  beast::get_lowest_layer(io_->ws).expires_never();
  const auto left = std::max(
      std::chrono::duration_cast<std::chrono::milliseconds>(io_->connect_deadline - Clock::now()),
      std::chrono::milliseconds(1));
  io_->ws.set_option(websocket::stream_base::timeout{left, websocket::stream_base::none(), false});
  io_->ws.set_option(websocket::stream_base::decorator(
      [signature = config_.signature](websocket::request_type& request) {
        request.set(http::field::user_agent, kMediaStreamUserAgent);
        if (!signature.empty()) request.set(telephony::kSignatureHeader, signature);
      }));
  io_->ws.async_handshake(io_->upgrade_response, io_->target.host_header, io_->target.target,
                          [self = shared_from_this()](error_code e) { self->on_handshake(e); });
}

void MediaSession::on_handshake(error_code ec) {
  if (state_ != State::kConnecting) return;
  if (ec == websocket::error::upgrade_declined) {
    return finish(MediaSessionEnd::kConnectFailed,
                  "the application refused the WebSocket upgrade at " + config_.url + ": HTTP " +
                      std::to_string(io_->upgrade_response.result_int()));
  }
  if (ec == beast::error::timeout) {
    return finish(MediaSessionEnd::kConnectFailed,
                  "no WebSocket upgrade from " + config_.url + " within " +
                      std::to_string(config_.connect_timeout.count()) + " ms");
  }
  if (ec) {
    return finish(MediaSessionEnd::kConnectFailed,
                  "WebSocket upgrade at " + config_.url + " failed: " + ec.message());
  }
  state_ = State::kOpen;
  io_->upgrade_response = {};
  io_->ws.text(true);
  io_->ws.read_message_max(kMaxApplicationMessageBytes);
  // The closing handshake is bounded like the opening one; an open stream
  // has no idle limit (a quiet application is a normal one).
  io_->ws.set_option(websocket::stream_base::timeout{config_.connect_timeout,
                                                     websocket::stream_base::none(), false});
  notify(MediaEvent{.kind = MediaEventKind::kOpened});

  send(telephony::serialize_inbound(
           telephony::ConnectedMessage{std::string(kProtocol), std::string(kProtocolVersion)}),
       "connected", "");
  telephony::StartMessage start;
  start.sequence_number = next_sequence_++;
  start.stream_sid = config_.stream_sid;
  start.account_sid = config_.account_sid;
  start.call_sid = config_.call_sid;
  start.tracks = {"inbound"};
  for (const auto& [name, value] : config_.custom_parameters) {
    start.custom_parameters[name] = value;
  }
  start.media_format = {std::string(kMediaEncoding), telephony::kCallSampleRate, 1};
  send(telephony::serialize_inbound(start), "start", "");
  for (const std::string& digit : io_->dtmf_before_open) {
    if (state_ != State::kOpen) return;
    send_dtmf_now(digit);
  }
  io_->dtmf_before_open.clear();
  if (state_ != State::kOpen) return;

  io_->start = Clock::now();
  send_due_frames(io_->start);
  arm_timer();
  read_next();
}

// ---- the timeline ----

StreamTime MediaSession::stream_now(Clock::time_point now) const {
  return stream_time_at(now - io_->start, config_.speed);
}

void MediaSession::arm_timer() {
  if (state_ != State::kOpen) return;
  Clock::time_point next = io_->start + frame_due_after(io_->next_frame, config_.speed);
  if (auto due = io_->playback.next_mark_due()) {
    next = std::min(next, io_->start + wall_offset_of(*due, config_.speed));
  }
  io_->timer.expires_at(next);
  io_->timer.async_wait([self = shared_from_this()](error_code ec) { self->on_tick(ec); });
}

void MediaSession::on_tick(error_code ec) {
  // A cancelled wait was replaced by a newer one, or the session is over.
  if (ec || state_ != State::kOpen) return;
  const Clock::time_point now = Clock::now();
  send_due_frames(now);
  answer_due_marks(now);
  if (state_ != State::kOpen) return;
  if (!io_->playback.playing(stream_now(now))) report_played(stream_now(now));
  arm_timer();
}

void MediaSession::send_due_frames(Clock::time_point now) {
  uint64_t sent = 0;
  for (;;) {
    const Clock::time_point due = io_->start + frame_due_after(io_->next_frame, config_.speed);
    if (due > now) break;
    const int64_t late = std::chrono::duration_cast<std::chrono::microseconds>(now - due).count();
    if (late > max_lateness_us_.load(std::memory_order_relaxed)) {
      max_lateness_us_.store(late, std::memory_order_relaxed);
    }
    io_->callee.next_frame(io_->frame);
    std::string text = spare_buffer();
    const uint64_t index = io_->next_frame;
    io_->frame_writer.write(text, next_sequence_++, index + 1,
                            index * static_cast<uint64_t>(kFrameDuration.count()), io_->frame);
    ++io_->next_frame;
    if (!enqueue(std::move(text))) return;
    ++sent;
  }
  if (sent == 0) return;
  frames_sent_.fetch_add(sent, std::memory_order_relaxed);
  notify(MediaEvent{.kind = MediaEventKind::kSent, .name = "media", .count = sent});
}

void MediaSession::answer_due_marks(Clock::time_point now) {
  while (state_ == State::kOpen) {
    const auto due = io_->playback.next_mark_due();
    if (!due || io_->start + wall_offset_of(*due, config_.speed) > now) return;
    report_played(*due);
    answer_mark(io_->playback.pop_mark());
  }
}

void MediaSession::report_played(StreamTime at) {
  const uint64_t played = io_->playback.played_bytes(at);
  if (played <= io_->played_reported) return;
  const uint64_t fresh = played - io_->played_reported;
  io_->played_reported = played;
  notify(MediaEvent{.kind = MediaEventKind::kAudioPlayed, .count = fresh});
}

// ---- what the application sends ----

void MediaSession::read_next() {
  io_->ws.async_read(io_->read_buffer, [self = shared_from_this()](error_code ec, std::size_t n) {
    self->on_read(ec, n);
  });
}

void MediaSession::on_read(error_code ec, std::size_t bytes) {
  if (state_ == State::kClosed) return;
  if (ec) {
    if (io_->close_sent) return;  // our close is under way; on_close ends the session
    if (ec == websocket::error::closed) {
      const websocket::close_reason& why = io_->ws.reason();
      std::string reason = "the application closed the WebSocket (code " +
                           std::to_string(static_cast<unsigned>(why.code));
      if (!why.reason.empty()) reason += ": " + std::string(why.reason.data(), why.reason.size());
      reason += ")";
      return finish(MediaSessionEnd::kApplicationClosed, reason);
    }
    if (ec == websocket::error::message_too_big) {
      return finish(MediaSessionEnd::kConnectionLost,
                    "the application sent a message larger than " +
                        std::to_string(kMaxApplicationMessageBytes) + " bytes");
    }
    return finish(MediaSessionEnd::kConnectionLost, "connection lost: " + ec.message());
  }
  messages_received_.fetch_add(1, std::memory_order_relaxed);
  bytes_received_.fetch_add(bytes, std::memory_order_relaxed);
  if (state_ == State::kOpen) {
    const auto data = io_->read_buffer.cdata();
    handle_message(std::string_view(static_cast<const char*>(data.data()), data.size()),
                   io_->ws.got_text());
  }
  io_->read_buffer.consume(io_->read_buffer.size());
  if (state_ != State::kClosed) read_next();
}

void MediaSession::handle_message(std::string_view text, bool is_text) {
  if (!is_text) return ignore("a binary message (Media Streams messages are JSON text)");
  auto parsed = io_->parser.parse_outbound(text);
  if (!parsed) return ignore(parsed.error().message);
  const StreamTime now = stream_now(Clock::now());
  std::visit(
      [&](auto& message) {
        using T = std::decay_t<decltype(message)>;
        if (message.stream_sid != config_.stream_sid) {
          return ignore("streamSid " + message.stream_sid.substr(0, 40) + " is not this stream's");
        }
        if constexpr (std::is_same_v<T, telephony::OutboundMedia>) {
          audio_bytes_received_.fetch_add(message.payload.size(), std::memory_order_relaxed);
          notify(MediaEvent{.kind = MediaEventKind::kReceived,
                            .name = "media",
                            .count = message.payload.size(),
                            .audio = message.payload});
          io_->playback.append(message.payload.size(), now);
        } else if constexpr (std::is_same_v<T, telephony::OutboundMark>) {
          notify(MediaEvent{
              .kind = MediaEventKind::kReceived, .name = "mark", .details = message.name});
          if (io_->playback.mark(message.name, now)) {
            report_played(now);
            answer_mark(std::move(message.name));
          } else {
            arm_timer();
          }
        } else {
          notify(MediaEvent{.kind = MediaEventKind::kReceived, .name = "clear"});
          report_played(now);
          Playback::Cleared cleared = io_->playback.clear(now);
          if (cleared.bytes > 0) {
            notify(MediaEvent{.kind = MediaEventKind::kAudioCleared, .count = cleared.bytes});
          }
          for (std::string& name : cleared.marks) {
            if (state_ != State::kOpen) return;
            answer_mark(std::move(name));
          }
        }
      },
      *parsed);
}

void MediaSession::ignore(const std::string& why) {
  messages_ignored_.fetch_add(1, std::memory_order_relaxed);
  notify(MediaEvent{.kind = MediaEventKind::kIgnored, .details = why});
}

// ---- what the session sends ----

void MediaSession::answer_mark(std::string name) {
  telephony::MarkMessage mark;
  mark.sequence_number = next_sequence_++;
  mark.stream_sid = config_.stream_sid;
  mark.name = std::move(name);
  marks_answered_.fetch_add(1, std::memory_order_relaxed);
  send(telephony::serialize_inbound(mark), "mark", mark.name);
}

void MediaSession::send_dtmf_now(const std::string& digit) {
  telephony::DtmfMessage dtmf;
  dtmf.sequence_number = next_sequence_++;
  dtmf.stream_sid = config_.stream_sid;
  dtmf.track = std::string(kDtmfTrack);
  dtmf.digit = digit;
  send(telephony::serialize_inbound(dtmf), "dtmf", digit);
}

void MediaSession::send(std::string text, std::string_view event, std::string_view details) {
  if (!enqueue(std::move(text))) return;
  notify(MediaEvent{.kind = MediaEventKind::kSent, .name = event, .details = details});
}

std::string MediaSession::spare_buffer() {
  if (io_->spare.empty()) {
    std::string text;
    text.reserve(kMessageReserve);
    return text;
  }
  std::string text = std::move(io_->spare.back());
  io_->spare.pop_back();
  return text;
}

bool MediaSession::enqueue(std::string text) {
  if (io_->queue.size() >= kMaxQueuedMessages) {
    finish(MediaSessionEnd::kConnectionLost,
           "the application stopped reading: " + std::to_string(kMaxQueuedMessages) +
               " messages waiting to be sent");
    return false;
  }
  io_->queue.push_back(std::move(text));
  if (io_->queue.size() == 1) write_next();  // else a write is already in flight
  return true;
}

void MediaSession::write_next() {
  io_->ws.async_write(
      net::buffer(io_->queue.front()),
      [self = shared_from_this()](error_code ec, std::size_t n) { self->on_write(ec, n); });
}

void MediaSession::on_write(error_code ec, std::size_t /*bytes*/) {
  if (state_ == State::kClosed) return;
  if (ec) {
    if (io_->close_sent) return;
    return finish(MediaSessionEnd::kConnectionLost,
                  "connection lost while sending: " + ec.message());
  }
  if (io_->spare.size() < kSpareBuffers) io_->spare.push_back(std::move(io_->queue.front()));
  io_->queue.pop_front();
  if (!io_->queue.empty()) return write_next();
  if (state_ == State::kClosing && !io_->close_sent) close_websocket();
}

// ---- the end ----

void MediaSession::begin_hangup() {
  if (state_ == State::kConnecting) {
    return finish(MediaSessionEnd::kHungUp, "the callee hung up before the stream opened");
  }
  if (state_ != State::kOpen) return;
  const Clock::time_point now = Clock::now();
  state_ = State::kClosing;
  io_->timer.cancel();
  report_played(stream_now(now));
  telephony::StopMessage stop;
  stop.sequence_number = next_sequence_++;
  stop.stream_sid = config_.stream_sid;
  stop.account_sid = config_.account_sid;
  stop.call_sid = config_.call_sid;
  send(telephony::serialize_inbound(stop), "stop", "");
  // The close follows once "stop" is written (on_write), within the limit.
  if (state_ != State::kClosing) return;
  io_->timer.expires_after(config_.connect_timeout);
  io_->timer.async_wait([self = shared_from_this()](error_code ec) { self->on_close_timeout(ec); });
}

void MediaSession::on_close_timeout(error_code ec) {
  if (ec || state_ != State::kClosing) return;
  finish(MediaSessionEnd::kHungUp,
         "the callee hung up; the application did not take the close within " +
             std::to_string(config_.connect_timeout.count()) + " ms");
}

void MediaSession::close_websocket() {
  io_->close_sent = true;
  io_->ws.async_close(websocket::close_code::normal,
                      [self = shared_from_this()](error_code ec) { self->on_close(ec); });
}

void MediaSession::on_close(error_code ec) {
  if (state_ == State::kClosed) return;
  finish(MediaSessionEnd::kHungUp,
         ec ? "the callee hung up; the closing handshake failed: " + ec.message()
            : "the callee hung up");
}

void MediaSession::finish(MediaSessionEnd end, const std::string& reason) {
  if (state_ == State::kClosed) return;
  const bool was_open = state_ != State::kConnecting;
  state_ = State::kClosed;
  if (was_open) report_played(stream_now(Clock::now()));
  teardown();
  notify(MediaEvent{.kind = MediaEventKind::kClosed, .details = reason, .end = end});
}

void MediaSession::teardown() {
  io_->timer.cancel();
  // Pending operations complete with an error and find the session closed.
  beast::get_lowest_layer(io_->ws).close();
}

void MediaSession::notify(const MediaEvent& event) {
  std::lock_guard lock(observer_mutex_);
  if (observer_detached_ || !observer_) return;
  observer_(event);
}

}  // namespace autovoice::sandbox
