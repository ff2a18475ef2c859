// Text-to-speech cost for typical reminder-call prompts: espeak-ng synthesis
// to 8 kHz mu-law call audio (synthesis, resampling and encoding), the
// resampling and encoding alone, and a CachingTts hit.
//
//   scripts/build bench --target tts_bench && build/bench/bench/tts_bench
//
// For synthesis, `rtf` is the real-time factor (wall time to synthesise / play
// time of the audio; below 1 is faster than real time) and `audio_s` the play
// time of one prompt in seconds (Google Benchmark prints SI prefixes: rtf=1.4m
// is 0.0014). Synthesis is serialised process-wide (espeak-ng has global
// state), so these figures are also the process's throughput.
// Target: rtf <= 0.1, so a prompt is ready well before the caller would notice.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "conversation/espeak_tts.h"
#include "conversation/tts.h"
#include "telephony/mulaw.h"

namespace autovoice::conversation {
namespace {

constexpr char kGreeting[] = "Hello, this is Main Street Auto. This is an automated call.";
constexpr char kReminder[] =
    "Your Honda Civic is booked for an oil change and tire rotation tomorrow, Tuesday, "
    "March 3rd, at 9:30 AM.";
constexpr char kMenu[] =
    "Press 1 to confirm, 2 to reschedule, or 3 to cancel. Press 9 to stop these calls.";
constexpr char kGoodbye[] = "Thank you. Goodbye.";

EspeakTts& espeak() {
  static const auto tts = [] {
    auto created = EspeakTts::create();
    if (!created) {
      std::fprintf(stderr, "EspeakTts: %s\n", created.error().message.c_str());
      std::exit(1);
    }
    return std::move(*created);
  }();
  return *tts;
}

void BM_EspeakSynthesize(benchmark::State& state, const char* text) {
  EspeakTts& tts = espeak();
  double audio_seconds = 0;
  std::chrono::steady_clock::duration busy{};
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto audio = tts.synthesize(text);
    busy += std::chrono::steady_clock::now() - start;
    if (!audio) {
      state.SkipWithError(audio.error().message.c_str());
      break;
    }
    audio_seconds += static_cast<double>(audio->mulaw.size()) / telephony::kCallSampleRate;
    benchmark::DoNotOptimize(audio->mulaw.data());
  }
  if (state.iterations() == 0 || audio_seconds == 0) return;
  state.counters["audio_s"] = audio_seconds / static_cast<double>(state.iterations());
  state.counters["rtf"] = std::chrono::duration<double>(busy).count() / audio_seconds;
}

// espeak-ng's 22050 Hz output -> 8000 Hz mu-law, for 3 s of audio.
void BM_CallAudioConversion(benchmark::State& state) {
  constexpr int kRate = 22050;
  std::vector<int16_t> pcm(3 * kRate);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = static_cast<int16_t>(
        8000.0 * std::sin(2.0 * std::numbers::pi * 220.0 * static_cast<double>(i) / kRate));
  }
  for (auto _ : state) {
    auto resampled = telephony::resample_to_call_rate(pcm, kRate);
    auto mulaw = telephony::mulaw_encode(*resampled);
    benchmark::DoNotOptimize(mulaw.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pcm.size()));  // input samples
}

// A prompt already in the cache: lookup, LRU update and a copy of the audio (~12 KB).
void BM_CachingTtsHit(benchmark::State& state) {
  CachingTts tts(espeak());
  if (!tts.synthesize(kGoodbye).ok()) {
    state.SkipWithError("synthesis failed");
    return;
  }
  for (auto _ : state) {
    auto audio = tts.synthesize(kGoodbye);
    benchmark::DoNotOptimize(audio->mulaw.data());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(BM_EspeakSynthesize, greeting, kGreeting)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EspeakSynthesize, reminder, kReminder)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EspeakSynthesize, menu, kMenu)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EspeakSynthesize, goodbye, kGoodbye)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CallAudioConversion)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CachingTtsHit);

}  // namespace autovoice::conversation

BENCHMARK_MAIN();
