#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "conversation/espeak_tts.h"
#include "conversation/tts.h"
#include "support/fake_tts.h"
#include "telephony/mulaw.h"

namespace autovoice::conversation {
namespace {

using namespace std::chrono_literals;
using autovoice::testing::FakeTts;

constexpr char kGreeting[] = "Hello, this is Main Street Auto.";
constexpr char kReminder[] =
    "Hello, this is Main Street Auto with an automated reminder: your Honda Civic is booked "
    "for an oil change tomorrow, Tuesday, at nine thirty in the morning. Press 1 to confirm, "
    "2 to reschedule, or 3 to cancel.";

// Root mean square of the decoded audio, in 16-bit PCM units.
double rms(const Audio& audio) {
  double sum = 0;
  for (const uint8_t byte : audio.mulaw) {
    const double s = telephony::mulaw_decode(byte);
    sum += s * s;
  }
  return audio.mulaw.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(audio.mulaw.size()));
}

std::unique_ptr<EspeakTts> make_espeak(EspeakOptions options = {}) {
  auto tts = EspeakTts::create(std::move(options));
  EXPECT_TRUE(tts.ok()) << (tts.ok() ? "" : tts.error().message);
  return tts.ok() ? std::move(*tts) : nullptr;
}

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

// --- EspeakTts ---------------------------------------------------------------

TEST(EspeakTtsTest, SpeaksAGreetingAsPlausibleCallAudio) {
  auto tts = make_espeak();
  ASSERT_NE(tts, nullptr);
  const Audio audio = speak(*tts, kGreeting);
  EXPECT_GT(audio.duration(), 1000ms);
  EXPECT_LT(audio.duration(), 5000ms);
  EXPECT_GT(rms(audio), 500.0) << "the greeting is (nearly) silent";
  const auto silent = std::ranges::count(audio.mulaw, telephony::kMulawSilence);
  EXPECT_LT(silent, static_cast<std::ptrdiff_t>(audio.mulaw.size() / 2));
}

TEST(EspeakTtsTest, LongerTextGivesLongerAudio) {
  auto tts = make_espeak();
  ASSERT_NE(tts, nullptr);
  const Audio greeting = speak(*tts, kGreeting);
  const Audio reminder = speak(*tts, kReminder);
  EXPECT_GT(reminder.duration(), greeting.duration() * 3);
}

TEST(EspeakTtsTest, FasterRateGivesShorterAudio) {
  auto slow = make_espeak({.rate_wpm = 100});
  auto fast = make_espeak({.rate_wpm = 300});
  ASSERT_NE(slow, nullptr);
  ASSERT_NE(fast, nullptr);
  const Audio slow_audio = speak(*slow, kGreeting);
  const Audio fast_audio = speak(*fast, kGreeting);
  EXPECT_GT(slow_audio.duration(), fast_audio.duration() * 3 / 2);
}

TEST(EspeakTtsTest, RefusesAnUnknownVoiceNamingIt) {
  auto tts = EspeakTts::create({.voice = "xx-nowhere"});
  ASSERT_FALSE(tts.ok());
  EXPECT_EQ(tts.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(tts.error().field, "voice");
  EXPECT_NE(tts.error().message.find("xx-nowhere"), std::string::npos) << tts.error().message;
}

TEST(EspeakTtsTest, AcceptsAVoiceByLanguageTag) {
  auto tts = make_espeak({.voice = "en-gb"});
  ASSERT_NE(tts, nullptr);
  EXPECT_FALSE(tts->voice_id().empty());
  EXPECT_GT(speak(*tts, kGreeting).duration(), 1000ms);
}

TEST(EspeakTtsTest, RefusesRateAndPitchOutOfRange) {
  struct Case {
    EspeakOptions options;
    const char* field;
  };
  const Case cases[] = {
      {{.rate_wpm = 79}, "rate_wpm"},
      {{.rate_wpm = 451}, "rate_wpm"},
      {{.pitch = -1}, "pitch"},
      {{.pitch = 101}, "pitch"},
  };
  for (const Case& c : cases) {
    auto tts = EspeakTts::create(c.options);
    ASSERT_FALSE(tts.ok()) << c.field;
    EXPECT_EQ(tts.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(tts.error().field, c.field);
  }
}

TEST(EspeakTtsTest, RefusesEmptyOrWhitespaceText) {
  auto tts = make_espeak();
  ASSERT_NE(tts, nullptr);
  for (const char* text : {"", " ", "\n\t  "}) {
    auto audio = tts->synthesize(text);
    ASSERT_FALSE(audio.ok()) << "\"" << text << "\"";
    EXPECT_EQ(audio.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(audio.error().field, "text");
  }
}

TEST(EspeakTtsTest, RefusesTextThatProducesNoSpeech) {
  auto tts = make_espeak();
  ASSERT_NE(tts, nullptr);
  auto audio = tts->synthesize("...");
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(audio.error().field, "text");
}

TEST(EspeakTtsTest, RefusesTextOverTheLengthLimit) {
  auto tts = make_espeak();
  ASSERT_NE(tts, nullptr);
  auto audio = tts->synthesize(std::string(kEspeakMaxTextBytes + 1, 'a'));
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(audio.error().field, "text");
}

TEST(EspeakTtsTest, ReadsMarkupAsPlainText) {
  auto tts = make_espeak();
  ASSERT_NE(tts, nullptr);
  // Were SSML on, the tags would vanish and both would sound the same.
  const Audio plain = speak(*tts, "hello");
  const Audio tagged = speak(*tts, "<speak>hello</speak>");
  EXPECT_GT(tagged.duration(), plain.duration() * 2);
}

TEST(EspeakTtsTest, ServesFourThreadsAtOnceWithEachObjectsOptions) {
  auto slow = make_espeak({.rate_wpm = 120});
  auto fast = make_espeak({.voice = "en-gb", .rate_wpm = 320, .pitch = 70});
  ASSERT_NE(slow, nullptr);
  ASSERT_NE(fast, nullptr);
  const std::string texts[] = {"Press one to confirm.", kReminder};
  EspeakTts* engines[] = {slow.get(), fast.get()};
  // Durations vary by a few samples between runs; a mix-up of options or of
  // output between threads would change them far more than 10%.
  std::chrono::milliseconds expected[2][2];
  for (int e = 0; e < 2; ++e) {
    for (int t = 0; t < 2; ++t) expected[e][t] = speak(*engines[e], texts[t]).duration();
  }

  constexpr int kThreads = 4;
  constexpr int kRounds = 3;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        const int e = i % 2;
        const int t = (i / 2 + round) % 2;
        auto audio = engines[e]->synthesize(texts[t]);
        const auto want = expected[e][t].count();
        if (!audio.ok() || std::abs(audio->duration().count() - want) > want / 10) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
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
