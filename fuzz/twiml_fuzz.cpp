// Feeds arbitrary bytes to the TwiML reader. Every failure must be
// kInvalidArgument with a message. Whatever parses must be written back by the
// builder (to_response) as a document that parses to the same verbs, and
// writing that again must give the same bytes: builder and reader agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "telephony/twiml_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autovoice::telephony;
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto document = parse_twiml(xml);
  if (!document.ok()) {
    if (document.error().code != autovoice::ErrorCode::kInvalidArgument) std::abort();
    if (document.error().message.empty()) std::abort();
    return 0;
  }
  const std::string built = to_response(*document).str();
  // Escaping can make the written document longer than the size limit
  // (a CDATA section full of '<'); the round trip is checked below it.
  if (built.size() > kTwimlMaxBytes) return 0;
  auto again = parse_twiml(built);
  if (!again.ok() || !(*again == *document)) std::abort();
  if (to_response(*again).str() != built) std::abort();
  return 0;
}
