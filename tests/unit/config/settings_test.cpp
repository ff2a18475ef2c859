#include "config/settings.h"

#include <gtest/gtest.h>

namespace autovoice {
namespace {

TEST(SettingsTest, DefaultsAreValidWithAnEmptyEnvironment) {
  auto s = Settings::load({});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->database_url, "sqlite://autovoice.db");
  EXPECT_EQ(s->reminder_cron_schedule, "0 9 * * *");
  EXPECT_EQ(s->reminder_days_before, 1);
  EXPECT_EQ(s->calling_hours_start.str(), "08:00");
  EXPECT_EQ(s->calling_hours_end.str(), "21:00");
  EXPECT_EQ(s->server_api_url, "http://127.0.0.1:8080/api/v1");
  EXPECT_FALSE(s->your_test_number.has_value());
}

TEST(SettingsTest, ReadsEveryVariable) {
  const Environment env{{"DATABASE_URL", "postgresql://av@127.0.0.1:5432/av"},
                        {"BASE_URL", "https://shop.example.com/"},
                        {"TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"},
                        {"TWILIO_AUTH_TOKEN", "0123456789abcdef"},
                        {"TWILIO_PHONE_NUMBER", "+15550100000"},
                        {"SHOP_TIMEZONE", "Europe/London"},
                        {"REMINDER_DAYS_BEFORE", "2"},
                        {"YOUR_TEST_NUMBER", "+15550100001"},
                        {"CALLING_HOURS_START", "09:30"},
                        {"CALLING_HOURS_END", "18:00"},
                        {"CALLS_PER_SECOND", "2.5"},
                        {"SMS_FALLBACK", "yes"},
                        {"RETRY_DELAY_MINUTES", "30"},
                        {"SERVER_THREADS", "3"},
                        {"DB_POOL_SIZE", "8"},
                        {"HTTP_BODY_LIMIT", "65536"},
                        {"HTTP_TIMEOUT_SECONDS", "20"},
                        {"DIAL_CONCURRENCY", "12"},
                        {"CARRIER_TIMEOUT_SECONDS", "7"}};
  auto s = Settings::load(env);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->base_url, "https://shop.example.com");  // trailing slash dropped
  EXPECT_EQ(s->server_api_url, "https://shop.example.com/api/v1");
  EXPECT_EQ(s->twilio_auth_token.reveal(), "0123456789abcdef");
  EXPECT_EQ(s->shop_timezone, "Europe/London");
  EXPECT_EQ(s->reminder_days_before, 2);
  ASSERT_TRUE(s->your_test_number.has_value());
  EXPECT_EQ(s->your_test_number->str(), "+15550100001");
  EXPECT_EQ(s->calling_hours_start.minutes, 9 * 60 + 30);
  EXPECT_DOUBLE_EQ(s->calls_per_second, 2.5);
  EXPECT_TRUE(s->sms_fallback);
  EXPECT_EQ(s->retry_delay, std::chrono::minutes{30});
  EXPECT_EQ(s->server_threads, 3);
  EXPECT_EQ(s->db_pool_size, 8);
  EXPECT_EQ(s->http_body_limit, 65536u);
  EXPECT_EQ(s->http_timeout, std::chrono::seconds{20});
  EXPECT_EQ(s->dial_concurrency, 12);
  EXPECT_EQ(s->carrier_timeout, std::chrono::seconds{7});
}

TEST(SettingsTest, ZeroCallsPerSecondMeansNoLimit) {
  auto s = Settings::load({{"CALLS_PER_SECOND", "0"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->calls_per_second, 0.0);
  EXPECT_NE(s->describe().find("CALLS_PER_SECOND=0 (no limit)"), std::string::npos);
}

// Each bad value stops start-up with a message naming the variable and the value.
TEST(SettingsTest, RejectsEachBadValueNamingTheVariable) {
  struct Case {
    const char* name;
    const char* value;
    const char* expected_in_message;
  };
  const std::string long_name(101, 'x');
  const Case cases[] = {
      {"DATABASE_URL", "mysql://x", "sqlite:///path/app.db"},
      {"DATABASE_URL", "sqlite://", "sqlite:///path/app.db"},
      {"BASE_URL", "shop.example.com", "http:// or https://"},
      {"BASE_URL", "http://host/path?x=1", "no query"},
      {"PORT", "70000", "1 to 65535"},
      {"PORT", "80a", "whole number"},
      {"API_KEY", "short", "at least 16"},
      {"SERVER_THREADS", "-1", "0 to 64"},
      {"DB_POOL_SIZE", "0", "1 to 64"},
      {"HTTP_BODY_LIMIT", "100", "1024 to 67108864"},
      {"HTTP_TIMEOUT_SECONDS", "0", "1 to 300"},
      {"TWILIO_ACCOUNT_SID", "AC123", "32 hexadecimal"},
      {"TWILIO_PHONE_NUMBER", "555-0100", "E.164"},
      {"SHOP_TIMEZONE", "Mars/Olympus_Mons", "IANA"},
      {"REMINDER_TIMEZONE", "EST5EDT6", "IANA"},
      {"REMINDER_DAYS_BEFORE", "-1", "0 to 30"},
      {"REMINDER_DAYS_BEFORE", "31", "0 to 30"},
      {"YOUR_TEST_NUMBER", "+1 555 0100", "E.164"},
      {"CALLING_HOURS_START", "8am", "HH:MM"},
      {"CALLING_HOURS_END", "25:00", "HH:MM"},
      {"CALLS_PER_SECOND", "-1", "greater than 0"},
      {"DIAL_CONCURRENCY", "0", "1 to 256"},
      {"CARRIER_TIMEOUT_SECONDS", "121", "1 to 120"},
      {"CALLS_PER_SECOND", "nan", "greater than 0"},
      {"RETRY_MAX_ATTEMPTS", "0", "1 to 10"},
      {"SMS_FALLBACK", "maybe", "true or false"},
      {"LOG_LEVEL", "loud", "one of trace"},
      {"LOG_FORMAT", "xml", "json or text"},
      {"SHOP_NAME", long_name.c_str(), "at most 100"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + "=" + c.value);
    auto s = Settings::load({{c.name, c.value}});
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().field, c.name);
    EXPECT_NE(s.error().message.find(c.name), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find(c.expected_in_message), std::string::npos) << s.error().message;
  }
}

TEST(SettingsTest, CallingHoursMustEndAfterTheyStart) {
  auto s = Settings::load({{"CALLING_HOURS_START", "20:00"}, {"CALLING_HOURS_END", "09:00"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "CALLING_HOURS_END");
}

TEST(SettingsTest, DescribeMasksSecretsAndPhoneNumbers) {
  auto s = Settings::load({{"TWILIO_AUTH_TOKEN", "abcdefghijklmnop1234"},
                           {"API_KEY", "key-key-key-key-9876"},
                           {"DATABASE_URL", "postgresql://av:hunter2@db.example.com/av"},
                           {"YOUR_TEST_NUMBER", "+15551234567"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  const std::string text = s->describe();
  EXPECT_EQ(text.find("abcdefghijklmnop"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find("key-key"), std::string::npos);
  EXPECT_EQ(text.find("+15551234567"), std::string::npos);
  EXPECT_NE(text.find("TWILIO_AUTH_TOKEN=****1234"), std::string::npos);
  EXPECT_NE(text.find("postgresql://av:****@db.example.com/av"), std::string::npos);
  EXPECT_NE(text.find("YOUR_TEST_NUMBER=+1******4567"), std::string::npos);
}

TEST(SettingsTest, SecretValuesNeverAppearInErrors) {
  auto s = Settings::load({{"API_KEY", "tiny-secret"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.find("tiny-secret"), std::string::npos);
}

TEST(DotenvTest, ParsesAssignmentsQuotesCommentsAndExport) {
  auto env = parse_dotenv(
      "# shop settings\n"
      "SHOP_NAME=\"Main Street Auto # 1\"\n"
      "export SHOP_TIMEZONE=America/Chicago  # central\n"
      "\n"
      "EMPTY=\n"
      "SINGLE='a b'\n",
      ".env");
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_EQ(env->at("SHOP_NAME"), "Main Street Auto # 1");
  EXPECT_EQ(env->at("SHOP_TIMEZONE"), "America/Chicago");
  EXPECT_EQ(env->at("EMPTY"), "");
  EXPECT_EQ(env->at("SINGLE"), "a b");
}

TEST(DotenvTest, MalformedLineNamesFileAndLine) {
  auto env = parse_dotenv("A=1\nthis is not an assignment\n", "/etc/autovoice/.env");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.error().message.find("/etc/autovoice/.env:2"), std::string::npos) << env.error().message;
  auto quote = parse_dotenv("A=\"unterminated\n", ".env");
  ASSERT_FALSE(quote.ok());
  EXPECT_NE(quote.error().message.find("unterminated quote"), std::string::npos);
}

TEST(DotenvTest, EnvironmentWinsOverTheFile) {
  const char* envp[] = {"SHOP_NAME=From Environment", nullptr};
  const std::string path = ::testing::TempDir() + "/autovoice-dotenv-test.env";
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("SHOP_NAME=From File\nSHOP_PHONE=+15550100999\n", f);
    std::fclose(f);
  }
  auto env = load_environment(envp, path);
  std::remove(path.c_str());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("SHOP_NAME"), "From Environment");
  EXPECT_EQ(env->at("SHOP_PHONE"), "+15550100999");
}

}  // namespace
}  // namespace autovoice
