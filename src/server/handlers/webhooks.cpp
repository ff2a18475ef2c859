#include "server/handlers/webhooks.h"

#include <array>
#include <charconv>
#include <limits>
#include <sstream>

#include <boost/asio/awaitable.hpp>
#include <spdlog/spdlog.h>

#include "config/logging.h"
#include "server/db_pool.h"
#include "server/handlers/handlers.h"
#include "server/metrics.h"
#include "store/store.h"
#include "telephony/sid.h"

namespace autovoice::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace tel = telephony;

namespace {

constexpr std::array<std::string_view, 7> kAnsweredBy = {
    "human", "machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax", "unknown"};
constexpr std::size_t kMaxTextParameter = 500;

// A non-negative int parameter; records a FieldError when malformed.
std::optional<int> read_count(const tel::FormParams& form, std::string_view name, FieldErrors& errors) {
  const auto text = tel::form_value(form, name);
  if (!text || text->empty()) return std::nullopt;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0) {
    errors.push_back({std::string(name), std::string(name) + "='" + std::string(*text) +
                                             "' is not a whole number from 0 to " +
                                             std::to_string(std::numeric_limits<int>::max())});
    return std::nullopt;
  }
  return value;
}

std::string read_text(const tel::FormParams& form, std::string_view name, FieldErrors& errors) {
  const std::string_view text = tel::form_value(form, name).value_or("");
  if (text.size() > kMaxTextParameter) {
    errors.push_back({std::string(name), std::string(name) + " is longer than " +
                                             std::to_string(kMaxTextParameter) + " characters"});
    return {};
  }
  return std::string(text);
}

}  // namespace

Result<CallStatusUpdate, FieldErrors> status_update_from(const tel::FormParams& form) {
  FieldErrors errors;
  CallStatusUpdate u;
  const std::string_view sid = tel::form_value(form, "CallSid").value_or("");
  if (sid.empty()) {
    errors.push_back({"CallSid", "CallSid is missing"});
  } else if (!tel::is_sid(sid, "CA")) {
    errors.push_back({"CallSid", "CallSid='" + std::string(sid.substr(0, 64)) + "' is not CA followed by 32 hexadecimal digits"});
  }
  u.call_sid = std::string(sid);
  const std::string_view status = tel::form_value(form, "CallStatus").value_or("");
  if (status.empty()) {
    errors.push_back({"CallStatus", "CallStatus is missing"});
  } else if (auto parsed = parse_call_status(status)) {
    u.status = *parsed;
  } else {
    errors.push_back({"CallStatus", parsed.error().message});
  }
  u.sequence_number = read_count(form, "SequenceNumber", errors);
  u.duration_seconds = read_count(form, "CallDuration", errors);
  if (auto ts = tel::form_value(form, "Timestamp"); ts && !ts->empty()) {
    u.timestamp = parse_rfc2822(*ts);
    if (!u.timestamp) {
      errors.push_back({"Timestamp", "Timestamp='" + std::string(ts->substr(0, 64)) +
                                         "' is not an RFC 2822 date such as 'Wed, 25 Nov 2026 14:00:00 +0000'"});
    }
  }
  u.answered_by = read_text(form, "AnsweredBy", errors);
  if (!u.answered_by.empty() &&
      std::find(kAnsweredBy.begin(), kAnsweredBy.end(), u.answered_by) == kAnsweredBy.end()) {
    errors.push_back({"AnsweredBy", "AnsweredBy='" + u.answered_by +
                                        "' is not one of human, machine_start, machine_end_beep, "
                                        "machine_end_silence, machine_end_other, fax, unknown"});
  }
  if (auto code = tel::form_value(form, "ErrorCode"); code && !code->empty()) {
    u.error_code = read_count(form, "ErrorCode", errors);
  }
  u.error_message = read_text(form, "ErrorMessage", errors);
  const std::string_view direction = tel::form_value(form, "Direction").value_or("outbound-api");
  if (direction == "inbound") {
    u.direction = CallDirection::kInbound;
  } else if (direction.starts_with("outbound")) {
    u.direction = CallDirection::kOutbound;
  } else {
    errors.push_back({"Direction", "Direction='" + std::string(direction.substr(0, 64)) +
                                       "' is not inbound, outbound-api or outbound-dial"});
  }
  u.from = read_text(form, "From", errors);
  u.to = read_text(form, "To", errors);
  if (!errors.empty()) return errors;
  return u;
}

std::vector<RouteSpec> webhook_routes(Services& services) {
  std::vector<RouteSpec> routes;
  routes.push_back(RouteSpec{
      http::verb::post, "/api/v1/webhooks/twilio/status", Guard::kCarrierSignature,
      [&services](Exchange& ex) -> asio::awaitable<Reply> {
        auto update = status_update_from(ex.form);
        if (!update) {
          services.metrics->status_callback(CallbackResult::kRejected);
          co_return validation_error(std::move(update).error());
        }
        const TimePoint now = services.clock.now_seconds();
        auto applied = co_await services.db.run(
            [&services, &u = *update, now] { return services.store.apply_call_status(u, now); });
        if (!applied) {
          services.metrics->status_callback(CallbackResult::kRejected);
          co_return api_error(applied.error());
        }
        const CallbackResult result = applied->created   ? CallbackResult::kCreated
                                      : applied->applied ? CallbackResult::kApplied
                                                         : CallbackResult::kIgnored;
        services.metrics->status_callback(result);
        LogEvent("status callback")
            .field("request_id", std::string_view(ex.request_id))
            .field("call_sid", std::string_view(update->call_sid))
            .field("status", to_string(update->status))
            .field("sequence", static_cast<std::int64_t>(update->sequence_number.value_or(-1)))
            .field("result", result == CallbackResult::kCreated   ? std::string_view("created (unknown call)")
                             : result == CallbackResult::kApplied ? std::string_view("applied")
                                                                  : std::string_view("ignored (duplicate or earlier)"))
            .field("call_status", to_string(applied->log.status))
            .log(result == CallbackResult::kCreated ? spdlog::level::warn : spdlog::level::info);
        co_return empty_reply(http::status::no_content);
      },
      {}});
  return routes;
}

}  // namespace autovoice::server
