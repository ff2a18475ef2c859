#include "telephony/twiml.h"

namespace autovoice::telephony {
namespace {

void append_escaped(std::string& out, std::string_view text, bool attribute) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t': attribute ? out += "&#9;" : out += ch; break;
      case '\n': attribute ? out += "&#10;" : out += ch; break;
      case '\r': out += "&#13;"; break;  // a raw CR would be read back as LF
      default:
        if (c < 0x20) break;  // forbidden in XML 1.0: dropped
        out += ch;
    }
  }
}

void attr(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  out += ' ';
  out += name;
  out += "=\"";
  append_escaped(out, value, true);
  out += '"';
}

void attr(std::string& out, std::string_view name, std::optional<int> value) {
  if (!value) return;
  attr(out, name, std::to_string(*value));
}

void attr(std::string& out, std::string_view name, std::optional<bool> value) {
  if (!value) return;
  attr(out, name, std::string_view(*value ? "true" : "false"));
}

// Written whenever set, even when empty (finishOnKey="" means something).
void attr_if_set(std::string& out, std::string_view name, const std::optional<std::string>& value) {
  if (!value) return;
  out += ' ';
  out += name;
  out += "=\"";
  append_escaped(out, *value, true);
  out += '"';
}

void say_xml(std::string& out, std::string_view text, const SayOptions& o) {
  out += "<Say";
  attr(out, "voice", o.voice);
  attr(out, "language", o.language);
  attr(out, "loop", o.loop);
  out += '>';
  append_escaped(out, text, false);
  out += "</Say>";
}

void play_xml(std::string& out, std::string_view url, const PlayOptions& o) {
  out += "<Play";
  attr(out, "loop", o.loop);
  attr(out, "digits", o.digits);
  out += '>';
  append_escaped(out, url, false);
  out += "</Play>";
}

void pause_xml(std::string& out, std::optional<int> length) {
  out += "<Pause";
  attr(out, "length", length);
  out += "/>";
}

}  // namespace

std::string xml_escape_text(std::string_view text) {
  std::string out;
  append_escaped(out, text, false);
  return out;
}

std::string xml_escape_attribute(std::string_view value) {
  std::string out;
  append_escaped(out, value, true);
  return out;
}

GatherBody& GatherBody::say(std::string_view text, const SayOptions& options) {
  say_xml(xml_, text, options);
  return *this;
}
GatherBody& GatherBody::play(std::string_view url, const PlayOptions& options) {
  play_xml(xml_, url, options);
  return *this;
}
GatherBody& GatherBody::pause(std::optional<int> length_seconds) {
  pause_xml(xml_, length_seconds);
  return *this;
}

Response& Response::say(std::string_view text, const SayOptions& options) {
  say_xml(body_, text, options);
  return *this;
}
Response& Response::play(std::string_view url, const PlayOptions& options) {
  play_xml(body_, url, options);
  return *this;
}
Response& Response::pause(std::optional<int> length_seconds) {
  pause_xml(body_, length_seconds);
  return *this;
}

Response& Response::gather(const GatherOptions& o, const GatherBody& body) {
  body_ += "<Gather";
  attr(body_, "input", o.input);
  attr(body_, "numDigits", o.num_digits);
  attr(body_, "timeout", o.timeout);
  attr(body_, "action", o.action);
  attr(body_, "method", o.method);
  attr(body_, "hints", o.hints);
  attr(body_, "speechTimeout", o.speech_timeout);
  attr(body_, "language", o.language);
  attr_if_set(body_, "finishOnKey", o.finish_on_key);
  attr(body_, "actionOnEmptyResult", o.action_on_empty_result);
  attr(body_, "partialResultCallback", o.partial_result_callback);
  attr(body_, "partialResultCallbackMethod", o.partial_result_callback_method);
  attr(body_, "profanityFilter", o.profanity_filter);
  attr(body_, "speechModel", o.speech_model);
  if (body.xml().empty()) {
    body_ += "/>";
  } else {
    body_ += '>';
    body_ += body.xml();
    body_ += "</Gather>";
  }
  return *this;
}

Response& Response::connect_stream(const StreamOptions& o, const ConnectOptions& connect) {
  body_ += "<Connect";
  attr(body_, "action", connect.action);
  attr(body_, "method", connect.method);
  body_ += "><Stream";
  attr(body_, "url", o.url);
  attr(body_, "name", o.name);
  attr(body_, "track", o.track);
  attr(body_, "statusCallback", o.status_callback);
  attr(body_, "statusCallbackMethod", o.status_callback_method);
  if (o.parameters.empty()) {
    body_ += "/>";
  } else {
    body_ += '>';
    for (const auto& [name, value] : o.parameters) {
      // name and value are always written, even when empty.
      body_ += "<Parameter name=\"";
      append_escaped(body_, name, true);
      body_ += "\" value=\"";
      append_escaped(body_, value, true);
      body_ += "\"/>";
    }
    body_ += "</Stream>";
  }
  body_ += "</Connect>";
  return *this;
}

Response& Response::redirect(std::string_view url, std::string_view method) {
  body_ += "<Redirect";
  attr(body_, "method", method);
  body_ += '>';
  append_escaped(body_, url, false);
  body_ += "</Redirect>";
  return *this;
}

Response& Response::hangup() {
  body_ += "<Hangup/>";
  return *this;
}

Response& Response::reject(std::string_view reason) {
  body_ += "<Reject";
  attr(body_, "reason", reason);
  body_ += "/>";
  return *this;
}

std::string Response::str() const {
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  if (body_.empty()) {
    out += "<Response/>";
  } else {
    out += "<Response>";
    out += body_;
    out += "</Response>";
  }
  return out;
}

}  // namespace autovoice::telephony
