#include "sandbox/lifecycle.h"

#include <algorithm>

namespace autovoice::sandbox {

namespace {

using std::chrono::milliseconds;

int whole_seconds_up(milliseconds d) {
  return static_cast<int>((d.count() + 999) / 1000);
}

std::string answered_by(const CallCreate& request, Answer answer) {
  if (!request.machine_detection_asked()) return {};
  if (answer != Answer::kVoicemail) return "human";
  return request.machine_detection == "DetectMessageEnd" ? "machine_end_beep" : "machine_start";
}

// StatusCallbackEvent's name for the step `status` belongs to.
std::string_view event_name(std::string_view status) {
  if (status == "in-progress") return "answered";
  if (is_final_status(status)) return "completed";
  return status;  // initiated, ringing
}

}  // namespace

bool is_final_status(std::string_view status) {
  return status == "completed" || status == "busy" || status == "no-answer" ||
         status == "failed" || status == "canceled";
}

CallPlan plan_call(const CallCreate& request, const CalleeBehaviour& callee) {
  CallPlan plan;
  plan.events.push_back({milliseconds{0}, "initiated", {}, std::nullopt});
  const milliseconds timeout{static_cast<int64_t>(request.timeout_s) * 1000};
  switch (callee.answer) {
    case Answer::kBusy:
      plan.events.push_back({kBusyAfter, "busy", {}, 0});
      return plan;
    case Answer::kFail:
    case Answer::kInvalid:  // refused at creation (Network::refuse_call): never dialled
      plan.events.push_back({kFailAfter, "failed", {}, 0});
      return plan;
    case Answer::kNoAnswer:
      plan.events.push_back({kRingingAfter, "ringing", {}, std::nullopt});
      plan.events.push_back({std::max(timeout, kRingingAfter), "no-answer", {}, 0});
      return plan;
    case Answer::kHuman:
    case Answer::kVoicemail:
      break;
  }
  plan.events.push_back({kRingingAfter, "ringing", {}, std::nullopt});
  const milliseconds answer_at = std::max(kRingingAfter, kRingingAfter + callee.answer_after);
  if (callee.answer_after > timeout) {
    plan.events.push_back({std::max(timeout, kRingingAfter), "no-answer", {}, 0});
    return plan;
  }
  const std::string by = answered_by(request, callee.answer);
  plan.events.push_back({answer_at, "in-progress", by, std::nullopt});
  plan.answered_at = answer_at;
  if (callee.hangup_after) {
    plan.events.push_back(completion_event(plan, answer_at + *callee.hangup_after));
  } else {
    plan.open_ended = true;
  }
  return plan;
}

StatusEvent completion_event(const CallPlan& plan, milliseconds hangup) {
  const milliseconds answered = plan.answered_at.value_or(hangup);
  std::string by;
  for (const auto& event : plan.events) {
    if (event.status == "in-progress") by = event.answered_by;
  }
  return {hangup, "completed", by, whole_seconds_up(std::max(milliseconds{0}, hangup - answered))};
}

bool is_posted(const CallCreate& request, const StatusEvent& event) {
  if (request.status_callback.empty()) return false;
  if (is_final_status(event.status)) return true;
  const std::string_view name = event_name(event.status);
  return std::find(request.status_callback_events.begin(), request.status_callback_events.end(),
                   name) != request.status_callback_events.end();
}

std::vector<StatusEvent> posted_events(const CallCreate& request, const CallPlan& plan) {
  std::vector<StatusEvent> out;
  for (const auto& event : plan.events) {
    if (is_posted(request, event)) out.push_back(event);
  }
  return out;
}

void apply_event(CallRecord& call, const StatusEvent& event) {
  const TimePoint at =
      call.date_created + std::chrono::duration_cast<std::chrono::seconds>(event.offset);
  // The Call resource knows no "initiated": it stays "queued" until it rings
  // (initiated is a status-callback event only).
  if (event.status != "initiated") call.status = event.status;
  call.date_updated = at;
  if (!call.start_time) call.start_time = at;
  if (!event.answered_by.empty()) call.answered_by = event.answered_by;
  if (is_final_status(event.status)) {
    call.end_time = at;
    call.duration_s = event.call_duration_s.value_or(0);
  }
}

FormParams status_callback_params(const CallRecord& call, const StatusEvent& event,
                                  int sequence_number, const Account& account) {
  const TimePoint at =
      call.date_created + std::chrono::duration_cast<std::chrono::seconds>(event.offset);
  FormParams params{{"AccountSid", account.sid},
                    {"ApiVersion", std::string(kApiVersion)},
                    {"CallSid", call.sid},
                    {"CallStatus", event.status},
                    {"Called", call.request.to},
                    {"Caller", call.request.from},
                    {"CallbackSource", "call-progress-events"},
                    {"Direction", "outbound-api"},
                    {"From", call.request.from},
                    {"SequenceNumber", std::to_string(sequence_number)},
                    {"Timestamp", format_rfc2822(at)},
                    {"To", call.request.to}};
  if (is_final_status(event.status)) {
    params.push_back({"CallDuration", std::to_string(event.call_duration_s.value_or(0))});
  }
  if (call.request.machine_detection_asked() && !event.answered_by.empty()) {
    params.push_back({"AnsweredBy", event.answered_by});
  }
  std::sort(params.begin(), params.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return params;
}

namespace {
void sort_by_name(FormParams& params) {
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
}
}  // namespace

FormParams voice_request_params(const CallRecord& call, const Account& account,
                                const FormParams& extra) {
  FormParams params{{"AccountSid", account.sid},
                    {"ApiVersion", std::string(kApiVersion)},
                    {"CallSid", call.sid},
                    {"CallStatus", call.status},
                    {"Called", call.request.to},
                    {"Caller", call.request.from},
                    {"Direction", "outbound-api"},
                    {"From", call.request.from},
                    {"To", call.request.to}};
  if (call.request.machine_detection_asked() && !call.answered_by.empty()) {
    params.push_back({"AnsweredBy", call.answered_by});
  }
  params.insert(params.end(), extra.begin(), extra.end());
  sort_by_name(params);
  return params;
}

FormParams message_callback_params(const MessageRecord& message, std::string_view status,
                                   const Account& account) {
  FormParams params{{"AccountSid", account.sid},
                    {"ApiVersion", std::string(kApiVersion)},
                    {"From", message.request.from},
                    {"MessageSid", message.sid},
                    {"MessageStatus", std::string(status)},
                    {"SmsSid", message.sid},
                    {"SmsStatus", std::string(status)},
                    {"To", message.request.to}};
  sort_by_name(params);
  return params;
}

}  // namespace autovoice::sandbox
