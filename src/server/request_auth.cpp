#include "server/request_auth.h"

#include <array>

#include <boost/beast/core/string.hpp>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "telephony/signature.h"

namespace autovoice::server {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string_view strip_trailing_slash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return url;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

bool is_form(std::string_view content_type) {
  // "application/x-www-form-urlencoded; charset=utf-8"
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return beast::iequals(media, "application/x-www-form-urlencoded");
}

}  // namespace

std::string websocket_base(std::string_view base_url) {
  base_url = strip_trailing_slash(base_url);
  if (base_url.starts_with("https://")) return "wss://" + std::string(base_url.substr(8));
  if (base_url.starts_with("http://")) return "ws://" + std::string(base_url.substr(7));
  return std::string(base_url);
}

std::string carrier_url(std::string_view base_url, std::string_view target, bool websocket) {
  std::string url = websocket ? websocket_base(base_url) : std::string(strip_trailing_slash(base_url));
  url += target;
  return url;
}

Result<telephony::FormParams, ApiError> check_carrier_request(const Request& request,
                                                               std::string_view base_url,
                                                               std::string_view auth_token,
                                                               bool websocket) {
  const std::string url = carrier_url(base_url, request.target(), websocket);
  const std::string_view signature = request[telephony::kSignatureHeader];
  const std::string_view body = request.body();
  auto forbidden = [] {
    return ApiError{Problem::kForbidden, "X-Twilio-Signature is missing or does not match this request",
                    {}};
  };
  if (signature.empty()) return forbidden();
  telephony::FormParams form;
  if (!body.empty() && !is_form(request[http::field::content_type])) {
    if (!telephony::validate_signature_with_body(auth_token, url, body, signature)) return forbidden();
    return form;
  }
  if (!body.empty()) {
    auto decoded = telephony::decode_form(body);
    if (!decoded) {
      return ApiError{Problem::kBadRequest, "malformed form body: " + decoded.error().message, {}};
    }
    form = std::move(*decoded);
  }
  if (!telephony::validate_signature(auth_token, url, form, signature)) return forbidden();
  return form;
}

bool api_key_matches(std::string_view authorization, std::string_view api_key) {
  constexpr std::string_view kBearer = "Bearer ";
  if (api_key.empty() || authorization.size() < kBearer.size()) return false;
  const bool scheme_ok = beast::iequals(authorization.substr(0, kBearer.size()), kBearer);
  const auto given = sha256(authorization.substr(kBearer.size()));
  const auto expected = sha256(api_key);
  const bool key_ok = CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
  return scheme_ok && key_ok;
}

}  // namespace autovoice::server
