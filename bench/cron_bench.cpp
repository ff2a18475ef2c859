// CronExpression throughput: next_after in America/New_York and parse.
//
//   scripts/build bench --target cron_bench && build/bench/bench/cron_bench
//
// items_per_second is calls per second on one core. Target: at least 1,000,000
// next_after calls per second for both expressions.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

#include "cron/cron_expression.h"

namespace autovoice {
namespace {

constexpr const char* kDaily = "0 9 * * *";
constexpr const char* kBusinessHours = "*/5 9-17 * * MON-FRI";

TimePoint sweep_start() { return date::sys_days{date::year{2026} / 1 / 1}; }
TimePoint sweep_end() { return date::sys_days{date::year{2036} / 1 / 1}; }

// Successive fire times, as the scheduler asks for them: each call starts
// from the previous result (crossing DST changes twice a year).
void next_after_sweep(benchmark::State& state, const char* text) {
  const auto expr = CronExpression::parse(text);
  if (!expr) {
    state.SkipWithError(expr.error().message.c_str());
    return;
  }
  const TimeZone* zone = date::locate_zone("America/New_York");
  TimePoint t = sweep_start();
  for (auto _ : state) {
    auto next = expr->next_after(t, zone);
    benchmark::DoNotOptimize(next);
    t = next && *next < sweep_end() ? *next : sweep_start();
  }
  state.SetItemsProcessed(state.iterations());
}

// Unrelated starting instants over ten years: every call may need a new
// offset period from the tz database.
void next_after_scattered(benchmark::State& state, const char* text) {
  const auto expr = CronExpression::parse(text);
  if (!expr) {
    state.SkipWithError(expr.error().message.c_str());
    return;
  }
  const TimeZone* zone = date::locate_zone("America/New_York");
  std::array<TimePoint, 4096> starts;
  std::mt19937_64 random(42);
  const auto span = (sweep_end() - sweep_start()).count();
  for (auto& s : starts) {
    s = sweep_start() + std::chrono::seconds{
                            static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(span))};
  }
  std::size_t i = 0;
  for (auto _ : state) {
    auto next = expr->next_after(starts[i], zone);
    benchmark::DoNotOptimize(next);
    i = (i + 1) % starts.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void parse(benchmark::State& state, const char* text) {
  for (auto _ : state) {
    auto expr = CronExpression::parse(text);
    benchmark::DoNotOptimize(expr);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(next_after_sweep, daily, kDaily);
BENCHMARK_CAPTURE(next_after_sweep, business_hours, kBusinessHours);
BENCHMARK_CAPTURE(next_after_scattered, daily, kDaily);
BENCHMARK_CAPTURE(next_after_scattered, business_hours, kBusinessHours);
BENCHMARK_CAPTURE(parse, daily, kDaily);
BENCHMARK_CAPTURE(parse, business_hours, kBusinessHours);
BENCHMARK_CAPTURE(parse, extensions, "0,30 8-18/2 1,15,L JAN-MAR,oct * ");
BENCHMARK_CAPTURE(parse, macro, "@weekly");

}  // namespace
}  // namespace autovoice

BENCHMARK_MAIN();
