// libFuzzer target: decode_form on arbitrary bytes. Every body it accepts must
// survive encode_form -> decode_form unchanged, and the signature computed
// over its parameters must validate (and fail for a different token).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "telephony/form.h"
#include "telephony/signature.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace tel = autovoice::telephony;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto decoded = tel::decode_form(body);
  if (!decoded) {
    check(decoded.error().code == autovoice::ErrorCode::kInvalidArgument);
    check(decoded.error().field == "body");
    check(!decoded.error().message.empty());
    return 0;
  }
  const std::string encoded = tel::encode_form(*decoded);
  check(tel::encode_form(*decoded) == encoded);  // byte-stable
  const auto again = tel::decode_form(encoded);
  check(again.ok());
  check(*again == *decoded);

  constexpr std::string_view kToken = "fuzz-token";
  constexpr std::string_view kUrl = "https://shop.example/api/v1/webhooks/twilio/status";
  const std::string signature = tel::compute_signature(kToken, kUrl, *decoded);
  check(tel::validate_signature(kToken, kUrl, *decoded, signature));
  check(tel::validate_signature(kToken, "https://shop.example:443/api/v1/webhooks/twilio/status",
                                *decoded, signature));
  check(!tel::validate_signature("other-token", kUrl, *decoded, signature));
  return 0;
}
