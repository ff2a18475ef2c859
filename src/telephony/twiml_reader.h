// TwiML reader: the voice documents of telephony/twiml.h read back into verbs.
//
// The sandbox carrier uses it to interpret what autovoice's webhooks answer
// with. Builder and reader share one model: the parsed verbs carry the same
// option structs the builder takes (SayOptions, PlayOptions, GatherOptions,
// StreamOptions, ConnectOptions), and
//
//   parse_twiml(to_response(d).str()) == d   for every d parse_twiml returns,
//   parse_twiml(r.str()) == the verbs built   for every Response r built from
//                                             valid, canonical values (below).
//
// XML accepted (a small, strict, non-validating reader; no DTD):
//   - UTF-8 only: a leading byte-order mark is skipped, invalid UTF-8 and
//     characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE,
//     U+FFFF) are errors. CR LF and lone CR are read as LF.
//   - an optional XML declaration at the very start (version 1.x, encoding
//     UTF-8 if given, standalone yes/no), comments and processing
//     instructions (skipped) before and after the root and between elements;
//   - elements with attributes in single or double quotes, character data,
//     CDATA sections, the five predefined entities (&amp; &lt; &gt; &quot;
//     &apos;) and character references (&#NN; &#xNN;) to XML characters,
//     stored as UTF-8. Tab and LF in attribute values read as spaces, as XML
//     attribute-value normalisation says; &#9; &#10; &#13; keep theirs.
// Rejected: a DOCTYPE (no entity expansion, ever), any other entity, mismatched
// or unclosed tags, duplicate attributes, "--" in comments, "]]>" in text,
// anything but comments, processing instructions and whitespace after the root,
// documents over kTwimlMaxBytes and elements nested deeper than kTwimlMaxDepth.
//
// TwiML accepted: the root <Response> (no attributes) holding, in order, the
// verbs below. Attribute names are case-sensitive; an attribute not listed is
// an error, as are elements inside <Say>, <Play>, <Pause>, <Redirect>,
// <Hangup>, <Reject> (SSML is not supported) and text other than whitespace
// where verbs or nouns belong.
//   <Say voice language loop>text</Say>                 text kept as written
//   <Play loop digits>URL</Play>                        a URL or digits needed
//   <Pause length/>
//   <Gather input numDigits timeout action method hints speechTimeout language
//           finishOnKey actionOnEmptyResult partialResultCallback
//           partialResultCallbackMethod profanityFilter speechModel>
//     (<Say>|<Play>|<Pause>)*</Gather>
//   <Connect action method><Stream url name track statusCallback
//     statusCallbackMethod>(<Parameter name value/>)*</Stream></Connect>
//                                                       exactly one <Stream>
//   <Redirect method>URL</Redirect>                     URL required
//   <Hangup/>
//   <Reject reason/>
// URLs in text (Play, Redirect) have surrounding whitespace trimmed; they are
// not resolved (relative URLs are the carrier's business). Attribute values are
// checked where Twilio documents a type:
//   numDigits, timeout, length, loop   non-negative integer up to INT_MAX
//   method, statusCallbackMethod,
//   partialResultCallbackMethod        GET or POST, any case; read upper-case
//   input                              "dtmf", "speech" or both, space-separated,
//                                      any order; read as "dtmf", "speech" or
//                                      "dtmf speech"
//   speechTimeout                      non-negative integer or "auto"
//   finishOnKey                        one of 0-9 # *, or "" (disabled)
//   actionOnEmptyResult,
//   profanityFilter                    true or false, any case
//   digits                             0-9 * # w, at least one
//   track                              inbound_track, outbound_track, both_tracks
//   reason                             rejected or busy
//   Stream url, Parameter name         required, not empty; Parameter value
//                                      required, may be empty
// An absent attribute stays unset (empty string, nullopt): Twilio's default
// applies, e.g. kTwimlDefaultPauseSeconds. Canonical values for the builder
// round trip are the ones the reader produces: upper-case methods, input as
// above, valid UTF-8 strings, Play and Redirect URLs without surrounding
// whitespace.
//
// Twilio voice verbs this reader does not implement (Dial, Echo, Enqueue,
// Leave, Pay, Prompt, Record, Refer, Sms, Message, Start, Stop) and nouns of
// <Connect> other than <Stream> are errors that say so, like unknown elements.
//
// Errors: parse_twiml never throws (short of running out of memory), never
// crashes and takes O(n log n) time in the input size. Every failure is
// ErrorCode::kInvalidArgument (what Twilio reports as 12100 "Document parse
// failure") whose `field` is the path of the element or attribute at fault:
// the root's name, then each element with its 1-based index among same-named
// siblings, and "@name" for an attribute, e.g. "Response/Gather[2]@numDigits"
// or "Response/Connect[1]/Stream[1]/Parameter[3]" (element names over 64 bytes
// are cut, ending in "..."). `field` is empty when the fault is not inside the
// root (size, encoding, prolog, trailing content). The message names the value
// and what was expected; XML syntax errors start with "line L, column C: ".
//
// Thread-safety: free functions without shared state; call them from any
// thread concurrently.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/result.h"
#include "telephony/twiml.h"

namespace autovoice::telephony {

inline constexpr std::size_t kTwimlMaxBytes = 64 * 1024;  // larger documents are rejected
inline constexpr int kTwimlMaxDepth = 8;                  // <Response> is depth 1
inline constexpr int kTwimlDefaultPauseSeconds = 1;       // <Pause/> without length

struct SayVerb {
  std::string text;
  SayOptions options;
  bool operator==(const SayVerb&) const = default;
};

struct PlayVerb {
  std::string url;  // empty when only options.digits is given
  PlayOptions options;
  bool operator==(const PlayVerb&) const = default;
};

struct PauseVerb {
  std::optional<int> length_seconds;  // unset: kTwimlDefaultPauseSeconds
  bool operator==(const PauseVerb&) const = default;
};

// The verbs that may nest inside <Gather>, in document order.
using GatherChild = std::variant<SayVerb, PlayVerb, PauseVerb>;

struct GatherVerb {
  GatherOptions options;
  std::vector<GatherChild> children;
  bool operator==(const GatherVerb&) const = default;
};

// <Connect><Stream>: a bidirectional media stream.
struct ConnectVerb {
  ConnectOptions options;
  StreamOptions stream;
  bool operator==(const ConnectVerb&) const = default;
};

struct RedirectVerb {
  std::string url;     // as written: absolute or relative
  std::string method;  // "GET", "POST" or empty (Twilio: POST)
  bool operator==(const RedirectVerb&) const = default;
};

struct HangupVerb {
  bool operator==(const HangupVerb&) const = default;
};

struct RejectVerb {
  std::string reason;  // "rejected", "busy" or empty (Twilio: rejected)
  bool operator==(const RejectVerb&) const = default;
};

using Verb = std::variant<SayVerb, PlayVerb, PauseVerb, GatherVerb, ConnectVerb, RedirectVerb,
                          HangupVerb, RejectVerb>;

struct TwimlDocument {
  std::vector<Verb> verbs;  // in document order; empty for <Response/>
  bool operator==(const TwimlDocument&) const = default;
};

// Reads one TwiML voice document. On success the verbs in document order; on
// failure a kInvalidArgument Error as described above.
Result<TwimlDocument> parse_twiml(std::string_view xml);

// The builder calls that write `document`: the inverse of parse_twiml.
Response to_response(const TwimlDocument& document);

}  // namespace autovoice::telephony
