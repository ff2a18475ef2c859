#include "telephony/mulaw.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <numbers>

namespace autovoice::telephony {
namespace {

TEST(MulawTest, DecodesTheG711ReferenceValues) {
  EXPECT_EQ(mulaw_decode(0xFF), 0);
  EXPECT_EQ(mulaw_decode(0x7F), 0);
  EXPECT_EQ(mulaw_decode(0x00), -32124);
  EXPECT_EQ(mulaw_decode(0x80), 32124);
  EXPECT_EQ(mulaw_decode(0xFE), 8);
  EXPECT_EQ(mulaw_decode(0x7E), -8);
}

TEST(MulawTest, EncodesSilenceAndClipsTheExtremes) {
  EXPECT_EQ(mulaw_encode(int16_t{0}), 0xFF);
  EXPECT_EQ(mulaw_encode(int16_t{32767}), 0x80);
  EXPECT_EQ(mulaw_encode(int16_t{-32768}), 0x00);
}

TEST(MulawTest, EveryCodeSurvivesDecodeThenEncode) {
  for (int code = 0; code < 256; ++code) {
    const auto byte = static_cast<uint8_t>(code);
    const uint8_t again = mulaw_encode(mulaw_decode(byte));
    // 0x7F (negative zero) decodes to 0, which encodes as 0xFF (positive zero).
    if (byte == 0x7F) {
      EXPECT_EQ(again, 0xFF);
    } else {
      EXPECT_EQ(again, byte) << "code " << code;
    }
  }
}

TEST(MulawTest, QuantisationErrorStaysWithinTheSegmentStep) {
  // G.711 steps double each segment; the error is at most half a step, and
  // a step is at most 1/16 of the magnitude plus the smallest step.
  for (int v = -32768; v <= 32767; v += 7) {
    const auto sample = static_cast<int16_t>(v);
    const int back = mulaw_decode(mulaw_encode(sample));
    const int magnitude = std::min(std::abs(v), 32124);
    const int bound = magnitude / 16 + 8;
    EXPECT_LE(std::abs(std::clamp(v, -32124, 32124) - back), bound) << "sample " << v;
  }
}

TEST(MulawTest, SplitsAudioInto20msFramesPaddingTheLastWithSilence) {
  std::vector<uint8_t> audio(350, 0x12);
  const auto frames = split_frames(audio);
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(frames[0][0], 0x12);
  EXPECT_EQ(frames[2][29], 0x12);  // 350 = 160 + 160 + 30
  EXPECT_EQ(frames[2][30], kMulawSilence);
  EXPECT_EQ(frames[2][159], kMulawSilence);
  EXPECT_TRUE(split_frames({}).empty());
}

std::vector<int16_t> sine(double hz, int rate, double seconds, double amplitude) {
  std::vector<int16_t> out(static_cast<std::size_t>(rate * seconds));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<int16_t>(amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate));
  }
  return out;
}

int zero_crossings(const std::vector<int16_t>& s) {
  int n = 0;
  for (std::size_t i = 1; i < s.size(); ++i) n += (s[i - 1] < 0) != (s[i] < 0) ? 1 : 0;
  return n;
}

int peak(const std::vector<int16_t>& s) {
  int p = 0;
  for (std::size_t i = s.size() / 10; i < s.size(); ++i) p = std::max(p, std::abs(static_cast<int>(s[i])));
  return p;
}

TEST(ResamplerTest, DownsamplingKeepsAToneItsFrequencyAndLoudness) {
  for (int rate : {16000, 22050, 44100}) {
    SCOPED_TRACE(rate);
    auto out = resample_to_call_rate(sine(440, rate, 1.0, 10000), rate);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->size(), 8000U);
    EXPECT_NEAR(zero_crossings(*out), 880, 4);
    EXPECT_NEAR(peak(*out), 10000, 800);
  }
}

TEST(ResamplerTest, DownsamplingRemovesToneAboveTheNewNyquistFrequency) {
  // 6 kHz cannot be represented at 8 kHz; the low-pass must take most of it out.
  auto out = resample_to_call_rate(sine(6000, 22050, 1.0, 10000), 22050);
  ASSERT_TRUE(out.ok());
  EXPECT_LT(peak(*out), 2500);
}

TEST(ResamplerTest, UpsamplingForSpeechRecognitionDoublesTheSamples) {
  const auto in = sine(440, 8000, 0.5, 8000);
  const auto out = upsample_call_to_16k(in);
  EXPECT_EQ(out.size(), 8000U);
  EXPECT_NEAR(zero_crossings(out), zero_crossings(in), 2);
}

TEST(ResamplerTest, RejectsRatesOutOfRange) {
  const std::vector<int16_t> in(100, 0);
  auto low = resample(in, 500, 8000);
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().field, "from_hz");
  auto high = resample(in, 8000, 400000);
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.error().field, "to_hz");
}

}  // namespace
}  // namespace autovoice::telephony
