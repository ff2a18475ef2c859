// G.711 mu-law (ITU-T G.711, PCMU): the audio of a Twilio media stream is
// 8-bit mu-law, 8000 Hz, mono, sent in 20 ms frames of 160 bytes.
//
// Also the small amount of signal processing needed to feed TTS output into a
// call (resample to 8 kHz) and call audio into STT (8 kHz -> 16 kHz). Every
// function is pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "domain/result.h"

namespace autovoice::telephony {

inline constexpr int kCallSampleRate = 8000;        // Hz
inline constexpr std::size_t kFrameBytes = 160;     // 20 ms at 8 kHz, one byte a sample
inline constexpr uint8_t kMulawSilence = 0xFF;      // encodes linear 0

using MulawFrame = std::array<uint8_t, kFrameBytes>;

// The 256-entry decode table: kMulawToLinear[byte] is the linear sample.
extern const std::array<int16_t, 256> kMulawToLinear;

// Linear 16-bit PCM -> mu-law byte (G.711, magnitudes above 32635 clip).
uint8_t mulaw_encode(int16_t sample);
// Mu-law byte -> linear 16-bit PCM (range -32124..32124).
inline int16_t mulaw_decode(uint8_t byte) { return kMulawToLinear[byte]; }

// Decodes `in` into `out`. REQUIRES: out.size() >= in.size().
void mulaw_decode(std::span<const uint8_t> in, std::span<int16_t> out);
std::vector<int16_t> mulaw_decode(std::span<const uint8_t> in);
std::vector<uint8_t> mulaw_encode(std::span<const int16_t> in);

// Splits mu-law audio into 20 ms frames; the last frame is padded with
// kMulawSilence. Empty input gives no frames.
std::vector<MulawFrame> split_frames(std::span<const uint8_t> mulaw);

// Resamples mono 16-bit PCM from `from_hz` to `to_hz`. Downsampling first
// low-passes the input (windowed-sinc FIR, cutoff 0.9 x the output Nyquist
// frequency) then interpolates linearly; upsampling interpolates linearly.
// Output length is floor(in.size() * to_hz / from_hz).
// kInvalidArgument (field "from_hz" or "to_hz") unless both rates are within
// [1000, 192000] Hz.
Result<std::vector<int16_t>> resample(std::span<const int16_t> in, int from_hz, int to_hz);
// TTS output (e.g. 22050 or 16000 Hz) -> call rate (8000 Hz).
Result<std::vector<int16_t>> resample_to_call_rate(std::span<const int16_t> in, int from_hz);
// Call audio (8000 Hz) -> 16000 Hz for speech-to-text.
std::vector<int16_t> upsample_call_to_16k(std::span<const int16_t> in);

}  // namespace autovoice::telephony
