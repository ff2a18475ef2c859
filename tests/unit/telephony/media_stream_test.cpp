#include "telephony/media_stream.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "telephony/base64.h"

namespace autovoice::telephony {
namespace {

namespace json = boost::json;

// The messages as Twilio's Media Streams documentation shows them.
constexpr std::string_view kConnected = R"({"event":"connected","protocol":"Call","version":"1.0.0"})";
constexpr std::string_view kStart = R"({
  "event": "start", "sequenceNumber": "1",
  "start": {
    "accountSid": "AC0123456789abcdef0123456789abcdef",
    "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
    "callSid": "CA0123456789abcdef0123456789abcdef",
    "tracks": ["inbound", "outbound"],
    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    "customParameters": {"call_type": "outbound_reminder", "appointment_id": "42"}
  },
  "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0"
})";
constexpr std::string_view kMedia = R"({
  "event": "media", "sequenceNumber": "3",
  "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": "/37+fw=="},
  "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0"
})";
constexpr std::string_view kDtmf = R"({
  "event": "dtmf", "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0", "sequenceNumber": "5",
  "dtmf": {"track": "inbound_track", "digit": "1"}
})";
constexpr std::string_view kMark = R"({
  "event": "mark", "sequenceNumber": "4", "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
  "mark": {"name": "greeting"}
})";
constexpr std::string_view kStop = R"({
  "event": "stop", "sequenceNumber": "5",
  "stop": {"accountSid": "AC0123456789abcdef0123456789abcdef",
           "callSid": "CA0123456789abcdef0123456789abcdef"},
  "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0"
})";
constexpr std::string_view kStream = "MZ18ad3ab5a668481ce02b83e7395059f0";

template <typename T>
T parsed_as(std::string_view text) {
  auto r = parse_inbound(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*r));
  return std::holds_alternative<T>(*r) ? std::get<T>(*r) : T{};
}

TEST(MediaStreamTest, ParsesConnected) {
  const auto m = parsed_as<ConnectedMessage>(kConnected);
  EXPECT_EQ(m.protocol, "Call");
  EXPECT_EQ(m.version, "1.0.0");
}

TEST(MediaStreamTest, ParsesStartWithCustomParametersAndMediaFormat) {
  const auto m = parsed_as<StartMessage>(kStart);
  EXPECT_EQ(m.sequence_number, 1U);
  EXPECT_EQ(m.stream_sid, kStream);
  EXPECT_EQ(m.account_sid, "AC0123456789abcdef0123456789abcdef");
  EXPECT_EQ(m.call_sid, "CA0123456789abcdef0123456789abcdef");
  EXPECT_EQ(m.tracks, (std::vector<std::string>{"inbound", "outbound"}));
  EXPECT_EQ(m.custom_parameters.at("call_type"), "outbound_reminder");
  EXPECT_EQ(m.custom_parameters.at("appointment_id"), "42");
  EXPECT_EQ(m.media_format, (MediaFormat{"audio/x-mulaw", 8000, 1}));
}

TEST(MediaStreamTest, ParsesMediaAndDecodesItsPayload) {
  const auto m = parsed_as<MediaMessage>(kMedia);
  EXPECT_EQ(m.sequence_number, 3U);
  EXPECT_EQ(m.stream_sid, kStream);
  EXPECT_EQ(m.track, "inbound");
  EXPECT_EQ(m.chunk, 1U);
  EXPECT_EQ(m.timestamp, 5U);
  EXPECT_EQ(m.payload, (std::vector<uint8_t>{0xFF, 0x7E, 0xFE, 0x7F}));
}

TEST(MediaStreamTest, ParsesDtmfMarkAndStop) {
  const auto d = parsed_as<DtmfMessage>(kDtmf);
  EXPECT_EQ(d.digit, "1");
  EXPECT_EQ(d.track, "inbound_track");
  EXPECT_EQ(d.stream_sid, kStream);
  const auto mark = parsed_as<MarkMessage>(kMark);
  EXPECT_EQ(mark.name, "greeting");
  EXPECT_EQ(mark.sequence_number, 4U);
  const auto stop = parsed_as<StopMessage>(kStop);
  EXPECT_EQ(stop.call_sid, "CA0123456789abcdef0123456789abcdef");
  EXPECT_EQ(stop.account_sid, "AC0123456789abcdef0123456789abcdef");
}

TEST(MediaStreamTest, AReusedParserGivesTheSameResultsFrameAfterFrame) {
  MediaStreamParser parser;
  for (int i = 0; i < 100; ++i) {
    for (std::string_view text : {kStart, kMedia, kDtmf, kMark, kStop}) {
      auto a = parser.parse(text);
      auto b = parse_inbound(text);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(*a, *b);
    }
  }
}

TEST(MediaStreamTest, RejectsMalformedMessagesNamingTheField) {
  struct Case {
    std::string_view text;
    std::string_view field;
  };
  const Case cases[] = {
      {"", ""},
      {"not json", ""},
      {"[1,2,3]", ""},
      {R"({"event":"ring"})", "event"},
      {R"({"protocol":"Call"})", "event"},
      {R"({"event":42})", "event"},
      {R"({"event":"media","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/37+fw=="}})",
       "streamSid"},
      {R"({"event":"media","streamSid":7,"media":{"payload":"/37+fw=="}})", "streamSid"},
      {R"({"event":"media","streamSid":"MZ1","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"!!"}})",
       "media.payload"},
      {R"({"event":"media","streamSid":"MZ1","media":{"track":"inbound","chunk":"x","timestamp":"5","payload":""}})",
       "media.chunk"},
      {R"({"event":"media","streamSid":"MZ1","media":"flat"})", "media"},
      {R"({"event":"mark","streamSid":"MZ1","mark":{}})", "mark.name"},
      {R"({"event":"dtmf","streamSid":"MZ1","dtmf":{"track":"inbound_track","digit":1}})", "dtmf.digit"},
      {R"({"event":"start","streamSid":"MZ1","start":{"customParameters":{"x":1}}})", ""},
      {R"({"event":"media","sequenceNumber":"-1","streamSid":"MZ1","media":{}})", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    auto r = parse_inbound(c.text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(r.error().message.empty());
    if (!c.field.empty()) {
      EXPECT_EQ(r.error().field, c.field) << r.error().message;
    }
  }
}

TEST(MediaStreamTest, DeeplyNestedGarbageIsRejectedNotACrash) {
  std::string deep(100000, '[');
  EXPECT_FALSE(parse_inbound(deep).ok());
  std::string nested = R"({"event":"media","streamSid":"MZ1","media":)" + std::string(5000, '{');
  EXPECT_FALSE(parse_inbound(nested).ok());
}

TEST(MediaStreamTest, BuildsOutboundMediaMarkAndClear) {
  const std::vector<uint8_t> audio = {0xFF, 0x7E, 0x00, 0x80};
  const json::value media = json::parse(media_message(kStream, audio));
  EXPECT_EQ(media.at("event").as_string(), "media");
  EXPECT_EQ(media.at("streamSid").as_string(), kStream);
  auto payload = base64_decode(std::string(media.at("media").at("payload").as_string()));
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(*payload, audio);

  const json::value mark = json::parse(mark_message(kStream, "prompt \"1\" done"));
  EXPECT_EQ(mark.at("event").as_string(), "mark");
  EXPECT_EQ(mark.at("mark").at("name").as_string(), "prompt \"1\" done");

  const json::value clear = json::parse(clear_message(kStream));
  EXPECT_EQ(clear.at("event").as_string(), "clear");
  EXPECT_EQ(clear.at("streamSid").as_string(), kStream);
}

TEST(MediaStreamTest, SerializedInboundMessagesParseBackUnchanged) {
  for (std::string_view text : {kConnected, kStart, kMedia, kDtmf, kMark, kStop}) {
    auto first = parse_inbound(text);
    ASSERT_TRUE(first.ok()) << text;
    auto again = parse_inbound(serialize_inbound(*first));
    ASSERT_TRUE(again.ok()) << serialize_inbound(*first);
    EXPECT_EQ(*again, *first);
  }
}

TEST(MediaStreamTest, OutboundMessagesParseBackToWhatWasBuilt) {
  const std::vector<uint8_t> audio = {0xFF, 0x7E, 0x00, 0x80, 0x01};
  struct Case {
    std::string text;
    OutboundMessage expected;
  };
  const Case cases[] = {
      {media_message(kStream, audio), OutboundMedia{std::string(kStream), audio}},
      {media_message(kStream, {}), OutboundMedia{std::string(kStream), {}}},
      {mark_message(kStream, "greeting"), OutboundMark{std::string(kStream), "greeting"}},
      {mark_message(kStream, "prompt \"1\" \\ done\n\u00e9"),
       OutboundMark{std::string(kStream), "prompt \"1\" \\ done\n\u00e9"}},
      {mark_message(kStream, ""), OutboundMark{std::string(kStream), ""}},
      {clear_message(kStream), OutboundClear{std::string(kStream)}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = parse_outbound(c.text);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, c.expected);
  }
}

TEST(MediaStreamTest, RoundTripsEveryFrameSizeOfOutboundMedia) {
  MediaStreamParser parser;
  std::vector<uint8_t> audio;
  for (int n = 0; n <= 480; ++n) {
    auto r = parser.parse_outbound(media_message(kStream, audio));
    ASSERT_TRUE(r.ok()) << n;
    ASSERT_TRUE(std::holds_alternative<OutboundMedia>(*r));
    EXPECT_EQ(std::get<OutboundMedia>(*r).payload, audio);
    audio.push_back(static_cast<uint8_t>(n * 37));
  }
}

TEST(MediaStreamTest, ParsesOutboundMessagesAsApplicationsWriteThem) {
  // Field order and extra fields vary between applications.
  auto media = parse_outbound(
      R"({"streamSid":"MZ1","media":{"payload":"/37+fw==","track":"outbound"},"event":"media"})");
  ASSERT_TRUE(media.ok()) << media.error().message;
  EXPECT_EQ(*media, OutboundMessage(OutboundMedia{"MZ1", {0xFF, 0x7E, 0xFE, 0x7F}}));
  auto mark = parse_outbound(R"({"event":"mark","sequenceNumber":"9","streamSid":"MZ1","mark":{"name":"m"}})");
  ASSERT_TRUE(mark.ok()) << mark.error().message;
  EXPECT_EQ(*mark, OutboundMessage(OutboundMark{"MZ1", "m"}));
}

TEST(MediaStreamTest, RejectsMalformedOutboundMessagesNamingTheField) {
  struct Case {
    std::string_view text;
    std::string_view field;
  };
  const Case cases[] = {
      {"", "message"},
      {"{", "message"},
      {"\"media\"", "message"},
      {R"({"streamSid":"MZ1"})", "event"},
      {R"({"event":"start","streamSid":"MZ1"})", "event"},
      {R"({"event":"stop","streamSid":"MZ1"})", "event"},
      {R"({"event":["media"],"streamSid":"MZ1"})", "event"},
      {R"({"event":"media","media":{"payload":""}})", "streamSid"},
      {R"({"event":"clear"})", "streamSid"},
      {R"({"event":"clear","streamSid":null})", "streamSid"},
      {R"({"event":"media","streamSid":"MZ1"})", "media"},
      {R"({"event":"media","streamSid":"MZ1","media":[]})", "media"},
      {R"({"event":"media","streamSid":"MZ1","media":{}})", "media.payload"},
      {R"({"event":"media","streamSid":"MZ1","media":{"payload":42}})", "media.payload"},
      {R"({"event":"media","streamSid":"MZ1","media":{"payload":"/37+fw="}})", "media.payload"},
      {R"({"event":"media","streamSid":"MZ1","media":{"payload":"/37 +fw=="}})", "media.payload"},
      {R"({"event":"mark","streamSid":"MZ1"})", "mark"},
      {R"({"event":"mark","streamSid":"MZ1","mark":{"label":"x"}})", "mark.name"},
      {R"({"event":"mark","streamSid":"MZ1","mark":{"name":7}})", "mark.name"},
  };
  MediaStreamParser parser;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    auto r = parser.parse_outbound(c.text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, c.field) << r.error().message;
    EXPECT_NE(r.error().message.find(std::string(c.field)), std::string::npos)
        << r.error().message;
  }
}

TEST(MediaStreamTest, OneParserServesBothDirectionsInTurn) {
  MediaStreamParser parser;
  const std::string mark = mark_message(kStream, "done");
  for (int i = 0; i < 50; ++i) {
    auto in = parser.parse(kMedia);
    ASSERT_TRUE(in.ok());
    EXPECT_TRUE(std::holds_alternative<MediaMessage>(*in));
    auto out = parser.parse_outbound(mark);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, OutboundMessage(OutboundMark{std::string(kStream), "done"}));
    // Each direction refuses the other's own events (a mark looks alike both ways).
    EXPECT_FALSE(parser.parse(clear_message(kStream)).ok());
    EXPECT_FALSE(parser.parse_outbound(kStart).ok());
  }
}

}  // namespace
}  // namespace autovoice::telephony
