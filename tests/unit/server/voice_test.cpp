#include "server/handlers/voice.h"

#include <gtest/gtest.h>

#include "telephony/twiml_reader.h"

namespace autovoice::server {
namespace {

namespace tel = telephony;

// The <Stream> of a document that must be exactly one <Connect><Stream>.
tel::StreamOptions only_stream(const std::string& xml) {
  auto doc = tel::parse_twiml(xml);
  EXPECT_TRUE(doc.ok()) << xml;
  if (!doc.ok() || doc->verbs.size() != 1) {
    ADD_FAILURE() << "expected one verb: " << xml;
    return {};
  }
  const auto* connect = std::get_if<tel::ConnectVerb>(&doc->verbs[0]);
  if (connect == nullptr) {
    ADD_FAILURE() << "expected <Connect>: " << xml;
    return {};
  }
  return connect->stream;
}

TEST(VoiceTest, ReminderConnectsTheStreamWithNoGreeting) {
  const auto stream = only_stream(reminder_twiml("https://shop.example.com", 42, ""));
  EXPECT_EQ(stream.url, "wss://shop.example.com/api/v1/voice/media-stream");
  const std::vector<std::pair<std::string, std::string>> want = {{"call_type", "outbound_reminder"},
                                                                 {"appointment_id", "42"}};
  EXPECT_EQ(stream.parameters, want);
}

TEST(VoiceTest, ReminderPassesMachineDetectionOn) {
  const auto stream = only_stream(reminder_twiml("http://127.0.0.1:8080", 7, "machine_end_beep"));
  EXPECT_EQ(stream.url, "ws://127.0.0.1:8080/api/v1/voice/media-stream");
  ASSERT_EQ(stream.parameters.size(), 3u);
  EXPECT_EQ(stream.parameters[2], (std::pair<std::string, std::string>{"answered_by", "machine_end_beep"}));
}

TEST(VoiceTest, InboundStreamCarriesTheCaller) {
  const auto stream = only_stream(inbound_twiml("https://shop.example.com/", "+15550100001"));
  EXPECT_EQ(stream.url, "wss://shop.example.com/api/v1/voice/media-stream");
  const std::vector<std::pair<std::string, std::string>> want = {{"call_type", "inbound"},
                                                                 {"caller", "+15550100001"}};
  EXPECT_EQ(stream.parameters, want);
}

TEST(VoiceTest, AppointmentIdMustBeAPositiveInteger) {
  struct Case {
    const char* query;
    bool ok;
  } cases[] = {{"appointment_id=1", true},  {"appointment_id=123456789", true}, {"", false},
               {"appointment_id=", false},  {"appointment_id=0", false},        {"appointment_id=-3", false},
               {"appointment_id=1x", false}, {"appointment_id=99999999999999999999", false},
               {"other=1", false}};
  for (const Case& c : cases) {
    auto form = tel::decode_form(c.query);
    ASSERT_TRUE(form.ok()) << c.query;
    auto id = reminder_appointment_id(*form);
    EXPECT_EQ(id.ok(), c.ok) << c.query;
    if (!id.ok()) {
      ASSERT_EQ(id.error().size(), 1u);
      EXPECT_EQ(id.error()[0].field, "appointment_id");
    }
  }
}

}  // namespace
}  // namespace autovoice::server
