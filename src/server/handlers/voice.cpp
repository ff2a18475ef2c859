#include "server/handlers/voice.h"

#include <charconv>

#include <boost/asio/awaitable.hpp>
#include <spdlog/spdlog.h>

#include "config/logging.h"
#include "domain/phone.h"
#include "server/handlers/handlers.h"
#include "server/media_stream_session.h"
#include "server/request_auth.h"
#include "telephony/twiml.h"

namespace autovoice::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace tel = telephony;

namespace {

tel::StreamOptions stream_to(std::string_view base_url) {
  tel::StreamOptions stream;
  stream.url = websocket_base(base_url) + std::string(kMediaStreamPath);
  return stream;
}

}  // namespace

std::string reminder_twiml(std::string_view base_url, AppointmentId appointment_id,
                           std::string_view answered_by) {
  tel::StreamOptions stream = stream_to(base_url);
  stream.parameters = {{"call_type", "outbound_reminder"},
                       {"appointment_id", std::to_string(appointment_id)}};
  if (!answered_by.empty()) stream.parameters.emplace_back("answered_by", std::string(answered_by));
  return tel::Response().connect_stream(stream).str();
}

std::string inbound_twiml(std::string_view base_url, std::string_view caller) {
  tel::StreamOptions stream = stream_to(base_url);
  stream.parameters = {{"call_type", "inbound"}, {"caller", std::string(caller)}};
  return tel::Response().connect_stream(stream).str();
}

Result<AppointmentId, FieldErrors> reminder_appointment_id(const tel::FormParams& query) {
  const auto text = tel::form_value(query, "appointment_id");
  if (!text) {
    return FieldErrors{{"appointment_id", "appointment_id is missing from the query string"}};
  }
  AppointmentId id = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), id);
  if (ec != std::errc() || end != text->data() + text->size() || id <= 0) {
    return FieldErrors{{"appointment_id", "appointment_id='" + std::string(*text) + "' is not a positive integer"}};
  }
  return id;
}

std::vector<RouteSpec> voice_routes(Services& services) {
  std::vector<RouteSpec> routes;
  routes.push_back(RouteSpec{
      http::verb::post, "/api/v1/voice/incoming-reminder", Guard::kCarrierSignature,
      [&services](Exchange& ex) -> asio::awaitable<Reply> {
        auto query = tel::decode_form(ex.query);
        if (!query) co_return ApiError{Problem::kBadRequest, "malformed query string: " + query.error().message, {}};
        auto id = reminder_appointment_id(*query);
        if (!id) co_return validation_error(std::move(id).error());
        const std::string_view answered_by = tel::form_value(ex.form, "AnsweredBy").value_or("");
        LogEvent("reminder call answered")
            .field("request_id", std::string_view(ex.request_id))
            .field("call_sid", tel::form_value(ex.form, "CallSid").value_or(""))
            .field("appointment_id", static_cast<std::int64_t>(*id))
            .field("answered_by", answered_by)
            .log(spdlog::level::info);
        co_return twiml_reply(reminder_twiml(services.config.base_url, *id, answered_by));
      },
      {}});
  routes.push_back(RouteSpec{
      http::verb::post, "/api/v1/voice/incoming", Guard::kCarrierSignature,
      [&services](Exchange& ex) -> asio::awaitable<Reply> {
        const std::string_view from = tel::form_value(ex.form, "From").value_or("");
        LogEvent("inbound call")
            .field("request_id", std::string_view(ex.request_id))
            .field("call_sid", tel::form_value(ex.form, "CallSid").value_or(""))
            .field("from", std::string_view(mask_phone(from)))
            .log(spdlog::level::info);
        co_return twiml_reply(inbound_twiml(services.config.base_url, from));
      },
      {}});
  routes.push_back(RouteSpec{http::verb::get, std::string(kMediaStreamPath), Guard::kCarrierSignature, {},
                             [&services](WebSocket& ws, const Request&, std::string request_id) {
                               return run_media_stream(ws, std::move(request_id), services);
                             }});
  return routes;
}

std::vector<RouteSpec> all_routes(Services& services) {
  std::vector<RouteSpec> routes;
  for (auto group : {voice_routes, webhook_routes, crm_routes, ops_routes}) {
    for (RouteSpec& r : group(services)) routes.push_back(std::move(r));
  }
  return routes;
}

}  // namespace autovoice::server
