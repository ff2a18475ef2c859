// Scheduler: runs jobs on their cron schedules, durably and exactly once per
// fire time, with a clock that tests move.
//
// Each job has a CronExpression, a time zone and a function. The scheduler
// keeps, in the Store, one row per (job, fire time): a worker claims the row
// before running the fire and records its outcome after. So:
//  - a fire time runs on exactly one worker, however many share a PostgreSQL
//    database (the claim is a unique row; a claim held by a worker that died
//    expires with its lease and is taken over);
//  - a worker that was down at a fire time and starts within the misfire grace
//    runs the missed fire once — the latest one, however many were missed;
//    beyond the grace it logs the skip, records it, and waits for the next;
//  - the same holds after the wall clock jumps forward (suspend, NTP step): the
//    loop re-reads the wall clock at least every `max_sleep`; after a jump
//    backwards it waits for the wall clock to reach the next fire time, and a
//    fire time already run is never run again;
//  - one job never runs twice at once: jobs run one at a time on the loop's
//    thread, and fires missed while a job ran follow the misfire rule.
//
// Thread safety: add_job() before run(); stop() from any thread; tick() and
// run() from one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "cron/cron_expression.h"
#include "domain/clock.h"
#include "domain/result.h"
#include "store/store.h"

namespace autovoice {

// Runs one fire. `stop` is requested when the worker is shutting down: a long
// job should finish what it is doing and return.
using JobFunction = std::function<Status(TimePoint fire_time, std::stop_token stop)>;

struct Job {
  std::string name;
  CronExpression schedule;
  const TimeZone* zone = nullptr;
  JobFunction run;
};

struct SchedulerOptions {
  std::string worker_id;  // e.g. "host:pid"; names the claim holder
  std::chrono::seconds misfire_grace{3600};
  std::chrono::seconds lease{60};  // renewed every lease/3 while a job runs
  std::chrono::milliseconds max_sleep{1000};
  // After a storage error the fire is tried again this much later.
  std::chrono::seconds retry_after_error{5};
  // Called by run() on its thread after every tick, at least every max_sleep,
  // for work that runs between fires (the reminder job's retries and
  // deferred calls). It runs one at a time with the jobs, never beside them.
  std::function<void(std::stop_token)> between_ticks;
};

// "host:pid", the default worker id.
std::string default_worker_id();

// What tick() did, one entry per fire it dealt with.
struct FireEvent {
  enum class Kind {
    kRan,             // ran here; `status` is the job's result
    kSkippedMisfire,  // missed by more than the grace; not run
    kDoneElsewhere,   // another worker ran it (or is running it)
    kStorageError,    // the Store failed (`status`); tried again after retry_after_error
  };
  std::string job;
  TimePoint fire_time;
  Kind kind;
  Status status;
};

class Scheduler {
 public:
  Scheduler(Store& store, const Clock& clock, SchedulerOptions options);

  // REQUIRES: run()/tick() not started. The job's name is its key in the Store.
  void add_job(Job job);

  // Deals with every job due at the clock's current time: at most one fire
  // per job (the latest due one, per the misfire rule). Storage errors are
  // returned in the events' status and the fire is tried again next tick.
  std::vector<FireEvent> tick();

  // The earliest time a job is next due; nullopt when no job can fire again.
  std::optional<TimePoint> next_due() const;

  // Loops tick() and sleeps until stop() is called; returns then (after the
  // running job, if any, returns).
  void run();
  // Asks run() to return and running jobs to finish. Safe from any thread.
  void stop();
  std::stop_token stop_token() const { return stop_.get_token(); }

 private:
  struct JobState {
    Job job;
    std::optional<TimePoint> next_fire;  // nullopt until loaded from the Store
    bool loaded = false;
    std::optional<TimePoint> retry_at;  // held elsewhere, or a storage error: look again then
  };
  Status load(JobState& state, TimePoint now);
  std::optional<FireEvent> tick_job(JobState& state, TimePoint now);
  // The latest fire time in (after, now], if any.
  std::optional<TimePoint> latest_due(const JobState& state, TimePoint after, TimePoint now) const;
  Status run_claimed(JobState& state, TimePoint fire);
  FireEvent storage_error(JobState& state, TimePoint fire, TimePoint now, Error error);

  Store& store_;
  const Clock& clock_;
  SchedulerOptions options_;
  std::vector<JobState> jobs_;
  std::stop_source stop_;
  std::mutex wake_mutex_;
  std::condition_variable_any wake_;
};

// Runs scheduler.run() until SIGINT or SIGTERM arrives (or stop() is called),
// then asks it to stop and waits up to `grace` for a running job to return.
// Returns true when it stopped within the grace. Blocks SIGINT and SIGTERM in
// the calling thread and the threads it starts; call it from main() before
// starting other threads.
bool run_until_signalled(Scheduler& scheduler, std::chrono::seconds grace);

}  // namespace autovoice
