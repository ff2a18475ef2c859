// Feeds arbitrary bytes to the media-stream parser. Whatever parses must
// serialize and parse back to the same message; outbound messages built from
// a parsed media payload must parse as JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "telephony/media_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autovoice::telephony;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static MediaStreamParser parser;  // reused across inputs, as one WebSocket session does
  auto message = parser.parse(text);
  if (!message.ok()) return 0;
  auto again = parse_inbound(serialize_inbound(*message));
  if (!again.ok() || !(*again == *message)) std::abort();
  if (const auto* media = std::get_if<MediaMessage>(&*message)) {
    if (media_message(media->stream_sid, media->payload).empty()) std::abort();
  }
  return 0;
}
