// The server's routes, one file per group:
//
//   voice.cpp     POST /api/v1/voice/incoming-reminder   carrier  TwiML: connect the reminder's stream
//                 POST /api/v1/voice/incoming            carrier  TwiML: connect an inbound call's stream
//                 GET  /api/v1/voice/media-stream        carrier  WebSocket upgrade (media_stream_session.h)
//   webhooks.cpp  POST /api/v1/webhooks/twilio/status    carrier  status callbacks -> call log
//   crm.cpp       /api/v1/customers, /vehicles, /appointments, /calls             API key
//   ops.cpp       GET /healthz, GET /readyz, GET /metrics                         public
//
// "carrier" routes need a valid X-Twilio-Signature; "API key" routes
// Authorization: Bearer <API_KEY> (see server.h).
#pragma once

#include <vector>

#include "server/http.h"

namespace autovoice::server {

std::vector<RouteSpec> voice_routes(Services& services);
std::vector<RouteSpec> webhook_routes(Services& services);
std::vector<RouteSpec> crm_routes(Services& services);
std::vector<RouteSpec> ops_routes(Services& services);

// All of the above, in that order.
std::vector<RouteSpec> all_routes(Services& services);

}  // namespace autovoice::server
