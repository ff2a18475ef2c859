#include "sandbox/callee.h"

#include <cmath>

#include <boost/json.hpp>

#include "domain/phone.h"

namespace autovoice::sandbox {

namespace json = boost::json;

namespace {

constexpr double kMaxSeconds = 86400.0;  // a day: longer than any call

Error path_error(const std::string& path, const std::string& what) {
  return Error::invalid(path, "callee file: " + path + " " + what);
}

std::string shown(const json::value& v) {
  std::string text = json::serialize(v);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

Result<double> number_at(const json::value& v, const std::string& path) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return path_error(path, "is " + shown(v) + "; expected a number");
}

// Seconds in [0, kMaxSeconds] (strictly positive when `positive`), as milliseconds.
Result<std::chrono::milliseconds> seconds_at(const json::value& v, const std::string& path,
                                             bool positive) {
  auto n = number_at(v, path);
  if (!n) return std::move(n).error();
  if (*n < 0.0 || (positive && *n <= 0.0) || *n > kMaxSeconds) {
    return path_error(path, "is " + shown(v) + "; expected seconds " +
                                (positive ? std::string("> 0") : std::string(">= 0")) +
                                " and at most 86400");
  }
  return std::chrono::milliseconds{std::llround(*n * 1000.0)};
}

Result<std::string> string_at(const json::value& v, const std::string& path) {
  if (!v.is_string()) return path_error(path, "is " + shown(v) + "; expected a string");
  return std::string(v.get_string());
}

Result<const json::array*> array_at(const json::value& v, const std::string& path) {
  if (!v.is_array()) return path_error(path, "is " + shown(v) + "; expected an array");
  return &v.get_array();
}

Result<const json::object*> object_at(const json::value& v, const std::string& path) {
  if (!v.is_object()) return path_error(path, "is " + shown(v) + "; expected an object");
  return &v.get_object();
}

Result<Answer> answer_at(const json::value& v, const std::string& path) {
  auto text = string_at(v, path);
  if (!text) return std::move(text).error();
  for (Answer a : {Answer::kHuman, Answer::kBusy, Answer::kNoAnswer, Answer::kFail,
                   Answer::kVoicemail, Answer::kInvalid}) {
    if (*text == answer_name(a)) return a;
  }
  return path_error(path, "is " + shown(v) +
                              "; expected one of human, busy, no-answer, fail, voicemail, invalid");
}

Result<KeyPress> key_at(const json::value& v, const std::string& path) {
  auto obj = object_at(v, path);
  if (!obj) return std::move(obj).error();
  KeyPress key;
  bool has_at = false;
  bool has_digits = false;
  for (const auto& member : **obj) {
    const std::string child = path + "." + std::string(member.key());
    if (member.key() == "at_s") {
      auto at = seconds_at(member.value(), child, false);
      if (!at) return std::move(at).error();
      key.at = *at;
      has_at = true;
    } else if (member.key() == "digits") {
      auto digits = string_at(member.value(), child);
      if (!digits) return std::move(digits).error();
      if (digits->empty() ||
          digits->find_first_not_of("0123456789*#w") != std::string::npos) {
        return path_error(child, "is " + shown(member.value()) +
                                     "; expected one or more of 0-9 * # w");
      }
      key.digits = std::move(digits).value();
      has_digits = true;
    } else {
      return path_error(child, "is not a known member; expected at_s or digits");
    }
  }
  if (!has_at) return path_error(path + ".at_s", "is missing");
  if (!has_digits) return path_error(path + ".digits", "is missing");
  return key;
}

Result<Utterance> utterance_at(const json::value& v, const std::string& path) {
  auto obj = object_at(v, path);
  if (!obj) return std::move(obj).error();
  Utterance say;
  bool has_at = false;
  bool has_text = false;
  for (const auto& member : **obj) {
    const std::string child = path + "." + std::string(member.key());
    if (member.key() == "at_s") {
      auto at = seconds_at(member.value(), child, false);
      if (!at) return std::move(at).error();
      say.at = *at;
      has_at = true;
    } else if (member.key() == "text") {
      auto text = string_at(member.value(), child);
      if (!text) return std::move(text).error();
      if (text->empty()) return path_error(child, "is empty; expected the words said");
      say.text = std::move(text).value();
      has_text = true;
    } else if (member.key() == "confidence") {
      auto c = number_at(member.value(), child);
      if (!c) return std::move(c).error();
      if (*c < 0.0 || *c > 1.0) {
        return path_error(child, "is " + shown(member.value()) + "; expected 0 to 1");
      }
      say.confidence = *c;
    } else {
      return path_error(child, "is not a known member; expected at_s, text or confidence");
    }
  }
  if (!has_at) return path_error(path + ".at_s", "is missing");
  if (!has_text) return path_error(path + ".text", "is missing");
  return say;
}

template <typename T, typename Parse>
Result<std::vector<T>> list_at(const json::value& v, const std::string& path, Parse parse) {
  auto arr = array_at(v, path);
  if (!arr) return std::move(arr).error();
  std::vector<T> out;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    auto item = parse((**arr)[i], path + "[" + std::to_string(i) + "]");
    if (!item) return std::move(item).error();
    out.push_back(std::move(item).value());
  }
  return out;
}

Result<CalleeBehaviour> behaviour_at(const json::value& v, const std::string& path) {
  auto obj = object_at(v, path);
  if (!obj) return std::move(obj).error();
  CalleeBehaviour b;
  for (const auto& member : **obj) {
    const std::string child = path + "." + std::string(member.key());
    const json::value& value = member.value();
    if (member.key() == "answer") {
      auto a = answer_at(value, child);
      if (!a) return std::move(a).error();
      b.answer = *a;
    } else if (member.key() == "answer_after_s") {
      auto s = seconds_at(value, child, false);
      if (!s) return std::move(s).error();
      b.answer_after = *s;
    } else if (member.key() == "hangup_after_s") {
      auto s = seconds_at(value, child, true);
      if (!s) return std::move(s).error();
      b.hangup_after = *s;
    } else if (member.key() == "keys") {
      auto keys = list_at<KeyPress>(value, child, key_at);
      if (!keys) return std::move(keys).error();
      b.keys = std::move(keys).value();
    } else if (member.key() == "say") {
      auto says = list_at<Utterance>(value, child, utterance_at);
      if (!says) return std::move(says).error();
      b.says = std::move(says).value();
    } else if (member.key() == "silent") {
      if (!value.is_bool()) return path_error(child, "is " + shown(value) + "; expected true or false");
      b.silent = value.get_bool();
    } else {
      return path_error(child, "is not a known member; expected answer, answer_after_s, "
                               "hangup_after_s, keys, say or silent");
    }
  }
  return b;
}

}  // namespace

std::string_view answer_name(Answer answer) {
  switch (answer) {
    case Answer::kHuman:
      return "human";
    case Answer::kBusy:
      return "busy";
    case Answer::kNoAnswer:
      return "no-answer";
    case Answer::kFail:
      return "fail";
    case Answer::kVoicemail:
      return "voicemail";
    case Answer::kInvalid:
      return "invalid";
  }
  return "human";
}

CalleeBehaviour builtin_default_behaviour() {
  CalleeBehaviour b;
  b.silent = true;
  return b;
}

Result<Callees> parse_callees(std::string_view json_text) {
  boost::system::error_code ec;
  json::value root = json::parse(json_text, ec);
  if (ec) return Error::invalid("$", "callee file is not valid JSON: " + ec.message());
  if (!root.is_object()) return path_error("$", "is " + shown(root) + "; expected an object");
  Callees callees;
  for (const auto& member : root.get_object()) {
    const std::string key(member.key());
    if (key == "default") {
      auto b = behaviour_at(member.value(), "default");
      if (!b) return std::move(b).error();
      callees.fallback = std::move(b).value();
    } else if (key == "numbers") {
      auto numbers = object_at(member.value(), "numbers");
      if (!numbers) return std::move(numbers).error();
      for (const auto& entry : **numbers) {
        const std::string path = "numbers." + std::string(entry.key());
        auto phone = PhoneNumber::parse(entry.key());
        if (!phone) {
          return path_error(path, "is not an E.164 number: " + phone.error().message);
        }
        auto b = behaviour_at(entry.value(), path);
        if (!b) return std::move(b).error();
        callees.numbers[phone->str()] = std::move(b).value();
      }
    } else {
      return path_error(key, "is not a known member; expected default or numbers");
    }
  }
  return callees;
}

const CalleeBehaviour& behaviour_for(const Callees& callees, std::string_view to) {
  auto it = callees.numbers.find(to);
  return it == callees.numbers.end() ? callees.fallback : it->second;
}

}  // namespace autovoice::sandbox
