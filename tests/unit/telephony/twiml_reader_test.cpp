#include "telephony/twiml_reader.h"

#include <gtest/gtest.h>

#include <climits>
#include <random>
#include <string>
#include <vector>

namespace autovoice::telephony {
namespace {

constexpr const char* kProlog = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::string doc(const std::string& body) { return kProlog + ("<Response>" + body + "</Response>"); }

TwimlDocument verbs(std::vector<Verb> v) { return TwimlDocument{std::move(v)}; }

std::string describe(const Result<TwimlDocument>& result) {
  if (result.ok()) return "ok with " + std::to_string(result->verbs.size()) + " verb(s)";
  return "error field=\"" + result.error().field + "\" message=\"" + result.error().message + "\"";
}

// ---------------------------------------------------------------------------
// Accepted documents

struct ReadCase {
  const char* name;
  std::string xml;
  TwimlDocument expected;
};

TEST(TwimlReaderTest, ReadsEveryVerb) {
  const ReadCase cases[] = {
      {"empty response", doc(""), verbs({})},
      {"self-closing response", std::string(kProlog) + "<Response/>", verbs({})},
      {"say", doc("<Say>Hello</Say>"), verbs({SayVerb{.text = "Hello"}})},
      {"say with every attribute",
       doc(R"(<Say voice="Polly.Joanna" language="en-US" loop="2">Hi</Say>)"),
       verbs({SayVerb{.text = "Hi",
                      .options = {.voice = "Polly.Joanna", .language = "en-US", .loop = 2}}})},
      {"empty say", doc("<Say/>"), verbs({SayVerb{}})},
      {"play", doc("<Play>https://e.com/a.mp3</Play>"),
       verbs({PlayVerb{.url = "https://e.com/a.mp3"}})},
      {"play loop 0", doc(R"(<Play loop="0">https://e.com/a.mp3</Play>)"),
       verbs({PlayVerb{.url = "https://e.com/a.mp3", .options = {.loop = 0}}})},
      {"play digits", doc(R"(<Play digits="ww1234#*"/>)"),
       verbs({PlayVerb{.options = {.digits = "ww1234#*"}}})},
      {"pause", doc(R"(<Pause length="3"/>)"), verbs({PauseVerb{.length_seconds = 3}})},
      {"pause without length", doc("<Pause/>"), verbs({PauseVerb{}})},
      {"gather with nested verbs",
       doc(R"(<Gather input="dtmf speech" numDigits="1" timeout="5" action="/g" method="POST")"
           R"( hints="yes, no" speechTimeout="auto" language="en-GB" finishOnKey="*")"
           R"( actionOnEmptyResult="true" partialResultCallback="/p")"
           R"( partialResultCallbackMethod="GET" profanityFilter="false" speechModel="phone_call">)"
           R"(<Say voice="alice">Press 1</Say><Pause length="1"/><Play>https://e.com/t.mp3</Play>)"
           "</Gather>"),
       verbs({GatherVerb{
           .options = {.input = "dtmf speech",
                       .num_digits = 1,
                       .timeout = 5,
                       .action = "/g",
                       .method = "POST",
                       .hints = "yes, no",
                       .speech_timeout = "auto",
                       .language = "en-GB",
                       .finish_on_key = "*",
                       .action_on_empty_result = true,
                       .partial_result_callback = "/p",
                       .partial_result_callback_method = "GET",
                       .profanity_filter = false,
                       .speech_model = "phone_call"},
           .children = {SayVerb{.text = "Press 1", .options = {.voice = "alice"}},
                        PauseVerb{.length_seconds = 1}, PlayVerb{.url = "https://e.com/t.mp3"}}}})},
      {"empty gather", doc("<Gather/>"), verbs({GatherVerb{}})},
      {"gather with empty finishOnKey", doc(R"(<Gather finishOnKey=""/>)"),
       verbs({GatherVerb{.options = {.finish_on_key = ""}}})},
      {"connect stream",
       doc(R"(<Connect action="/after" method="GET"><Stream url="wss://h/s" name="reminder")"
           R"( track="inbound_track" statusCallback="/st" statusCallbackMethod="POST">)"
           R"(<Parameter name="call_type" value="outbound_reminder"/>)"
           R"(<Parameter name="empty" value=""/></Stream></Connect>)"),
       verbs({ConnectVerb{
           .options = {.action = "/after", .method = "GET"},
           .stream = {.url = "wss://h/s",
                      .name = "reminder",
                      .track = "inbound_track",
                      .status_callback = "/st",
                      .status_callback_method = "POST",
                      .parameters = {{"call_type", "outbound_reminder"}, {"empty", ""}}}}})},
      {"connect stream without parameters", doc(R"(<Connect><Stream url="wss://h/s"/></Connect>)"),
       verbs({ConnectVerb{.stream = {.url = "wss://h/s"}}})},
      {"redirect", doc(R"(<Redirect method="GET">/next?a=1&amp;b=2</Redirect>)"),
       verbs({RedirectVerb{.url = "/next?a=1&b=2", .method = "GET"}})},
      {"hangup", doc("<Hangup/>"), verbs({HangupVerb{}})},
      {"reject", doc("<Reject/>"), verbs({RejectVerb{}})},
      {"reject busy", doc(R"(<Reject reason="busy"/>)"), verbs({RejectVerb{.reason = "busy"}})},
      {"verbs in document order", doc("<Say>a</Say><Pause/><Say>b</Say><Hangup/>"),
       verbs({SayVerb{.text = "a"}, PauseVerb{}, SayVerb{.text = "b"}, HangupVerb{}})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = parse_twiml(c.xml);
    ASSERT_TRUE(result.ok()) << describe(result);
    EXPECT_EQ(*result, c.expected);
  }
}

TEST(TwimlReaderTest, LeavesAbsentAttributesUnsetForTwilioDefaults) {
  const auto result =
      parse_twiml(doc("<Say>x</Say><Play>u</Play><Pause/><Gather/><Redirect>/r</Redirect>"
                      R"(<Reject/><Connect><Stream url="wss://h/s"/></Connect>)"));
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(*result, verbs({SayVerb{.text = "x"}, PlayVerb{.url = "u"}, PauseVerb{}, GatherVerb{},
                            RedirectVerb{.url = "/r"}, RejectVerb{},
                            ConnectVerb{.stream = {.url = "wss://h/s"}}}));
  const auto& gather = std::get<GatherVerb>(result->verbs[3]).options;
  EXPECT_FALSE(gather.finish_on_key.has_value());  // Twilio's "#", not disabled
  EXPECT_FALSE(gather.timeout.has_value());
  EXPECT_EQ(kTwimlDefaultPauseSeconds, 1);
}

TEST(TwimlReaderTest, NormalisesCaseInsensitiveAndUnorderedValues) {
  const auto result = parse_twiml(doc(
      R"(<Gather input="speech  dtmf" method="post" actionOnEmptyResult="TRUE")"
      R"( profanityFilter="False" partialResultCallbackMethod="gEt"/>)"
      R"(<Redirect method="get">/r</Redirect>)"
      R"(<Connect method="Post"><Stream url="wss://h/s" statusCallbackMethod="get"/></Connect>)"));
  ASSERT_TRUE(result.ok()) << describe(result);
  const auto& gather = std::get<GatherVerb>(result->verbs[0]).options;
  EXPECT_EQ(gather.input, "dtmf speech");
  EXPECT_EQ(gather.method, "POST");
  EXPECT_EQ(gather.action_on_empty_result, true);
  EXPECT_EQ(gather.profanity_filter, false);
  EXPECT_EQ(gather.partial_result_callback_method, "GET");
  EXPECT_EQ(std::get<RedirectVerb>(result->verbs[1]).method, "GET");
  const auto& connect = std::get<ConnectVerb>(result->verbs[2]);
  EXPECT_EQ(connect.options.method, "POST");
  EXPECT_EQ(connect.stream.status_callback_method, "GET");
}

TEST(TwimlReaderTest, AcceptsEveryInputSpelling) {
  const std::pair<const char*, const char*> cases[] = {
      {"dtmf", "dtmf"},
      {"speech", "speech"},
      {"dtmf speech", "dtmf speech"},
      {"speech dtmf", "dtmf speech"},
      {" dtmf\tspeech ", "dtmf speech"},
  };
  for (const auto& [written, read] : cases) {
    SCOPED_TRACE(written);
    const auto result = parse_twiml(doc(std::string("<Gather input='") + written + "'/>"));
    ASSERT_TRUE(result.ok()) << describe(result);
    EXPECT_EQ(std::get<GatherVerb>(result->verbs[0]).options.input, read);
  }
}

// ---------------------------------------------------------------------------
// XML: what the reader accepts

struct TextCase {
  const char* name;
  std::string xml;
  std::string say_text;  // the text of the only <Say>
};

TEST(TwimlReaderTest, DecodesCharacterData) {
  const TextCase cases[] = {
      {"predefined entities", doc("<Say>&amp;&lt;&gt;&quot;&apos;</Say>"), "&<>\"'"},
      {"decimal reference", doc("<Say>&#65;&#233;</Say>"), "A\xC3\xA9"},
      {"hex reference, both cases", doc("<Say>&#x41;&#xe9;&#x20AC;</Say>"),
       "A\xC3\xA9\xE2\x82\xAC"},
      {"reference outside the BMP", doc("<Say>&#x1F600;</Say>"), "\xF0\x9F\x98\x80"},
      {"reference with leading zeros", doc("<Say>&#x0000041;</Say>"), "A"},
      {"whitespace references kept", doc("<Say>a&#9;b&#10;c&#13;d</Say>"), "a\tb\nc\rd"},
      {"raw UTF-8", doc("<Say>Caf\xC3\xA9 \xF0\x9F\x98\x80</Say>"), "Caf\xC3\xA9 \xF0\x9F\x98\x80"},
      {"CDATA section", doc("<Say><![CDATA[<b> & ]] ]]></Say>"), "<b> & ]] "},
      {"CDATA between text", doc("<Say>a<![CDATA[&]]>b</Say>"), "a&b"},
      {"empty CDATA", doc("<Say><![CDATA[]]></Say>"), ""},
      {"comment inside text", doc("<Say>a<!-- note -->b</Say>"), "ab"},
      {"processing instruction inside text", doc("<Say>a<?audio hint?>b</Say>"), "ab"},
      {"greater-than and lone brackets", doc("<Say>a > b ] c ]] d</Say>"), "a > b ] c ]] d"},
      {"surrounding whitespace kept", doc("<Say>  hi \n</Say>"), "  hi \n"},
      {"CR LF read as LF", doc("<Say>a\r\nb\rc</Say>"), "a\nb\nc"},
      {"tab kept in text", doc("<Say>a\tb</Say>"), "a\tb"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = parse_twiml(c.xml);
    ASSERT_TRUE(result.ok()) << describe(result);
    ASSERT_EQ(result->verbs.size(), 1u);
    EXPECT_EQ(std::get<SayVerb>(result->verbs[0]).text, c.say_text);
  }
}

struct AttributeCase {
  const char* name;
  std::string after_name;  // written as <Say voice...>
  std::string voice;
};

TEST(TwimlReaderTest, DecodesAttributeValues) {
  const AttributeCase cases[] = {
      {"double quotes", R"(="alice")", "alice"},
      {"single quotes", "='alice'", "alice"},
      {"other quote inside", R"(='say "hi"')", "say \"hi\""},
      {"entities", R"(="&amp;&lt;&gt;&quot;&apos;")", "&<>\"'"},
      {"greater-than raw", R"(="a>b")", "a>b"},
      {"literal tab and LF become spaces", "=\"a\tb\nc\"", "a b c"},
      {"literal CR LF becomes one space", "=\"a\r\nb\"", "a b"},
      {"referenced tab, LF, CR are kept", R"(="a&#9;b&#10;c&#13;d")", "a\tb\nc\rd"},
      {"empty", R"(="")", ""},
      {"whitespace around the equals sign", " \n=\t\"alice\"", "alice"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = parse_twiml(doc("<Say voice" + c.after_name + ">x</Say>"));
    ASSERT_TRUE(result.ok()) << describe(result);
    EXPECT_EQ(std::get<SayVerb>(result->verbs[0]).options.voice, c.voice);
  }
}

TEST(TwimlReaderTest, AcceptsPrologVariantsCommentsAndWhitespace) {
  const std::pair<const char*, std::string> cases[] = {
      {"no XML declaration", "<Response><Hangup/></Response>"},
      {"byte-order mark", "\xEF\xBB\xBF" + doc("<Hangup/>")},
      {"declaration in single quotes",
       "<?xml version='1.0' encoding='utf-8'?><Response><Hangup/></Response>"},
      {"declaration without encoding", "<?xml version=\"1.0\"?><Response><Hangup/></Response>"},
      {"declaration with standalone",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" "
       "?><Response><Hangup/></Response>"},
      {"XML 1.1 declaration", "<?xml version=\"1.1\"?><Response><Hangup/></Response>"},
      {"comments and PIs around the root",
       std::string(kProlog) + "\n<!-- generated --><?app v1?>\n<Response><Hangup/></Response>\n"
                              "<!-- end -->\n<?app done?>\n"},
      {"pretty printed with CR LF",
       std::string(kProlog) +
           "\r\n<Response>\r\n  <!-- bye -->\r\n  <Hangup />\r\n</Response>\r\n"},
      {"whitespace inside tags", "<Response ><Hangup\n/></Response\n>"},
      {"end tag for an empty element", "<Response><Hangup></Hangup></Response>"},
      {"CDATA whitespace in a container", "<Response><![CDATA[ ]]><Hangup/></Response>"},
  };
  for (const auto& [name, xml] : cases) {
    SCOPED_TRACE(name);
    const auto result = parse_twiml(xml);
    ASSERT_TRUE(result.ok()) << describe(result);
    EXPECT_EQ(*result, verbs({HangupVerb{}}));
  }
}

TEST(TwimlReaderTest, TrimsWhitespaceAroundUrlsInText) {
  const auto result =
      parse_twiml(doc("<Play>\n  https://e.com/a.mp3\n</Play>"
                      "<Redirect>\t/next </Redirect>"));
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(*result, verbs({PlayVerb{.url = "https://e.com/a.mp3"}, RedirectVerb{.url = "/next"}}));
}

TEST(TwimlReaderTest, AcceptsADocumentOfExactlyTheSizeLimit) {
  std::string xml = doc("<Say></Say>");
  const std::size_t fill = kTwimlMaxBytes - xml.size();
  xml = doc("<Say>" + std::string(fill, 'a') + "</Say>");
  ASSERT_EQ(xml.size(), kTwimlMaxBytes);
  const auto result = parse_twiml(xml);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(std::get<SayVerb>(result->verbs[0]).text.size(), fill);
}

TEST(TwimlReaderTest, AcceptsIntegersUpToIntMax) {
  const auto result = parse_twiml(doc(R"(<Pause length="2147483647"/><Pause length="007"/>)"));
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(*result, verbs({PauseVerb{.length_seconds = INT_MAX}, PauseVerb{.length_seconds = 7}}));
}

// ---------------------------------------------------------------------------
// Rejections: every one is kInvalidArgument with a field path and a message
// naming the value and what was expected.

struct RejectCase {
  const char* name;
  std::string xml;
  std::string field;
  std::string message_part;  // a substring of the message
};

void expect_rejections(const std::vector<RejectCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = parse_twiml(c.xml);
    ASSERT_FALSE(result.ok()) << describe(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().field, c.field);
    EXPECT_NE(result.error().message.find(c.message_part), std::string::npos)
        << result.error().message;
  }
}

TEST(TwimlReaderTest, RejectsMalformedXml) {
  expect_rejections({
      {"empty document", "", "", "no root element"},
      {"only a declaration", kProlog, "", "no root element"},
      {"text before the root", "hello<Response/>", "", "text before the root element"},
      {"declaration after whitespace", " <?xml version=\"1.0\"?><Response/>", "",
       "only allowed at the very start"},
      {"declaration without version", "<?xml encoding=\"UTF-8\"?><Response/>", "",
       "must start with version"},
      {"unsupported version", "<?xml version=\"2.0\"?><Response/>", "", "\"2.0\""},
      {"unsupported encoding", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Response/>", "",
       "encoding \"ISO-8859-1\" is not supported: expected UTF-8"},
      {"bad standalone", "<?xml version=\"1.0\" standalone=\"maybe\"?><Response/>", "",
       "standalone \"maybe\": expected yes or no"},
      {"declaration items out of order",
       "<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?><Response/>", "",
       "unexpected \"encoding\""},
      {"unterminated declaration", "<?xml version=\"1.0\"", "", "unterminated XML declaration"},
      {"only the start of a declaration", "<?xml", "", "unterminated XML declaration"},
      {"mismatched end tag", doc("<Say>x</Play>"), "Response/Say[1]",
       "end tag </Play> does not match <Say>"},
      {"unclosed element", "<Response><Say>x", "Response/Say[1]",
       "unclosed element <Say>: the document ends before </Say>"},
      {"unclosed root", "<Response>", "Response", "unclosed element <Response>"},
      {"unterminated start tag", "<Response><Say voice=\"a\"", "Response/Say[1]",
       "unterminated start tag <Say"},
      {"end tag not closed", "<Response></Response", "Response", "expected '>'"},
      {"missing element name", doc("< Say/>"), "Response", "expected an element name"},
      {"attribute without value", doc("<Say voice>x</Say>"), "Response/Say[1]@voice",
       "expected '='"},
      {"unquoted attribute", doc("<Say voice=alice>x</Say>"), "Response/Say[1]@voice",
       "single or double quotes"},
      {"unterminated attribute value", "<Response><Say voice=\"alice", "Response/Say[1]@voice",
       "unterminated attribute value"},
      {"attribute value running into markup", "<Response><Say voice=\"alice>x</Say></Response>",
       "Response/Say[1]@voice", "'<' is not allowed"},
      {"less-than in an attribute", doc("<Say voice=\"a<b\">x</Say>"), "Response/Say[1]@voice",
       "'<' is not allowed in an attribute value"},
      {"attributes without space", doc("<Say voice=\"a\"language=\"b\">x</Say>"), "Response/Say[1]",
       "expected whitespace"},
      {"duplicate attribute", doc(R"(<Say voice="a" loop="1" voice="b">x</Say>)"),
       "Response/Say[1]@voice", "duplicate attribute \"voice\" on <Say>"},
      {"duplicate attribute with other quotes", doc(R"(<Pause length="1" length='1'/>)"),
       "Response/Pause[1]@length", "duplicate attribute"},
      {"text after the root", doc("") + "x", "", "unexpected content after the root element"},
      {"element after the root", doc("") + "<Response/>", "",
       "unexpected content after the root element </Response>"},
      {"unknown entity", doc("<Say>&nbsp;</Say>"), "Response/Say[1]",
       "unknown entity &nbsp;: only &amp; &lt; &gt; &quot; &apos;"},
      {"bare ampersand", doc("<Say>Tom & Jerry</Say>"), "Response/Say[1]", "write '&' as &amp;"},
      {"entity without semicolon", doc("<Say>&amp</Say>"), "Response/Say[1]", "&amp;"},
      {"entity in an attribute", doc("<Say voice=\"&foo;\">x</Say>"), "Response/Say[1]@voice",
       "unknown entity &foo;"},
      {"reference without digits", doc("<Say>&#;</Say>"), "Response/Say[1]",
       "malformed character reference"},
      {"hex reference with upper-case X", doc("<Say>&#X41;</Say>"), "Response/Say[1]",
       "malformed character reference"},
      {"decimal reference with hex digits", doc("<Say>&#1F;</Say>"), "Response/Say[1]",
       "malformed character reference"},
      {"reference to NUL", doc("<Say>&#0;</Say>"), "Response/Say[1]",
       "character reference \"&#0;\" is not an XML character"},
      {"reference to a control", doc("<Say>&#x1;</Say>"), "Response/Say[1]",
       "is not an XML character"},
      {"reference to a surrogate", doc("<Say>&#xD800;</Say>"), "Response/Say[1]",
       "is not an XML character"},
      {"reference to U+FFFE", doc("<Say>&#xFFFE;</Say>"), "Response/Say[1]",
       "is not an XML character"},
      {"reference above U+10FFFF", doc("<Say>&#x110000;</Say>"), "Response/Say[1]",
       "is not an XML character"},
      {"reference overflowing 32 bits", doc("<Say>&#99999999999999999999;</Say>"),
       "Response/Say[1]", "is not an XML character"},
      {"double hyphen in a comment", doc("<!-- a -- b -->"), "Response",
       "\"--\" is not allowed inside a comment"},
      {"comment ending in three hyphens", doc("<!-- a --->"), "Response", "\"--\""},
      {"unterminated comment", "<Response><!-- x", "Response", "unterminated comment"},
      {"unterminated CDATA", "<Response><Say><![CDATA[x</Say></Response>", "Response/Say[1]",
       "unterminated CDATA section"},
      {"CDATA end in text", doc("<Say>a ]]> b</Say>"), "Response/Say[1]",
       "\"]]>\" is not allowed in text"},
      {"unknown markup declaration", doc("<!ELEMENT x ANY>"), "Response",
       "expected a comment or a CDATA section"},
      {"declaration inside the document", doc("<?xml version=\"1.0\"?>"), "Response",
       "only allowed at the very start"},
      {"unterminated processing instruction", "<Response><?pi x", "Response",
       "unterminated processing instruction"},
  });
}

TEST(TwimlReaderTest, RejectsDoctypeAndEntityDeclarations) {
  const std::string billion_laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
      "<Response><Say>&lol2;</Say></Response>";
  expect_rejections({
      {"billion laughs", billion_laughs, "", "DOCTYPE is not allowed"},
      {"external entity", "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><Response/>", "",
       "DOCTYPE is not allowed"},
      {"doctype inside the root", doc("<!DOCTYPE x>"), "Response", "DOCTYPE is not allowed"},
      {"doctype after a comment", "<!-- x --><!DOCTYPE Response><Response/>", "",
       "DOCTYPE is not allowed"},
  });
}

TEST(TwimlReaderTest, RejectsBadEncoding) {
  expect_rejections({
      {"NUL byte", doc(std::string("<Say>a\0b</Say>", 14)), "", "control character 0x00"},
      {"raw control character",
       doc("<Say>a\x01"
           "b</Say>"),
       "", "control character 0x01"},
      {"lone continuation byte", doc("<Say>\x80</Say>"), "", "invalid UTF-8 (byte 0x80)"},
      {"truncated sequence", doc("<Say>\xC3</Say>"), "", "invalid UTF-8 (byte 0xC3)"},
      {"sequence cut by the end", "<Response/>\xE2\x82", "", "invalid UTF-8"},
      {"overlong encoding", doc("<Say>\xC0\xAF</Say>"), "", "invalid UTF-8 (byte 0xC0)"},
      {"overlong three bytes", doc("<Say>\xE0\x80\xAF</Say>"), "", "invalid UTF-8"},
      {"encoded surrogate", doc("<Say>\xED\xA0\x80</Say>"), "", "invalid UTF-8 (byte 0xED)"},
      {"above U+10FFFF", doc("<Say>\xF4\x90\x80\x80</Say>"), "", "invalid UTF-8 (byte 0xF4)"},
      {"raw U+FFFF", doc("<Say>\xEF\xBF\xBF</Say>"), "", "character U+FFFF is not allowed"},
      {"Latin-1 byte", doc("<Say>Caf\xE9</Say>"), "", "invalid UTF-8 (byte 0xE9)"},
  });
}

TEST(TwimlReaderTest, RejectsDocumentsOverTheLimits) {
  const std::string too_big = doc("<Say>" + std::string(kTwimlMaxBytes, 'a') + "</Say>");
  std::string deep = "<Response>";
  for (int i = 0; i < kTwimlMaxDepth; ++i) deep += "<a>";
  expect_rejections({
      {"over the size limit", too_big, "", "expected at most 65536"},
      {"one byte over the size limit", std::string(kTwimlMaxBytes + 1, ' '), "", "65537 bytes"},
      {"nested deeper than the limit", deep, "Response/a[1]/a[1]/a[1]/a[1]/a[1]/a[1]/a[1]/a[1]",
       "elements nested deeper than 8 levels"},
  });
}

TEST(TwimlReaderTest, RejectsDocumentsThatAreNotTwiml) {
  expect_rejections({
      {"other root", "<Document/>", "Document",
       "the root element is <Document>: expected <Response>"},
      {"lower-case root", "<response/>", "response", "expected <Response>"},
      {"attribute on the root", R"(<Response xmlns="urn:x"/>)", "Response@xmlns",
       "<Response> takes no attributes"},
      {"text in the root", doc("hello<Hangup/>"), "Response",
       "unexpected text \"hello\" in <Response>: expected verbs"},
      {"unknown verb", doc("<Speak>x</Speak>"), "Response/Speak[1]",
       "unknown element <Speak> in <Response>: expected one of Say, Play, Pause, Gather, "
       "Connect, Redirect, Hangup, Reject"},
      {"verb in the wrong case", doc("<say>x</say>"), "Response/say[1]",
       "element names are case-sensitive: did you mean <Say>?"},
      {"noun at the top", doc("<Stream url=\"wss://h\"/>"), "Response/Stream[1]",
       "unknown element"},
  });
}

TEST(TwimlReaderTest, RejectsTwilioVerbsItDoesNotSupport) {
  for (const char* verb : {"Dial", "Echo", "Enqueue", "Leave", "Message", "Pay", "Prompt", "Record",
                           "Refer", "Sms", "Start", "Stop"}) {
    SCOPED_TRACE(verb);
    const auto result = parse_twiml(doc(std::string("<Say>x</Say><") + verb + "/>"));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().field, std::string("Response/") + verb + "[1]");
    EXPECT_EQ(result.error().message,
              std::string("<") + verb + "> is a Twilio verb this reader does not support");
  }
}

TEST(TwimlReaderTest, RejectsBadAttributeValues) {
  expect_rejections({
      {"numDigits not a number", doc(R"(<Gather numDigits="abc"/>)"),
       "Response/Gather[1]@numDigits",
       "numDigits \"abc\" on <Gather>: expected a non-negative integer up to 2147483647"},
      {"numDigits negative", doc(R"(<Gather numDigits="-1"/>)"), "Response/Gather[1]@numDigits",
       "\"-1\""},
      {"numDigits fractional", doc(R"(<Gather numDigits="1.5"/>)"), "Response/Gather[1]@numDigits",
       "\"1.5\""},
      {"numDigits empty", doc(R"(<Gather numDigits=""/>)"), "Response/Gather[1]@numDigits",
       "non-negative integer"},
      {"timeout with spaces", doc(R"(<Gather timeout=" 5"/>)"), "Response/Gather[1]@timeout",
       "\" 5\""},
      {"timeout over INT_MAX", doc(R"(<Gather timeout="2147483648"/>)"),
       "Response/Gather[1]@timeout", "up to 2147483647"},
      {"pause length", doc(R"(<Pause length="ten"/>)"), "Response/Pause[1]@length",
       "length \"ten\" on <Pause>"},
      {"say loop", doc(R"(<Say loop="+1">x</Say>)"), "Response/Say[1]@loop", "loop \"+1\""},
      {"play loop", doc(R"(<Play loop="x">u</Play>)"), "Response/Play[1]@loop", "loop \"x\""},
      {"gather method", doc(R"(<Gather method="PUT"/>)"), "Response/Gather[1]@method",
       "method \"PUT\" on <Gather>: expected GET or POST"},
      {"redirect method", doc(R"(<Redirect method="">/r</Redirect>)"),
       "Response/Redirect[1]@method", "expected GET or POST"},
      {"connect method", doc(R"(<Connect method="PATCH"><Stream url="wss://h"/></Connect>)"),
       "Response/Connect[1]@method", "\"PATCH\""},
      {"statusCallbackMethod",
       doc(R"(<Connect><Stream url="wss://h" statusCallbackMethod="DELETE"/></Connect>)"),
       "Response/Connect[1]/Stream[1]@statusCallbackMethod", "expected GET or POST"},
      {"partialResultCallbackMethod", doc(R"(<Gather partialResultCallbackMethod="x"/>)"),
       "Response/Gather[1]@partialResultCallbackMethod", "expected GET or POST"},
      {"input unknown", doc(R"(<Gather input="voice"/>)"), "Response/Gather[1]@input",
       "input \"voice\" on <Gather>: expected dtmf, speech or \"dtmf speech\""},
      {"input twice", doc(R"(<Gather input="dtmf dtmf"/>)"), "Response/Gather[1]@input",
       "\"dtmf dtmf\""},
      {"input empty", doc(R"(<Gather input=""/>)"), "Response/Gather[1]@input", "expected dtmf"},
      {"input upper-case", doc(R"(<Gather input="DTMF"/>)"), "Response/Gather[1]@input",
       "expected dtmf"},
      {"input comma-separated", doc(R"(<Gather input="dtmf,speech"/>)"), "Response/Gather[1]@input",
       "expected dtmf"},
      {"speechTimeout", doc(R"(<Gather speechTimeout="soon"/>)"),
       "Response/Gather[1]@speechTimeout", "expected a non-negative integer or auto"},
      {"finishOnKey two keys", doc(R"(<Gather finishOnKey="##"/>)"),
       "Response/Gather[1]@finishOnKey", "expected one of 0-9, #, * or the empty string"},
      {"finishOnKey letter", doc(R"(<Gather finishOnKey="a"/>)"), "Response/Gather[1]@finishOnKey",
       "\"a\""},
      {"actionOnEmptyResult", doc(R"(<Gather actionOnEmptyResult="yes"/>)"),
       "Response/Gather[1]@actionOnEmptyResult", "expected true or false"},
      {"profanityFilter", doc(R"(<Gather profanityFilter="1"/>)"),
       "Response/Gather[1]@profanityFilter", "expected true or false"},
      {"digits with a letter", doc(R"(<Play digits="12a"/>)"), "Response/Play[1]@digits",
       "digits \"12a\" on <Play>: expected DTMF digits 0-9, *, # and w"},
      {"digits empty", doc(R"(<Play digits="">u</Play>)"), "Response/Play[1]@digits",
       "expected DTMF digits"},
      {"track", doc(R"(<Connect><Stream url="wss://h" track="inbound"/></Connect>)"),
       "Response/Connect[1]/Stream[1]@track",
       "track \"inbound\" on <Stream>: expected one of inbound_track, outbound_track, both_tracks"},
      {"reject reason", doc(R"(<Reject reason="no"/>)"), "Response/Reject[1]@reason",
       "expected one of rejected, busy"},
      {"value shown escaped", doc("<Gather numDigits=\"&#9;\\&quot;\"/>"),
       "Response/Gather[1]@numDigits", "numDigits \"\\x09\\\\\\\"\" on <Gather>"},
      {"long value shown cut", doc("<Gather numDigits=\"" + std::string(100, 'x') + "\"/>"),
       "Response/Gather[1]@numDigits", "numDigits \"" + std::string(64, 'x') + "\"... on"},
  });
}

TEST(TwimlReaderTest, RejectsUnknownAttributes) {
  expect_rejections({
      {"typo in a Gather attribute", doc(R"(<Gather numdigits="1"/>)"),
       "Response/Gather[1]@numdigits",
       "unknown attribute \"numdigits\" on <Gather>: expected one of input, numDigits, timeout"},
      {"unmodelled Twilio attribute", doc(R"(<Gather enhanced="true"/>)"),
       "Response/Gather[1]@enhanced", "unknown attribute \"enhanced\""},
      {"say", doc(R"(<Say rate="fast">x</Say>)"), "Response/Say[1]@rate",
       "expected one of voice, language, loop"},
      {"play", doc(R"(<Play voice="a">u</Play>)"), "Response/Play[1]@voice",
       "expected one of loop, digits"},
      {"pause", doc(R"(<Pause seconds="1"/>)"), "Response/Pause[1]@seconds",
       "expected one of length"},
      {"hangup", doc(R"(<Hangup reason="x"/>)"), "Response/Hangup[1]@reason",
       "<Hangup> takes no attributes"},
      {"redirect", doc(R"(<Redirect url="/r">/r</Redirect>)"), "Response/Redirect[1]@url",
       "expected one of method"},
      {"connect", doc(R"(<Connect url="wss://h"><Stream url="wss://h"/></Connect>)"),
       "Response/Connect[1]@url", "expected one of action, method"},
      {"stream", doc(R"(<Connect><Stream url="wss://h" codec="pcmu"/></Connect>)"),
       "Response/Connect[1]/Stream[1]@codec", "expected one of url, name, track"},
      {"parameter",
       doc(R"(<Connect><Stream url="wss://h"><Parameter name="a" value="b" )"
           R"(type="c"/></Stream></Connect>)"),
       "Response/Connect[1]/Stream[1]/Parameter[1]@type", "expected one of name, value"},
      {"reject", doc(R"(<Reject cause="busy"/>)"), "Response/Reject[1]@cause",
       "expected one of reason"},
  });
}

TEST(TwimlReaderTest, RejectsBadVerbContent) {
  expect_rejections({
      {"SSML inside Say", doc("<Say>Hi <break time=\"1s\"/> there</Say>"),
       "Response/Say[1]/break[1]", "SSML and other elements are not supported by this reader"},
      {"Play without URL or digits", doc("<Play> </Play>"), "Response/Play[1]",
       "<Play> needs a URL as its text or a digits attribute"},
      {"element inside Play", doc("<Play><Say>x</Say></Play>"), "Response/Play[1]/Say[1]",
       "<Say> inside <Play>"},
      {"text inside Pause", doc("<Pause>5</Pause>"), "Response/Pause[1]",
       "unexpected text \"5\" in <Pause>: expected no content"},
      {"Redirect without URL", doc("<Redirect method=\"POST\"/>"), "Response/Redirect[1]",
       "<Redirect> needs a URL as its text"},
      {"text inside Hangup", doc("<Hangup>now</Hangup>"), "Response/Hangup[1]",
       "unexpected text \"now\""},
      {"element inside Reject", doc("<Reject><Say>x</Say></Reject>"), "Response/Reject[1]/Say[1]",
       "<Reject> takes no content"},
      {"Gather inside Gather", doc("<Gather><Gather/></Gather>"), "Response/Gather[1]/Gather[1]",
       "<Gather> may not be nested in <Gather>: only <Say>, <Play> and <Pause> may"},
      {"Hangup inside Gather", doc("<Gather><Say>x</Say><Hangup/></Gather>"),
       "Response/Gather[1]/Hangup[1]", "may not be nested in <Gather>"},
      {"Dial inside Gather", doc("<Gather><Dial/></Gather>"), "Response/Gather[1]/Dial[1]",
       "may not be nested in <Gather>"},
      {"unknown element inside Gather", doc("<Gather><Menu/></Gather>"),
       "Response/Gather[1]/Menu[1]", "unknown element <Menu> in <Gather>"},
      {"text inside Gather", doc("<Gather>Press 1</Gather>"), "Response/Gather[1]",
       "unexpected text \"Press 1\" in <Gather>: expected <Say>, <Play> or <Pause>"},
      {"bad nested Say", doc("<Gather><Say loop=\"x\">a</Say></Gather>"),
       "Response/Gather[1]/Say[1]@loop", "loop \"x\""},
      {"Connect without Stream", doc("<Connect/>"), "Response/Connect[1]",
       "<Connect> needs one <Stream>"},
      {"Connect with two Streams",
       doc(R"(<Connect><Stream url="wss://a"/><Stream url="wss://b"/></Connect>)"),
       "Response/Connect[1]/Stream[2]", "<Connect> takes exactly one <Stream>"},
      {"Connect to a Room", doc(R"(<Connect><Room>r</Room></Connect>)"),
       "Response/Connect[1]/Room[1]", "<Connect><Room> is not supported by this reader"},
      {"text inside Connect", doc(R"(<Connect>x<Stream url="wss://a"/></Connect>)"),
       "Response/Connect[1]", "unexpected text \"x\""},
      {"Stream without url", doc("<Connect><Stream name=\"s\"/></Connect>"),
       "Response/Connect[1]/Stream[1]", "<Stream> needs a url attribute"},
      {"Stream with empty url", doc("<Connect><Stream url=\"\"/></Connect>"),
       "Response/Connect[1]/Stream[1]@url", "url \"\" on <Stream>: expected a WebSocket URL"},
      {"other element in Stream",
       doc(R"(<Connect><Stream url="wss://a"><Param name="a" value="b"/></Stream></Connect>)"),
       "Response/Connect[1]/Stream[1]/Param[1]", "expected <Parameter>"},
      {"Parameter without name",
       doc(R"(<Connect><Stream url="wss://a"><Parameter value="b"/></Stream></Connect>)"),
       "Response/Connect[1]/Stream[1]/Parameter[1]", "<Parameter> needs a name attribute"},
      {"Parameter with empty name",
       doc(R"(<Connect><Stream url="wss://a"><Parameter name="" value="b"/></Stream></Connect>)"),
       "Response/Connect[1]/Stream[1]/Parameter[1]@name", "a non-empty parameter name"},
      {"Parameter without value",
       doc(R"(<Connect><Stream url="wss://a"><Parameter name="a"/><Parameter name="b"/>)"
           "</Stream></Connect>"),
       "Response/Connect[1]/Stream[1]/Parameter[1]", "<Parameter> needs a value attribute"},
      {"Parameter with text",
       doc(R"(<Connect><Stream url="wss://a"><Parameter name="a" value="">x</Parameter>)"
           "</Stream></Connect>"),
       "Response/Connect[1]/Stream[1]/Parameter[1]", "unexpected text \"x\""},
  });
}

TEST(TwimlReaderTest, PathsCountSameNamedSiblings) {
  expect_rejections({
      {"second Gather", doc(R"(<Gather/><Say>x</Say><Gather numDigits="x"/>)"),
       "Response/Gather[2]@numDigits", "numDigits \"x\""},
      {"third Parameter",
       doc(R"(<Say>a</Say><Connect><Stream url="wss://a"><Parameter name="a" value=""/>)"
           R"(<Parameter name="b" value=""/><Parameter name="" value=""/></Stream></Connect>)"),
       "Response/Connect[1]/Stream[1]/Parameter[3]@name", "non-empty"},
      {"second Say in the second Gather",
       doc(R"(<Gather/><Gather><Say>a</Say><Pause/><Say loop="-2">b</Say></Gather>)"),
       "Response/Gather[2]/Say[2]@loop", "loop \"-2\""},
  });
}

TEST(TwimlReaderTest, CutsLongElementNamesInPathsAndMessages) {
  const std::string name(100, 'X');
  const auto result = parse_twiml(doc("<" + name + "/>"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "Response/" + std::string(64, 'X') + "...[1]");
  const auto root = parse_twiml("<" + name + "/>");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.error().message,
            "the root element is <" + std::string(64, 'X') + "...>: expected <Response>");
}

TEST(TwimlReaderTest, SyntaxErrorsGiveLineAndColumn) {
  const auto result = parse_twiml("<Response>\n  <Say>x</Play>\n</Response>");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "Response/Say[1]");
  EXPECT_EQ(result.error().message, "line 2, column 9: end tag </Play> does not match <Say>");
}

TEST(TwimlReaderTest, EveryTruncationOfADocumentIsAnErrorNotACrash) {
  Response r;
  GatherBody body;
  body.say("Press 1 &amp; <2>", {.voice = "alice"}).pause(1);
  r.gather({.input = "dtmf", .num_digits = 1, .action = "/g?a=1&b=2"}, body)
      .connect_stream({.url = "wss://h/s", .parameters = {{"k", "v\t\"'"}}})
      .redirect("/r");
  const std::string xml = r.str();
  ASSERT_TRUE(parse_twiml(xml).ok());
  for (std::size_t n = 0; n < xml.size(); ++n) {
    EXPECT_FALSE(parse_twiml(std::string_view(xml).substr(0, n)).ok()) << n;
  }
}

// ---------------------------------------------------------------------------
// Round trip: the builder and the reader are the two sides of one model.

TEST(TwimlReaderTest, ReadsBackWhatTheBuilderBuilt) {
  Response r;
  GatherBody body;
  body.say("Press 1 to confirm, 2 to cancel.", {.voice = "Polly.Joanna", .language = "en-US"})
      .pause(2)
      .play("https://e.com/menu.mp3", {.loop = 2});
  r.say("Hello Ann, this is Tom & Jerry's <barber> \"shop\".")
      .gather({.input = "dtmf speech",
               .num_digits = 1,
               .timeout = 5,
               .action = "/api/v1/voice/gather?id=42&kind=reminder",
               .method = "POST",
               .hints = "confirm, cancel",
               .speech_timeout = "auto",
               .language = "en-US",
               .finish_on_key = "",
               .action_on_empty_result = true},
              body)
      .play("", {.digits = "ww1#"})
      .pause()
      .connect_stream({.url = "wss://shop.example/api/v1/voice/media-stream",
                       .name = "reminder",
                       .track = "both_tracks",
                       .status_callback = "https://shop.example/cb?a=1&b=2",
                       .status_callback_method = "GET",
                       .parameters = {{"call_type", "outbound_reminder"}, {"a&b", "<\"'>"}}},
                      {.action = "/after", .method = "POST"})
      .redirect("/api/v1/voice/next?a=1&b=2", "GET")
      .reject("busy")
      .hangup();
  const auto result = parse_twiml(r.str());
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(
      *result,
      verbs({SayVerb{.text = "Hello Ann, this is Tom & Jerry's <barber> \"shop\"."},
             GatherVerb{
                 .options = {.input = "dtmf speech",
                             .num_digits = 1,
                             .timeout = 5,
                             .action = "/api/v1/voice/gather?id=42&kind=reminder",
                             .method = "POST",
                             .hints = "confirm, cancel",
                             .speech_timeout = "auto",
                             .language = "en-US",
                             .finish_on_key = "",
                             .action_on_empty_result = true},
                 .children = {SayVerb{.text = "Press 1 to confirm, 2 to cancel.",
                                      .options = {.voice = "Polly.Joanna", .language = "en-US"}},
                              PauseVerb{.length_seconds = 2},
                              PlayVerb{.url = "https://e.com/menu.mp3", .options = {.loop = 2}}}},
             PlayVerb{.options = {.digits = "ww1#"}}, PauseVerb{},
             ConnectVerb{
                 .options = {.action = "/after", .method = "POST"},
                 .stream = {.url = "wss://shop.example/api/v1/voice/media-stream",
                            .name = "reminder",
                            .track = "both_tracks",
                            .status_callback = "https://shop.example/cb?a=1&b=2",
                            .status_callback_method = "GET",
                            .parameters = {{"call_type", "outbound_reminder"}, {"a&b", "<\"'>"}}}},
             RedirectVerb{.url = "/api/v1/voice/next?a=1&b=2", .method = "GET"},
             RejectVerb{.reason = "busy"}, HangupVerb{}}));
  EXPECT_EQ(to_response(*result).str(), r.str());
}

TEST(TwimlReaderTest, ReadsBackEscapedCharactersInTextAndAttributes) {
  const std::string specials[] = {
      "&",
      "<",
      ">",
      "\"",
      "'",
      "\t",
      "\n",
      "\r",
      "\r\n",
      " \t\r\n ",
      "a&b<c>d\"e'f",
      "&amp;",
      "]]>",
      "<!-- x -->",
      "<![CDATA[x]]>",
      "&#65;",
      "Caf\xC3\xA9 \xF0\x9F\x98\x80",
  };
  for (const std::string& s : specials) {
    SCOPED_TRACE(testing::PrintToString(s));
    Response r;
    r.say(s, {.voice = s, .language = s})
        .connect_stream(
            {.url = "wss://h/" + s, .name = s, .status_callback = s, .parameters = {{"n" + s, s}}},
            {.action = s})
        .gather({.action = s,
                 .hints = s,
                 .language = s,
                 .partial_result_callback = s,
                 .speech_model = s});
    const auto result = parse_twiml(r.str());
    ASSERT_TRUE(result.ok()) << describe(result);
    EXPECT_EQ(*result, verbs({SayVerb{.text = s, .options = {.voice = s, .language = s}},
                              ConnectVerb{.options = {.action = s},
                                          .stream = {.url = "wss://h/" + s,
                                                     .name = s,
                                                     .status_callback = s,
                                                     .parameters = {{"n" + s, s}}}},
                              GatherVerb{.options = {.action = s,
                                                     .hints = s,
                                                     .language = s,
                                                     .partial_result_callback = s,
                                                     .speech_model = s}}}));
  }
}

// Documents of canonical values drawn from a fixed seed, so failures reproduce.
class DocumentGenerator {
 public:
  explicit DocumentGenerator(uint32_t seed) : random_(seed) {}

  TwimlDocument document() {
    TwimlDocument d;
    const int count = pick(8);
    for (int i = 0; i < count; ++i) d.verbs.push_back(verb());
    return d;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  template <typename T>
  T one_of(const std::vector<T>& values) {
    return values[static_cast<std::size_t>(pick(static_cast<int>(values.size())))];
  }

  std::string text() {
    static const std::vector<std::string> pieces = {"a",
                                                    "Hello",
                                                    " ",
                                                    "&",
                                                    "<",
                                                    ">",
                                                    "\"",
                                                    "'",
                                                    "\t",
                                                    "\n",
                                                    "\r",
                                                    "]]>",
                                                    "&amp;",
                                                    "--",
                                                    "\xC3\xA9",
                                                    "\xE2\x82\xAC",
                                                    "\xF0\x9F\x98\x80",
                                                    "?",
                                                    "=",
                                                    "/",
                                                    "1",
                                                    "#",
                                                    "<![CDATA[",
                                                    "%20",
                                                    "\xEF\xBB\xBF"};
    std::string out;
    for (int n = pick(6); n > 0; --n) out += one_of(pieces);
    return out;
  }
  // Text with no surrounding whitespace and not empty: URLs in element text.
  std::string url() {
    std::string s = text();
    const auto first = s.find_first_not_of(" \t\n\r");
    if (first == std::string::npos) return "https://e.com/a.mp3?x=" + std::to_string(pick(100));
    s = s.substr(first, s.find_last_not_of(" \t\n\r") - first + 1);
    return s;
  }
  std::optional<int> count() {
    return one_of(std::vector<std::optional<int>>{std::nullopt, 0, 1, 5, 30, INT_MAX});
  }
  std::optional<bool> flag() {
    return one_of(std::vector<std::optional<bool>>{std::nullopt, true, false});
  }
  std::string method() { return one_of(std::vector<std::string>{"", "GET", "POST"}); }
  std::string digits() { return one_of(std::vector<std::string>{"", "1", "ww1234#", "*9w0"}); }

  SayVerb say() {
    return {.text = text(), .options = {.voice = text(), .language = text(), .loop = count()}};
  }
  PlayVerb play() {
    PlayVerb p{.url = pick(4) == 0 ? "" : url(), .options = {.loop = count(), .digits = digits()}};
    if (p.url.empty() && p.options.digits.empty()) p.options.digits = "5";
    return p;
  }
  PauseVerb pause() { return {.length_seconds = count()}; }

  Verb verb() {
    switch (pick(8)) {
      case 0:
        return say();
      case 1:
        return play();
      case 2:
        return pause();
      case 3: {
        GatherVerb g;
        g.options = {.input = one_of(std::vector<std::string>{"", "dtmf", "speech", "dtmf speech"}),
                     .num_digits = count(),
                     .timeout = count(),
                     .action = text(),
                     .method = method(),
                     .hints = text(),
                     .speech_timeout = one_of(std::vector<std::string>{"", "auto", "0", "3"}),
                     .language = text(),
                     .finish_on_key = one_of(
                         std::vector<std::optional<std::string>>{std::nullopt, "", "#", "*", "5"}),
                     .action_on_empty_result = flag(),
                     .partial_result_callback = text(),
                     .partial_result_callback_method = method(),
                     .profanity_filter = flag(),
                     .speech_model = text()};
        for (int n = pick(4); n > 0; --n) {
          switch (pick(3)) {
            case 0:
              g.children.emplace_back(say());
              break;
            case 1:
              g.children.emplace_back(play());
              break;
            default:
              g.children.emplace_back(pause());
              break;
          }
        }
        return g;
      }
      case 4: {
        ConnectVerb c{.options = {.action = text(), .method = method()},
                      .stream = {.url = "wss://h/" + text(),
                                 .name = text(),
                                 .track = one_of(std::vector<std::string>{
                                     "", "inbound_track", "outbound_track", "both_tracks"}),
                                 .status_callback = text(),
                                 .status_callback_method = method()}};
        for (int n = pick(4); n > 0; --n) c.stream.parameters.emplace_back("p" + text(), text());
        return c;
      }
      case 5:
        return RedirectVerb{.url = url(), .method = method()};
      case 6:
        return HangupVerb{};
      default:
        return RejectVerb{.reason = one_of(std::vector<std::string>{"", "rejected", "busy"})};
    }
  }

  std::mt19937 random_;
};

TEST(TwimlReaderTest, RoundTripsManyBuiltDocuments) {
  DocumentGenerator generator(20240611);
  for (int i = 0; i < 3000; ++i) {
    const TwimlDocument built = generator.document();
    const std::string xml = to_response(built).str();
    const auto read = parse_twiml(xml);
    ASSERT_TRUE(read.ok()) << i << ": " << describe(read) << "\n" << xml;
    ASSERT_EQ(*read, built) << i << ": " << xml;
    ASSERT_EQ(to_response(*read).str(), xml) << i;
  }
}

}  // namespace
}  // namespace autovoice::telephony
