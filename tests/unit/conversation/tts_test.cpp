#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "conversation/tts.h"
#include "support/fake_tts.h"
#include "telephony/mulaw.h"

namespace autovoice::conversation {
namespace {

using namespace std::chrono_literals;
using autovoice::testing::FakeTts;

Audio speak(Tts& tts, std::string_view text) {
  auto audio = tts.synthesize(text);
  EXPECT_TRUE(audio.ok()) << "\"" << text << "\": " << (audio.ok() ? "" : audio.error().message);
  return audio.ok() ? std::move(*audio) : Audio{};
}

// Polls `done` every millisecond for up to 10 s; used only to line threads up.
bool eventually(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(AudioTest, DurationIsEightSamplesAMillisecond) {
  EXPECT_EQ(Audio{}.duration(), 0ms);
  EXPECT_EQ(Audio{std::vector<uint8_t>(8000, telephony::kMulawSilence)}.duration(), 1000ms);
  EXPECT_EQ(Audio{std::vector<uint8_t>(167, telephony::kMulawSilence)}.duration(), 20ms);
}

TEST(TtsTextTest, RefusesEmptyWhitespaceAndNulText) {
  for (const std::string_view text : {std::string_view(""), std::string_view("   "),
                                      std::string_view(" \t\r\n"), std::string_view("a\0b", 3)}) {
    const Status s = check_tts_text(text);
    ASSERT_FALSE(s.ok()) << "\"" << text << "\"";
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.error().field, "text");
  }
  EXPECT_TRUE(check_tts_text(" Yes. ").ok());
}

// --- CachingTts --------------------------------------------------------------

TEST(CachingTtsTest, AnswersARepeatedTextFromTheCache) {
  FakeTts fake;
  CachingTts tts(fake);
  const Audio first = speak(tts, "Press 1 to confirm.");
  const Audio second = speak(tts, "Press 1 to confirm.");
  EXPECT_EQ(first, FakeTts::tone_for("Press 1 to confirm."));
  EXPECT_EQ(second, first);
  EXPECT_EQ(fake.calls(), 1u);
  const TtsCacheStats stats = tts.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes, std::string_view("Press 1 to confirm.").size() + first.mulaw.size());
}

TEST(CachingTtsTest, KeysOnTheExactText) {
  FakeTts fake;
  CachingTts tts(fake);
  speak(tts, "Goodbye.");
  speak(tts, "goodbye.");
  speak(tts, "Goodbye. ");
  EXPECT_EQ(fake.calls(), 3u);
  EXPECT_EQ(tts.stats().hits, 0u);
  EXPECT_EQ(tts.stats().entries, 3u);
}

TEST(CachingTtsTest, EvictsTheLeastRecentlyUsedToStayWithinItsBytes) {
  FakeTts fake;
  const std::size_t charge = 4 + FakeTts::tone_for("aaaa").mulaw.size();
  CachingTts tts(fake, 2 * charge + charge / 2);  // room for two entries
  speak(tts, "aaaa");
  speak(tts, "bbbb");
  speak(tts, "aaaa");  // hit: "bbbb" is now the least recently used
  speak(tts, "cccc");  // evicts "bbbb"
  EXPECT_EQ(tts.stats().evictions, 1u);
  EXPECT_EQ(tts.stats().entries, 2u);
  EXPECT_LE(tts.stats().bytes, tts.capacity_bytes());

  speak(tts, "aaaa");
  speak(tts, "cccc");
  EXPECT_EQ(fake.calls_for("aaaa"), 1u);
  EXPECT_EQ(fake.calls_for("cccc"), 1u);
  speak(tts, "bbbb");
  EXPECT_EQ(fake.calls_for("bbbb"), 2u);
  EXPECT_EQ(tts.stats().evictions, 2u);
}

TEST(CachingTtsTest, DoesNotKeepAnEntryLargerThanTheBudget) {
  FakeTts fake;
  CachingTts tts(fake, 100);
  speak(tts, "a prompt far longer than the budget");
  speak(tts, "a prompt far longer than the budget");
  EXPECT_EQ(fake.calls(), 2u);
  EXPECT_EQ(tts.stats().entries, 0u);
  EXPECT_EQ(tts.stats().bytes, 0u);
}

TEST(CachingTtsTest, DoesNotCacheFailures) {
  FakeTts fake;
  CachingTts tts(fake);
  fake.fail_with(Error::unavailable("engine down"));
  auto failed = tts.synthesize("Hello.");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  fake.fail_with(std::nullopt);
  EXPECT_EQ(speak(tts, "Hello."), FakeTts::tone_for("Hello."));
  EXPECT_EQ(fake.calls(), 2u);

  auto empty = tts.synthesize("  ");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().field, "text");
  EXPECT_EQ(tts.stats().entries, 1u);
}

TEST(CachingTtsTest, SynthesisesConcurrentRequestsForOneTextOnce) {
  FakeTts fake;
  CachingTts tts(fake);
  const std::string text = "Your appointment is tomorrow at 9:30 AM.";
  fake.hold();
  std::vector<Result<Audio>> results(4, Error::internal("not run"));
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = tts.synthesize(text); });
  ASSERT_TRUE(fake.wait_for_in_progress(1));
  for (std::size_t i = 1; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = tts.synthesize(text); });
  }
  const bool lined_up = eventually([&] { return tts.stats().coalesced == 3; });
  fake.release();
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(lined_up);

  EXPECT_EQ(fake.calls(), 1u);
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(*result, FakeTts::tone_for(text));
  }
  const TtsCacheStats stats = tts.stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.coalesced, 3u);
  EXPECT_EQ(stats.hits, 0u);
}

TEST(CachingTtsTest, WaitersShareTheFailureOfTheSynthesisTheyJoined) {
  FakeTts fake;
  CachingTts tts(fake);
  fake.fail_with(Error::internal("engine crashed"));
  fake.hold();
  std::vector<Result<Audio>> results(3, Audio{});
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = tts.synthesize("Goodbye."); });
  ASSERT_TRUE(fake.wait_for_in_progress(1));
  for (std::size_t i = 1; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = tts.synthesize("Goodbye."); });
  }
  const bool lined_up = eventually([&] { return tts.stats().coalesced == 2; });
  fake.release();
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(lined_up);

  EXPECT_EQ(fake.calls(), 1u);
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "engine crashed");
  }
  fake.fail_with(std::nullopt);
  EXPECT_TRUE(tts.synthesize("Goodbye.").ok());
  EXPECT_EQ(fake.calls(), 2u);
}

TEST(CachingTtsTest, DifferentTextsAreSynthesisedInParallel) {
  FakeTts fake;
  CachingTts tts(fake);
  fake.hold();
  std::thread first([&] { EXPECT_TRUE(tts.synthesize("one").ok()); });
  std::thread second([&] { EXPECT_TRUE(tts.synthesize("two").ok()); });
  const bool both_inside = fake.wait_for_in_progress(2);
  fake.release();
  first.join();
  second.join();
  EXPECT_TRUE(both_inside);
  EXPECT_EQ(tts.stats().misses, 2u);
}

}  // namespace
}  // namespace autovoice::conversation
