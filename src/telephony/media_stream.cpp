#include "telephony/media_stream.h"

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <exception>

#include "telephony/base64.h"

namespace autovoice::telephony {
namespace json = boost::json;
namespace {

constexpr std::size_t kScratchBytes = 16 * 1024;  // DOM memory reused per parse
constexpr std::size_t kParserTempBytes = 4 * 1024;

std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out += '.';
  out += key;
  return out;
}

Error missing(const std::string& path) { return Error::invalid(path, path + ": missing"); }
Error wrong_type(const std::string& path, std::string_view expected) {
  return Error::invalid(path, path + ": expected " + std::string(expected));
}

// Field access on a JSON object; `prefix` is the object's path ("" for the root).
class Fields {
 public:
  Fields(const json::object& object, std::string_view prefix) : object_(object), prefix_(prefix) {}

  Result<const json::object*> object(std::string_view key) const {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return missing(join(prefix_, key));
    if (!v->is_object()) return wrong_type(join(prefix_, key), "an object");
    return &v->get_object();
  }

  Result<std::string> string(std::string_view key) const {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return missing(join(prefix_, key));
    if (!v->is_string()) return wrong_type(join(prefix_, key), "a string");
    return std::string(v->get_string());
  }

  Result<std::string_view> string_view(std::string_view key) const {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return missing(join(prefix_, key));
    if (!v->is_string()) return wrong_type(join(prefix_, key), "a string");
    const json::string& s = v->get_string();
    return std::string_view(s.data(), s.size());
  }

  Result<std::string> optional_string(std::string_view key) const {
    if (object_.if_contains(key) == nullptr) return std::string();
    return string(key);
  }

  // A decimal string of 1-19 digits or a non-negative JSON integer.
  Result<uint64_t> counter(std::string_view key) const {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return missing(join(prefix_, key));
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
    if (v->is_string()) {
      const json::string& s = v->get_string();
      uint64_t out = 0;
      const char* end = s.data() + s.size();
      if (!s.empty() && s.size() <= 19 && s[0] != '+' && s[0] != '-') {
        auto [ptr, ec] = std::from_chars(s.data(), end, out);
        if (ec == std::errc() && ptr == end) return out;
      }
    }
    return wrong_type(join(prefix_, key), "a non-negative decimal number");
  }

  Result<uint64_t> optional_counter(std::string_view key) const {
    if (object_.if_contains(key) == nullptr) return uint64_t{0};
    return counter(key);
  }

  Result<int64_t> integer(std::string_view key) const {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return missing(join(prefix_, key));
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      return static_cast<int64_t>(v->get_uint64());
    }
    return wrong_type(join(prefix_, key), "an integer");
  }

  const json::object& raw() const { return object_; }
  const std::string& prefix() const { return prefix_; }

 private:
  const json::object& object_;
  std::string prefix_;
};

#define AV_ASSIGN(lhs, expr)                        \
  do {                                              \
    auto av_result_ = (expr);                       \
    if (!av_result_) return std::move(av_result_).error(); \
    lhs = std::move(av_result_).value();            \
  } while (0)

Result<InboundMessage> parse_connected(const Fields& root) {
  ConnectedMessage m;
  AV_ASSIGN(m.protocol, root.string("protocol"));
  AV_ASSIGN(m.version, root.string("version"));
  return InboundMessage(std::move(m));
}

Result<InboundMessage> parse_start(const Fields& root) {
  StartMessage m;
  AV_ASSIGN(m.sequence_number, root.optional_counter("sequenceNumber"));
  const json::object* start_obj = nullptr;
  AV_ASSIGN(start_obj, root.object("start"));
  const Fields start(*start_obj, "start");
  AV_ASSIGN(m.stream_sid, start.string("streamSid"));
  AV_ASSIGN(m.account_sid, start.string("accountSid"));
  AV_ASSIGN(m.call_sid, start.string("callSid"));
  if (root.raw().if_contains("streamSid") != nullptr) {
    std::string top;
    AV_ASSIGN(top, root.string("streamSid"));
    if (top != m.stream_sid) {
      return Error::invalid("streamSid", "streamSid: differs from start.streamSid");
    }
  }
  const json::value* tracks = start_obj->if_contains("tracks");
  if (tracks == nullptr) return missing("start.tracks");
  if (!tracks->is_array()) return wrong_type("start.tracks", "an array of strings");
  for (const json::value& t : tracks->get_array()) {
    if (!t.is_string()) return wrong_type("start.tracks", "an array of strings");
    m.tracks.emplace_back(t.get_string());
  }
  if (const json::value* params = start_obj->if_contains("customParameters")) {
    if (!params->is_object()) return wrong_type("start.customParameters", "an object");
    for (const auto& kv : params->get_object()) {
      if (!kv.value().is_string()) {
        return wrong_type("start.customParameters." + std::string(kv.key()), "a string");
      }
      m.custom_parameters[std::string(kv.key())] = std::string(kv.value().get_string());
    }
  }
  const json::object* format_obj = nullptr;
  AV_ASSIGN(format_obj, start.object("mediaFormat"));
  const Fields format(*format_obj, "start.mediaFormat");
  AV_ASSIGN(m.media_format.encoding, format.string("encoding"));
  AV_ASSIGN(m.media_format.sample_rate, format.integer("sampleRate"));
  AV_ASSIGN(m.media_format.channels, format.integer("channels"));
  return InboundMessage(std::move(m));
}

Result<InboundMessage> parse_media(const Fields& root) {
  MediaMessage m;
  AV_ASSIGN(m.sequence_number, root.optional_counter("sequenceNumber"));
  AV_ASSIGN(m.stream_sid, root.string("streamSid"));
  const json::object* media_obj = nullptr;
  AV_ASSIGN(media_obj, root.object("media"));
  const Fields media(*media_obj, "media");
  AV_ASSIGN(m.track, media.string("track"));
  AV_ASSIGN(m.chunk, media.counter("chunk"));
  AV_ASSIGN(m.timestamp, media.counter("timestamp"));
  std::string_view payload;
  AV_ASSIGN(payload, media.string_view("payload"));
  if (!base64_decode_into(payload, m.payload)) {
    return Error::invalid("media.payload", "media.payload: not valid base64");
  }
  return InboundMessage(std::move(m));
}

Result<InboundMessage> parse_dtmf(const Fields& root) {
  DtmfMessage m;
  AV_ASSIGN(m.sequence_number, root.optional_counter("sequenceNumber"));
  AV_ASSIGN(m.stream_sid, root.string("streamSid"));
  const json::object* obj = nullptr;
  AV_ASSIGN(obj, root.object("dtmf"));
  const Fields dtmf(*obj, "dtmf");
  AV_ASSIGN(m.track, dtmf.string("track"));
  AV_ASSIGN(m.digit, dtmf.string("digit"));
  return InboundMessage(std::move(m));
}

Result<InboundMessage> parse_mark(const Fields& root) {
  MarkMessage m;
  AV_ASSIGN(m.sequence_number, root.optional_counter("sequenceNumber"));
  AV_ASSIGN(m.stream_sid, root.string("streamSid"));
  const json::object* obj = nullptr;
  AV_ASSIGN(obj, root.object("mark"));
  AV_ASSIGN(m.name, Fields(*obj, "mark").string("name"));
  return InboundMessage(std::move(m));
}

Result<InboundMessage> parse_stop(const Fields& root) {
  StopMessage m;
  AV_ASSIGN(m.sequence_number, root.optional_counter("sequenceNumber"));
  AV_ASSIGN(m.stream_sid, root.string("streamSid"));
  const json::object* obj = nullptr;
  AV_ASSIGN(obj, root.object("stop"));
  const Fields stop(*obj, "stop");
  AV_ASSIGN(m.account_sid, stop.string("accountSid"));
  AV_ASSIGN(m.call_sid, stop.string("callSid"));
  return InboundMessage(std::move(m));
}

Result<OutboundMessage> parse_outbound_media(const Fields& root) {
  OutboundMedia m;
  AV_ASSIGN(m.stream_sid, root.string("streamSid"));
  const json::object* media_obj = nullptr;
  AV_ASSIGN(media_obj, root.object("media"));
  std::string_view payload;
  AV_ASSIGN(payload, Fields(*media_obj, "media").string_view("payload"));
  if (!base64_decode_into(payload, m.payload)) {
    return Error::invalid("media.payload", "media.payload: not valid base64");
  }
  return OutboundMessage(std::move(m));
}

Result<OutboundMessage> parse_outbound_mark(const Fields& root) {
  OutboundMark m;
  AV_ASSIGN(m.stream_sid, root.string("streamSid"));
  const json::object* obj = nullptr;
  AV_ASSIGN(obj, root.object("mark"));
  AV_ASSIGN(m.name, Fields(*obj, "mark").string("name"));
  return OutboundMessage(std::move(m));
}

Result<OutboundMessage> parse_outbound_clear(const Fields& root) {
  OutboundClear m;
  AV_ASSIGN(m.stream_sid, root.string("streamSid"));
  return OutboundMessage(std::move(m));
}

Result<std::string_view> event_of(const json::value& v) {
  if (!v.is_object()) return Error::invalid("message", "message: expected a JSON object");
  return Fields(v.get_object(), "").string_view("event");
}

Error unknown_event(std::string_view event) {
  std::string shown(event.substr(0, 64));
  return Error::invalid("event", "event: unknown event \"" + shown + "\"");
}

Result<OutboundMessage> parse_outbound_value(const json::value& v) {
  std::string_view event;
  AV_ASSIGN(event, event_of(v));
  const Fields root(v.get_object(), "");
  if (event == "media") return parse_outbound_media(root);
  if (event == "mark") return parse_outbound_mark(root);
  if (event == "clear") return parse_outbound_clear(root);
  return unknown_event(event);
}

Result<InboundMessage> parse_value(const json::value& v) {
  std::string_view event;
  AV_ASSIGN(event, event_of(v));
  const Fields root(v.get_object(), "");
  if (event == "media") return parse_media(root);
  if (event == "start") return parse_start(root);
  if (event == "connected") return parse_connected(root);
  if (event == "dtmf") return parse_dtmf(root);
  if (event == "mark") return parse_mark(root);
  if (event == "stop") return parse_stop(root);
  return unknown_event(event);
}

#undef AV_ASSIGN

}  // namespace

struct MediaStreamParser::Impl {
  alignas(std::max_align_t) std::array<unsigned char, kScratchBytes> scratch{};
  std::array<unsigned char, kParserTempBytes> temp{};
  json::parser parser{json::storage_ptr(), json::parse_options(), temp.data(), temp.size()};

  // Parses `text` into a DOM held in `scratch` and hands it to `decode`
  // (parse_value or parse_outbound_value), which must copy what it keeps.
  template <typename T>
  Result<T> parse_with(std::string_view text, Result<T> (*decode)(const json::value&)) {
    try {
      json::monotonic_resource memory(scratch.data(), scratch.size());
      parser.reset(&memory);
      boost::system::error_code ec;
      parser.write(text.data(), text.size(), ec);
      if (ec) {
        parser.reset();
        return Error::invalid("message", "message: not valid JSON (" + ec.message() + ")");
      }
      const json::value value = parser.release();
      auto result = decode(value);
      parser.reset();  // drop references to `memory` before it goes away
      return result;
    } catch (const std::exception& e) {
      parser.reset();
      return Error::invalid("message", std::string("message: cannot be parsed (") + e.what() + ")");
    }
  }
};

MediaStreamParser::MediaStreamParser() : impl_(std::make_unique<Impl>()) {}
MediaStreamParser::~MediaStreamParser() = default;

Result<InboundMessage> MediaStreamParser::parse(std::string_view text) {
  return impl_->parse_with<InboundMessage>(text, &parse_value);
}

Result<OutboundMessage> MediaStreamParser::parse_outbound(std::string_view text) {
  return impl_->parse_with<OutboundMessage>(text, &parse_outbound_value);
}

Result<InboundMessage> parse_inbound(std::string_view json_text) {
  MediaStreamParser parser;
  return parser.parse(json_text);
}

Result<OutboundMessage> parse_outbound(std::string_view json_text) {
  MediaStreamParser parser;
  return parser.parse_outbound(json_text);
}

std::string media_message(std::string_view stream_sid, std::span<const uint8_t> mulaw) {
  std::string payload;
  payload.reserve(base64_encoded_size(mulaw.size()));
  base64_encode_append(mulaw, payload);
  json::object media;
  media["payload"] = payload;
  json::object o;
  o["event"] = "media";
  o["streamSid"] = stream_sid;
  o["media"] = std::move(media);
  return json::serialize(o);
}

std::string mark_message(std::string_view stream_sid, std::string_view name) {
  json::object mark;
  mark["name"] = name;
  json::object o;
  o["event"] = "mark";
  o["streamSid"] = stream_sid;
  o["mark"] = std::move(mark);
  return json::serialize(o);
}

std::string clear_message(std::string_view stream_sid) {
  json::object o;
  o["event"] = "clear";
  o["streamSid"] = stream_sid;
  return json::serialize(o);
}

namespace {

void put_sequence(json::object& o, uint64_t sequence_number) {
  if (sequence_number != 0) o["sequenceNumber"] = std::to_string(sequence_number);
}

struct Serializer {
  json::object operator()(const ConnectedMessage& m) const {
    json::object o;
    o["event"] = "connected";
    o["protocol"] = m.protocol;
    o["version"] = m.version;
    return o;
  }
  json::object operator()(const StartMessage& m) const {
    json::object o;
    o["event"] = "start";
    put_sequence(o, m.sequence_number);
    json::object start;
    start["accountSid"] = m.account_sid;
    start["streamSid"] = m.stream_sid;
    start["callSid"] = m.call_sid;
    json::array tracks;
    for (const auto& t : m.tracks) tracks.emplace_back(t);
    start["tracks"] = std::move(tracks);
    json::object params;
    for (const auto& [k, v] : m.custom_parameters) params[k] = v;
    start["customParameters"] = std::move(params);
    json::object format;
    format["encoding"] = m.media_format.encoding;
    format["sampleRate"] = m.media_format.sample_rate;
    format["channels"] = m.media_format.channels;
    start["mediaFormat"] = std::move(format);
    o["start"] = std::move(start);
    o["streamSid"] = m.stream_sid;
    return o;
  }
  json::object operator()(const MediaMessage& m) const {
    json::object o;
    o["event"] = "media";
    put_sequence(o, m.sequence_number);
    json::object media;
    media["track"] = m.track;
    media["chunk"] = std::to_string(m.chunk);
    media["timestamp"] = std::to_string(m.timestamp);
    media["payload"] = base64_encode(m.payload);
    o["media"] = std::move(media);
    o["streamSid"] = m.stream_sid;
    return o;
  }
  json::object operator()(const DtmfMessage& m) const {
    json::object o;
    o["event"] = "dtmf";
    o["streamSid"] = m.stream_sid;
    put_sequence(o, m.sequence_number);
    json::object dtmf;
    dtmf["track"] = m.track;
    dtmf["digit"] = m.digit;
    o["dtmf"] = std::move(dtmf);
    return o;
  }
  json::object operator()(const MarkMessage& m) const {
    json::object o;
    o["event"] = "mark";
    put_sequence(o, m.sequence_number);
    o["streamSid"] = m.stream_sid;
    json::object mark;
    mark["name"] = m.name;
    o["mark"] = std::move(mark);
    return o;
  }
  json::object operator()(const StopMessage& m) const {
    json::object o;
    o["event"] = "stop";
    put_sequence(o, m.sequence_number);
    json::object stop;
    stop["accountSid"] = m.account_sid;
    stop["callSid"] = m.call_sid;
    o["stop"] = std::move(stop);
    o["streamSid"] = m.stream_sid;
    return o;
  }
};

}  // namespace

std::string serialize_inbound(const InboundMessage& message) {
  return json::serialize(std::visit(Serializer{}, message));
}

}  // namespace autovoice::telephony
