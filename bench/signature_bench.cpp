// X-Twilio-Signature validation throughput for a realistic call status
// callback (17 parameters, as Twilio posts to /api/v1/webhooks/twilio/status).
//
//   cmake -S . -B build-sig-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTOVOICE_TESTS=OFF
//   cmake --build build-sig-rel --target signature_bench && ./build-sig-rel/bench/signature_bench
//
// items_per_second is validations per second on one core. Target: at least
// 500,000 validations per second of this callback.
#include <benchmark/benchmark.h>

#include <string>

#include "telephony/form.h"
#include "telephony/signature.h"

namespace autovoice::telephony {
namespace {

constexpr std::string_view kToken = "9f2c1e0b7a6d4c3b2a1908f7e6d5c4b3";
constexpr std::string_view kUrl = "https://autovoice.example-shop.com/api/v1/webhooks/twilio/status";
constexpr std::string_view kUrlWithPort =
    "https://autovoice.example-shop.com:443/api/v1/webhooks/twilio/status";

FormParams status_callback() {
  return {{"AccountSid", "AC0123456789abcdef0123456789abcdef"},
          {"ApiVersion", "2010-04-01"},
          {"AnsweredBy", "human"},
          {"CallDuration", "47"},
          {"CallSid", "CAfedcba9876543210fedcba9876543210"},
          {"CallStatus", "completed"},
          {"Called", "+15551234567"},
          {"Caller", "+15557654321"},
          {"CallbackSource", "call-progress-events"},
          {"Direction", "outbound-api"},
          {"Duration", "1"},
          {"From", "+15557654321"},
          {"SequenceNumber", "3"},
          {"SipResponseCode", "200"},
          {"Timestamp", "Tue, 14 Apr 2026 09:00:47 +0000"},
          {"To", "+15551234567"},
          {"ToCountry", "US"}};
}

// Signature over the decoded parameters (the handler has already parsed the body).
void validate_decoded(benchmark::State& state) {
  const FormParams params = status_callback();
  const std::string header = compute_signature(kToken, kUrl, params);
  for (auto _ : state) {
    bool ok = validate_signature(kToken, kUrl, params, header);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("signature did not validate");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(validate_decoded);

// The whole check from the raw body: decode the form, then validate.
void decode_and_validate(benchmark::State& state) {
  const FormParams params = status_callback();
  const std::string body = encode_form(params);
  const std::string header = compute_signature(kToken, kUrl, params);
  state.SetLabel(std::to_string(body.size()) + "-byte body");
  for (auto _ : state) {
    const auto decoded = decode_form(body);
    bool ok = decoded.ok() && validate_signature(kToken, kUrl, *decoded, header);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("signature did not validate");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(decode_and_validate);

// Slow path: Twilio signed the URL with ":443", the server knows it without,
// so the first HMAC misses and the port variant is built and checked.
void validate_port_variant(benchmark::State& state) {
  const FormParams params = status_callback();
  const std::string header = compute_signature(kToken, kUrlWithPort, params);
  for (auto _ : state) {
    bool ok = validate_signature(kToken, kUrl, params, header);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("signature did not validate");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(validate_port_variant);

// Form decoding alone.
void decode_only(benchmark::State& state) {
  const std::string body = encode_form(status_callback());
  for (auto _ : state) {
    auto decoded = decode_form(body);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(decode_only);

}  // namespace
}  // namespace autovoice::telephony
BENCHMARK_MAIN();
