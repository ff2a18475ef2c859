// Media-stream frames parsed and decoded end to end on one core: JSON text of a
// realistic Twilio media message (160-byte mu-law payload) -> MediaMessage ->
// 160 int16 samples. Target: >= 1,000,000 frames/s (Release).
//
//   scripts/build bench --target media_bench && build/bench/bench/media_bench
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "telephony/base64.h"
#include "telephony/media_stream.h"
#include "telephony/mulaw.h"

namespace {

using autovoice::telephony::MediaMessage;

std::string realistic_media_message() {
  std::vector<uint8_t> mulaw(autovoice::telephony::kFrameBytes);
  for (std::size_t i = 0; i < mulaw.size(); ++i) {
    const double s = 8000.0 * std::sin(2.0 * 3.14159265358979 * 440.0 * static_cast<double>(i) / 8000.0);
    mulaw[i] = autovoice::telephony::mulaw_encode(static_cast<int16_t>(s));
  }
  return R"({"event":"media","sequenceNumber":"1234","media":{"track":"inbound","chunk":"1233",)"
         R"("timestamp":"24660","payload":")" +
         autovoice::telephony::base64_encode(mulaw) +
         R"("},"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0"})";
}

void BM_MediaFrameParseDecode(benchmark::State& state) {
  const std::string text = realistic_media_message();
  autovoice::telephony::MediaStreamParser parser;
  std::array<int16_t, autovoice::telephony::kFrameBytes> pcm{};
  for (auto _ : state) {
    auto msg = parser.parse(text);
    if (!msg) {
      state.SkipWithError("parse failed");
      break;
    }
    const auto& media = std::get<MediaMessage>(*msg);
    autovoice::telephony::mulaw_decode(media.payload, pcm);
    benchmark::DoNotOptimize(pcm.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());  // frames
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}


void BM_MulawDecodeFrame(benchmark::State& state) {
  std::vector<uint8_t> frame(autovoice::telephony::kFrameBytes, 0x5A);
  std::array<int16_t, autovoice::telephony::kFrameBytes> pcm{};
  for (auto _ : state) {
    autovoice::telephony::mulaw_decode(frame, pcm);
    benchmark::DoNotOptimize(pcm.data());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_MediaFrameParseDecode);
BENCHMARK(BM_MulawDecodeFrame);
BENCHMARK_MAIN();
