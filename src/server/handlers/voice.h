// The voice webhooks' answers, as pure functions (handlers/voice.cpp serves them).
#pragma once

#include <string>
#include <string_view>

#include "domain/types.h"
#include "server/errors.h"
#include "telephony/form.h"

namespace autovoice::server {

inline constexpr std::string_view kMediaStreamPath = "/api/v1/voice/media-stream";

// <Connect><Stream url="wss://{BASE_URL}/api/v1/voice/media-stream"> with
// <Parameter name="call_type" value="outbound_reminder"/> and
// appointment_id (plus answered_by when the carrier's machine detection has
// answered). Nothing is said before the stream.
std::string reminder_twiml(std::string_view base_url, AppointmentId appointment_id,
                           std::string_view answered_by);

// The same stream for an inbound call: call_type=inbound and the caller's number.
std::string inbound_twiml(std::string_view base_url, std::string_view caller);

// The appointment_id of incoming-reminder's query string: a positive integer.
Result<AppointmentId, FieldErrors> reminder_appointment_id(const telephony::FormParams& query);

}  // namespace autovoice::server
