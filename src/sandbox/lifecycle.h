// A sandbox call's status timeline, as a pure function of the request and the
// scripted callee, and the status-callback parameters Twilio would POST for
// each step. No clock is read: offsets are from the call's creation and the
// caller turns them into instants (and applies any speed-up).
//
// Timelines (t = 0 is creation; answer_after and hangup_after come from the
// callee; T is the request's Timeout):
//   human      initiated 0, ringing kRingingAfter, in-progress at answer_after,
//              completed at answer_after + hangup_after (if the callee hangs up)
//   voicemail  as human, answered by a machine
//   either     if answer_after > T: no-answer at T instead of the answer
//   no-answer  initiated, ringing, no-answer at T
//   busy       initiated, busy at kBusyAfter (no ringing)
//   fail       initiated, failed at kFailAfter (no ringing)
// A human or voicemail callee without hangup_after leaves the plan open: the
// call ends when the TwiML application ends it (completion_event).
//
// With MachineDetection, in-progress and completed carry AnsweredBy: "human",
// or for voicemail "machine_start" (Enable) / "machine_end_beep"
// (DetectMessageEnd).
//
// Which events are POSTed (is_posted): only when StatusCallback is set;
// initiated, ringing and in-progress (Twilio's "answered") when asked for in
// StatusCallbackEvent; a final status (completed, busy, no-answer, failed,
// canceled) always — Twilio sends the final status whether or not "completed"
// is listed, and with no StatusCallbackEvent only that.
//
// Pure functions, safe to call from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/callee.h"
#include "sandbox/rest.h"

namespace autovoice::sandbox {

inline constexpr std::chrono::milliseconds kRingingAfter{100};
inline constexpr std::chrono::milliseconds kBusyAfter{500};
inline constexpr std::chrono::milliseconds kFailAfter{200};

struct StatusEvent {
  std::chrono::milliseconds offset{0};  // from the call's creation
  std::string status;                   // initiated, ringing, in-progress, completed, busy,
                                        // no-answer, failed, canceled
  std::string answered_by;              // "" unless MachineDetection was asked and answered
  std::optional<int> call_duration_s;   // set on the final event only

  friend bool operator==(const StatusEvent&, const StatusEvent&) = default;
};

// True for completed, busy, no-answer, failed and canceled.
bool is_final_status(std::string_view status);

struct CallPlan {
  std::vector<StatusEvent> events;  // in time order
  // Set when the call was answered: the offset of the answer.
  std::optional<std::chrono::milliseconds> answered_at;
  // True when the plan ends at in-progress: the call is still up and ends when
  // the TwiML application hangs up (see completion_event).
  bool open_ended = false;
};

CallPlan plan_call(const CallCreate& request, const CalleeBehaviour& callee);

// The final "completed" event for an open-ended plan when the call ends at
// `hangup` (from creation). CallDuration counts whole seconds from the answer,
// rounded up. REQUIRES: plan.answered_at and hangup >= *plan.answered_at.
StatusEvent completion_event(const CallPlan& plan, std::chrono::milliseconds hangup);

// Whether Twilio would POST `event` to the request's StatusCallback.
bool is_posted(const CallCreate& request, const StatusEvent& event);

// The events of `plan` that are POSTed, in order.
std::vector<StatusEvent> posted_events(const CallCreate& request, const CallPlan& plan);

// Brings `call` to the state after `event` (status, except that "initiated"
// leaves the resource "queued" as Twilio's does; date_updated, start_time
// at the first event, end_time and duration at the final one, answered_by).
// call.date_created + event.offset is the event's instant.
void apply_event(CallRecord& call, const StatusEvent& event);

// The form parameters of the status callback for `event`: AccountSid,
// ApiVersion, CallSid, CallStatus, Called, Caller, CallbackSource
// (call-progress-events), Direction (outbound-api), From, SequenceNumber,
// Timestamp (RFC 2822, creation + offset), To; CallDuration on a final event;
// AnsweredBy when MachineDetection was asked and the event carries it. Sorted
// by name, ready for telephony::compute_signature. `sequence_number` counts
// the callbacks POSTed for this call, from 0.
FormParams status_callback_params(const CallRecord& call, const StatusEvent& event,
                                  int sequence_number, const Account& account);

// The parameters of a voice webhook (the call's Url, a <Gather> action, a
// <Redirect>): AccountSid, ApiVersion, CallSid, CallStatus, Called, Caller,
// Direction (outbound-api), From, To, and AnsweredBy when MachineDetection was
// asked; then `extra` (Digits, SpeechResult...). Sorted by name.
FormParams voice_request_params(const CallRecord& call, const Account& account,
                                const FormParams& extra = {});

// The parameters of a message status callback for `status` (sent, delivered):
// AccountSid, ApiVersion, From, MessageSid, MessageStatus, SmsSid, SmsStatus,
// To. Sorted by name.
FormParams message_callback_params(const MessageRecord& message, std::string_view status,
                                   const Account& account);

}  // namespace autovoice::sandbox
