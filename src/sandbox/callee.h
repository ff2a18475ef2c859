// Scripted callees: how the sandbox's "phone network" behaves when a number is
// dialled. A callee file is JSON:
//
//   {"default": {...behaviour...},
//    "numbers": {"+15550100001": {...behaviour...}, ...}}
//
// where a behaviour is an object with these optional members:
//   "answer":         "human" (default) | "busy" | "no-answer" | "fail" | "voicemail"
//                     | "invalid" (a number not in service: the create request
//                     is refused with Twilio's 21211, HTTP 400, and no call exists)
//   "answer_after_s": seconds of ringing before the answer, >= 0 (default 1)
//   "hangup_after_s": seconds after the answer at which the callee hangs up, > 0
//                     (unset: the call ends when the TwiML application ends it)
//   "keys":           [{"at_s": 2.5, "digits": "1"}]   DTMF, at_s after the answer;
//                     digits from 0-9 * # w
//   "say":            [{"at_s": 1, "text": "yes that works", "confidence": 0.9}]
//                     speech, at_s after the answer; confidence in [0, 1]
//                     (default 0.9); text non-empty
//   "silent":         true for a callee who makes no sound at all (default false)
// Unknown members are errors (a misspelt key would otherwise be ignored).
//
// Pure functions, safe to call from any thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.h"

namespace autovoice::sandbox {

enum class Answer { kHuman, kBusy, kNoAnswer, kFail, kVoicemail, kInvalid };

// "human", "busy", "no-answer", "fail", "voicemail", "invalid".
std::string_view answer_name(Answer answer);

struct KeyPress {
  std::chrono::milliseconds at{0};  // after the answer
  std::string digits;

  friend bool operator==(const KeyPress&, const KeyPress&) = default;
};

struct Utterance {
  std::chrono::milliseconds at{0};  // after the answer
  std::string text;
  double confidence = 0.9;

  friend bool operator==(const Utterance&, const Utterance&) = default;
};

struct CalleeBehaviour {
  Answer answer = Answer::kHuman;
  std::chrono::milliseconds answer_after{1000};
  std::optional<std::chrono::milliseconds> hangup_after;  // after the answer
  std::vector<KeyPress> keys;                              // in file order
  std::vector<Utterance> says;                             // in file order
  bool silent = false;

  friend bool operator==(const CalleeBehaviour&, const CalleeBehaviour&) = default;
};

// The behaviour used when a file gives no "default": answers after 1 s as a
// human and stays silent.
CalleeBehaviour builtin_default_behaviour();

struct Callees {
  CalleeBehaviour fallback = builtin_default_behaviour();  // the file's "default"
  std::map<std::string, CalleeBehaviour, std::less<>> numbers;  // E.164 -> behaviour
};

// Parses a callee file. On failure: kInvalidArgument whose field is the JSON
// path at fault ("numbers.+15550100001.keys[0].at_s") and whose message names
// the path, the value and what is expected. A key of "numbers" must be E.164.
Result<Callees> parse_callees(std::string_view json_text);

// The behaviour for `to`: its entry in numbers, else the default.
const CalleeBehaviour& behaviour_for(const Callees& callees, std::string_view to);

}  // namespace autovoice::sandbox
