// ReminderJob: the reminder sweep, against the Store and the Carrier.
//
// A sweep for a cron fire:
//  1. settles stale claims: a reminder left dialling by a worker that died is
//     not dialled again before the carrier has been asked whether that call
//     exists (calls to the number since the claim): found, it is recorded;
//     not found, the reminder is dialled again;
//  2. follows up ended calls: answered (by a person or a machine) is done;
//     busy, no answer or failed is retried later or falls back to an SMS;
//     a call whose status never arrived is looked up at the carrier;
//  3. drops the pending reminders of cancelled and moved appointments;
//  4. plans the window's CONFIRMED appointments (policy.h decides: call now,
//     defer to calling hours, or skip with a reason), one durable reminder
//     each, unique per appointment and start time;
//  5. dials everything due: each reminder is claimed in the store before the
//     carrier is called (re-reading the appointment and customer), requests
//     are paced by the token bucket and run `concurrency` at a time, and the
//     call log is written with the call's SID at once. Retryable carrier
//     errors (429, 5xx, timeouts) are retried with backoff within the sweep;
//     a number the carrier rejects fails once and is not retried.
// Claims are what make this safe: a second sweep, a restarted worker or a
// second worker on the same PostgreSQL database never dials a reminder twice.
//
// tend() is the worker's pass between sweeps: steps 1, 2, 3 and 5 (deferred
// calls, retries and SMS fallbacks whose time has come).
//
// Thread safety: one sweep or tend at a time per ReminderJob.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "domain/clock.h"
#include "domain/result.h"
#include "reminders/policy.h"
#include "store/store.h"
#include "telephony/carrier.h"

namespace autovoice::reminders {

struct JobOptions {
  std::string worker_id;  // names this worker's claims
  Endpoints endpoints;
  double calls_per_second = 1.0;  // <= 0: no limit
  int concurrency = 32;           // carrier requests in flight at most
  // A claim older than this is presumed dead: the longest a carrier request
  // can take (its timeout) plus a margin.
  std::chrono::seconds settle{20};
  // A dialling claim's lease, for other workers (PostgreSQL): after it, the
  // claim may be taken over.
  std::chrono::seconds lease{60};
  // No other worker can be running (SQLite's exclusive worker lock): any
  // claim older than `settle` is dead, whatever its lease says.
  bool exclusive = false;
  // A call with no final status after this long is looked up at the carrier.
  std::chrono::seconds call_stale{600};
  // A sweep waits for reminders that fall due within this long of its end
  // (carrier backoffs, young stale claims); later ones are left to the worker.
  std::chrono::seconds horizon{120};
};

struct SweepSummary {
  std::optional<TimePoint> fire_time;  // unset for tend()
  std::optional<Interval> window;
  int found = 0;     // CONFIRMED appointments in the window
  int planned = 0;   // reminders to call now (new, or left pending by an earlier run)
  int called = 0;    // calls the carrier accepted (retries and calls found by settling included)
  int deferred = 0;  // waiting for calling hours
  std::map<std::string, int> skipped;  // by reason (already_reminded included)
  std::map<std::string, int> failed;   // by reason
  std::map<std::string, int> dropped;  // by reason
  int done = 0;               // reminders that ended well here (answered, voicemail, SMS sent)
  int retries_scheduled = 0;  // calls to be made again later
  int sms_sent = 0;
  int carrier_errors = 0;     // retryable carrier errors met (and retried)
  int settled = 0;            // stale claims settled (found at the carrier, or dialled again)
  std::chrono::milliseconds elapsed{0};
  std::string error;  // set when the sweep stopped early (the carrier refused our account or request)

  int skipped_total() const;
  int failed_total() const;
  int dropped_total() const;
  boost::json::object to_json() const;
};

struct Progress {
  int to_dial = 0;  // reminders due when dialling began
  int dialled = 0;  // reminders handled so far (called, failed, deferred, ...)
  int called = 0;
  int failed = 0;
  double calls_per_second = 0;  // calls accepted per second since dialling began
};
using ProgressFn = std::function<void(const Progress&)>;

// What a sweep would do for one appointment (preview()).
struct PreviewItem {
  Appointment appointment;
  Customer customer;
  Decision decision;
  bool already_reminded = false;  // a reminder beyond skipped exists for this start
};

class ReminderJob {
 public:
  // REQUIRES: store, carrier and clock outlive the job.
  ReminderJob(Store& store, telephony::Carrier& carrier, const Clock& clock, Policy policy, JobOptions options);

  // One sweep for the cron fire `fire_time` (steps 1-5). `stop` ends the
  // dialling early (requests in flight finish). Fails only when the store
  // fails; carrier trouble is in the summary.
  Result<SweepSummary> sweep(TimePoint fire_time, std::stop_token stop, const ProgressFn& progress = {});
  // The pass between sweeps (steps 1, 2, 3, 5).
  Result<SweepSummary> tend(std::stop_token stop, const ProgressFn& progress = {});
  // The decisions a sweep at `fire_time` would make now. Changes nothing.
  Result<std::vector<PreviewItem>> preview(TimePoint fire_time);

  struct Shared;  // state shared with the dialling threads

 private:
  // Settles the claims of workers that are gone; returns when to try again
  // for those the carrier could not be asked about (nullopt: none left).
  Result<std::optional<TimePoint>> settle_stale_claims(SweepSummary& summary);
  Status remember_pending_due(Shared& shared);
  Status follow_up_calls(SweepSummary& summary);
  Status drop_stale(SweepSummary& summary);
  Status plan(TimePoint fire_time, SweepSummary& summary);
  Status dial_due(SweepSummary& summary, std::stop_token stop, const ProgressFn& progress);

  Store& store_;
  telephony::Carrier& carrier_;
  const Clock& clock_;
  Policy policy_;
  JobOptions options_;
};

}  // namespace autovoice::reminders
