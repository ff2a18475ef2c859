// Scheduler firing accuracy: with the real clock and a real SQLite database,
// how late after its due time does a job start? A job on "* * * * *" runs for
// AUTOVOICE_BENCH_FIRES fires (default 3, so up to 3 minutes); each fire's
// lateness is printed, then the worst. Target: within 50 ms.
//
//   scripts/build bench --target scheduler_bench && build/bench/bench/scheduler_bench
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#include "cron/scheduler.h"

int main() {
  using namespace autovoice;
  int fires = 3;
  if (const char* n = std::getenv("AUTOVOICE_BENCH_FIRES")) fires = std::max(1, std::atoi(n));
  const auto dir = std::filesystem::temp_directory_path() / ("autovoice-sched-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto store = open_store("sqlite://" + (dir / "bench.db").string());
    if (!store || !(*store)->migrate()) {
      std::cerr << "cannot open the benchmark database\n";
      return 1;
    }
    SystemClock clock;
    Scheduler scheduler(**store, clock, SchedulerOptions{"bench", std::chrono::hours{1}, std::chrono::seconds{60}});
    std::mutex mutex;
    std::vector<double> lateness_ms;
    scheduler.add_job(Job{"every-minute", *CronExpression::parse("* * * * *"), *find_time_zone("UTC"),
                          [&](TimePoint fire, std::stop_token) -> Status {
                            const auto late = std::chrono::duration<double, std::milli>(
                                std::chrono::system_clock::now() - fire);
                            std::lock_guard lock(mutex);
                            lateness_ms.push_back(late.count());
                            std::cout << "fire " << format_utc(fire) << " started " << late.count()
                                      << " ms after its due time" << std::endl;
                            if (static_cast<int>(lateness_ms.size()) >= fires) scheduler.stop();
                            return ok_status();
                          }});
    std::cout << "waiting for " << fires << " fires of '* * * * *' (up to " << fires << " minutes)" << std::endl;
    scheduler.run();
    double worst = 0;
    for (double l : lateness_ms) worst = std::max(worst, l);
    std::cout << "worst lateness over " << lateness_ms.size() << " fires: " << worst << " ms (target: 50 ms)\n";
  }
  std::filesystem::remove_all(dir);
  return 0;
}
