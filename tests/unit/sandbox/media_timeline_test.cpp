#include "sandbox/media_timeline.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>

#include "telephony/media_stream.h"

namespace autovoice::sandbox {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;
using telephony::kFrameBytes;
using telephony::kMulawSilence;

constexpr std::string_view kStream = "MZ18ad3ab5a668481ce02b83e7395059f0";

TEST(MediaTimelineTest, FramesAreDueEveryTwentyMillisecondsScaledBySpeed) {
  EXPECT_EQ(frame_due_after(0, 1.0), 0ns);
  EXPECT_EQ(frame_due_after(1, 1.0), 20ms);
  EXPECT_EQ(frame_due_after(50, 1.0), 1s);
  EXPECT_EQ(frame_due_after(1, 10.0), 2ms);
  EXPECT_EQ(frame_due_after(500, 10.0), 1s);
  EXPECT_EQ(frame_due_after(3, 3.0), 20ms);
}

TEST(MediaTimelineTest, FrameDeadlinesDoNotDriftOverAnHour) {
  // An awkward speed: each interval is not a whole number of nanoseconds.
  const double speed = 3.0;
  const uint64_t frames_per_hour = 3600 * 50;
  EXPECT_EQ(frame_due_after(frames_per_hour, speed), nanoseconds(1'200'000'000'000));
  for (uint64_t i = 1; i < 1000; ++i) {
    const auto gap = frame_due_after(i, speed) - frame_due_after(i - 1, speed);
    EXPECT_GE(gap, nanoseconds(6'666'666));
    EXPECT_LE(gap, nanoseconds(6'666'667));
  }
}

TEST(MediaTimelineTest, StreamTimeRunsSpeedTimesFasterThanTheWallClock) {
  EXPECT_EQ(stream_time_at(-5ms, 2.0), 0us);
  EXPECT_EQ(stream_time_at(0ns, 2.0), 0us);
  EXPECT_EQ(stream_time_at(1ms, 1.0), 1000us);
  EXPECT_EQ(stream_time_at(1ms, 10.0), 10000us);
  for (double speed : {1.0, 2.5, 3.0, 7.0, 10.0, 100.0}) {
    for (int64_t t : std::initializer_list<int64_t>{0, 1, 125, 999, 20000, 1234567, 3600000000}) {
      const StreamTime st(t);
      const nanoseconds wall = wall_offset_of(st, speed);
      EXPECT_GE(stream_time_at(wall, speed), st) << speed << " " << t;
      if (wall > 0ns) {
        EXPECT_LT(stream_time_at(wall - 1ns, speed), st) << speed << " " << t;
      }
    }
  }
}

TEST(MediaTimelineTest, CalleeAudioIsSilenceUntilAClipIsQueued) {
  CalleeAudio audio;
  std::array<uint8_t, kFrameBytes> frame{};
  frame.fill(0);
  EXPECT_EQ(audio.next_frame(frame), 0U);
  for (uint8_t b : frame) EXPECT_EQ(b, kMulawSilence);
}

TEST(MediaTimelineTest, CalleeClipsPlayInOrderAndTheLastFrameIsPaddedWithSilence) {
  CalleeAudio audio;
  std::vector<uint8_t> first(200);
  std::iota(first.begin(), first.end(), uint8_t{0});
  std::vector<uint8_t> second(100, 0x42);
  audio.append(first);
  audio.append(second);
  EXPECT_EQ(audio.queued_bytes(), 300U);
  std::array<uint8_t, kFrameBytes> frame{};

  EXPECT_EQ(audio.next_frame(frame), 160U);
  for (std::size_t i = 0; i < kFrameBytes; ++i) EXPECT_EQ(frame[i], first[i]);
  EXPECT_EQ(audio.next_frame(frame), 140U);  // the rest of the first clip, then the second
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(frame[i], first[160 + i]);
  for (std::size_t i = 40; i < 140; ++i) EXPECT_EQ(frame[i], 0x42);
  for (std::size_t i = 140; i < kFrameBytes; ++i) EXPECT_EQ(frame[i], kMulawSilence);
  EXPECT_EQ(audio.queued_bytes(), 0U);
  EXPECT_EQ(audio.next_frame(frame), 0U);
}

TEST(MediaTimelineTest, CalleeAudioQueuedWhilePlayingFollowsIt) {
  CalleeAudio audio;
  audio.append(std::vector<uint8_t>(kFrameBytes * 1000, 0x01));
  std::array<uint8_t, kFrameBytes> frame{};
  for (int i = 0; i < 600; ++i) ASSERT_EQ(audio.next_frame(frame), kFrameBytes);
  audio.append(std::vector<uint8_t>(kFrameBytes, 0x02));  // compacts the consumed part
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(audio.next_frame(frame), kFrameBytes);
    ASSERT_EQ(frame[0], 0x01);
  }
  ASSERT_EQ(audio.next_frame(frame), kFrameBytes);
  EXPECT_EQ(frame[0], 0x02);
  EXPECT_EQ(audio.queued_bytes(), 0U);
}

TEST(MediaTimelineTest, AMarkWithNothingQueuedIsAnsweredAtOnce) {
  Playback playback;
  EXPECT_TRUE(playback.mark("first", 0us));
  EXPECT_FALSE(playback.next_mark_due());
}

TEST(MediaTimelineTest, AMarkIsDueWhenTheAudioBeforeItHasPlayed) {
  Playback playback;
  playback.append(800, 1000us);  // 100 ms of audio from t = 1 ms
  EXPECT_TRUE(playback.playing(1000us));
  EXPECT_FALSE(playback.mark("after-greeting", 1000us));
  EXPECT_EQ(playback.next_mark_due(), StreamTime(101000));
  EXPECT_TRUE(playback.take_due_marks(100999us).empty());
  EXPECT_EQ(playback.take_due_marks(101000us), std::vector<std::string>{"after-greeting"});
  EXPECT_FALSE(playback.playing(101000us));
  EXPECT_EQ(playback.played_bytes(101000us), 800U);
}

TEST(MediaTimelineTest, AudioQueuedBehindPlayingAudioExtendsItAndMarksKeepTheirOrder) {
  Playback playback;
  playback.append(160, 0us);  // 20 ms
  EXPECT_FALSE(playback.mark("a", 0us));
  playback.append(160, 5000us);  // starts after the first: 20-40 ms
  EXPECT_FALSE(playback.mark("b", 5000us));
  EXPECT_FALSE(playback.mark("c", 6000us));  // no audio between b and c: due together
  EXPECT_EQ(playback.next_mark_due(), StreamTime(20000));
  EXPECT_EQ(playback.take_due_marks(20000us), std::vector<std::string>{"a"});
  EXPECT_EQ(playback.take_due_marks(45000us), (std::vector<std::string>{"b", "c"}));
}

TEST(MediaTimelineTest, AudioAfterASilentGapStartsWhenItArrives) {
  Playback playback;
  playback.append(80, 0us);      // 0-10 ms
  playback.append(80, 50000us);  // 50-60 ms
  EXPECT_EQ(playback.unplayed_bytes(50000us), 80U);
  EXPECT_EQ(playback.played_bytes(55000us), 120U);
  EXPECT_FALSE(playback.mark("m", 50000us));
  EXPECT_EQ(playback.next_mark_due(), StreamTime(60000));
}

TEST(MediaTimelineTest, AMarkBehindPendingMarksWaitsForThemEvenWhenNothingPlays) {
  Playback playback;
  playback.append(8, 0us);
  EXPECT_FALSE(playback.mark("a", 0us));
  // At 2 ms the audio is over but "a" has not been taken yet.
  EXPECT_FALSE(playback.mark("b", 2000us));
  EXPECT_EQ(playback.take_due_marks(2000us), (std::vector<std::string>{"a", "b"}));
}

TEST(MediaTimelineTest, ClearDropsUnplayedAudioAndAnswersEveryPendingMark) {
  Playback playback;
  playback.append(8000, 0us);  // one second
  EXPECT_FALSE(playback.mark("one", 0us));
  playback.append(8000, 0us);
  EXPECT_FALSE(playback.mark("two", 0us));
  const Playback::Cleared cleared = playback.clear(250000us);
  EXPECT_EQ(cleared.bytes, 16000U - 2000U);
  EXPECT_EQ(cleared.marks, (std::vector<std::string>{"one", "two"}));
  EXPECT_FALSE(playback.playing(250000us));
  EXPECT_EQ(playback.played_bytes(250000us), 2000U);
  EXPECT_EQ(playback.cleared_bytes(), 14000U);
  EXPECT_FALSE(playback.next_mark_due());
  // Playing resumes from the clear with whatever comes next.
  playback.append(80, 300000us);
  EXPECT_FALSE(playback.mark("three", 300000us));
  EXPECT_EQ(playback.next_mark_due(), StreamTime(310000));
}

TEST(MediaTimelineTest, ClearingNothingIsHarmless) {
  Playback playback;
  const Playback::Cleared cleared = playback.clear(5000us);
  EXPECT_EQ(cleared.bytes, 0U);
  EXPECT_TRUE(cleared.marks.empty());
  EXPECT_EQ(playback.played_bytes(5000us), 0U);
}

TEST(MediaTimelineTest, FrameWriterGivesTheBytesOfSerializeInbound) {
  const MediaFrameWriter writer(kStream);
  std::string out = "previous contents";
  std::vector<uint8_t> payload(kFrameBytes);
  std::iota(payload.begin(), payload.end(), uint8_t{7});
  struct Case {
    uint64_t sequence, chunk, timestamp;
    std::size_t bytes;
  };
  const Case cases[] = {{2, 1, 0, kFrameBytes},
                        {3, 2, 20, kFrameBytes},
                        {9223372036854775807ULL, 999999, 19999980, kFrameBytes},
                        {5, 4, 60, 0},
                        {6, 5, 80, 1}};
  for (const auto& c : cases) {
    const std::span<const uint8_t> bytes(payload.data(), c.bytes);
    writer.write(out, c.sequence, c.chunk, c.timestamp, bytes);
    telephony::MediaMessage m;
    m.sequence_number = c.sequence;
    m.stream_sid = std::string(kStream);
    m.track = "inbound";
    m.chunk = c.chunk;
    m.timestamp = c.timestamp;
    m.payload.assign(bytes.begin(), bytes.end());
    EXPECT_EQ(out, telephony::serialize_inbound(m));
    auto parsed = telephony::parse_inbound(out);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(*parsed, telephony::InboundMessage(m));
  }
}

TEST(MediaTimelineTest, FrameWriterEscapesAStrangeStreamSid) {
  const MediaFrameWriter writer("MZ\"quoted\"\\");
  std::string out;
  writer.write(out, 1, 1, 0, {});
  auto parsed = telephony::parse_inbound(out);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(std::get<telephony::MediaMessage>(*parsed).stream_sid, "MZ\"quoted\"\\");
}

TEST(MediaTimelineTest, FrameWriterReusesTheStringsStorage) {
  const MediaFrameWriter writer(kStream);
  std::string out;
  const std::vector<uint8_t> payload(kFrameBytes, kMulawSilence);
  writer.write(out, 1, 1, 0, payload);
  const char* storage = out.data();
  for (uint64_t i = 2; i < 100; ++i) {
    writer.write(out, i, i, i * 20, payload);
    EXPECT_EQ(out.data(), storage);
  }
}

}  // namespace
}  // namespace autovoice::sandbox
