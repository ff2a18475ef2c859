// Twilio Media Streams WebSocket messages (bidirectional <Connect><Stream>).
//
// Inbound (Twilio -> us): connected, start, media, dtmf, mark, stop, parsed
// from one JSON text frame into InboundMessage. Outbound (us -> Twilio):
// media, mark, clear, built as JSON text, and parsed back into
// OutboundMessage (what the sandbox carrier reads from the application).
//
// Parsing never throws and never crashes on any input: malformed JSON, a
// non-object, an unknown "event", a missing or ill-typed field, a bad base64
// payload all give kInvalidArgument whose `field` names the JSON path at fault
// ("event", "streamSid", "media.payload", "start.customParameters.x"...).
//
// Numeric fields Twilio sends as decimal strings (sequenceNumber, chunk,
// timestamp) are accepted as a string of 1-19 digits or as a non-negative JSON
// integer. sequenceNumber is optional (0 when absent); extra fields are ignored.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/result.h"

namespace autovoice::telephony {

struct ConnectedMessage {
  std::string protocol;  // "Call"
  std::string version;   // "1.0.0"
  bool operator==(const ConnectedMessage&) const = default;
};

struct MediaFormat {
  std::string encoding;   // "audio/x-mulaw"
  int64_t sample_rate = 0;  // 8000
  int64_t channels = 0;     // 1
  bool operator==(const MediaFormat&) const = default;
};

struct StartMessage {
  uint64_t sequence_number = 0;
  std::string stream_sid;
  std::string account_sid;
  std::string call_sid;
  std::vector<std::string> tracks;                        // "inbound", "outbound"
  std::map<std::string, std::string> custom_parameters;  // from <Parameter>
  MediaFormat media_format;
  bool operator==(const StartMessage&) const = default;
};

struct MediaMessage {
  uint64_t sequence_number = 0;
  std::string stream_sid;
  std::string track;       // "inbound" / "outbound"
  uint64_t chunk = 0;      // 1-based chunk number
  uint64_t timestamp = 0;  // ms since the stream started
  std::vector<uint8_t> payload;  // decoded mu-law bytes
  bool operator==(const MediaMessage&) const = default;
};

struct DtmfMessage {
  uint64_t sequence_number = 0;
  std::string stream_sid;
  std::string track;  // "inbound_track"
  std::string digit;  // "0"-"9", "*", "#"
  bool operator==(const DtmfMessage&) const = default;
};

struct MarkMessage {
  uint64_t sequence_number = 0;
  std::string stream_sid;
  std::string name;
  bool operator==(const MarkMessage&) const = default;
};

struct StopMessage {
  uint64_t sequence_number = 0;
  std::string stream_sid;
  std::string account_sid;
  std::string call_sid;
  bool operator==(const StopMessage&) const = default;
};

using InboundMessage = std::variant<ConnectedMessage, StartMessage, MediaMessage, DtmfMessage,
                                    MarkMessage, StopMessage>;

// Messages an application sends to Twilio on a bidirectional stream.
struct OutboundMedia {
  std::string stream_sid;
  std::vector<uint8_t> payload;  // decoded mu-law bytes to play to the callee
  bool operator==(const OutboundMedia&) const = default;
};

struct OutboundMark {
  std::string stream_sid;
  std::string name;
  bool operator==(const OutboundMark&) const = default;
};

struct OutboundClear {
  std::string stream_sid;
  bool operator==(const OutboundClear&) const = default;
};

using OutboundMessage = std::variant<OutboundMedia, OutboundMark, OutboundClear>;

// Parses one inbound text frame. Convenience for MediaStreamParser{}.parse().
Result<InboundMessage> parse_inbound(std::string_view json);

// Parses one outbound text frame: the exact inverse of media_message,
// mark_message and clear_message. Requires "event" ("media", "mark" or
// "clear"), "streamSid", and "media.payload" (strict base64) or "mark.name";
// extra fields are ignored. Errors as for parse_inbound ("media.payload",
// "mark.name"...). Convenience for MediaStreamParser{}.parse_outbound().
Result<OutboundMessage> parse_outbound(std::string_view json);

// A reusable parser for either direction: keeps its Boost.JSON parser and a
// 16 KiB scratch buffer (monotonic resource) between calls, so one per
// WebSocket session parses each frame without heap allocation for the DOM
// (about 1.4 M media frames/s on one core, bench/media_bench.cpp). Not
// thread-safe: one instance per connection.
class MediaStreamParser {
 public:
  MediaStreamParser();
  ~MediaStreamParser();
  MediaStreamParser(const MediaStreamParser&) = delete;
  MediaStreamParser& operator=(const MediaStreamParser&) = delete;

  Result<InboundMessage> parse(std::string_view text);
  Result<OutboundMessage> parse_outbound(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Outbound messages. Values are JSON-escaped.
// {"event":"media","streamSid":"MZ..","media":{"payload":"<base64 mu-law>"}}
std::string media_message(std::string_view stream_sid, std::span<const uint8_t> mulaw);
// {"event":"mark","streamSid":"MZ..","mark":{"name":".."}}
std::string mark_message(std::string_view stream_sid, std::string_view name);
// {"event":"clear","streamSid":"MZ.."}
std::string clear_message(std::string_view stream_sid);

// The JSON Twilio would send for `message` (field order as in Twilio's docs;
// numbers as decimal strings). parse_inbound(serialize_inbound(m)) == m. Used by
// the sandbox carrier and the fuzz target.
std::string serialize_inbound(const InboundMessage& message);

}  // namespace autovoice::telephony
