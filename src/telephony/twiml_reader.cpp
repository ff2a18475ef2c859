#include "telephony/twiml_reader.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <utility>

namespace autovoice::telephony {
namespace {

// ---------------------------------------------------------------------------
// Text helpers

constexpr std::size_t kShownBytes = 64;  // longest value quoted in a message

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_blank(std::string_view s) { return std::all_of(s.begin(), s.end(), is_xml_space); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_ascii_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }

char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_upper(x) == ascii_upper(y);
         });
}

// The characters XML 1.0 allows (production [2] Char).
bool is_xml_char(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string hex_byte(unsigned char c) {
  constexpr std::string_view kDigits = "0123456789ABCDEF";
  return std::string("0x") + kDigits[c >> 4] + kDigits[c & 0xF];
}

std::string code_point_name(uint32_t cp) {
  constexpr std::string_view kDigits = "0123456789ABCDEF";
  std::string digits;
  for (; cp != 0 || digits.size() < 4; cp >>= 4) digits.insert(digits.begin(), kDigits[cp & 0xF]);
  return "U+" + digits;
}

// `value` cut (on a UTF-8 boundary) after kShownBytes, with "..." when cut.
std::pair<std::string_view, bool> cut(std::string_view value) {
  if (value.size() <= kShownBytes) return {value, false};
  std::size_t end = kShownBytes;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return {value.substr(0, end), true};
}

// An XML name for a message, cut to kShownBytes.
std::string shown_name(std::string_view name) {
  const auto [shown, was_cut] = cut(name);
  return std::string(shown) + (was_cut ? "..." : "");
}

// `value` for a message: in double quotes, control bytes, '"' and '\' escaped,
// cut to kShownBytes.
std::string quoted(std::string_view value) {
  const auto [shown, was_cut] = cut(value);
  std::string out = "\"";
  for (const char ch : shown) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += hex_byte(c).substr(2);
    } else {
      out += ch;
    }
  }
  out += '"';
  if (was_cut) out += "...";
  return out;
}

// "line L, column C: " for byte `offset` of `text` (columns count bytes).
std::string position(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column =
      line_start == std::string_view::npos ? offset + 1 : offset - line_start;
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

// "a, b, c"
template <typename Range>
std::string join_names(const Range& names) {
  std::string out;
  for (const std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string join(std::initializer_list<std::string_view> names) { return join_names(names); }

// `xml` checked to be UTF-8 made of XML characters, a leading byte-order mark
// dropped and line ends (CR LF, lone CR) read as LF (XML 1.0 section 2.11).
Result<std::string> normalise(std::string_view xml) {
  std::string out;
  out.reserve(xml.size());
  std::size_t i = xml.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < xml.size()) {
    const auto c = static_cast<unsigned char>(xml[i]);
    if (c < 0x80) {
      if (c == '\r') {
        out += '\n';
        i += (i + 1 < xml.size() && xml[i + 1] == '\n') ? 2 : 1;
        continue;
      }
      if (c < 0x20 && c != '\t' && c != '\n') {
        return Error::invalid("", position(out, out.size()) + "control character " + hex_byte(c) +
                                      " is not allowed in XML");
      }
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t length = 0;
    uint32_t cp = 0;
    unsigned char low = 0x80;  // range of the second byte (RFC 3629 section 4)
    unsigned char high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      cp = c & 0x0Fu;
      if (c == 0xE0) low = 0xA0;   // no overlong forms
      if (c == 0xED) high = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      cp = c & 0x07u;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    }
    bool valid = length != 0 && i + length <= xml.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto b = static_cast<unsigned char>(xml[i + k]);
      valid = k == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (!valid) {
      return Error::invalid("", position(out, out.size()) + "invalid UTF-8 (byte " + hex_byte(c) +
                                    "): the document must be UTF-8");
    }
    if (!is_xml_char(cp)) {
      return Error::invalid("", position(out, out.size()) + "character " + code_point_name(cp) +
                                    " is not allowed in XML");
    }
    out.append(xml.substr(i, length));
    i += length;
  }
  return out;
}

// ---------------------------------------------------------------------------
// A small strict non-validating XML reader: the tree of one document.

struct XmlElement {
  std::string name;
  std::string path;  // "Response/Gather[2]": where errors point
  std::vector<std::pair<std::string, std::string>> attributes;  // decoded, in document order
  std::vector<XmlElement> children;
  std::string text;  // all character data and CDATA directly inside, decoded
};

class XmlReader {
 public:
  // REQUIRES: `text` went through normalise() and outlives the reader.
  explicit XmlReader(std::string_view text) : text_(text) {}

  Result<XmlElement> read_document() {
    XmlElement root;
    if (read_prolog() && read_element(root, "", nullptr, 1) && skip_misc()) {
      if (at_end()) return root;
      fail("", "unexpected content after the root element </" + shown_name(root.name) + ">");
    }
    if (!error_) return Error::internal("the XML reader stopped without an error");  // a bug
    return *std::move(error_);
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  bool starts_with(std::string_view s) const {
    return pos_ <= text_.size() && text_.substr(pos_).starts_with(s);
  }

  // Records the first error (at the current position); returns false.
  bool fail(const std::string& field, const std::string& message) {
    if (!error_) error_ = Error::invalid(field, position(text_, pos_) + message);
    return false;
  }

  bool skip_space() {
    const std::size_t start = pos_;
    while (!at_end() && is_xml_space(peek())) ++pos_;
    return pos_ != start;
  }

  // An XML name ([A-Za-z_:] or any non-ASCII character, then also [0-9.-]);
  // empty when there is none at the current position.
  std::string_view read_name() {
    const auto name_start = [](unsigned char c) {
      return is_ascii_alpha(c) || c == '_' || c == ':' || c >= 0x80;
    };
    const std::size_t start = pos_;
    if (at_end() || !name_start(static_cast<unsigned char>(peek()))) return {};
    ++pos_;
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(peek());
      if (!name_start(c) && !is_ascii_digit(c) && c != '-' && c != '.') break;
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  bool read_prolog() {
    if (starts_with("<?xml") &&
        (pos_ + 5 == text_.size() || is_xml_space(text_[pos_ + 5]) || text_[pos_ + 5] == '?')) {
      if (!read_xml_declaration()) return false;
    }
    if (!skip_misc()) return false;
    if (at_end()) return fail("", "no root element: expected <Response>");
    if (peek() != '<') return fail("", "text before the root element: expected <Response>");
    return true;
  }

  // <?xml version="1.x" encoding="UTF-8" standalone="yes|no"?>, the last two optional.
  bool read_xml_declaration() {
    pos_ += 5;
    std::vector<std::pair<std::string_view, std::string_view>> items;
    while (true) {
      const bool space = skip_space();
      if (at_end()) return fail("", "unterminated XML declaration: expected \"?>\"");
      if (starts_with("?>")) {
        pos_ += 2;
        break;
      }
      if (!space) return fail("", "expected whitespace or \"?>\" in the XML declaration");
      const std::string_view name = read_name();
      if (name.empty()) {
        return fail("", "expected version, encoding or standalone in the XML declaration");
      }
      skip_space();
      if (at_end() || peek() != '=') return fail("", "expected '=' after " + std::string(name));
      ++pos_;
      skip_space();
      if (at_end() || (peek() != '"' && peek() != '\'')) {
        return fail("", "the value of " + std::string(name) + " must be in quotes");
      }
      const char quote = peek();
      const std::size_t end = text_.find(quote, pos_ + 1);
      if (end == std::string_view::npos) return fail("", "unterminated XML declaration value");
      items.emplace_back(name, text_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
    }
    std::size_t k = 0;
    if (items.empty() || items[0].first != "version") {
      return fail("", "the XML declaration must start with version=\"1.0\"");
    }
    const std::string_view version = items[k++].second;
    if (version.size() < 3 || !version.starts_with("1.") ||
        !std::all_of(version.begin() + 2, version.end(),
                     [](char c) { return is_ascii_digit(static_cast<unsigned char>(c)); })) {
      return fail("", "XML version " + quoted(version) + " is not supported: expected 1.0");
    }
    if (k < items.size() && items[k].first == "encoding") {
      if (!iequals(items[k].second, "UTF-8")) {
        return fail("",
                    "encoding " + quoted(items[k].second) + " is not supported: expected UTF-8");
      }
      ++k;
    }
    if (k < items.size() && items[k].first == "standalone") {
      if (items[k].second != "yes" && items[k].second != "no") {
        return fail("", "standalone " + quoted(items[k].second) + ": expected yes or no");
      }
      ++k;
    }
    if (k < items.size()) {
      return fail("", "unexpected " + quoted(items[k].first) +
                          " in the XML declaration: expected version, encoding, standalone in "
                          "that order");
    }
    return true;
  }

  // Whitespace, comments and processing instructions outside the root.
  bool skip_misc() {
    while (true) {
      skip_space();
      if (starts_with("<!--")) {
        if (!read_comment("")) return false;
      } else if (starts_with("<?")) {
        if (!read_processing_instruction("")) return false;
      } else if (starts_with("<!DOCTYPE")) {
        return fail("",
                    "DOCTYPE is not allowed: TwiML needs no DTD and entities are never expanded");
      } else if (starts_with("<!")) {
        return fail("", "unexpected \"<!\" outside the root element: expected a comment");
      } else {
        return true;
      }
    }
  }

  bool read_comment(const std::string& field) {
    const std::size_t end = text_.find("--", pos_ + 4);
    if (end == std::string_view::npos) return fail(field, "unterminated comment: expected \"-->\"");
    if (end + 2 >= text_.size() || text_[end + 2] != '>') {
      pos_ = end;
      return fail(field, "\"--\" is not allowed inside a comment");
    }
    pos_ = end + 3;
    return true;
  }

  bool read_processing_instruction(const std::string& field) {
    pos_ += 2;
    const std::string_view target = read_name();
    if (target.empty()) return fail(field, "expected a processing-instruction target after \"<?\"");
    if (iequals(target, "xml")) {
      return fail(field, "the XML declaration is only allowed at the very start of the document");
    }
    if (!at_end() && !is_xml_space(peek()) && !starts_with("?>")) {
      return fail(field, "expected whitespace or \"?>\" after <?" + std::string(target));
    }
    const std::size_t end = text_.find("?>", pos_);
    if (end == std::string_view::npos) {
      return fail(field, "unterminated processing instruction: expected \"?>\"");
    }
    pos_ = end + 2;
    return true;
  }

  // An entity or character reference at '&', decoded onto `out`; in the text
  // of `element` or, when `attribute` is not empty, in that attribute's value.
  bool read_reference(std::string& out, const XmlElement& element, std::string_view attribute) {
    const auto fail_here = [&](const std::string& message) {
      return fail(attribute.empty() ? element.path : element.path + "@" + std::string(attribute),
                  message);
    };
    const std::size_t start = pos_;
    ++pos_;
    if (!at_end() && peek() == '#') {
      ++pos_;
      const bool hex = !at_end() && peek() == 'x';
      if (hex) ++pos_;
      uint32_t cp = 0;
      std::size_t digits = 0;
      for (; !at_end(); ++pos_, ++digits) {
        const auto c = static_cast<unsigned char>(peek());
        uint32_t d = 0;
        if (is_ascii_digit(c)) {
          d = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          d = c - 'a' + 10u;
        } else if (hex && c >= 'A' && c <= 'F') {
          d = c - 'A' + 10u;
        } else {
          break;
        }
        cp = std::min<uint32_t>(cp * (hex ? 16 : 10) + d, 0x110000);  // saturates: no overflow
      }
      if (digits == 0 || at_end() || peek() != ';') {
        pos_ = start;
        return fail_here("malformed character reference: expected &#digits; or &#xhex;");
      }
      ++pos_;
      if (!is_xml_char(cp)) {
        const std::string reference(text_.substr(start, pos_ - start));
        pos_ = start;
        return fail_here("character reference " + quoted(reference) + " is not an XML character");
      }
      append_utf8(out, cp);
      return true;
    }
    const std::string_view name = read_name();
    if (name.empty() || at_end() || peek() != ';') {
      pos_ = start;
      return fail_here("'&' must start an entity or character reference; write '&' as &amp;");
    }
    ++pos_;
    static constexpr std::array<std::pair<std::string_view, char>, 5> kEntities = {
        {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}}};
    for (const auto& [entity, ch] : kEntities) {
      if (name == entity) {
        out += ch;
        return true;
      }
    }
    pos_ = start;
    return fail_here("unknown entity &" + shown_name(name) +
                     ";: only &amp; &lt; &gt; &quot; &apos; and character references are "
                     "allowed (there is no DTD)");
  }

  // An element at '<' and everything up to its end tag. `sibling_counts` is
  // null for the root.
  bool read_element(XmlElement& element, const std::string& parent_path,
                    std::map<std::string, int, std::less<>>* sibling_counts, int depth) {
    const std::size_t tag_start = pos_;
    ++pos_;
    const std::string_view name = read_name();
    if (name.empty()) return fail(parent_path, "expected an element name after '<'");
    element.name = name;
    // Names are cut in paths so that a long name cannot make every path below it long.
    if (sibling_counts == nullptr) {
      element.path = shown_name(name);
    } else {
      const int index = ++(*sibling_counts)[element.name];
      element.path = parent_path + "/" + shown_name(name) + "[" + std::to_string(index) + "]";
    }
    if (depth > kTwimlMaxDepth) {
      pos_ = tag_start;
      return fail(element.path,
                  "elements nested deeper than " + std::to_string(kTwimlMaxDepth) + " levels");
    }
    while (true) {
      const bool space = skip_space();
      if (at_end()) {
        return fail(element.path, "unterminated start tag <" + shown_name(element.name));
      }
      if (starts_with("/>")) {
        pos_ += 2;
        return check_unique_attributes(element);
      }
      if (peek() == '>') {
        ++pos_;
        break;
      }
      if (!space) {
        return fail(element.path, "expected whitespace, '>' or '/>' in the start tag of <" +
                                      shown_name(element.name) + ">");
      }
      if (!read_attribute(element)) return false;
    }
    return check_unique_attributes(element) && read_content(element, depth);
  }

  bool read_attribute(XmlElement& element) {
    const std::string_view name = read_name();
    if (name.empty()) {
      return fail(element.path, "expected an attribute name, '>' or '/>' in the start tag of <" +
                                    shown_name(element.name) + ">");
    }
    // Built on failure only: a path per attribute would cost more than the parse.
    const auto field = [&] { return element.path + "@" + std::string(name); };
    skip_space();
    if (at_end() || peek() != '=') return fail(field(), "expected '=' after the attribute name");
    ++pos_;
    skip_space();
    if (at_end() || (peek() != '"' && peek() != '\'')) {
      return fail(field(), "the attribute value must be in single or double quotes");
    }
    const char quote = peek();
    ++pos_;
    std::string value;
    while (true) {
      if (at_end()) return fail(field(), "unterminated attribute value");
      const char c = peek();
      if (c == quote) break;
      if (c == '<') return fail(field(), "'<' is not allowed in an attribute value; write &lt;");
      if (c == '&') {
        if (!read_reference(value, element, name)) return false;
        continue;
      }
      value += (c == '\t' || c == '\n') ? ' ' : c;  // attribute-value normalisation
      ++pos_;
    }
    ++pos_;
    element.attributes.emplace_back(std::string(name), std::move(value));
    return true;
  }

  bool check_unique_attributes(const XmlElement& element) {
    if (element.attributes.size() < 2) return true;
    std::vector<std::string_view> names;
    names.reserve(element.attributes.size());
    for (const auto& attribute : element.attributes) names.push_back(attribute.first);
    std::sort(names.begin(), names.end());
    const auto duplicate = std::adjacent_find(names.begin(), names.end());
    if (duplicate == names.end()) return true;
    return fail(
        element.path + "@" + std::string(*duplicate),
        "duplicate attribute " + quoted(*duplicate) + " on <" + shown_name(element.name) + ">");
  }

  // Content after the start tag, up to and including the matching end tag.
  bool read_content(XmlElement& element, int depth) {
    std::map<std::string, int, std::less<>> child_counts;
    while (true) {
      if (at_end()) {
        return fail(element.path, "unclosed element <" + shown_name(element.name) +
                                      ">: the document ends before </" + shown_name(element.name) +
                                      ">");
      }
      const char c = peek();
      if (c == '&') {
        if (!read_reference(element.text, element, {})) return false;
      } else if (c == ']') {
        if (starts_with("]]>")) {
          return fail(element.path, "\"]]>\" is not allowed in text; write ]]&gt;");
        }
        element.text += c;
        ++pos_;
      } else if (c != '<') {
        std::size_t end = text_.find_first_of("<&]", pos_);
        if (end == std::string_view::npos) end = text_.size();
        element.text.append(text_.substr(pos_, end - pos_));
        pos_ = end;
      } else if (starts_with("</")) {
        return read_end_tag(element);
      } else if (starts_with("<!--")) {
        if (!read_comment(element.path)) return false;
      } else if (starts_with("<![CDATA[")) {
        const std::size_t begin = pos_ + 9;
        const std::size_t end = text_.find("]]>", begin);
        if (end == std::string_view::npos) {
          return fail(element.path, "unterminated CDATA section: expected \"]]>\"");
        }
        element.text.append(text_.substr(begin, end - begin));
        pos_ = end + 3;
      } else if (starts_with("<!DOCTYPE")) {
        return fail(element.path, "DOCTYPE is not allowed");
      } else if (starts_with("<!")) {
        return fail(element.path, "unexpected \"<!\": expected a comment or a CDATA section");
      } else if (starts_with("<?")) {
        if (!read_processing_instruction(element.path)) return false;
      } else {
        XmlElement& child = element.children.emplace_back();
        if (!read_element(child, element.path, &child_counts, depth + 1)) return false;
      }
    }
  }

  bool read_end_tag(const XmlElement& element) {
    const std::size_t tag_start = pos_;
    pos_ += 2;
    const std::string_view name = read_name();
    if (name != element.name) {
      pos_ = tag_start;
      return fail(element.path, "end tag </" + shown_name(name) + "> does not match <" +
                                    shown_name(element.name) + ">");
    }
    skip_space();
    if (at_end() || peek() != '>') {
      return fail(element.path, "expected '>' to end </" + shown_name(element.name));
    }
    ++pos_;
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::optional<Error> error_;
};

// ---------------------------------------------------------------------------
// TwiML on top of the tree.

constexpr std::array<std::string_view, 8> kVerbNames = {"Say",     "Play",     "Pause",  "Gather",
                                                        "Connect", "Redirect", "Hangup", "Reject"};
constexpr std::array<std::string_view, 12> kUnsupportedVerbNames = {
    "Dial",   "Echo",   "Enqueue", "Leave", "Message", "Pay",
    "Prompt", "Record", "Refer",   "Sms",   "Start",   "Stop"};

std::string attribute_field(const XmlElement& e, std::string_view name) {
  return e.path + "@" + std::string(name);
}

const std::string* find_attribute(const XmlElement& e, std::string_view name) {
  for (const auto& [key, value] : e.attributes) {
    if (key == name) return &value;
  }
  return nullptr;
}

Status check_attribute_names(const XmlElement& e, std::initializer_list<std::string_view> allowed) {
  for (const auto& attribute : e.attributes) {
    const std::string& name = attribute.first;
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string message =
        "unknown attribute " + quoted(name) + " on <" + shown_name(e.name) + ">: ";
    message += allowed.size() == 0 ? "<" + shown_name(e.name) + "> takes no attributes"
                                   : "expected one of " + join(allowed);
    return Error::invalid(attribute_field(e, name), message);
  }
  return ok_status();
}

std::optional<int> parse_count(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  for (const char c : s) {
    if (!is_ascii_digit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > INT_MAX) return std::nullopt;
  }
  return static_cast<int>(value);
}

Error bad_value(const XmlElement& e, std::string_view name, std::string_view value,
                std::string_view expected) {
  return Error::invalid(attribute_field(e, name), std::string(name) + " " + quoted(value) +
                                                      " on <" + shown_name(e.name) +
                                                      ">: expected " + std::string(expected));
}

// Attribute readers: an absent attribute leaves `out` as it is.

Status read_string(const XmlElement& e, std::string_view name, std::string& out) {
  if (const std::string* v = find_attribute(e, name)) out = *v;
  return ok_status();
}

Status read_count(const XmlElement& e, std::string_view name, std::optional<int>& out) {
  const std::string* v = find_attribute(e, name);
  if (v == nullptr) return ok_status();
  out = parse_count(*v);
  if (!out) return bad_value(e, name, *v, "a non-negative integer up to 2147483647");
  return ok_status();
}

Status read_method(const XmlElement& e, std::string_view name, std::string& out) {
  const std::string* v = find_attribute(e, name);
  if (v == nullptr) return ok_status();
  if (iequals(*v, "GET")) {
    out = "GET";
  } else if (iequals(*v, "POST")) {
    out = "POST";
  } else {
    return bad_value(e, name, *v, "GET or POST");
  }
  return ok_status();
}

Status read_bool(const XmlElement& e, std::string_view name, std::optional<bool>& out) {
  const std::string* v = find_attribute(e, name);
  if (v == nullptr) return ok_status();
  if (iequals(*v, "true")) {
    out = true;
  } else if (iequals(*v, "false")) {
    out = false;
  } else {
    return bad_value(e, name, *v, "true or false");
  }
  return ok_status();
}

Status read_choice(const XmlElement& e, std::string_view name,
                   std::initializer_list<std::string_view> choices, std::string& out) {
  const std::string* v = find_attribute(e, name);
  if (v == nullptr) return ok_status();
  if (std::find(choices.begin(), choices.end(), *v) == choices.end()) {
    return bad_value(e, name, *v, "one of " + join(choices));
  }
  out = *v;
  return ok_status();
}

// input: "dtmf", "speech" or both, in any order; read as the builder writes it.
Status read_input(const XmlElement& e, std::string& out) {
  const std::string* v = find_attribute(e, "input");
  if (v == nullptr) return ok_status();
  bool dtmf = false;
  bool speech = false;
  bool valid = true;
  std::string_view rest = *v;
  while (valid) {
    rest = trim(rest);
    if (rest.empty()) break;
    const std::size_t end = std::min(rest.find_first_of(" \t\n\r"), rest.size());
    const std::string_view token = rest.substr(0, end);
    rest.remove_prefix(end);
    bool& seen = token == "dtmf" ? dtmf : speech;
    valid = (token == "dtmf" || token == "speech") && !seen;
    seen = true;
  }
  if (!valid || (!dtmf && !speech)) {
    return bad_value(e, "input", *v, "dtmf, speech or \"dtmf speech\"");
  }
  out = dtmf && speech ? "dtmf speech" : dtmf ? "dtmf" : "speech";
  return ok_status();
}

Status read_speech_timeout(const XmlElement& e, std::string& out) {
  const std::string* v = find_attribute(e, "speechTimeout");
  if (v == nullptr) return ok_status();
  if (*v != "auto" && !parse_count(*v)) {
    return bad_value(e, "speechTimeout", *v, "a non-negative integer or auto");
  }
  out = *v;
  return ok_status();
}

Status read_finish_on_key(const XmlElement& e, std::optional<std::string>& out) {
  const std::string* v = find_attribute(e, "finishOnKey");
  if (v == nullptr) return ok_status();
  constexpr std::string_view kKeys = "0123456789#*";
  if (v->size() > 1 || (v->size() == 1 && kKeys.find((*v)[0]) == std::string_view::npos)) {
    return bad_value(e, "finishOnKey", *v, "one of 0-9, #, * or the empty string");
  }
  out = *v;
  return ok_status();
}

Status read_digits(const XmlElement& e, std::string& out) {
  const std::string* v = find_attribute(e, "digits");
  if (v == nullptr) return ok_status();
  constexpr std::string_view kDigits = "0123456789*#w";
  if (v->empty() || v->find_first_not_of(kDigits) != std::string::npos) {
    return bad_value(e, "digits", *v, "DTMF digits 0-9, *, # and w (a half-second wait)");
  }
  out = *v;
  return ok_status();
}

// Element-level checks.

Status check_no_children(const XmlElement& e, std::string_view why) {
  if (e.children.empty()) return ok_status();
  const XmlElement& child = e.children.front();
  return Error::invalid(child.path, "<" + shown_name(child.name) + "> inside <" +
                                        shown_name(e.name) + ">: " + std::string(why));
}

Status check_blank_text(const XmlElement& e, std::string_view expected) {
  if (is_blank(e.text)) return ok_status();
  return Error::invalid(e.path, "unexpected text " + quoted(trim(e.text)) + " in <" +
                                    shown_name(e.name) + ">: expected " + std::string(expected));
}

#define AV_RETURN_IF_ERROR(expr)                           \
  do {                                                     \
    Status av_status_ = (expr);                            \
    if (!av_status_) return std::move(av_status_).error(); \
  } while (false)

Result<SayVerb> read_say(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {"voice", "language", "loop"}));
  AV_RETURN_IF_ERROR(check_no_children(
      e, "<Say> takes text only; SSML and other elements are not supported by this reader"));
  SayVerb say;
  say.text = e.text;
  AV_RETURN_IF_ERROR(read_string(e, "voice", say.options.voice));
  AV_RETURN_IF_ERROR(read_string(e, "language", say.options.language));
  AV_RETURN_IF_ERROR(read_count(e, "loop", say.options.loop));
  return say;
}

Result<PlayVerb> read_play(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {"loop", "digits"}));
  AV_RETURN_IF_ERROR(check_no_children(e, "<Play> takes a URL as text only"));
  PlayVerb play;
  play.url = trim(e.text);
  AV_RETURN_IF_ERROR(read_count(e, "loop", play.options.loop));
  AV_RETURN_IF_ERROR(read_digits(e, play.options.digits));
  if (play.url.empty() && play.options.digits.empty()) {
    return Error::invalid(e.path, "<Play> needs a URL as its text or a digits attribute");
  }
  return play;
}

Result<PauseVerb> read_pause(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {"length"}));
  AV_RETURN_IF_ERROR(check_no_children(e, "<Pause> takes no content"));
  AV_RETURN_IF_ERROR(check_blank_text(e, "no content"));
  PauseVerb pause;
  AV_RETURN_IF_ERROR(read_count(e, "length", pause.length_seconds));
  return pause;
}

bool is_verb_name(std::string_view name) {
  return std::find(kVerbNames.begin(), kVerbNames.end(), name) != kVerbNames.end() ||
         std::find(kUnsupportedVerbNames.begin(), kUnsupportedVerbNames.end(), name) !=
             kUnsupportedVerbNames.end();
}

Result<GatherVerb> read_gather(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(
      e, {"input", "numDigits", "timeout", "action", "method", "hints", "speechTimeout", "language",
          "finishOnKey", "actionOnEmptyResult", "partialResultCallback",
          "partialResultCallbackMethod", "profanityFilter", "speechModel"}));
  AV_RETURN_IF_ERROR(check_blank_text(e, "<Say>, <Play> or <Pause>"));
  GatherVerb gather;
  GatherOptions& o = gather.options;
  AV_RETURN_IF_ERROR(read_input(e, o.input));
  AV_RETURN_IF_ERROR(read_count(e, "numDigits", o.num_digits));
  AV_RETURN_IF_ERROR(read_count(e, "timeout", o.timeout));
  AV_RETURN_IF_ERROR(read_string(e, "action", o.action));
  AV_RETURN_IF_ERROR(read_method(e, "method", o.method));
  AV_RETURN_IF_ERROR(read_string(e, "hints", o.hints));
  AV_RETURN_IF_ERROR(read_speech_timeout(e, o.speech_timeout));
  AV_RETURN_IF_ERROR(read_string(e, "language", o.language));
  AV_RETURN_IF_ERROR(read_finish_on_key(e, o.finish_on_key));
  AV_RETURN_IF_ERROR(read_bool(e, "actionOnEmptyResult", o.action_on_empty_result));
  AV_RETURN_IF_ERROR(read_string(e, "partialResultCallback", o.partial_result_callback));
  AV_RETURN_IF_ERROR(
      read_method(e, "partialResultCallbackMethod", o.partial_result_callback_method));
  AV_RETURN_IF_ERROR(read_bool(e, "profanityFilter", o.profanity_filter));
  AV_RETURN_IF_ERROR(read_string(e, "speechModel", o.speech_model));
  for (const XmlElement& child : e.children) {
    if (child.name == "Say") {
      auto say = read_say(child);
      if (!say) return say.error();
      gather.children.emplace_back(*std::move(say));
    } else if (child.name == "Play") {
      auto play = read_play(child);
      if (!play) return play.error();
      gather.children.emplace_back(*std::move(play));
    } else if (child.name == "Pause") {
      auto pause = read_pause(child);
      if (!pause) return pause.error();
      gather.children.emplace_back(*std::move(pause));
    } else if (is_verb_name(child.name)) {
      return Error::invalid(child.path, "<" + shown_name(child.name) +
                                            "> may not be nested in <Gather>: only <Say>, "
                                            "<Play> and <Pause> may");
    } else {
      return Error::invalid(child.path, "unknown element <" + shown_name(child.name) +
                                            "> in <Gather>: expected <Say>, <Play> or <Pause>");
    }
  }
  return gather;
}

Result<std::pair<std::string, std::string>> read_parameter(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {"name", "value"}));
  AV_RETURN_IF_ERROR(check_no_children(e, "<Parameter> takes no content"));
  AV_RETURN_IF_ERROR(check_blank_text(e, "no content"));
  const std::string* name = find_attribute(e, "name");
  if (name == nullptr) return Error::invalid(e.path, "<Parameter> needs a name attribute");
  if (name->empty()) return bad_value(e, "name", *name, "a non-empty parameter name");
  const std::string* value = find_attribute(e, "value");
  if (value == nullptr) return Error::invalid(e.path, "<Parameter> needs a value attribute");
  return std::pair(*name, *value);
}

Result<StreamOptions> read_stream(const XmlElement& e) {
  AV_RETURN_IF_ERROR(
      check_attribute_names(e, {"url", "name", "track", "statusCallback", "statusCallbackMethod"}));
  AV_RETURN_IF_ERROR(check_blank_text(e, "<Parameter> elements"));
  StreamOptions stream;
  const std::string* url = find_attribute(e, "url");
  if (url == nullptr) return Error::invalid(e.path, "<Stream> needs a url attribute");
  if (url->empty()) return bad_value(e, "url", *url, "a WebSocket URL");
  stream.url = *url;
  AV_RETURN_IF_ERROR(read_string(e, "name", stream.name));
  AV_RETURN_IF_ERROR(
      read_choice(e, "track", {"inbound_track", "outbound_track", "both_tracks"}, stream.track));
  AV_RETURN_IF_ERROR(read_string(e, "statusCallback", stream.status_callback));
  AV_RETURN_IF_ERROR(read_method(e, "statusCallbackMethod", stream.status_callback_method));
  for (const XmlElement& child : e.children) {
    if (child.name != "Parameter") {
      return Error::invalid(child.path, "unexpected element <" + shown_name(child.name) +
                                            "> in <Stream>: expected <Parameter>");
    }
    auto parameter = read_parameter(child);
    if (!parameter) return parameter.error();
    stream.parameters.push_back(*std::move(parameter));
  }
  return stream;
}

Result<ConnectVerb> read_connect(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {"action", "method"}));
  AV_RETURN_IF_ERROR(check_blank_text(e, "one <Stream>"));
  ConnectVerb connect;
  AV_RETURN_IF_ERROR(read_string(e, "action", connect.options.action));
  AV_RETURN_IF_ERROR(read_method(e, "method", connect.options.method));
  for (const XmlElement& child : e.children) {
    if (child.name != "Stream") {
      return Error::invalid(child.path, "<Connect><" + shown_name(child.name) +
                                            "> is not supported by this reader: expected "
                                            "<Stream>");
    }
    if (&child != &e.children.front()) {
      return Error::invalid(child.path, "<Connect> takes exactly one <Stream>");
    }
    auto stream = read_stream(child);
    if (!stream) return stream.error();
    connect.stream = *std::move(stream);
  }
  if (e.children.empty()) return Error::invalid(e.path, "<Connect> needs one <Stream>");
  return connect;
}

Result<RedirectVerb> read_redirect(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {"method"}));
  AV_RETURN_IF_ERROR(check_no_children(e, "<Redirect> takes a URL as text only"));
  RedirectVerb redirect;
  redirect.url = trim(e.text);
  if (redirect.url.empty()) return Error::invalid(e.path, "<Redirect> needs a URL as its text");
  AV_RETURN_IF_ERROR(read_method(e, "method", redirect.method));
  return redirect;
}

Result<HangupVerb> read_hangup(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {}));
  AV_RETURN_IF_ERROR(check_no_children(e, "<Hangup> takes no content"));
  AV_RETURN_IF_ERROR(check_blank_text(e, "no content"));
  return HangupVerb{};
}

Result<RejectVerb> read_reject(const XmlElement& e) {
  AV_RETURN_IF_ERROR(check_attribute_names(e, {"reason"}));
  AV_RETURN_IF_ERROR(check_no_children(e, "<Reject> takes no content"));
  AV_RETURN_IF_ERROR(check_blank_text(e, "no content"));
  RejectVerb reject;
  AV_RETURN_IF_ERROR(read_choice(e, "reason", {"rejected", "busy"}, reject.reason));
  return reject;
}

template <typename T>
Status append_verb(Result<T> verb, std::vector<Verb>& verbs) {
  if (!verb) return std::move(verb).error();
  verbs.emplace_back(*std::move(verb));
  return ok_status();
}

Status read_verb(const XmlElement& e, std::vector<Verb>& verbs) {
  const std::string_view name = e.name;
  if (name == "Say") return append_verb(read_say(e), verbs);
  if (name == "Play") return append_verb(read_play(e), verbs);
  if (name == "Pause") return append_verb(read_pause(e), verbs);
  if (name == "Gather") return append_verb(read_gather(e), verbs);
  if (name == "Connect") return append_verb(read_connect(e), verbs);
  if (name == "Redirect") return append_verb(read_redirect(e), verbs);
  if (name == "Hangup") return append_verb(read_hangup(e), verbs);
  if (name == "Reject") return append_verb(read_reject(e), verbs);
  if (std::find(kUnsupportedVerbNames.begin(), kUnsupportedVerbNames.end(), name) !=
      kUnsupportedVerbNames.end()) {
    return Error::invalid(
        e.path, "<" + shown_name(e.name) + "> is a Twilio verb this reader does not support");
  }
  std::string message = "unknown element <" + shown_name(e.name) +
                        "> in <Response>: expected one of " + join_names(kVerbNames);
  for (const std::string_view verb : kVerbNames) {
    if (iequals(verb, name)) {
      message += " (element names are case-sensitive: did you mean <" + std::string(verb) + ">?)";
    }
  }
  return Error::invalid(e.path, message);
}

#undef AV_RETURN_IF_ERROR

}  // namespace

Result<TwimlDocument> parse_twiml(std::string_view xml) {
  if (xml.size() > kTwimlMaxBytes) {
    return Error::invalid("", "the document is " + std::to_string(xml.size()) +
                                  " bytes: expected at most " + std::to_string(kTwimlMaxBytes));
  }
  auto text = normalise(xml);
  if (!text) return text.error();
  auto root = XmlReader(*text).read_document();
  if (!root) return root.error();
  if (root->name != "Response") {
    return Error::invalid(
        root->path, "the root element is <" + shown_name(root->name) + ">: expected <Response>");
  }
  if (Status names = check_attribute_names(*root, {}); !names) return names.error();
  if (Status text_ok = check_blank_text(*root, "verbs"); !text_ok) return text_ok.error();
  TwimlDocument document;
  document.verbs.reserve(root->children.size());
  for (const XmlElement& child : root->children) {
    if (Status verb = read_verb(child, document.verbs); !verb) return verb.error();
  }
  return document;
}

namespace {

// Say, Play and Pause, which Response and GatherBody both take.
template <typename Builder, typename Variant>
bool add_media_verb(Builder& builder, const Variant& verb) {
  if (const auto* say = std::get_if<SayVerb>(&verb)) {
    builder.say(say->text, say->options);
  } else if (const auto* play = std::get_if<PlayVerb>(&verb)) {
    builder.play(play->url, play->options);
  } else if (const auto* pause = std::get_if<PauseVerb>(&verb)) {
    builder.pause(pause->length_seconds);
  } else {
    return false;
  }
  return true;
}

}  // namespace

Response to_response(const TwimlDocument& document) {
  Response response;
  for (const Verb& verb : document.verbs) {
    if (add_media_verb(response, verb)) continue;
    if (const auto* gather = std::get_if<GatherVerb>(&verb)) {
      GatherBody body;
      for (const GatherChild& child : gather->children) add_media_verb(body, child);
      response.gather(gather->options, body);
    } else if (const auto* connect = std::get_if<ConnectVerb>(&verb)) {
      response.connect_stream(connect->stream, connect->options);
    } else if (const auto* redirect = std::get_if<RedirectVerb>(&verb)) {
      response.redirect(redirect->url, redirect->method);
    } else if (std::holds_alternative<HangupVerb>(verb)) {
      response.hangup();
    } else if (const auto* reject = std::get_if<RejectVerb>(&verb)) {
      response.reject(reject->reason);
    }
  }
  return response;
}

}  // namespace autovoice::telephony
