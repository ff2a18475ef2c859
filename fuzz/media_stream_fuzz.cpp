// Feeds arbitrary bytes to the media-stream parser, in both directions.
// Whatever parses as an inbound message must serialize and parse back to the
// same message; whatever parses as an outbound message must be rebuilt by
// media_message / mark_message / clear_message into text that parses back to
// the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "telephony/media_stream.h"

namespace {

using namespace autovoice::telephony;

struct OutboundBuilder {
  std::string operator()(const OutboundMedia& m) const {
    return media_message(m.stream_sid, m.payload);
  }
  std::string operator()(const OutboundMark& m) const { return mark_message(m.stream_sid, m.name); }
  std::string operator()(const OutboundClear& m) const { return clear_message(m.stream_sid); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static MediaStreamParser parser;  // reused across inputs, as one WebSocket session does
  if (auto message = parser.parse(text); message.ok()) {
    auto again = parse_inbound(serialize_inbound(*message));
    if (!again.ok() || !(*again == *message)) std::abort();
    if (const auto* media = std::get_if<MediaMessage>(&*message)) {
      if (media_message(media->stream_sid, media->payload).empty()) std::abort();
    }
  }
  if (auto outbound = parser.parse_outbound(text); outbound.ok()) {
    auto again = parse_outbound(std::visit(OutboundBuilder{}, *outbound));
    if (!again.ok() || !(*again == *outbound)) std::abort();
  }
  return 0;
}
