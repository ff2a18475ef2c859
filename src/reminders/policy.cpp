#include "reminders/policy.h"

#include <algorithm>
#include <array>
#include <sstream>

namespace autovoice::reminders {

Result<Policy> Policy::from_settings(const Settings& settings) {
  Policy p;
  auto zone = find_time_zone(settings.shop_timezone, "SHOP_TIMEZONE");
  if (!zone) return std::move(zone).error();
  p.shop_zone = *zone;
  p.days_before = settings.reminder_days_before;
  p.test_number = settings.your_test_number;
  p.hours = CallingHours{settings.calling_hours_start, settings.calling_hours_end};
  p.max_attempts = settings.retry_max_attempts;
  p.retry_delay = settings.retry_delay;
  p.sms_fallback = settings.sms_fallback;
  p.shop_name = settings.shop_name;
  p.shop_phone = settings.shop_phone;
  return p;
}

Interval reminder_window(TimePoint fire_time, const Policy& policy) {
  const date::local_days today{local_date(fire_time, policy.shop_zone)};
  return local_day(date::year_month_day{today + date::days{policy.days_before}}, policy.shop_zone);
}

const TimeZone* customer_zone(const Customer& customer, const Policy& policy) {
  if (customer.time_zone.empty()) return policy.shop_zone;
  auto zone = find_time_zone(customer.time_zone);
  return zone ? *zone : policy.shop_zone;
}

bool dialable(const PhoneNumber& phone) {
  const std::string& e164 = phone.str();
  if (e164.size() < 2) return false;
  if (e164[1] != '1') return true;
  // NANP: +1 NXX NXX XXXX, N = 2-9.
  if (e164.size() != 12) return false;
  return e164[2] >= '2' && e164[5] >= '2';
}

Decision decide(const Appointment& appointment, const Customer& customer, TimePoint now,
                const Policy& policy) {
  const auto skip = [](std::string_view why) { return Decision{Decision::Kind::kSkip, {}, std::string(why)}; };
  if (policy.test_number && customer.phone != *policy.test_number) return skip(reason::kTestNumberOnly);
  if (customer.opted_out) return skip(reason::kOptedOut);
  if (!dialable(customer.phone)) return skip(reason::kInvalidNumber);
  const TimePoint moment = next_calling_moment(now, customer_zone(customer, policy), policy.hours);
  if (moment >= appointment.start) return skip(reason::kTooLate);
  if (moment > now) return Decision{Decision::Kind::kDefer, moment, {}};
  return Decision{Decision::Kind::kCall, now, {}};
}

bool permanent_call_error(int twilio_code) {
  static constexpr std::array kPermanent{13224, 13225, 13227, 21211, 21214, 21215, 21216, 21217, 21610};
  return std::find(kPermanent.begin(), kPermanent.end(), twilio_code) != kPermanent.end();
}

bool number_rejected(const telephony::CarrierError& error) {
  return !error.retryable() && (error.field == "To" || permanent_call_error(error.twilio_code));
}

FollowUp after_call(const CallLog& call, int attempts, const Appointment& appointment,
                    const Customer& customer, TimePoint now, const Policy& policy) {
  if (call.status == CallStatus::kCompleted) {
    const bool machine = call.answered_by.starts_with("machine") || call.answered_by == "fax";
    return FollowUp{FollowUp::Kind::kDone, {}, std::string(machine ? reason::kVoicemail : reason::kAnswered), {}};
  }
  const std::string what = std::string(to_string(call.status));
  if (call.error_code && permanent_call_error(*call.error_code)) {
    return FollowUp{FollowUp::Kind::kFailed, {}, std::string(reason::kCarrierRejected),
                    "the carrier ended the call with error " + std::to_string(*call.error_code) +
                        (call.error_message.empty() ? std::string() : ": " + call.error_message)};
  }
  const TimeZone* zone = customer_zone(customer, policy);
  if (attempts < policy.max_attempts) {
    const TimePoint retry = next_calling_moment(now + policy.retry_delay, zone, policy.hours);
    if (retry < appointment.start) {
      return FollowUp{FollowUp::Kind::kRetry, retry, "retry_after_" + what,
                      "call " + std::to_string(attempts) + " of " + std::to_string(policy.max_attempts) +
                          " ended " + what};
    }
  }
  if (policy.sms_fallback) {
    const TimePoint sms = next_calling_moment(now, zone, policy.hours);
    if (sms < appointment.start) {
      return FollowUp{FollowUp::Kind::kSms, sms, "sms_fallback",
                      std::to_string(attempts) + " call(s) unanswered; the last ended " + what};
    }
  }
  return FollowUp{FollowUp::Kind::kFailed, {}, std::string(reason::kNoAnswer),
                  std::to_string(attempts) + " call(s) made; the last ended " + what};
}

telephony::CallRequest call_request(const Appointment& appointment, const Customer& customer,
                                    const Endpoints& endpoints) {
  telephony::CallRequest r;
  r.to = customer.phone.str();
  r.from = endpoints.from;
  r.url = endpoints.server_api_url + "/voice/incoming-reminder?appointment_id=" + std::to_string(appointment.id);
  r.status_callback = endpoints.server_api_url + "/webhooks/twilio/status";
  r.status_callback_events = {"initiated", "ringing", "answered", "completed"};
  r.machine_detection = "Enable";
  return r;
}

std::string sms_text(const Appointment& appointment, const Customer& customer, const Policy& policy) {
  const TimeZone* zone = customer_zone(customer, policy);
  const auto local = date::make_zoned(zone, appointment.start);
  std::ostringstream text;
  text << policy.shop_name << ": ";
  if (!customer.first_name.empty()) text << "Hi " << customer.first_name << ", ";
  text << "a reminder of your " << (appointment.service_type.empty() ? "appointment" : appointment.service_type)
       << " appointment on " << date::format("%a %b %d at %I:%M %p", local)
       << ". Reply Y to confirm, N to cancel, R to reschedule.";
  if (policy.shop_phone) text << " Questions? Call " << policy.shop_phone->str() << '.';
  text << " Reply STOP to opt out.";
  return text.str();
}

std::chrono::seconds carrier_backoff(int failures) {
  const int exponent = std::clamp(failures - 1, 0, 5);
  return std::min(std::chrono::seconds{1 << exponent}, std::chrono::seconds{30});
}

}  // namespace autovoice::reminders
