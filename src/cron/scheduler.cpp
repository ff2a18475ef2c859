#include "cron/scheduler.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <spdlog/spdlog.h>

namespace autovoice {

namespace {

constexpr int kMaxCatchUpSteps = 1'000'000;  // bounds the walk over missed fires

std::string seconds_text(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

}  // namespace

std::string default_worker_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(::getpid());
}

Scheduler::Scheduler(Store& store, const Clock& clock, SchedulerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

void Scheduler::add_job(Job job) {
  jobs_.push_back(JobState{std::move(job), std::nullopt, false, std::nullopt});
}

FireEvent Scheduler::storage_error(JobState& state, TimePoint fire, TimePoint now, Error error) {
  spdlog::error("job {}: storage failed, trying again in {}: {}", state.job.name,
                seconds_text(options_.retry_after_error), error.message);
  state.retry_at = now + options_.retry_after_error;
  return FireEvent{state.job.name, fire, FireEvent::Kind::kStorageError, std::move(error)};
}

std::optional<TimePoint> Scheduler::latest_due(const JobState& state, TimePoint after,
                                               TimePoint now) const {
  std::optional<TimePoint> latest;
  auto next = state.job.schedule.next_after(after, state.job.zone);
  for (int steps = 0; next && *next <= now && steps < kMaxCatchUpSteps; ++steps) {
    latest = next;
    next = state.job.schedule.next_after(*next, state.job.zone);
  }
  return latest;
}

Status Scheduler::load(JobState& state, TimePoint now) {
  auto last = store_.last_finished_fire(state.job.name);
  if (!last) return std::move(last).error();
  // A job never run before starts with the next fire after now; otherwise the
  // first fire after the last finished one, which may already be due (missed).
  // (A fire due exactly now counts as not yet missed.)
  const TimePoint after = last->value_or(now - std::chrono::seconds{1});
  state.next_fire = state.job.schedule.next_after(after, state.job.zone);
  state.loaded = true;
  return ok_status();
}

std::optional<FireEvent> Scheduler::tick_job(JobState& state, TimePoint now) {
  const std::string& name = state.job.name;
  if (state.retry_at && *state.retry_at > now) return std::nullopt;
  if (!state.loaded) {
    if (auto s = load(state, now); !s) return storage_error(state, now, now, std::move(s).error());
  }
  if (!state.next_fire || *state.next_fire > now) return std::nullopt;

  // The latest fire time due now; earlier missed ones are never run.
  const TimePoint first_due = *state.next_fire;
  TimePoint fire = first_due;
  if (auto later = latest_due(state, first_due, now)) fire = *later;
  if (fire != first_due) {
    spdlog::warn("job {}: fires from {} to {} were missed; running only the latest", name,
                 format_utc(first_due), format_utc(fire));
  }
  const auto late = now - fire;
  if (late > options_.misfire_grace) {
    spdlog::warn("job {}: fire at {} missed by {}, beyond the misfire grace of {}; skipped", name,
                 format_utc(fire), seconds_text(late), seconds_text(options_.misfire_grace));
    Status recorded = store_.finish_fire(name, fire, options_.worker_id, FireOutcome::kSkipped,
                                         "missed by " + seconds_text(late), now);
    // A conflict means another worker ran or skipped it: nothing left to do.
    if (!recorded && recorded.error().code != ErrorCode::kConflict) {
      return storage_error(state, fire, now, std::move(recorded).error());
    }
    state.next_fire = state.job.schedule.next_after(now, state.job.zone);
    state.retry_at.reset();
    return FireEvent{name, fire, FireEvent::Kind::kSkippedMisfire, ok_status()};
  }

  auto claim = store_.claim_fire(name, fire, options_.worker_id, now, options_.lease);
  if (!claim) return storage_error(state, fire, now, std::move(claim).error());
  switch (claim->state) {
    case FireClaim::State::kDone:
      state.next_fire = state.job.schedule.next_after(fire, state.job.zone);
      state.retry_at.reset();
      return FireEvent{name, fire, FireEvent::Kind::kDoneElsewhere, ok_status()};
    case FireClaim::State::kHeldElsewhere:
      // Another worker is running it; look again when its lease would expire,
      // in case that worker dies.
      state.next_fire = fire;
      state.retry_at = claim->held_until;
      return FireEvent{name, fire, FireEvent::Kind::kDoneElsewhere, ok_status()};
    case FireClaim::State::kClaimed:
      break;
  }
  state.retry_at.reset();
  Status result = run_claimed(state, fire);
  state.next_fire = state.job.schedule.next_after(fire, state.job.zone);
  return FireEvent{name, fire, FireEvent::Kind::kRan, std::move(result)};
}

Status Scheduler::run_claimed(JobState& state, TimePoint fire) {
  const std::string& name = state.job.name;
  spdlog::info("job {}: running the fire of {}", name, format_utc(fire));
  // Renew the claim while the job runs, so no other worker takes it over.
  std::mutex renew_mutex;
  std::condition_variable renew_cv;
  bool finished = false;
  std::thread renewer([&] {
    std::unique_lock lock(renew_mutex);
    const auto every =
        std::max<std::chrono::milliseconds>(options_.lease / 3, std::chrono::milliseconds{10});
    while (!renew_cv.wait_for(lock, every, [&] { return finished; })) {
      if (auto s = store_.renew_fire(name, fire, options_.worker_id, clock_.now_seconds(),
                                     options_.lease);
          !s) {
        spdlog::warn("job {}: could not renew the claim on {}: {}", name, format_utc(fire),
                     s.error().message);
      }
    }
  });
  const auto started = clock_.steady_now();
  Status result = state.job.run ? state.job.run(fire, stop_.get_token())
                                : Status(Error::internal("job has no function"));
  {
    std::lock_guard lock(renew_mutex);
    finished = true;
  }
  renew_cv.notify_all();
  renewer.join();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady_now() - started);
  const FireOutcome outcome = result ? FireOutcome::kSucceeded : FireOutcome::kFailed;
  const std::string detail = result ? "ok" : result.error().message;
  if (result) {
    spdlog::info("job {}: fire of {} succeeded in {} ms", name, format_utc(fire), took.count());
  } else {
    spdlog::error("job {}: fire of {} failed after {} ms: {}", name, format_utc(fire), took.count(),
                  detail);
  }
  if (auto s =
          store_.finish_fire(name, fire, options_.worker_id, outcome, detail, clock_.now_seconds());
      !s) {
    spdlog::error("job {}: could not record the end of the fire of {}: {}", name, format_utc(fire),
                  s.error().message);
    if (result) return s;
  }
  return result;
}

std::vector<FireEvent> Scheduler::tick() {
  std::vector<FireEvent> events;
  for (auto& state : jobs_) {
    if (stop_.stop_requested()) break;
    if (auto event = tick_job(state, clock_.now_seconds())) events.push_back(std::move(*event));
  }
  return events;
}

std::optional<TimePoint> Scheduler::next_due() const {
  std::optional<TimePoint> earliest;
  for (const auto& state : jobs_) {
    TimePoint due{};
    if (!state.loaded) {
      due = state.retry_at.value_or(clock_.now_seconds());  // load it at once
    } else if (!state.next_fire) {
      continue;  // can never fire again
    } else {
      due = *state.next_fire;
      if (state.retry_at && *state.retry_at > due) due = *state.retry_at;
    }
    if (!earliest || due < *earliest) earliest = due;
  }
  return earliest;
}

void Scheduler::run() {
  std::stop_callback wake_on_stop(stop_.get_token(), [this] {
    std::lock_guard lock(wake_mutex_);
    wake_.notify_all();
  });
  while (!stop_.stop_requested()) {
    (void)tick();  // each event is logged where it happens
    if (options_.between_ticks && !stop_.stop_requested()) options_.between_ticks(stop_.get_token());
    const auto due = next_due();
    // Sleep towards the due time in slices, re-reading the wall clock, so that a
    // clock step or a suspend is noticed within max_sleep.
    std::unique_lock lock(wake_mutex_);
    while (!stop_.stop_requested()) {
      const auto now = clock_.now();
      if (due && now >= *due) break;
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_sleep);
      if (due) {
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(*due - now));
      }
      wake_.wait_for(lock, wait, [this] { return stop_.stop_requested(); });
      if (due && clock_.now() >= *due) break;
      if (!due) break;  // no job can fire: re-check after max_sleep
      if (options_.between_ticks) break;  // its work may be due: back to the loop
    }
  }
}

void Scheduler::stop() { stop_.request_stop(); }

bool run_until_signalled(Scheduler& scheduler, std::chrono::seconds grace) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);  // inherited by the loop's thread

  // Shared: a loop thread left behind after the grace may still finish later.
  auto finished = std::make_shared<std::promise<void>>();
  auto done = finished->get_future();
  std::thread loop([&scheduler, finished] {
    scheduler.run();
    finished->set_value();
  });
  const timespec poll{0, 200'000'000};
  while (done.wait_for(std::chrono::seconds{0}) != std::future_status::ready) {
    const int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("received {}; stopping (a running job has {} s to finish)",
                   sig == SIGINT ? "SIGINT" : "SIGTERM", grace.count());
      break;
    }
  }
  scheduler.stop();
  const bool in_time = done.wait_for(grace) == std::future_status::ready;
  if (in_time) {
    loop.join();
  } else {
    spdlog::error("the running job did not finish within {} s; exiting without it", grace.count());
    loop.detach();  // the process is about to exit
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return in_time;
}

}  // namespace autovoice
