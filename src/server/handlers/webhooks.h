// Status callbacks: how the carrier tells us each call's progress
// (handlers/webhooks.cpp serves them; Store::apply_call_status orders them).
#pragma once

#include <optional>
#include <string_view>

#include "domain/time.h"
#include "domain/types.h"
#include "server/errors.h"
#include "telephony/form.h"

namespace autovoice::server {

// Reads Twilio's status-callback parameters: CallSid ("CA" + 32 hex) and
// CallStatus are required; SequenceNumber, Timestamp (RFC 2822, "Wed, 25 Nov
// 2026 14:00:00 +0000"), CallDuration, AnsweredBy, ErrorCode, ErrorMessage,
// Direction, From and To are read when present. Every bad field is reported.
Result<CallStatusUpdate, FieldErrors> status_update_from(const telephony::FormParams& form);

}  // namespace autovoice::server
