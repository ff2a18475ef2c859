// Who sent a request: the carrier (X-Twilio-Signature) or the shop's software
// (a bearer API key). Pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "domain/result.h"
#include "server/errors.h"
#include "server/http.h"
#include "telephony/form.h"

namespace autovoice::server {

// The URL the carrier requested and signed: BASE_URL + the request target
// (path and query exactly as sent). For a WebSocket upgrade the scheme is
// the stream's: http -> ws, https -> wss.
std::string carrier_url(std::string_view base_url, std::string_view target, bool websocket);

// "wss://host[:port][/prefix]" for BASE_URL "https://host[:port][/prefix]"
// ("ws://" for http): where <Stream url=...> points.
std::string websocket_base(std::string_view base_url);

// Checks a carrier webhook: decodes a form body (400 when malformed) and
// checks X-Twilio-Signature over carrier_url + the form parameters, or, for
// a non-form body, with Twilio's bodySHA256 scheme (403 when missing or
// wrong). Returns the decoded form (empty for other bodies).
Result<telephony::FormParams, ApiError> check_carrier_request(const Request& request,
                                                               std::string_view base_url,
                                                               std::string_view auth_token,
                                                               bool websocket);

// True when `authorization` is "Bearer <api_key>". The comparison takes the
// same time whatever the key's content (both sides are hashed, then compared
// with CRYPTO_memcmp). Always false for an empty api_key.
bool api_key_matches(std::string_view authorization, std::string_view api_key);

}  // namespace autovoice::server
