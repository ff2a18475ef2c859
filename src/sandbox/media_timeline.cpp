#include "sandbox/media_timeline.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "telephony/base64.h"

namespace autovoice::sandbox {

namespace {

constexpr double kNanosPerFrame = 20'000'000.0;
constexpr std::size_t kCompactAfterBytes = std::size_t{64} * 1024;
constexpr std::string_view kMediaPrefix = R"({"event":"media","sequenceNumber":")";
constexpr std::string_view kAfterSequence = R"(","media":{"track":"inbound","chunk":")";
constexpr std::string_view kAfterChunk = R"(","timestamp":")";
constexpr std::string_view kAfterTimestamp = R"(","payload":")";
constexpr std::size_t kMaxDigits = 20;  // of a uint64_t

void append_decimal(std::string& out, uint64_t n) {
  std::array<char, kMaxDigits> digits{};
  auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), n);
  out.append(digits.data(), end);
}

}  // namespace

std::chrono::nanoseconds frame_due_after(uint64_t index, double speed) {
  return std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(index) * kNanosPerFrame / speed));
}

StreamTime stream_time_at(std::chrono::nanoseconds elapsed, double speed) {
  if (elapsed.count() <= 0) return StreamTime{0};
  return StreamTime(static_cast<int64_t>(static_cast<double>(elapsed.count()) * speed / 1000.0));
}

std::chrono::nanoseconds wall_offset_of(StreamTime t, double speed) {
  if (t.count() <= 0) return std::chrono::nanoseconds{0};
  auto ns = static_cast<int64_t>(std::ceil(static_cast<double>(t.count()) * 1000.0 / speed));
  // Floating-point rounding must not leave the result short of `t`.
  while (stream_time_at(std::chrono::nanoseconds(ns), speed) < t) ++ns;
  return std::chrono::nanoseconds(ns);
}

void CalleeAudio::append(std::span<const uint8_t> mulaw) {
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
  } else if (read_ >= kCompactAfterBytes && read_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), mulaw.begin(), mulaw.end());
}

std::size_t CalleeAudio::next_frame(std::span<uint8_t, telephony::kFrameBytes> frame) {
  const std::size_t n = std::min(frame.size(), queued_bytes());
  std::copy_n(buffer_.begin() + static_cast<std::ptrdiff_t>(read_), n, frame.begin());
  std::fill(frame.begin() + static_cast<std::ptrdiff_t>(n), frame.end(), telephony::kMulawSilence);
  read_ += n;
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
  }
  return n;
}

void Playback::append(std::size_t bytes, StreamTime now) {
  busy_until_ = std::max(busy_until_, now) + kTimePerMulawByte * static_cast<int64_t>(bytes);
  queued_total_ += bytes;
}

bool Playback::mark(std::string name, StreamTime now) {
  if (!playing(now) && marks_.empty()) return true;
  marks_.push_back(PendingMark{std::max(busy_until_, now), std::move(name)});
  return false;
}

std::optional<StreamTime> Playback::next_mark_due() const {
  if (marks_.empty()) return std::nullopt;
  return marks_.front().due;
}

std::string Playback::pop_mark() {
  assert(!marks_.empty());
  std::string name = std::move(marks_.front().name);
  marks_.pop_front();
  return name;
}

std::vector<std::string> Playback::take_due_marks(StreamTime now) {
  std::vector<std::string> out;
  while (!marks_.empty() && marks_.front().due <= now) out.push_back(pop_mark());
  return out;
}

Playback::Cleared Playback::clear(StreamTime now) {
  Cleared out;
  out.bytes = unplayed_bytes(now);
  cleared_total_ += out.bytes;
  busy_until_ = std::min(busy_until_, now);
  while (!marks_.empty()) out.marks.push_back(pop_mark());
  return out;
}

std::size_t Playback::unplayed_bytes(StreamTime now) const {
  if (!playing(now)) return 0;
  const int64_t left = (busy_until_ - now).count();
  const int64_t per_byte = kTimePerMulawByte.count();
  return static_cast<std::size_t>((left + per_byte - 1) / per_byte);
}

uint64_t Playback::played_bytes(StreamTime now) const {
  return queued_total_ - cleared_total_ - unplayed_bytes(now);
}

MediaFrameWriter::MediaFrameWriter(std::string_view stream_sid) {
  suffix_ = R"("},"streamSid":)";
  suffix_ += boost::json::serialize(boost::json::string(stream_sid));
  suffix_ += '}';
}

void MediaFrameWriter::write(std::string& out, uint64_t sequence_number, uint64_t chunk,
                             uint64_t timestamp_ms, std::span<const uint8_t> payload) const {
  out.clear();
  out.reserve(kMediaPrefix.size() + kAfterSequence.size() + kAfterChunk.size() +
              kAfterTimestamp.size() + 3 * kMaxDigits +
              telephony::base64_encoded_size(payload.size()) + suffix_.size());
  out += kMediaPrefix;
  append_decimal(out, sequence_number);
  out += kAfterSequence;
  append_decimal(out, chunk);
  out += kAfterChunk;
  append_decimal(out, timestamp_ms);
  out += kAfterTimestamp;
  telephony::base64_encode_append(payload, out);
  out += suffix_;
}

}  // namespace autovoice::sandbox
