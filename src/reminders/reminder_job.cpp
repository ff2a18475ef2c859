#include "reminders/reminder_job.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "config/logging.h"
#include "reminders/rate_limiter.h"

namespace autovoice::reminders {

namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

constexpr int kFollowUpBatch = 1000;
constexpr int kPlanChunk = 500;
constexpr int kMaxClaimBatch = 64;
// How far before its claim a call found at the carrier may have started
// (clock differences between us and the carrier).
constexpr std::chrono::seconds kClockSlack{60};
// After a failed attempt to settle a claim (the carrier could not be asked).
constexpr std::chrono::seconds kSettleRetry{5};
constexpr auto kProgressEvery = std::chrono::seconds{1};

json::object counts_json(const std::map<std::string, int>& counts) {
  json::object out;
  for (const auto& [key, n] : counts) out[key] = n;
  return out;
}

int total(const std::map<std::string, int>& counts) {
  int n = 0;
  for (const auto& [key, count] : counts) n += count;
  return n;
}

std::string masked(const Customer& c) { return c.phone.masked(); }

}  // namespace

int SweepSummary::skipped_total() const { return total(skipped); }
int SweepSummary::failed_total() const { return total(failed); }
int SweepSummary::dropped_total() const { return total(dropped); }

json::object SweepSummary::to_json() const {
  json::object o;
  if (fire_time) o["fire_time"] = format_utc(*fire_time);
  if (window) o["window"] = {{"from", format_utc(window->begin)}, {"to", format_utc(window->end)}};
  o["found"] = found;
  o["planned"] = planned;
  o["called"] = called;
  o["deferred"] = deferred;
  o["skipped"] = counts_json(skipped);
  o["skipped_total"] = skipped_total();
  o["failed"] = counts_json(failed);
  o["failed_total"] = failed_total();
  o["dropped"] = counts_json(dropped);
  o["done"] = done;
  o["retries_scheduled"] = retries_scheduled;
  o["sms_sent"] = sms_sent;
  o["carrier_errors"] = carrier_errors;
  o["settled"] = settled;
  o["elapsed_ms"] = elapsed.count();
  if (!error.empty()) o["error"] = error;
  return o;
}

// What the dispatcher and the dialling threads share while a batch of claims
// is dialled: the summary, the count in flight, and when the dispatcher
// should look again for reminders put back for later.
struct ReminderJob::Shared {
  std::mutex mutex;
  std::condition_variable changed;
  SweepSummary* summary = nullptr;  // GUARDED_BY(mutex)
  int in_flight = 0;                // GUARDED_BY(mutex)
  int handled = 0;                  // GUARDED_BY(mutex)
  // GUARDED_BY(mutex); when the reminders this process put back for later
  // (carrier backoffs, claims to settle again) fall due.
  std::multiset<TimePoint> due_times;
  std::string fatal;                  // GUARDED_BY(mutex)
  std::unordered_map<ReminderId, int> carrier_failures;  // GUARDED_BY(mutex); consecutive, per reminder

  template <typename F>
  void update(F&& f) {
    std::lock_guard lock(mutex);
    f(*summary);
  }
  void due_again(TimePoint t) {
    std::lock_guard lock(mutex);
    due_times.insert(t);
  }
  // The earliest of those still ahead of `now`; the ones already due are
  // forgotten (claiming finds them).
  std::optional<TimePoint> next_due_after(TimePoint now) {
    due_times.erase(due_times.begin(), due_times.upper_bound(now));
    if (due_times.empty()) return std::nullopt;
    return *due_times.begin();
  }
};

namespace {

// One claim's work on a dialling thread: what the carrier is asked and what
// is recorded. Everything here is for one reminder; the Shared state is the
// only thing it touches beyond the Store and the Carrier.
class ClaimHandler {
 public:
  ClaimHandler(Store& store, telephony::Carrier& carrier, const Clock& clock, const Policy& policy,
               const JobOptions& options, ReminderJob::Shared& shared)
      : store_(store), carrier_(carrier), clock_(clock), policy_(policy), options_(options), shared_(shared) {}

  // A fresh claim: checked again, then called (or texted).
  void dial(const ReminderClaim& claim) {
    const Reminder& r = claim.reminder;
    const TimePoint now = clock_.now_seconds();
    if (auto why = reminder_stale_reason(claim.appointment, r.appointment_start)) {
      if (move(r, ReminderState::kDropped, *why, "", now)) shared_.update([&](SweepSummary& s) { ++s.dropped[*why]; });
      return;
    }
    const Decision d = decide(claim.appointment, claim.customer, now, policy_);
    if (d.kind == Decision::Kind::kSkip) {
      if (d.reason == reason::kTestNumberOnly) warn_test_number(claim);
      if (move(r, ReminderState::kSkipped, d.reason, "", now)) {
        shared_.update([&](SweepSummary& s) { ++s.skipped[d.reason]; });
      }
      return;
    }
    if (d.kind == Decision::Kind::kDefer) {
      if (move(r, ReminderState::kPending, r.reason, "waiting for calling hours", now, d.due_at)) {
        shared_.update([](SweepSummary& s) { ++s.deferred; });
      }
      return;
    }
    if (r.channel == ReminderChannel::kSms) {
      text(claim, now);
      return;
    }
    auto call = carrier_.create_call(call_request(claim.appointment, claim.customer, options_.endpoints));
    if (call) {
      record_call(claim, call->sid, CallStatus::kInitiated);
      return;
    }
    carrier_error(claim, call.error());
  }

  // A claim that will not be dialled now (the sweep is stopping): back to
  // pending, due at once.
  void release(const ReminderClaim& claim) {
    const TimePoint now = clock_.now_seconds();
    move(claim.reminder, ReminderState::kPending, claim.reminder.reason, claim.reminder.detail, now, now);
  }

  // A claim whose request may have reached the carrier (a worker died, or
  // the answer never came): the carrier is asked for calls to the number
  // since the claim that nobody has logged. One is the call: it is recorded.
  // None: the reminder is put back to be dialled again.
  void settle(const ReminderClaim& claim) {
    const Reminder& r = claim.reminder;
    const TimePoint now = clock_.now_seconds();
    if (r.channel == ReminderChannel::kSms) {
      // The carrier's message list is not consulted: an SMS in doubt is not
      // sent again (at most one).
      if (move(r, ReminderState::kFailed, std::string(reason::kOutcomeUnknown),
               "the SMS request's outcome is unknown; it is not sent again", now)) {
        shared_.update([](SweepSummary& s) {
          ++s.failed[std::string(reason::kOutcomeUnknown)];
          ++s.settled;
        });
      }
      return;
    }
    telephony::CallFilter filter;
    filter.to = claim.customer.phone.str();
    const TimePoint since = r.claimed_at.value_or(now) - kClockSlack;
    filter.started_after = since;
    auto calls = carrier_.list_calls(filter);
    if (!calls) {
      LogEvent("cannot settle a claim: the carrier's call list failed")
          .field("reminder", r.id)
          .field("error", std::string_view(calls.error().message))
          .log(spdlog::level::warn);
      if (!calls.error().retryable()) fatal(calls.error().message);
      shared_.due_again(now + kSettleRetry);  // the claim stays; settled again later
      return;
    }
    for (const telephony::CallInfo& call : *calls) {
      if (call.start_time && *call.start_time < since) continue;
      auto logged = store_.call_log_by_sid(call.sid);
      if (logged) continue;  // another reminder's (or another attempt's) call
      if (logged.error().code != ErrorCode::kNotFound) {
        store_failure("look a call up", logged.error());
        return;
      }
      LogEvent("settled a claim: the call exists").field("reminder", r.id).field("call_sid", std::string_view(call.sid))
          .log(spdlog::level::info);
      auto status = parse_call_status(call.status);
      shared_.update([](SweepSummary& s) { ++s.settled; });
      record_call(claim, call.sid, status ? *status : CallStatus::kInitiated);
      return;
    }
    LogEvent("settled a claim: no call was placed; dialling again").field("reminder", r.id).log(spdlog::level::info);
    if (move(r, ReminderState::kPending, r.reason, "", now, now)) {
      shared_.update([](SweepSummary& s) { ++s.settled; });
      shared_.due_again(now);
    }
  }

 private:
  void record_call(const ReminderClaim& claim, const std::string& sid, CallStatus status) {
    CallLog log;
    log.call_sid = sid;
    log.customer_id = claim.customer.id;
    log.appointment_id = claim.appointment.id;
    log.direction = CallDirection::kOutbound;
    log.status = status;
    log.intent = std::string(kReminderIntent);
    log.from = options_.endpoints.from;
    log.to = claim.customer.phone.str();
    ReminderAttempt attempt{claim.reminder.id, options_.worker_id, std::move(log), ReminderState::kCalling, ""};
    auto recorded = store_.record_reminder_attempt(attempt, clock_.now_seconds());
    if (!recorded) {
      // The call is placed but not recorded: the claim stays, and settling it
      // later finds the call at the carrier instead of dialling again.
      store_failure("record a placed call", recorded.error());
      return;
    }
    {
      std::lock_guard lock(shared_.mutex);
      shared_.carrier_failures.erase(claim.reminder.id);
    }
    shared_.update([](SweepSummary& s) { ++s.called; });
  }

  void text(const ReminderClaim& claim, TimePoint now) {
    telephony::SmsRequest request;
    request.to = claim.customer.phone.str();
    request.from = options_.endpoints.from;
    request.body = sms_text(claim.appointment, claim.customer, policy_);
    auto sent = carrier_.send_sms(request);
    if (!sent) {
      if (sent.error().outcome_unknown) {
        settle(claim);
        return;
      }
      if (sent.error().retryable()) {
        retry_later(claim, sent.error(), now);
        return;
      }
      if (move(claim.reminder, ReminderState::kFailed, std::string(reason::kSmsFailed), sent.error().message, now)) {
        shared_.update([](SweepSummary& s) { ++s.failed[std::string(reason::kSmsFailed)]; });
      }
      return;
    }
    CallLog log;
    log.call_sid = sent->sid;
    log.customer_id = claim.customer.id;
    log.appointment_id = claim.appointment.id;
    log.direction = CallDirection::kOutbound;
    log.status = CallStatus::kQueued;
    log.intent = std::string(kSmsIntent);
    log.from = options_.endpoints.from;
    log.to = claim.customer.phone.str();
    ReminderAttempt attempt{claim.reminder.id, options_.worker_id, std::move(log), ReminderState::kDone,
                            std::string(reason::kSmsSent)};
    auto recorded = store_.record_reminder_attempt(attempt, clock_.now_seconds());
    if (!recorded) {
      store_failure("record a sent SMS", recorded.error());
      return;
    }
    shared_.update([](SweepSummary& s) {
      ++s.sms_sent;
      ++s.done;
    });
  }

  void carrier_error(const ReminderClaim& claim, const telephony::CarrierError& error) {
    const TimePoint now = clock_.now_seconds();
    if (error.outcome_unknown) {
      shared_.update([](SweepSummary& s) { ++s.carrier_errors; });
      settle(claim);
      return;
    }
    if (error.retryable()) {
      retry_later(claim, error, now);
      return;
    }
    if (number_rejected(error)) {
      LogEvent("the carrier rejected the number; not retried")
          .field("reminder", claim.reminder.id)
          .field("to", masked(claim.customer))
          .field("twilio_code", error.twilio_code)
          .log(spdlog::level::warn);
      if (move(claim.reminder, ReminderState::kFailed, std::string(reason::kInvalidNumber), error.message, now)) {
        shared_.update([](SweepSummary& s) { ++s.failed[std::string(reason::kInvalidNumber)]; });
      }
      return;
    }
    // The account, the From number or our URLs are wrong: every call would
    // fail alike. The reminder waits, due at once, for the fix.
    move(claim.reminder, ReminderState::kPending, claim.reminder.reason, error.message, now, now);
    fatal(error.message);
  }

  void retry_later(const ReminderClaim& claim, const telephony::CarrierError& error, TimePoint now) {
    int failures = 0;
    {
      std::lock_guard lock(shared_.mutex);
      failures = ++shared_.carrier_failures[claim.reminder.id];
    }
    const TimePoint due = now + carrier_backoff(failures);
    if (move(claim.reminder, ReminderState::kPending, claim.reminder.reason, error.message, now, due)) {
      shared_.update([](SweepSummary& s) { ++s.carrier_errors; });
      shared_.due_again(due);
    }
  }

  // Moves a claimed reminder; false when it was not ours to move (another
  // worker settled it) or the store failed (logged).
  bool move(const Reminder& r, ReminderState to, std::string reason_text, std::string detail, TimePoint now,
            TimePoint due_at = {}) {
    ReminderTransition t;
    t.id = r.id;
    t.from = ReminderState::kDialling;
    t.worker = options_.worker_id;
    t.to = to;
    t.due_at = due_at;
    t.reason = std::move(reason_text);
    t.detail = detail.substr(0, 2000);
    auto moved = store_.transition_reminder(t, now);
    if (moved) return true;
    if (moved.error().code != ErrorCode::kConflict) store_failure("update a reminder", moved.error());
    return false;
  }

  void warn_test_number(const ReminderClaim& claim) {
    LogEvent("YOUR_TEST_NUMBER is set: not calling another number")
        .field("reminder", claim.reminder.id)
        .field("to", masked(claim.customer))
        .log(spdlog::level::warn);
  }

  void fatal(const std::string& message) {
    std::lock_guard lock(shared_.mutex);
    if (shared_.fatal.empty()) shared_.fatal = message;
  }

  void store_failure(std::string_view what, const Error& error) {
    LogEvent("store failure").field("doing", what).field("error", std::string_view(error.message))
        .log(spdlog::level::err);
    fatal("the database failed: " + error.message);
  }

  Store& store_;
  telephony::Carrier& carrier_;
  const Clock& clock_;
  const Policy& policy_;
  const JobOptions& options_;
  ReminderJob::Shared& shared_;
};

// `concurrency` threads taking claims off a queue.
class DialPool {
 public:
  using Task = std::function<void()>;

  DialPool(int threads, ReminderJob::Shared& shared) : shared_(shared) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this](std::stop_token stop) { loop(stop); });
    }
  }
  ~DialPool() {
    for (auto& t : threads_) t.request_stop();
    queue_changed_.notify_all();
  }

  void submit(Task task) {
    {
      std::lock_guard lock(shared_.mutex);
      ++shared_.in_flight;
    }
    {
      std::lock_guard lock(queue_mutex_);
      queue_.push_back(std::move(task));
    }
    queue_changed_.notify_one();
  }

 private:
  void loop(std::stop_token stop) {
    while (true) {
      Task task;
      {
        std::unique_lock lock(queue_mutex_);
        if (!queue_changed_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
      {
        std::lock_guard lock(shared_.mutex);
        --shared_.in_flight;
        ++shared_.handled;
      }
      shared_.changed.notify_all();
    }
  }

  ReminderJob::Shared& shared_;
  std::mutex queue_mutex_;
  std::condition_variable_any queue_changed_;
  std::deque<Task> queue_;
  std::vector<std::jthread> threads_;  // last: joined first, while the queue still exists
};

// The window's CONFIRMED appointments, each customer read once, and what
// decide() says of each now: what a sweep plans and a dry run shows.
struct WindowDecisions {
  std::vector<Appointment> appointments;
  std::vector<Decision> decisions;  // one per appointment
  std::unordered_map<CustomerId, Customer> customers;

  const Customer& customer_of(const Appointment& a) const { return customers.at(a.customer_id); }
};

Result<WindowDecisions> decide_window(Store& store, const Policy& policy, Interval window, TimePoint now) {
  WindowDecisions out;
  auto appointments = store.appointments_starting(AppointmentStatus::kConfirmed, window.begin, window.end);
  if (!appointments) return std::move(appointments).error();
  out.appointments = std::move(*appointments);
  out.decisions.reserve(out.appointments.size());
  for (const Appointment& a : out.appointments) {
    auto it = out.customers.find(a.customer_id);
    if (it == out.customers.end()) {
      auto c = store.customer(a.customer_id);
      if (!c) return std::move(c).error();
      it = out.customers.emplace(a.customer_id, std::move(*c)).first;
    }
    out.decisions.push_back(decide(a, it->second, now, policy));
  }
  return out;
}

// Calls f(reminder) for every reminder `q` selects, a page at a time.
template <typename F>
Status for_each_reminder(Store& store, ReminderQuery q, F&& f) {
  constexpr int kPage = 10000;
  for (int offset = 0;; offset += kPage) {
    q.page = Page{kPage, offset};
    auto page = store.list_reminders(q);
    if (!page) return std::move(page).error();
    for (const Reminder& r : *page) f(r);
    if (static_cast<int>(page->size()) < kPage) return ok_status();
  }
}

void sleep_until(TimePoint t, const Clock& clock, std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  while (!stop.stop_requested()) {
    const auto now = clock.now();
    if (now >= t) return;
    const auto wait = std::min<std::chrono::system_clock::duration>(t - now, std::chrono::milliseconds{200});
    cv.wait_for(lock, stop, wait, [] { return false; });
  }
}

}  // namespace

ReminderJob::ReminderJob(Store& store, telephony::Carrier& carrier, const Clock& clock, Policy policy,
                         JobOptions options)
    : store_(store), carrier_(carrier), clock_(clock), policy_(std::move(policy)), options_(std::move(options)) {
  options_.concurrency = std::max(1, options_.concurrency);
}

Result<SweepSummary> ReminderJob::sweep(TimePoint fire_time, std::stop_token stop, const ProgressFn& progress) {
  const auto started = clock_.steady_now();
  SweepSummary summary;
  summary.fire_time = fire_time;
  summary.window = reminder_window(fire_time, policy_);
  for (auto step : {&ReminderJob::follow_up_calls, &ReminderJob::drop_stale}) {
    if (auto s = (this->*step)(summary); !s) return std::move(s).error();
  }
  if (auto s = settle_stale_claims(summary); !s) return std::move(s).error();
  if (auto s = plan(fire_time, summary); !s) return std::move(s).error();
  if (auto s = dial_due(summary, stop, progress); !s) return std::move(s).error();
  summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady_now() - started);
  return summary;
}

Result<SweepSummary> ReminderJob::tend(std::stop_token stop, const ProgressFn& progress) {
  const auto started = clock_.steady_now();
  SweepSummary summary;
  if (auto s = follow_up_calls(summary); !s) return std::move(s).error();
  if (auto s = drop_stale(summary); !s) return std::move(s).error();
  if (auto s = settle_stale_claims(summary); !s) return std::move(s).error();
  if (auto s = dial_due(summary, stop, progress); !s) return std::move(s).error();
  summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady_now() - started);
  return summary;
}

Result<std::optional<TimePoint>> ReminderJob::settle_stale_claims(SweepSummary& summary) {
  const TimePoint now = clock_.now_seconds();
  std::optional<TimePoint> before;
  if (options_.exclusive) before = now - options_.settle;
  auto claims = store_.take_over_stale_claims(options_.worker_id, now, options_.lease, before);
  if (!claims) return std::move(claims).error();
  if (claims->empty()) return std::optional<TimePoint>{};
  LogEvent("settling claims left by a worker that stopped")
      .field("count", static_cast<std::int64_t>(claims->size()))
      .log(spdlog::level::info);
  Shared shared;
  shared.summary = &summary;
  {
    DialPool pool(std::min<int>(options_.concurrency, static_cast<int>(claims->size())), shared);
    ClaimHandler handler(store_, carrier_, clock_, policy_, options_, shared);
    for (const ReminderClaim& claim : *claims) {
      pool.submit([&handler, &claim] { handler.settle(claim); });
    }
    std::unique_lock lock(shared.mutex);
    shared.changed.wait(lock, [&] { return shared.in_flight == 0; });
  }
  if (!shared.fatal.empty() && summary.error.empty()) summary.error = shared.fatal;
  // Claims the carrier could not be asked about stay; they are settled again then.
  return shared.next_due_after(now);
}

Status ReminderJob::follow_up_calls(SweepSummary& summary) {
  for (;;) {
    const TimePoint now = clock_.now_seconds();
    auto batch = store_.calls_to_follow_up(now - options_.call_stale, kFollowUpBatch);
    if (!batch) return std::move(batch).error();
    for (AwaitedCall& item : *batch) {
      const Reminder& r = item.reminder;
      ReminderTransition t;
      t.id = r.id;
      t.from = ReminderState::kCalling;
      t.call_sid = r.call_sid;
      std::optional<CallLog> call = std::move(item.call);
      if (!call || !is_final(call->status)) {
        // No final status after call_stale: the callbacks were lost (the
        // server was down?). Ask the carrier.
        auto info = carrier_.fetch_call(r.call_sid);
        std::optional<CallStatus> status;
        if (info) {
          if (auto parsed = parse_call_status(info->status)) status = *parsed;
        }
        if (!status || !is_final(*status)) {
          t.to = ReminderState::kCalling;  // waits again, from now
          t.reason = r.reason;
          t.detail = info ? "the call has not ended yet" : "the carrier could not say how the call ended: " + info.error().message;
          if (auto moved = store_.transition_reminder(t, now); !moved && moved.error().code != ErrorCode::kConflict) {
            return std::move(moved).error();
          }
          continue;
        }
        CallStatusUpdate update;
        update.call_sid = r.call_sid;
        update.status = *status;
        update.timestamp = info->end_time;
        update.duration_seconds = info->duration_seconds;
        update.answered_by = info->answered_by;
        update.error_code = info->error_code;
        update.error_message = info->error_message;
        update.from = info->from;
        update.to = info->to;
        auto applied = store_.apply_call_status(update, now);
        if (!applied) return std::move(applied).error();
        call = std::move(applied->log);
      }
      auto appointment = store_.appointment(r.appointment_id);
      if (!appointment) return std::move(appointment).error();
      auto customer = store_.customer(r.customer_id);
      if (!customer) return std::move(customer).error();
      std::string counted;
      if (auto why = reminder_stale_reason(*appointment, r.appointment_start)) {
        t.to = ReminderState::kDropped;
        t.reason = *why;
      } else {
        const FollowUp f = after_call(*call, r.attempts, *appointment, *customer, now, policy_);
        t.reason = f.reason;
        t.detail = f.detail;
        switch (f.kind) {
          case FollowUp::Kind::kDone:
            t.to = ReminderState::kDone;
            break;
          case FollowUp::Kind::kRetry:
            t.to = ReminderState::kPending;
            t.due_at = f.due_at;
            break;
          case FollowUp::Kind::kSms:
            t.to = ReminderState::kPending;
            t.channel = ReminderChannel::kSms;
            t.due_at = f.due_at;
            break;
          case FollowUp::Kind::kFailed:
            t.to = ReminderState::kFailed;
            break;
        }
      }
      auto moved = store_.transition_reminder(t, now);
      if (!moved) {
        if (moved.error().code == ErrorCode::kConflict) continue;  // another worker followed it up
        return std::move(moved).error();
      }
      switch (t.to) {
        case ReminderState::kDone: ++summary.done; break;
        case ReminderState::kPending: ++summary.retries_scheduled; break;
        case ReminderState::kFailed: ++summary.failed[t.reason]; break;
        case ReminderState::kDropped: ++summary.dropped[t.reason]; break;
        default: break;
      }
    }
    if (static_cast<int>(batch->size()) < kFollowUpBatch) return ok_status();
  }
}

Status ReminderJob::drop_stale(SweepSummary& summary) {
  auto dropped = store_.drop_stale_reminders(clock_.now_seconds());
  if (!dropped) return std::move(dropped).error();
  for (const Reminder& r : *dropped) ++summary.dropped[r.reason];
  return ok_status();
}

Status ReminderJob::plan(TimePoint fire_time, SweepSummary& summary) {
  const Interval window = reminder_window(fire_time, policy_);
  const TimePoint now = clock_.now_seconds();
  auto decided = decide_window(store_, policy_, window, now);
  if (!decided) return std::move(decided).error();
  summary.found = static_cast<int>(decided->appointments.size());
  std::vector<ReminderPlan> plans;
  plans.reserve(decided->appointments.size());
  for (std::size_t i = 0; i < decided->appointments.size(); ++i) {
    const Appointment& a = decided->appointments[i];
    const Decision& d = decided->decisions[i];
    ReminderPlan p;
    p.appointment_id = a.id;
    p.appointment_start = a.start;
    p.customer_id = a.customer_id;
    p.state = d.kind == Decision::Kind::kSkip ? ReminderState::kSkipped : ReminderState::kPending;
    p.due_at = d.kind == Decision::Kind::kDefer ? d.due_at : now;
    p.reason = d.reason;
    plans.push_back(std::move(p));
  }
  for (std::size_t begin = 0; begin < plans.size(); begin += kPlanChunk) {
    const std::size_t n = std::min<std::size_t>(kPlanChunk, plans.size() - begin);
    auto written = store_.plan_reminders(std::span<const ReminderPlan>(plans).subspan(begin, n), now);
    if (!written) return std::move(written).error();
    for (std::size_t i = 0; i < n; ++i) {
      const PlannedReminder& result = (*written)[i];
      const ReminderPlan& p = plans[begin + i];
      if (!result.written) {
        if (result.reminder.state == ReminderState::kPending) {
          // Left pending by an earlier run (a stop, a crash, a deferral): it goes on.
          if (result.reminder.due_at > now) {
            ++summary.deferred;
          } else {
            ++summary.planned;
          }
        } else {
          ++summary.skipped[std::string(reason::kAlreadyReminded)];
        }
        continue;
      }
      switch (decided->decisions[begin + i].kind) {
        case Decision::Kind::kCall: ++summary.planned; break;
        case Decision::Kind::kDefer: ++summary.deferred; break;
        case Decision::Kind::kSkip:
          ++summary.skipped[p.reason];
          if (p.reason == reason::kTestNumberOnly) {
            LogEvent("YOUR_TEST_NUMBER is set: not calling another number")
                .field("appointment", p.appointment_id)
                .field("to", masked(decided->customers.at(p.customer_id)))
                .log(spdlog::level::warn);
          }
          break;
      }
    }
  }
  LogEvent("planned reminders")
      .field("window_from", format_utc(window.begin))
      .field("window_to", format_utc(window.end))
      .field("found", summary.found)
      .field("to_call", summary.planned)
      .field("deferred", summary.deferred)
      .field("skipped", summary.skipped_total())
      .log(spdlog::level::info);
  return ok_status();
}

Status ReminderJob::dial_due(SweepSummary& summary, std::stop_token stop, const ProgressFn& progress) {
  Shared shared;
  shared.summary = &summary;
  TokenBucket bucket(options_.calls_per_second);
  const auto began = clock_.steady_now();
  auto last_progress = began;
  const int to_dial = summary.planned;
  const auto report = [&](bool force) {
    if (!progress) return;
    const auto now = clock_.steady_now();
    if (!force && now - last_progress < kProgressEvery) return;
    last_progress = now;
    Progress p;
    {
      std::lock_guard lock(shared.mutex);
      p.to_dial = to_dial;
      p.dialled = shared.handled;
      p.called = summary.called;
      p.failed = summary.failed_total();
    }
    const double seconds = std::chrono::duration<double>(now - began).count();
    p.calls_per_second = seconds > 0 ? p.called / seconds : 0;
    progress(p);
  };

  std::optional<Error> store_error;
  // When the claims the carrier could not be asked about are tried again.
  std::optional<TimePoint> settle_not_before;
  // Reminders put back by earlier runs (carrier backoffs) that fall due within
  // the horizon are waited for like this run's own.
  if (auto s = remember_pending_due(shared); !s) return s;
  {
    ClaimHandler handler(store_, carrier_, clock_, policy_, options_, shared);
    // Started at the first claim: the worker's pass every few seconds mostly
    // finds nothing due, and then starts no threads.
    std::optional<DialPool> pool;
    while (!stop.stop_requested()) {
      int free_slots = 0;
      {
        std::unique_lock lock(shared.mutex);
        shared.changed.wait(lock, [&] { return shared.in_flight < options_.concurrency || !shared.fatal.empty(); });
        if (!shared.fatal.empty()) break;
        free_slots = options_.concurrency - shared.in_flight;
      }
      report(false);
      // Paced: one claim at a time, each dialled when its token comes.
      const int want = bucket.unlimited() ? std::min(free_slots, kMaxClaimBatch) : 1;
      const TimePoint now = clock_.now_seconds();
      auto claims = store_.claim_due_reminders(options_.worker_id, now, options_.lease, want);
      if (!claims) {
        store_error = std::move(claims).error();
        break;
      }
      if (!claims->empty()) {
        for (ReminderClaim& claim : *claims) {
          if (!bucket.take(stop)) {
            handler.release(claim);  // stopping: it waits, due, for the next run
            continue;
          }
          if (!pool) pool.emplace(options_.concurrency, shared);
          // The task owns its claim, so memory does not grow with the sweep.
          pool->submit([&handler, held = std::move(claim)] { handler.dial(held); });
        }
        continue;
      }
      // Nothing due now. Calls in flight may put reminders back (carrier
      // errors); otherwise wait for what falls due within the horizon.
      std::optional<TimePoint> next;
      {
        std::unique_lock lock(shared.mutex);
        if (shared.in_flight > 0) {
          shared.changed.wait_for(lock, std::chrono::milliseconds{50});
          continue;
        }
        next = shared.next_due_after(now);
      }
      auto young = store_.list_reminders(ReminderQuery{ReminderState::kDialling, std::nullopt, std::nullopt,
                                                       std::nullopt, Page{1000, 0}});
      if (!young) {
        store_error = std::move(young).error();
        break;
      }
      for (const Reminder& r : *young) {
        // A claim of a worker that died: it can be settled once it is old enough.
        TimePoint settle_at = options_.exclusive && r.claimed_at ? *r.claimed_at + options_.settle
                                                                : r.lease_until.value_or(now);
        if (settle_not_before) settle_at = std::max(settle_at, *settle_not_before);
        if (!next || settle_at < *next) next = settle_at;
      }
      if (!next || *next > now + options_.horizon) break;
      if (*next > now) sleep_until(*next, clock_, stop);
      auto settled = settle_stale_claims(summary);
      if (!settled) {
        store_error = std::move(settled).error();
        break;
      }
      settle_not_before = *settled;
    }
    std::unique_lock lock(shared.mutex);
    shared.changed.wait(lock, [&] { return shared.in_flight == 0; });
  }
  report(true);
  if (store_error) return *store_error;
  if (!shared.fatal.empty() && summary.error.empty()) summary.error = shared.fatal;
  return ok_status();
}

Status ReminderJob::remember_pending_due(Shared& shared) {
  const TimePoint now = clock_.now_seconds();
  ReminderQuery q;
  q.state = ReminderState::kPending;
  return for_each_reminder(store_, q, [&](const Reminder& r) {
    if (r.due_at > now && r.due_at <= now + options_.horizon) shared.due_again(r.due_at);
  });
}

Result<std::vector<PreviewItem>> ReminderJob::preview(TimePoint fire_time) {
  const Interval window = reminder_window(fire_time, policy_);
  // The reminders already made for the window, by appointment and start.
  std::map<std::pair<AppointmentId, TimePoint>, ReminderState> existing;
  ReminderQuery q;
  q.from = window.begin;
  q.to = window.end;
  if (auto s = for_each_reminder(store_, q, [&](const Reminder& r) {
        existing[{r.appointment_id, r.appointment_start}] = r.state;
      });
      !s) {
    return std::move(s).error();
  }
  auto decided = decide_window(store_, policy_, window, clock_.now_seconds());
  if (!decided) return std::move(decided).error();
  std::vector<PreviewItem> out;
  out.reserve(decided->appointments.size());
  for (std::size_t i = 0; i < decided->appointments.size(); ++i) {
    Appointment& a = decided->appointments[i];
    PreviewItem item;
    item.decision = decided->decisions[i];
    auto found = existing.find({a.id, a.start});
    item.already_reminded = found != existing.end() && found->second != ReminderState::kSkipped &&
                            found->second != ReminderState::kPending;
    item.customer = decided->customer_of(a);
    item.appointment = std::move(a);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace autovoice::reminders
