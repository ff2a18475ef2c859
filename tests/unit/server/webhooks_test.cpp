#include "server/handlers/webhooks.h"

#include <gtest/gtest.h>

namespace autovoice::server {
namespace {

namespace tel = telephony;
using namespace std::chrono_literals;

constexpr const char* kSid = "CA0123456789abcdef0123456789abcdef";

Result<CallStatusUpdate, FieldErrors> parse(const std::string& body) {
  auto form = tel::decode_form(body);
  EXPECT_TRUE(form.ok()) << body;
  return status_update_from(form.ok() ? *form : tel::FormParams{});
}

std::vector<std::string> bad_fields(const Result<CallStatusUpdate, FieldErrors>& r) {
  std::vector<std::string> out;
  if (!r.ok()) {
    for (const auto& e : r.error()) out.push_back(e.field);
  }
  return out;
}

TEST(WebhooksTest, ReadsAFinalCallback) {
  auto u = parse(std::string("CallSid=") + kSid +
                 "&CallStatus=completed&SequenceNumber=3&CallDuration=42&AnsweredBy=human"
                 "&Timestamp=Wed%2C+25+Nov+2026+14%3A00%3A05+%2B0000&Direction=outbound-api"
                 "&From=%2B15550009999&To=%2B15550100001");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->call_sid, kSid);
  EXPECT_EQ(u->status, CallStatus::kCompleted);
  EXPECT_EQ(u->sequence_number, 3);
  EXPECT_EQ(u->duration_seconds, 42);
  EXPECT_EQ(u->answered_by, "human");
  EXPECT_EQ(u->timestamp, TimePoint{date::sys_days{date::year{2026} / 11 / 25}} + 14h + 5s);
  EXPECT_EQ(u->direction, CallDirection::kOutbound);
  EXPECT_EQ(u->from, "+15550009999");
  EXPECT_EQ(u->to, "+15550100001");
  EXPECT_FALSE(u->error_code.has_value());
}

TEST(WebhooksTest, OptionalParametersMayBeAbsent) {
  auto u = parse(std::string("CallSid=") + kSid + "&CallStatus=ringing");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->status, CallStatus::kRinging);
  EXPECT_FALSE(u->sequence_number.has_value());
  EXPECT_FALSE(u->timestamp.has_value());
  EXPECT_EQ(u->direction, CallDirection::kOutbound);
}

TEST(WebhooksTest, InboundDirectionAndErrorCode) {
  auto u = parse(std::string("CallSid=") + kSid + "&CallStatus=failed&Direction=inbound&ErrorCode=13224");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->direction, CallDirection::kInbound);
  EXPECT_EQ(u->error_code, 13224);
}

TEST(WebhooksTest, ReportsEveryBadField) {
  struct Case {
    std::string body;
    std::vector<std::string> fields;
  } cases[] = {
      {"", {"CallSid", "CallStatus"}},
      {"CallSid=CA12&CallStatus=completed", {"CallSid"}},
      {std::string("CallSid=") + kSid + "&CallStatus=answered", {"CallStatus"}},
      {std::string("CallSid=") + kSid + "&CallStatus=completed&SequenceNumber=-1&CallDuration=x",
       {"SequenceNumber", "CallDuration"}},
      {std::string("CallSid=") + kSid + "&CallStatus=completed&Timestamp=yesterday", {"Timestamp"}},
      {std::string("CallSid=") + kSid + "&CallStatus=completed&AnsweredBy=robot", {"AnsweredBy"}},
      {std::string("CallSid=") + kSid + "&CallStatus=completed&Direction=sideways", {"Direction"}},
      {std::string("CallSid=") + kSid + "&CallStatus=completed&From=" + std::string(600, '1'), {"From"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(bad_fields(parse(c.body)), c.fields) << c.body;
  }
}

}  // namespace
}  // namespace autovoice::server
