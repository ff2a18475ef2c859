// TwiML builder: the XML documents Twilio's voice webhooks answer with.
//
//   Response r;
//   r.say("Hi", {.voice = "Polly.Joanna"});
//   r.connect_stream({.url = "wss://host/api/v1/voice/media-stream",
//                     .parameters = {{"call_type", "outbound_reminder"}}});
//   std::string xml = r.str();
//
// Output is byte-stable so it can be compared as a string: the prolog
// `<?xml version="1.0" encoding="UTF-8"?>`, no whitespace between elements,
// attributes in the fixed order listed in each options struct, empty elements
// as `<Verb/>`. An empty string or an unset optional omits the attribute.
//
// Text and attribute values are XML-escaped (& < > " ' become &amp; &lt; &gt;
// &quot; &apos;). Characters XML 1.0 forbids (C0 controls other than tab, LF and
// CR) are DROPPED, so building never fails. Tab and LF are kept in text; CR is
// written as &#13; in text (XML end-of-line handling would read a raw CR as LF),
// and tab, LF and CR are written as &#9; &#10; &#13; inside attribute values (so
// XML attribute normalisation does not turn them into spaces). Bytes >= 0x80
// pass through unchanged: callers supply UTF-8.
//
// telephony/twiml_reader.h reads these documents back into the same option
// structs: parse_twiml(r.str()) gives back what was built.
//
// Response and GatherBody are plain values: copyable, not thread-safe to mutate
// concurrently, cheap to build per request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autovoice::telephony {

struct SayOptions {
  std::string voice;        // e.g. "Polly.Joanna", "alice"
  std::string language;     // e.g. "en-US"
  std::optional<int> loop;  // Twilio: 1 by default, 0 = repeat (up to 1000 times)
  bool operator==(const SayOptions&) const = default;
};

struct PlayOptions {
  std::optional<int> loop;  // Twilio: 1 by default, 0 = repeat until the call ends
  std::string digits;       // DTMF tones to play instead of a URL: 0-9 * # and w (0.5 s wait)
  bool operator==(const PlayOptions&) const = default;
};

struct StreamOptions {
  std::string url;              // wss:// URL of the media-stream WebSocket (required by Twilio)
  std::string name;
  std::string track;            // "inbound_track", "outbound_track", "both_tracks"
  std::string status_callback;
  std::string status_callback_method;  // statusCallbackMethod: "GET" / "POST"
  // <Parameter name=".." value=".."/> children, in order; delivered in the
  // start message's customParameters.
  std::vector<std::pair<std::string, std::string>> parameters;
  bool operator==(const StreamOptions&) const = default;
};

// Attributes of <Connect> itself: where Twilio goes when the stream ends.
struct ConnectOptions {
  std::string action;  // URL
  std::string method;  // "GET" / "POST"
  bool operator==(const ConnectOptions&) const = default;
};

struct GatherOptions {
  std::string input;                 // "dtmf", "speech" or "dtmf speech"
  std::optional<int> num_digits;     // numDigits
  std::optional<int> timeout;        // seconds
  std::string action;                // URL
  std::string method;                // "GET" / "POST"
  std::string hints;                 // comma-separated words and phrases
  std::string speech_timeout;        // seconds or "auto"
  std::string language;              // e.g. "en-US"
  // finishOnKey: one of 0-9 # *; "" (written as finishOnKey="") disables it;
  // unset leaves Twilio's default "#".
  std::optional<std::string> finish_on_key;
  std::optional<bool> action_on_empty_result;   // actionOnEmptyResult
  std::string partial_result_callback;          // partialResultCallback: URL
  std::string partial_result_callback_method;   // partialResultCallbackMethod: "GET" / "POST"
  std::optional<bool> profanity_filter;         // profanityFilter
  std::string speech_model;                     // speechModel, e.g. "phone_call"
  bool operator==(const GatherOptions&) const = default;
};

// The verbs that may nest inside <Gather>.
class GatherBody {
 public:
  GatherBody& say(std::string_view text, const SayOptions& options = {});
  GatherBody& play(std::string_view url, const PlayOptions& options = {});
  GatherBody& pause(std::optional<int> length_seconds = std::nullopt);

  const std::string& xml() const { return xml_; }

 private:
  std::string xml_;
};

class Response {
 public:
  Response& say(std::string_view text, const SayOptions& options = {});
  Response& play(std::string_view url, const PlayOptions& options = {});
  Response& pause(std::optional<int> length_seconds = std::nullopt);
  Response& gather(const GatherOptions& options, const GatherBody& body = {});
  // <Connect ...><Stream ...>(<Parameter .../>)*</Stream></Connect>
  Response& connect_stream(const StreamOptions& options, const ConnectOptions& connect = {});
  Response& redirect(std::string_view url, std::string_view method = {});
  Response& hangup();
  // <Reject reason=".."/>: "rejected" (Twilio's default) or "busy".
  Response& reject(std::string_view reason = {});

  // The whole document, prolog included.
  std::string str() const;

 private:
  std::string body_;
};

// `text` escaped for use as XML character data / an attribute value, with the
// control-character policy above.
std::string xml_escape_text(std::string_view text);
std::string xml_escape_attribute(std::string_view value);

}  // namespace autovoice::telephony
