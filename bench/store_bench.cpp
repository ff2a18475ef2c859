// Storage benchmark: bulk-loads appointments spread over a year, then measures
// "CONFIRMED appointments starting within one given local day" (the reminder
// job's query) for random days, on SQLite and, when a server is given, on
// PostgreSQL. Run it through bench/run-store-bench, which starts PostgreSQL.
//
//   AUTOVOICE_BENCH_APPOINTMENTS   how many appointments (default 1000000)
//   AUTOVOICE_BENCH_POSTGRES_URL   a PostgreSQL server to load as well (optional)
//
// Figures: the load rate (appointments/s) is printed per backend, and for a
// 100,000-row load into a fresh SQLite file; each query
// benchmark reports p50_ms and p99_ms over single queries, and rows per query.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli/seed.h"
#include "store/store.h"

namespace {

using autovoice::AppointmentStatus;
using autovoice::Store;
using autovoice::TimePoint;

struct LoadedStore {
  std::string name;
  std::unique_ptr<Store> store;
  TimePoint start;
  int days = 365;
};

std::vector<LoadedStore>& stores() {
  static std::vector<LoadedStore> loaded;
  return loaded;
}

// A fixed start so the data are the same run after run: 2026-01-01 UTC.
constexpr std::int64_t kStartEpoch = 1767225600;

bool load(const std::string& name, const std::string& url, std::size_t count) {
  auto opened = autovoice::open_store(url);
  if (!opened) {
    std::cerr << name << ": " << opened.error().message << '\n';
    return false;
  }
  auto store = std::move(*opened);
  if (auto m = store->migrate(); !m) {
    std::cerr << name << ": " << m.error().message << '\n';
    return false;
  }
  const TimePoint start{std::chrono::seconds{kStartEpoch}};
  std::cerr << name << ": loading " << count << " appointments over 365 days\n";
  auto report = autovoice::seed_bulk(*store, count, 365, start, 42, [&](std::size_t done, std::size_t total) {
    if (done % 200000 == 0 || done == total) std::cerr << "  " << done << "/" << total << '\n';
  });
  if (!report) {
    std::cerr << name << ": " << report.error().message << '\n';
    return false;
  }
  std::cout << name << " bulk load: " << report->appointments << " appointments at "
            << static_cast<long>(report->appointments_per_second) << " appointments/s\n";
  stores().push_back({name, std::move(store), start, 365});
  return true;
}

void query_one_local_day(benchmark::State& state, LoadedStore* loaded) {
  const auto* zone = *autovoice::find_time_zone("America/New_York");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick_day(1, loaded->days - 2);
  const date::year_month_day first = autovoice::local_date(loaded->start, zone);
  std::vector<double> latencies_ms;
  std::size_t rows = 0;
  for (auto _ : state) {
    const date::year_month_day day{date::sys_days{first} + date::days{pick_day(rng)}};
    const auto bounds = autovoice::local_day(day, zone);
    const auto t0 = std::chrono::steady_clock::now();
    auto result = loaded->store->appointments_starting(AppointmentStatus::kConfirmed, bounds.begin, bounds.end);
    const auto t1 = std::chrono::steady_clock::now();
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    rows += result->size();
    benchmark::DoNotOptimize(result->data());
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  if (latencies_ms.empty()) return;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  state.counters["p50_ms"] = latencies_ms[latencies_ms.size() / 2];
  state.counters["p99_ms"] = latencies_ms[latencies_ms.size() * 99 / 100];
  state.counters["rows_per_query"] = static_cast<double>(rows) / static_cast<double>(latencies_ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 1'000'000;
  if (const char* n = std::getenv("AUTOVOICE_BENCH_APPOINTMENTS")) count = std::stoul(n);
  const auto dir = std::filesystem::temp_directory_path() / ("autovoice-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // The load rate falls as the indexes grow (random-order inserts into four
  // B-trees), so a 100,000-row load into a fresh file is reported on its own.
  bool ok = load("sqlite-100k", "sqlite://" + (dir / "small.db").string(), 100'000);
  stores().clear();
  ok = load("sqlite", "sqlite://" + (dir / "bench.db").string(), count) && ok;
  if (const char* pg = std::getenv("AUTOVOICE_BENCH_POSTGRES_URL"); pg != nullptr && *pg != '\0') {
    ok = load("postgres", pg, count) && ok;
  }
  for (auto& loaded : stores()) {
    benchmark::RegisterBenchmark(("ConfirmedInOneLocalDay/" + loaded.name).c_str(), query_one_local_day, &loaded)
        ->Iterations(2000)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  stores().clear();
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
