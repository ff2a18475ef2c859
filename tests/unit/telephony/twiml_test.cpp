#include "telephony/twiml.h"

#include <gtest/gtest.h>

namespace autovoice::telephony {
namespace {

constexpr const char* kProlog = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::string doc(const std::string& body) { return kProlog + ("<Response>" + body + "</Response>"); }

TEST(TwimlTest, EmptyResponse) { EXPECT_EQ(Response().str(), std::string(kProlog) + "<Response/>"); }

TEST(TwimlTest, SayWithVoiceAndLanguage) {
  Response r;
  r.say("Hi", {.voice = "Polly.Joanna", .language = "en-US"});
  EXPECT_EQ(r.str(), doc(R"(<Say voice="Polly.Joanna" language="en-US">Hi</Say>)"));
}

TEST(TwimlTest, SayWithoutOptions) {
  Response r;
  r.say("Hello");
  EXPECT_EQ(r.str(), doc("<Say>Hello</Say>"));
}

TEST(TwimlTest, PlayWithLoop) {
  Response r;
  r.play("https://example.com/a.mp3", {.loop = 0}).play("https://example.com/b.wav");
  EXPECT_EQ(r.str(), doc(R"(<Play loop="0">https://example.com/a.mp3</Play>)"
                         "<Play>https://example.com/b.wav</Play>"));
}

TEST(TwimlTest, Pause) {
  Response r;
  r.pause(2).pause();
  EXPECT_EQ(r.str(), doc(R"(<Pause length="2"/><Pause/>)"));
}

TEST(TwimlTest, HangupAndRedirect) {
  Response r;
  r.redirect("/api/v1/voice/next?a=1&b=2", "POST").redirect("/x").hangup();
  EXPECT_EQ(r.str(), doc(R"(<Redirect method="POST">/api/v1/voice/next?a=1&amp;b=2</Redirect>)"
                         "<Redirect>/x</Redirect><Hangup/>"));
}

TEST(TwimlTest, GatherWithAllAttributesAndNestedVerbs) {
  Response r;
  GatherBody body;
  body.say("Press 1 to confirm.", {.voice = "alice"}).pause(1).play("https://e.com/t.mp3");
  r.gather({.input = "dtmf speech",
            .num_digits = 1,
            .timeout = 5,
            .action = "/api/v1/voice/gather",
            .method = "POST",
            .hints = "confirm, cancel, reschedule",
            .speech_timeout = "auto",
            .language = "en-US"},
           body);
  r.say("We did not get an answer. Goodbye.").hangup();
  EXPECT_EQ(r.str(),
            doc(R"(<Gather input="dtmf speech" numDigits="1" timeout="5" )"
                R"(action="/api/v1/voice/gather" method="POST" hints="confirm, cancel, reschedule" )"
                R"(speechTimeout="auto" language="en-US">)"
                R"(<Say voice="alice">Press 1 to confirm.</Say><Pause length="1"/>)"
                R"(<Play>https://e.com/t.mp3</Play></Gather>)"
                "<Say>We did not get an answer. Goodbye.</Say><Hangup/>"));
}

TEST(TwimlTest, EmptyGather) {
  Response r;
  r.gather({});
  EXPECT_EQ(r.str(), doc("<Gather/>"));
}

TEST(TwimlTest, ReminderConnectStream) {
  Response r;
  r.connect_stream({.url = "wss://shop.example.com/api/v1/voice/media-stream",
                    .name = "reminder",
                    .track = "inbound_track",
                    .status_callback = "https://shop.example.com/api/v1/webhooks/twilio/stream",
                    .parameters = {{"call_type", "outbound_reminder"}, {"appointment_id", "42"}}});
  EXPECT_EQ(r.str(),
            doc(R"(<Connect><Stream url="wss://shop.example.com/api/v1/voice/media-stream" )"
                R"(name="reminder" track="inbound_track" )"
                R"(statusCallback="https://shop.example.com/api/v1/webhooks/twilio/stream">)"
                R"(<Parameter name="call_type" value="outbound_reminder"/>)"
                R"(<Parameter name="appointment_id" value="42"/></Stream></Connect>)"));
}

TEST(TwimlTest, ConnectStreamWithoutParameters) {
  Response r;
  r.connect_stream({.url = "wss://h/s"});
  EXPECT_EQ(r.str(), doc(R"(<Connect><Stream url="wss://h/s"/></Connect>)"));
}

TEST(TwimlTest, ParameterWithEmptyValueKeepsValueAttribute) {
  Response r;
  r.connect_stream({.url = "wss://h/s", .parameters = {{"k", ""}}});
  EXPECT_EQ(r.str(), doc(R"(<Connect><Stream url="wss://h/s"><Parameter name="k" value=""/></Stream></Connect>)"));
}

TEST(TwimlTest, EscapesEverySpecialCharacterInText) {
  Response r;
  r.say(R"(Tom & Jerry's <shop> "best")");
  EXPECT_EQ(r.str(), doc("<Say>Tom &amp; Jerry&apos;s &lt;shop&gt; &quot;best&quot;</Say>"));
}

TEST(TwimlTest, EscapesEverySpecialCharacterInAttributes) {
  Response r;
  r.connect_stream({.url = "wss://h/s?a=1&b=<2>", .parameters = {{"n\"'", "v&<>\"'"}}});
  EXPECT_EQ(r.str(), doc(R"(<Connect><Stream url="wss://h/s?a=1&amp;b=&lt;2&gt;">)"
                         R"(<Parameter name="n&quot;&apos;" value="v&amp;&lt;&gt;&quot;&apos;"/>)"
                         "</Stream></Connect>"));
}

TEST(TwimlTest, DropsForbiddenControlCharacters) {
  Response r;
  r.say(std::string("a\x01" "b\x1f" "c\0d", 7), {.voice = std::string("v\x02w")});
  EXPECT_EQ(r.str(), doc(R"(<Say voice="vw">abcd</Say>)"));
}

TEST(TwimlTest, KeepsTabAndLineFeedInTextAndEncodesWhitespaceControlsInAttributes) {
  EXPECT_EQ(xml_escape_text("a\tb\nc"), "a\tb\nc");
  EXPECT_EQ(xml_escape_attribute("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
}

// XML end-of-line handling reads a raw CR (and CR LF) as LF, so a CR written
// as-is in text would not read back as what was built.
TEST(TwimlTest, EncodesCarriageReturnInText) {
  EXPECT_EQ(xml_escape_text("c\rd\r\ne"), "c&#13;d&#13;\ne");
}

TEST(TwimlTest, SayWithLoop) {
  Response r;
  r.say("Hi", {.language = "en-GB", .loop = 3});
  EXPECT_EQ(r.str(), doc(R"(<Say language="en-GB" loop="3">Hi</Say>)"));
}

TEST(TwimlTest, PlayDigitsWithoutUrl) {
  Response r;
  r.play("", {.digits = "ww1234#"});
  EXPECT_EQ(r.str(), doc(R"(<Play digits="ww1234#"></Play>)"));
}

TEST(TwimlTest, GatherWritesSpeechAndFinishAttributesAfterTheOriginalOnes) {
  Response r;
  r.gather({.input = "speech",
            .timeout = 3,
            .finish_on_key = "*",
            .action_on_empty_result = true,
            .partial_result_callback = "/partial",
            .partial_result_callback_method = "GET",
            .profanity_filter = false,
            .speech_model = "phone_call"});
  EXPECT_EQ(r.str(), doc(R"(<Gather input="speech" timeout="3" finishOnKey="*" )"
                         R"(actionOnEmptyResult="true" partialResultCallback="/partial" )"
                         R"(partialResultCallbackMethod="GET" profanityFilter="false" )"
                         R"(speechModel="phone_call"/>)"));
}

TEST(TwimlTest, GatherWritesAnEmptyFinishOnKey) {
  Response r;
  r.gather({.finish_on_key = ""});
  EXPECT_EQ(r.str(), doc(R"(<Gather finishOnKey=""/>)"));
}

TEST(TwimlTest, ConnectWithActionAndStreamStatusCallbackMethod) {
  Response r;
  r.connect_stream({.url = "wss://h/s", .status_callback = "/st", .status_callback_method = "GET"},
                   {.action = "/after-stream", .method = "POST"});
  EXPECT_EQ(r.str(), doc(R"(<Connect action="/after-stream" method="POST">)"
                         R"(<Stream url="wss://h/s" statusCallback="/st" )"
                         R"(statusCallbackMethod="GET"/>)"
                         "</Connect>"));
}

TEST(TwimlTest, Reject) {
  Response r;
  r.reject().reject("busy");
  EXPECT_EQ(r.str(), doc(R"(<Reject/><Reject reason="busy"/>)"));
}

TEST(TwimlTest, PassesUtf8Through) {
  Response r;
  r.say("Caf\xc3\xa9");
  EXPECT_EQ(r.str(), doc("<Say>Caf\xc3\xa9</Say>"));
}

}  // namespace
}  // namespace autovoice::telephony
