#include "server/media_stream_session.h"

#include <gtest/gtest.h>

namespace autovoice::server {
namespace {

namespace tel = telephony;

tel::StartMessage start(std::string stream = "MZ1") {
  tel::StartMessage m;
  m.sequence_number = 1;
  m.stream_sid = std::move(stream);
  m.call_sid = "CA1";
  m.account_sid = "AC1";
  m.custom_parameters = {{"call_type", "outbound_reminder"}, {"appointment_id", "7"}};
  return m;
}

tel::MediaMessage media(uint64_t seq, std::string stream = "MZ1") {
  tel::MediaMessage m;
  m.sequence_number = seq;
  m.stream_sid = std::move(stream);
  m.payload.assign(160, 0xff);
  return m;
}

TEST(CallStreamTest, KeepsTheCallsStateAcrossMessages) {
  CallStream call;
  EXPECT_TRUE(call.apply(tel::ConnectedMessage{"Call", "1.0.0"}));
  EXPECT_TRUE(call.apply(start()));
  EXPECT_TRUE(call.apply(media(2)));
  EXPECT_TRUE(call.apply(media(3)));
  EXPECT_TRUE(call.apply(tel::DtmfMessage{4, "MZ1", "inbound_track", "1"}));
  EXPECT_TRUE(call.apply(tel::MarkMessage{5, "MZ1", "greeting"}));
  EXPECT_TRUE(call.apply(tel::StopMessage{6, "MZ1", "AC1", "CA1"}));
  EXPECT_EQ(call.call_sid, "CA1");
  EXPECT_EQ(call.parameters.at("appointment_id"), "7");
  EXPECT_EQ(call.media_frames, 2);
  EXPECT_EQ(call.media_bytes, 320);
  EXPECT_EQ(call.digits, "1");
  EXPECT_EQ(call.marks, 1);
  EXPECT_TRUE(call.stopped);
  EXPECT_EQ(call.sequence_gaps, 0);
}

TEST(CallStreamTest, RefusesMessagesBeforeStartOrForAnotherStream) {
  CallStream call;
  EXPECT_FALSE(call.apply(media(2)));
  EXPECT_TRUE(call.apply(start()));
  EXPECT_FALSE(call.apply(start()));  // a second start
  EXPECT_FALSE(call.apply(media(3, "MZ2")));
  EXPECT_EQ(call.media_frames, 0);
}

TEST(CallStreamTest, CountsSkippedSequenceNumbers) {
  CallStream call;
  ASSERT_TRUE(call.apply(start()));
  ASSERT_TRUE(call.apply(media(2)));
  ASSERT_TRUE(call.apply(media(5)));  // 3 and 4 never came
  EXPECT_EQ(call.sequence_gaps, 2);
}

}  // namespace
}  // namespace autovoice::server
