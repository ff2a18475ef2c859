#include "server/media_stream_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "config/logging.h"
#include "domain/phone.h"
#include "server/metrics.h"

namespace autovoice::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace tel = telephony;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// Parameters that may carry a phone number are logged masked.
std::string loggable_parameter(const std::string& name, const std::string& value) {
  if (name == "caller" || name == "from" || name == "to") return mask_phone(value);
  return value;
}

MediaEvent event_of(const tel::InboundMessage& m) {
  switch (m.index()) {
    case 0: return MediaEvent::kConnected;
    case 1: return MediaEvent::kStart;
    case 2: return MediaEvent::kMedia;
    case 3: return MediaEvent::kDtmf;
    case 4: return MediaEvent::kMark;
    default: return MediaEvent::kStop;
  }
}

std::uint64_t sequence_of(const tel::InboundMessage& m) {
  return std::visit(
      [](const auto& msg) -> std::uint64_t {
        if constexpr (requires { msg.sequence_number; }) {
          return msg.sequence_number;
        } else {
          return 0;
        }
      },
      m);
}

}  // namespace

struct MediaStreams::Session {
  Session(asio::any_io_executor ex, WebSocket& socket) : executor(std::move(ex)), ws(socket) {}
  asio::any_io_executor executor;
  WebSocket& ws;
  bool closing = false;  // touched on `executor` only
  bool ended = false;    // the socket is gone; touched on `executor` only
};

bool CallStream::apply(const tel::InboundMessage& message) {
  const std::uint64_t seq = sequence_of(message);
  if (seq != 0) {
    if (last_sequence != 0 && seq > last_sequence + 1) sequence_gaps += static_cast<std::int64_t>(seq - last_sequence - 1);
    if (seq > last_sequence) last_sequence = seq;
  }
  return std::visit(
      [this](const auto& m) -> bool {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, tel::ConnectedMessage>) {
          return true;
        } else if constexpr (std::is_same_v<T, tel::StartMessage>) {
          if (started) return false;
          started = true;
          stream_sid = m.stream_sid;
          call_sid = m.call_sid;
          account_sid = m.account_sid;
          parameters = m.custom_parameters;
          return true;
        } else {
          if (!started || m.stream_sid != stream_sid) return false;
          if constexpr (std::is_same_v<T, tel::MediaMessage>) {
            ++media_frames;
            media_bytes += static_cast<std::int64_t>(m.payload.size());
          } else if constexpr (std::is_same_v<T, tel::DtmfMessage>) {
            digits += m.digit;
          } else if constexpr (std::is_same_v<T, tel::MarkMessage>) {
            ++marks;
          } else if constexpr (std::is_same_v<T, tel::StopMessage>) {
            stopped = true;
          }
          return true;
        }
      },
      message);
}

std::size_t MediaStreams::active() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void MediaStreams::add(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  sessions_.insert(session);
}

void MediaStreams::remove(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  sessions_.erase(session);
}

void MediaStreams::close_all() {
  std::lock_guard lock(mutex_);
  for (const auto& session : sessions_) {
    asio::post(session->executor, [session] {
      if (session->closing || session->ended) return;
      session->closing = true;
      session->ws.async_close(websocket::close_code::going_away, [session](beast::error_code) {});
    });
  }
}

asio::awaitable<void> run_media_stream(WebSocket& ws, std::string request_id, Services& services) {
  Metrics& metrics = *services.metrics;
  auto session = std::make_shared<MediaStreams::Session>(ws.get_executor(), ws);
  services.streams.add(session);
  metrics.media_stream_opened();
  const auto opened = std::chrono::steady_clock::now();
  CallStream call;
  tel::MediaStreamParser parser;
  beast::flat_buffer buffer;
  std::string end = "closed by the carrier";

  for (;;) {
    auto [ec, bytes] = co_await ws.async_read(buffer, kAsTuple);
    if (ec) {
      if (ec != websocket::error::closed && ec != asio::error::operation_aborted) end = "connection lost: " + ec.message();
      if (session->closing) end = "closed at shutdown";
      break;
    }
    const auto data = buffer.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    auto message = ws.got_text() ? parser.parse(text) : Result<tel::InboundMessage>(Error::invalid("frame", "a binary frame"));
    buffer.consume(bytes);
    if (!message) {
      ++call.invalid_frames;
      metrics.media_message(MediaEvent::kInvalid);
      LogEvent("media stream frame rejected")
          .field("request_id", std::string_view(request_id))
          .field("call_sid", std::string_view(call.call_sid))
          .field("error", std::string_view(message.error().message))
          .log(spdlog::level::warn);
      continue;
    }
    const MediaEvent event = event_of(*message);
    metrics.media_message(event);
    if (!call.apply(*message)) {
      ++call.invalid_frames;
      LogEvent("media stream message out of place")
          .field("request_id", std::string_view(request_id))
          .field("call_sid", std::string_view(call.call_sid))
          .field("event", static_cast<std::int64_t>(event))
          .log(spdlog::level::warn);
      continue;
    }
    switch (event) {
      case MediaEvent::kStart: {
        LogEvent start("media stream started");
        start.field("request_id", std::string_view(request_id))
            .field("call_sid", std::string_view(call.call_sid))
            .field("stream_sid", std::string_view(call.stream_sid));
        for (const auto& [name, value] : call.parameters) {
          start.field("param." + name, std::string_view(loggable_parameter(name, value)));
        }
        start.log(spdlog::level::info);
        break;
      }
      case MediaEvent::kDtmf:
        LogEvent("media stream key")
            .field("call_sid", std::string_view(call.call_sid))
            .field("digit", std::string_view(call.digits).substr(call.digits.size() - 1))
            .log(spdlog::level::info);
        break;
      case MediaEvent::kMark:
        LogEvent("media stream mark played").field("call_sid", std::string_view(call.call_sid)).log(spdlog::level::debug);
        break;
      default:
        break;
    }
    if (call.stopped) {
      end = "stopped by the carrier";
      break;
    }
  }

  // Counted as closed before the closing handshake, so that a carrier that
  // sees the close also sees the count.
  session->ended = true;
  services.streams.remove(session);
  metrics.media_stream_closed();
  if (call.stopped && ws.is_open()) {
    auto [close_ec] = co_await ws.async_close(websocket::close_code::normal, kAsTuple);
    (void)close_ec;
  }
  LogEvent("media stream ended")
      .field("request_id", std::string_view(request_id))
      .field("call_sid", std::string_view(call.call_sid))
      .field("stream_sid", std::string_view(call.stream_sid))
      .field("how", std::string_view(end))
      .field("media_frames", call.media_frames)
      .field("digits", std::string_view(call.digits))
      .field("marks", call.marks)
      .field("invalid_frames", call.invalid_frames)
      .field("sequence_gaps", call.sequence_gaps)
      .field("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - opened).count())
      .log(spdlog::level::info);
}

}  // namespace autovoice::server
