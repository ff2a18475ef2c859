#include "config/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.h"

namespace autovoice {
namespace {

namespace json = boost::json;

// Each test installs a logger writing into a string, and puts back the one it
// found (so that nothing else logs into a stream that is gone).
class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override { previous_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  void use(LogFormat format, std::string_view level) {
    const Status s =
        configure_logging(format, level, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  // Parses a line as one JSON object, failing the test if it is not one.
  static json::object parse(const std::string& line) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    EXPECT_TRUE(v.is_object()) << line;
    return v.is_object() ? v.as_object() : json::object{};
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

std::string render(LogFormat format, spdlog::level::level_enum level, std::string_view message) {
  using namespace std::chrono;
  // 2026-11-25 10:00:00.123 UTC
  const system_clock::time_point t =
      sys_days{year{2026} / November / 25} + hours{10} + milliseconds{123};
  const spdlog::details::log_msg msg(t, spdlog::source_loc{}, "", level,
                                     spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t buf;
  make_log_formatter(format)->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(LogFormatterTest, WritesTheExactJsonShape) {
  EXPECT_EQ(render(LogFormat::kJson, spdlog::level::info, "hello"),
            "{\"time\":\"2026-11-25T10:00:00.123Z\",\"level\":\"info\",\"msg\":\"hello\"}\n");
  EXPECT_EQ(render(LogFormat::kJson, spdlog::level::err, "x"),
            "{\"time\":\"2026-11-25T10:00:00.123Z\",\"level\":\"error\",\"msg\":\"x\"}\n");
}

TEST(LogFormatterTest, WritesTheExactTextShape) {
  EXPECT_EQ(render(LogFormat::kText, spdlog::level::info, "hello"),
            "2026-11-25 10:00:00.123 info  hello\n");
  EXPECT_EQ(render(LogFormat::kText, spdlog::level::warn, "w"),
            "2026-11-25 10:00:00.123 warn  w\n");
  EXPECT_EQ(render(LogFormat::kText, spdlog::level::err, "e"), "2026-11-25 10:00:00.123 error e\n");
  EXPECT_EQ(render(LogFormat::kText, spdlog::level::critical, "c"),
            "2026-11-25 10:00:00.123 critical c\n");
}

TEST(LogFormatterTest, TextModeKeepsAnEventOnOneLine) {
  EXPECT_EQ(render(LogFormat::kText, spdlog::level::info, "a\nb\tc \"q\" \\ \x01"),
            "2026-11-25 10:00:00.123 info  a\\nb\\tc \"q\" \\ \\u0001\n");
}

TEST_F(LoggingTest, JsonEventCarriesTypedFieldsInOrder) {
  use(LogFormat::kJson, "info");
  LogEvent("reminder call placed")
      .field("call_sid", "CA0001")
      .field("attempt", 2)
      .field("ratio", 0.5)
      .field("dry_run", false)
      .log(spdlog::level::info);

  const auto all = lines();
  ASSERT_EQ(all.size(), 1u);
  const json::object o = parse(all[0]);
  ASSERT_EQ(o.size(), 7u);
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "level", "msg", "call_sid", "attempt", "ratio",
                                            "dry_run"}));
  EXPECT_TRUE(std::regex_match(std::string(o.at("time").as_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_EQ(o.at("level").as_string(), "info");
  EXPECT_EQ(o.at("msg").as_string(), "reminder call placed");
  EXPECT_EQ(o.at("call_sid").as_string(), "CA0001");
  EXPECT_EQ(o.at("attempt").as_int64(), 2);
  EXPECT_EQ(o.at("ratio").as_double(), 0.5);
  EXPECT_EQ(o.at("dry_run").as_bool(), false);
}

TEST_F(LoggingTest, FieldOverloadsKeepEachTypeAndLiteralsAreStrings) {
  use(LogFormat::kJson, "info");
  const std::string owned = "owned";
  const char* null_text = nullptr;
  LogEvent("types")
      .field("literal", "text")  // not converted to bool
      .field("string", owned)
      .field("null", null_text)
      .field("int", -5)
      .field("unsigned", 7u)
      .field("long_long", -3LL)
      .field("size", std::size_t{9})
      .field("max", std::numeric_limits<std::uint64_t>::max())
      .field("float", 1.5f)
      .field("bool", true)
      .field("nan", std::nan(""))
      .field("inf", -std::numeric_limits<double>::infinity())
      .log(spdlog::level::info);

  const json::object o = parse(lines().at(0));
  EXPECT_EQ(o.at("literal").as_string(), "text");
  EXPECT_EQ(o.at("string").as_string(), "owned");
  EXPECT_EQ(o.at("null").as_string(), "(null)");
  EXPECT_EQ(o.at("int").as_int64(), -5);
  EXPECT_EQ(o.at("unsigned").to_number<std::uint64_t>(), 7u);
  EXPECT_EQ(o.at("long_long").as_int64(), -3);
  EXPECT_EQ(o.at("size").to_number<std::uint64_t>(), 9u);
  EXPECT_EQ(o.at("max").as_uint64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(o.at("float").as_double(), 1.5);
  EXPECT_EQ(o.at("bool").as_bool(), true);
  EXPECT_EQ(o.at("nan").as_string(), "NaN");
  EXPECT_EQ(o.at("inf").as_string(), "-Infinity");
}

// Which types field() takes: a char would be ambiguous, so it is refused at
// compile time rather than logged as a number or a bool.
template <typename V>
concept FieldValue = requires(LogEvent e, V v) {
  e.field("k", v);
};
static_assert(FieldValue<int> && FieldValue<unsigned short> && FieldValue<long long> &&
              FieldValue<std::size_t> && FieldValue<float> && FieldValue<long double> &&
              FieldValue<bool> && FieldValue<const char*> && FieldValue<std::string> &&
              FieldValue<std::string_view>);
static_assert(!FieldValue<char> && !FieldValue<char8_t> && !FieldValue<wchar_t>);

TEST_F(LoggingTest, PlainSpdlogCallsAreValidJsonLines) {
  use(LogFormat::kJson, "trace");
  spdlog::info("job {}: said \"hi\"\nand left \\ {}", "reminders", std::string("\x01\x1f\x7f"));
  spdlog::debug("{}", std::string("nul\0inside", 10));
  spdlog::warn("tab\there");

  const auto all = lines();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(parse(all[0]).at("msg").as_string(),
            "job reminders: said \"hi\"\nand left \\ \x01\x1f\x7f");
  EXPECT_EQ(parse(all[1]).at("msg").as_string(), json::string_view("nul\0inside", 10));
  EXPECT_EQ(parse(all[1]).at("level").as_string(), "debug");
  EXPECT_EQ(parse(all[2]).at("msg").as_string(), "tab\there");
  EXPECT_EQ(parse(all[2]).at("level").as_string(), "warn");
  EXPECT_EQ(parse(all[0]).size(), 3u);  // no fields
}

TEST_F(LoggingTest, InvalidUtf8BecomesReplacementCharacters) {
  use(LogFormat::kJson, "info");
  // A lone byte, a truncated euro sign, an encoded surrogate, an overlong
  // slash, a value above U+10FFFF; valid multibyte text stays as it is.
  spdlog::info(
      "a\xff b\xe2\x82 c\xed\xa0\x80 d\xc0\xaf e\xf4\x90\x80\x80 f\xe2\x82\xac \xf0\x9f\x9a\x97");
  LogEvent("field").field("k\xfe", "v\xc3").log(spdlog::level::info);

  const auto all = lines();
  ASSERT_EQ(all.size(), 2u);
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(parse(all[0]).at("msg").as_string(), "a" + r + " b" + r + " c" + r + r + r + " d" + r +
                                                     r + " e" + r + r + r + r +
                                                     " f\xe2\x82\xac \xf0\x9f\x9a\x97");
  EXPECT_EQ(parse(all[1]).at("k" + r).as_string(), "v" + r);
}

TEST_F(LoggingTest, ReservedAndRepeatedFieldNamesMakeNoDuplicateKeys) {
  use(LogFormat::kJson, "info");
  LogEvent("m")
      .field("msg", "spoof")
      .field("level", 1)
      .field("time", "t")
      .field("", "nameless")
      .field("a", 1)
      .field("a", 2)
      .log(spdlog::level::info);

  const std::string line = lines().at(0);
  const json::object o = parse(line);
  EXPECT_EQ(o.at("msg").as_string(), "m");
  EXPECT_EQ(o.at("level").as_string(), "info");
  EXPECT_EQ(o.at("_msg").as_string(), "spoof");
  EXPECT_EQ(o.at("_level").as_int64(), 1);
  EXPECT_EQ(o.at("_time").as_string(), "t");
  EXPECT_EQ(o.at("_").as_string(), "nameless");
  EXPECT_EQ(o.at("a").as_int64(), 2);
  EXPECT_EQ(o.size(), 8u);  // time, level, msg, _msg, _level, _time, _, a: each once
}

TEST_F(LoggingTest, TextModeWritesFieldsAsKeyValuePairs) {
  use(LogFormat::kText, "info");
  LogEvent("call placed")
      .field("sid", "CA1")
      .field("attempt", 2)
      .field("note", "two words")
      .field("empty", "")
      .field("quote", "say \"x\"")
      .field("odd key=", "a=b")
      .field("ok", true)
      .log(spdlog::level::info);
  spdlog::info("plain\nmessage");

  const auto all = lines();
  ASSERT_EQ(all.size(), 2u);
  ASSERT_GE(all[0].size(), 24u);
  EXPECT_TRUE(std::regex_match(all[0].substr(0, 24),
                               std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} )")));
  EXPECT_EQ(all[0].substr(24),
            "info  call placed sid=CA1 attempt=2 note=\"two words\" empty=\"\" "
            "quote=\"say \\\"x\\\"\" odd_key_=\"a=b\" ok=true");
  EXPECT_EQ(all[1].substr(24), "info  plain\\nmessage");
}

TEST_F(LoggingTest, EventsAndMessagesBelowTheLevelAreNotWritten) {
  use(LogFormat::kJson, "warn");
  spdlog::info("dropped");
  LogEvent("dropped").field("k", 1).log(spdlog::level::info);
  LogEvent("dropped").log(spdlog::level::debug);
  spdlog::warn("kept");
  LogEvent("kept").field("k", 1).log(spdlog::level::err);

  const auto all = lines();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(parse(all[0]).at("level").as_string(), "warn");
  EXPECT_EQ(parse(all[1]).at("level").as_string(), "error");
  EXPECT_EQ(parse(all[1]).at("k").as_int64(), 1);
}

TEST_F(LoggingTest, LevelOffWritesNothing) {
  use(LogFormat::kJson, "off");
  spdlog::critical("dropped");
  LogEvent("dropped").log(spdlog::level::critical);
  EXPECT_TRUE(lines().empty());
}

TEST_F(LoggingTest, BadLevelIsRejectedAndKeepsTheCurrentLogger) {
  const auto before = spdlog::default_logger();
  const Status s = configure_logging(LogFormat::kJson, "loud",
                                     std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().field, "LOG_LEVEL");
  EXPECT_NE(s.error().message.find("loud"), std::string::npos);
  EXPECT_EQ(spdlog::default_logger(), before);
}

TEST(ParseLogLevelTest, AcceptsEachNameInAnyCase) {
  EXPECT_EQ(*parse_log_level("trace"), spdlog::level::trace);
  EXPECT_EQ(*parse_log_level("DEBUG"), spdlog::level::debug);
  EXPECT_EQ(*parse_log_level("Info"), spdlog::level::info);
  EXPECT_EQ(*parse_log_level("warn"), spdlog::level::warn);
  EXPECT_EQ(*parse_log_level("error"), spdlog::level::err);
  EXPECT_EQ(*parse_log_level("critical"), spdlog::level::critical);
  EXPECT_EQ(*parse_log_level("off"), spdlog::level::off);
  EXPECT_FALSE(parse_log_level("").ok());
  EXPECT_FALSE(parse_log_level("warning!").ok());
}

TEST_F(LoggingTest, SettingsChooseFormatAndLevel) {
  auto settings = Settings::load({{"LOG_FORMAT", "text"}, {"LOG_LEVEL", "error"}});
  ASSERT_TRUE(settings.ok());
  const Status s = configure_logging(*settings);  // stderr; checked through the logger it made
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::err);
  EXPECT_NE(spdlog::default_logger(), previous_);
}

// Events logged from several threads keep their own fields, and plain
// messages logged in between never pick them up.
TEST_F(LoggingTest, ConcurrentEventsKeepTheirOwnFields) {
  use(LogFormat::kJson, "info");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = std::to_string(t) + "/" + std::to_string(i);
        LogEvent("event " + id).field("id", id).log(spdlog::level::info);
        spdlog::info("plain {}", id);
      }
    });
  }
  for (auto& th : threads) th.join();

  const auto all = lines();
  ASSERT_EQ(all.size(), std::size_t{kThreads} * kPerThread * 2);
  for (const std::string& line : all) {
    const json::object o = parse(line);
    const std::string msg(o.at("msg").as_string());
    if (msg.starts_with("event ")) {
      ASSERT_EQ(o.size(), 4u) << line;
      EXPECT_EQ(o.at("id").as_string(), msg.substr(6)) << line;
    } else {
      EXPECT_EQ(o.size(), 3u) << line;
    }
  }
}

}  // namespace
}  // namespace autovoice
