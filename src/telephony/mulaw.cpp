#include "telephony/mulaw.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>

namespace autovoice::telephony {
namespace {

constexpr int kBias = 0x84;   // 132
constexpr int kClip = 32635;

constexpr int16_t decode_one(uint8_t byte) {
  const int u = static_cast<uint8_t>(~byte);
  const int sign = u & 0x80;
  const int exponent = (u >> 4) & 0x07;
  const int mantissa = u & 0x0F;
  const int magnitude = (((mantissa << 3) + kBias) << exponent) - kBias;
  return static_cast<int16_t>(sign != 0 ? -magnitude : magnitude);
}

constexpr std::array<int16_t, 256> make_table() {
  std::array<int16_t, 256> table{};
  for (int i = 0; i < 256; ++i) table[static_cast<std::size_t>(i)] = decode_one(static_cast<uint8_t>(i));
  return table;
}

constexpr int kMinRate = 1000;
constexpr int kMaxRate = 192000;
constexpr int kHalfTaps = 16;  // FIR length 2 * kHalfTaps + 1

int16_t clamp16(double v) {
  const double r = std::round(v);
  if (r > 32767.0) return 32767;
  if (r < -32768.0) return -32768;
  return static_cast<int16_t>(r);
}

// Windowed-sinc (Blackman) low-pass; `cutoff` in cycles per input sample (< 0.5).
std::vector<double> low_pass_taps(double cutoff) {
  std::vector<double> taps(2 * kHalfTaps + 1);
  double sum = 0.0;
  for (int k = -kHalfTaps; k <= kHalfTaps; ++k) {
    const double x = 2.0 * cutoff * k;
    const double sinc = k == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
    const double n = static_cast<double>(k + kHalfTaps) / (2.0 * kHalfTaps);
    const double window = 0.42 - 0.5 * std::cos(2.0 * std::numbers::pi * n) +
                          0.08 * std::cos(4.0 * std::numbers::pi * n);
    const double tap = 2.0 * cutoff * sinc * window;
    taps[static_cast<std::size_t>(k + kHalfTaps)] = tap;
    sum += tap;
  }
  for (auto& t : taps) t /= sum;  // unity gain at DC
  return taps;
}

std::vector<double> filter(std::span<const int16_t> in, const std::vector<double>& taps) {
  const auto n = static_cast<std::ptrdiff_t>(in.size());
  std::vector<double> out(in.size());
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    double acc = 0.0;
    for (std::ptrdiff_t k = -kHalfTaps; k <= kHalfTaps; ++k) {
      const std::ptrdiff_t j = std::clamp<std::ptrdiff_t>(i + k, 0, n - 1);  // edge: hold
      acc += taps[static_cast<std::size_t>(k + kHalfTaps)] * in[static_cast<std::size_t>(j)];
    }
    out[static_cast<std::size_t>(i)] = acc;
  }
  return out;
}

template <typename Sample>
std::vector<int16_t> interpolate(std::span<const Sample> in, int from_hz, int to_hz) {
  const auto out_len = static_cast<std::size_t>(static_cast<uint64_t>(in.size()) *
                                                static_cast<uint64_t>(to_hz) /
                                                static_cast<uint64_t>(from_hz));
  std::vector<int16_t> out(out_len);
  for (std::size_t i = 0; i < out_len; ++i) {
    const uint64_t num = static_cast<uint64_t>(i) * static_cast<uint64_t>(from_hz);
    const std::size_t idx = static_cast<std::size_t>(num / static_cast<uint64_t>(to_hz));
    const double frac = static_cast<double>(num % static_cast<uint64_t>(to_hz)) / to_hz;
    const double a = static_cast<double>(in[idx]);
    const double b = idx + 1 < in.size() ? static_cast<double>(in[idx + 1]) : a;
    out[i] = clamp16(a + (b - a) * frac);
  }
  return out;
}

}  // namespace

const std::array<int16_t, 256> kMulawToLinear = make_table();

uint8_t mulaw_encode(int16_t sample) {
  int x = sample;
  const int sign = x < 0 ? 0x80 : 0x00;
  if (x < 0) x = -x;
  if (x > kClip) x = kClip;
  x += kBias;
  // Exponent = position of the highest set bit among bits 7..14.
  int exponent = 7;
  for (int mask = 0x4000; (x & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  const int mantissa = (x >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

void mulaw_decode(std::span<const uint8_t> in, std::span<int16_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = kMulawToLinear[in[i]];
}

std::vector<int16_t> mulaw_decode(std::span<const uint8_t> in) {
  std::vector<int16_t> out(in.size());
  mulaw_decode(in, out);
  return out;
}

std::vector<uint8_t> mulaw_encode(std::span<const int16_t> in) {
  std::vector<uint8_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = mulaw_encode(in[i]);
  return out;
}

std::vector<MulawFrame> split_frames(std::span<const uint8_t> mulaw) {
  std::vector<MulawFrame> frames((mulaw.size() + kFrameBytes - 1) / kFrameBytes);
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const std::size_t begin = f * kFrameBytes;
    const std::size_t len = std::min(kFrameBytes, mulaw.size() - begin);
    std::memcpy(frames[f].data(), mulaw.data() + begin, len);
    std::fill(frames[f].begin() + static_cast<std::ptrdiff_t>(len), frames[f].end(),
              kMulawSilence);
  }
  return frames;
}

Result<std::vector<int16_t>> resample(std::span<const int16_t> in, int from_hz, int to_hz) {
  if (from_hz < kMinRate || from_hz > kMaxRate) {
    return Error::invalid("from_hz", "from_hz: " + std::to_string(from_hz) +
                                         " Hz is outside [1000, 192000]");
  }
  if (to_hz < kMinRate || to_hz > kMaxRate) {
    return Error::invalid("to_hz", "to_hz: " + std::to_string(to_hz) +
                                       " Hz is outside [1000, 192000]");
  }
  if (in.empty()) return std::vector<int16_t>{};
  if (from_hz == to_hz) return std::vector<int16_t>(in.begin(), in.end());
  if (to_hz > from_hz) return interpolate<int16_t>(in, from_hz, to_hz);
  const double cutoff = 0.9 * (static_cast<double>(to_hz) / 2.0) / from_hz;
  const std::vector<double> filtered = filter(in, low_pass_taps(cutoff));
  return interpolate<double>(std::span<const double>(filtered), from_hz, to_hz);
}

Result<std::vector<int16_t>> resample_to_call_rate(std::span<const int16_t> in, int from_hz) {
  return resample(in, from_hz, kCallSampleRate);
}

std::vector<int16_t> upsample_call_to_16k(std::span<const int16_t> in) {
  return interpolate<int16_t>(in, kCallSampleRate, 16000);
}

}  // namespace autovoice::telephony
