#include "server/crm_json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <system_error>
#include <utility>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace autovoice::server {
namespace {

namespace json = boost::json;

// Lengths of text members, in Unicode characters.
constexpr std::size_t kMaxNameChars = 100;
constexpr std::size_t kMaxEmailChars = 254;
constexpr std::size_t kMaxMakeModelChars = 50;
constexpr std::size_t kMaxPlateChars = 16;
constexpr std::size_t kMaxServiceTypeChars = 100;
constexpr std::size_t kMaxNotesChars = 2000;
// Members whose own parser judges the whole value (phone, time zone, VIN,
// status, times) have no separate length limit.
constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

// How much of a value an error message shows.
constexpr std::size_t kMaxShownChars = 40;
// An unknown member's or parameter's name is cut to this for the field.
constexpr std::size_t kMaxUnknownNameChars = 64;
// Guard on the validate-and-repair loop: more rounds than a record has fields.
constexpr int kMaxValidateRounds = 16;

// An accepted range of integers and how messages describe it.
struct Range {
  std::int64_t min;
  std::int64_t max;
  const char* expected;
};
constexpr Range kIdRange{1, std::numeric_limits<std::int64_t>::max(), "a positive id"};
constexpr Range kYearRange{1900, 2100, "1900 to 2100"};
constexpr Range kDurationRange{1, 1440, "1 to 1440 minutes"};
constexpr Range kLimitRange{1, kMaxLimit, "1 to 500"};
constexpr Range kOffsetRange{0, std::numeric_limits<int>::max(), "0 or more"};

// --- text ----------------------------------------------------------------------------

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::size_t char_count(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += is_continuation(c) ? 0 : 1;
  return n;
}

// The first `n` characters of `s`, never splitting a UTF-8 sequence.
std::string_view first_chars(std::string_view s, std::size_t n) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_continuation(s[i])) continue;
    if (chars == n) return s.substr(0, i);
    ++chars;
  }
  return s;
}

// `s` as a JSON string literal, cut after kMaxShownChars characters.
std::string quoted(std::string_view s) {
  const std::string_view head = first_chars(s, kMaxShownChars);
  std::string out = json::serialize(json::string_view(head.data(), head.size()));
  if (head.size() < s.size()) out.insert(out.size() - 1, "...");
  return out;
}

// A JSON value as a message shows it: scalars as JSON (strings quoted and
// cut), containers by kind.
std::string shown(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return quoted(v.get_string());
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
    case json::kind::double_: {
      // Boost.JSON writes 2021.5 as 2.0215E3; show it as it was probably typed.
      std::array<char, 32> buffer{};
      const auto [end, ec] =
          std::to_chars(buffer.data(), buffer.data() + buffer.size(), v.get_double());
      return ec == std::errc() ? std::string(buffer.data(), end) : json::serialize(v);
    }
    default:
      return json::serialize(v);
  }
}

// Domain messages quote a byte prefix of the value, which may end inside a
// UTF-8 sequence; response bodies must stay valid UTF-8, so any byte that
// does not start a complete sequence becomes '?'.
std::string valid_utf8(std::string s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 1;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else if (c >= 0x80) {
      len = 0;
    }
    bool whole = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; whole && k < len; ++k) whole = is_continuation(s[i + k]);
    if (!whole) {
      s[i] = '?';
      len = 1;
    }
    i += len;
  }
  return s;
}

enum class Lines { kOne, kMany };

// A control character; kMany allows tabs and line breaks.
bool has_control(std::string_view s, Lines lines) {
  return std::ranges::any_of(s, [lines](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7F) return false;
    return lines == Lines::kOne || (c != '\t' && c != '\n' && c != '\r');
  });
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

bool reported(const FieldErrors& errors, std::string_view field) {
  return std::ranges::any_of(errors, [field](const FieldError& e) { return e.field == field; });
}

// --- times ---------------------------------------------------------------------------

// parse_datetime, also accepting an all-zero fraction of a second
// ("2026-11-26T15:00:00.000Z", as JavaScript's toISOString writes).
Result<TimePoint> parse_time(std::string_view field, std::string_view text, const TimeZone* zone) {
  constexpr std::size_t kSecondsEnd = 19;  // "YYYY-MM-DDTHH:MM:SS"
  if (text.size() > kSecondsEnd && text[kSecondsEnd] == '.') {
    std::size_t end = kSecondsEnd + 1;
    bool zero = true;
    for (; end < text.size() && text[end] >= '0' && text[end] <= '9'; ++end) {
      if (text[end] != '0') zero = false;
    }
    if (end > kSecondsEnd + 1) {
      if (!zero) {
        return Error::invalid(std::string(field),
                              std::string(field) + " " + quoted(text) +
                                  " has a fraction of a second; times are kept to the second");
      }
      std::string whole(text.substr(0, kSecondsEnd));
      whole += text.substr(end);
      return parse_datetime(whole, zone, field);
    }
  }
  return parse_datetime(text, zone, field);
}

const TimeZone* utc_zone() {
  static const TimeZone* const zone = [] {
    auto z = find_time_zone("UTC");
    return z ? *z : nullptr;
  }();
  return zone;
}

// --- request bodies ---------------------------------------------------------------------

enum class Access { kWritable, kCreateOnly, kReadOnly };
enum class Need { kRequired, kOptional };

struct Member {
  std::string_view name;
  Access access;
};

FieldErrors not_an_object(const json::value& body) {
  return {{"", "request body must be a JSON object, got " + shown(body)}};
}

// Reads the members of one request body against the record's member list,
// collecting an error for every bad member.
class BodyReader {
 public:
  // Reports every unknown and read-only member at once.
  BodyReader(const json::object& body, Mode mode, std::span<const Member> members,
             FieldErrors& errors)
      : body_(body), mode_(mode), members_(members), errors_(errors) {
    for (const auto& entry : body_) {
      const std::string_view name(entry.key().data(), entry.key().size());
      const Member* member = find_member(name);
      if (member == nullptr) {
        fail(std::string(first_chars(name, kMaxUnknownNameChars)),
             "unknown field " + quoted(name) + "; expected one of: " + writable_names());
      } else if (!writable(*member)) {
        fail(name, std::string(name) + " is read-only" +
                       (member->access == Access::kCreateOnly ? " once the record exists" : ""));
      }
    }
  }

  void fail(std::string_view field, std::string message) {
    errors_.push_back({std::string(field), valid_utf8(std::move(message))});
  }

  // The member's value when present and writable in this mode, else nullptr.
  // A required member missing in kCreate is reported.
  const json::value* find(std::string_view name, Need need) {
    const json::value* v = body_.if_contains(name);
    if (v == nullptr) {
      if (need == Need::kRequired && mode_ == Mode::kCreate) {
        fail(name, std::string(name) + " is required");
      }
      return nullptr;
    }
    const Member* member = find_member(name);
    return member != nullptr && writable(*member) ? v : nullptr;
  }

  // A string member. Optional text takes null as "".
  std::optional<std::string> text(std::string_view name, Need need, std::size_t max_chars,
                                  Lines lines = Lines::kOne) {
    const json::value* v = find(name, need);
    if (v == nullptr) return std::nullopt;
    if (v->is_null() && need == Need::kOptional) return std::string();
    const json::string* s = v->if_string();
    if (s == nullptr) {
      fail(name, std::string(name) + " must be a string, got " + shown(*v));
      return std::nullopt;
    }
    const std::string_view value(s->data(), s->size());
    if (const std::size_t n = char_count(value); n > max_chars) {
      fail(name, std::string(name) + " " + quoted(value) + " is " + std::to_string(n) +
                     " characters long; at most " + std::to_string(max_chars) + " are allowed");
      return std::nullopt;
    }
    if (has_control(value, lines)) {
      fail(name, std::string(name) + " " + quoted(value) + " contains a control character" +
                     (lines == Lines::kMany ? " (only tabs and line breaks are allowed)" : ""));
      return std::nullopt;
    }
    return std::string(value);
  }

  // An integer member in `range`; 2021.0 counts as an integer.
  std::optional<std::int64_t> integer(std::string_view name, Need need, const Range& range) {
    const json::value* v = find(name, need);
    if (v == nullptr) return std::nullopt;
    std::optional<std::int64_t> n;
    switch (v->kind()) {
      case json::kind::int64:
        n = v->get_int64();
        break;
      case json::kind::uint64:
        if (v->get_uint64() <=
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          n = static_cast<std::int64_t>(v->get_uint64());
        }
        break;
      case json::kind::double_: {
        const double d = v->get_double();
        if (std::trunc(d) != d) {  // also NaN and infinities, which JSON cannot carry anyway
          fail(name, std::string(name) + " must be an integer, got " + shown(*v));
          return std::nullopt;
        }
        // 2^63 is exactly representable; every integral double below it fits.
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
          n = static_cast<std::int64_t>(d);
        }
        break;
      }
      default:
        fail(name, std::string(name) + " must be an integer, got " + shown(*v));
        return std::nullopt;
    }
    if (!n || *n < range.min || *n > range.max) {
      fail(name,
           std::string(name) + " " + shown(*v) + " is out of range: expected " + range.expected);
      return std::nullopt;
    }
    return n;
  }

  std::optional<bool> boolean(std::string_view name) {
    const json::value* v = find(name, Need::kOptional);
    if (v == nullptr) return std::nullopt;
    if (const bool* b = v->if_bool()) return *b;
    fail(name, std::string(name) + " must be true or false, got " + shown(*v));
    return std::nullopt;
  }

 private:
  const Member* find_member(std::string_view name) const {
    for (const auto& m : members_) {
      if (m.name == name) return &m;
    }
    return nullptr;
  }

  bool writable(const Member& m) const {
    return m.access == Access::kWritable ||
           (m.access == Access::kCreateOnly && mode_ == Mode::kCreate);
  }

  std::string writable_names() const {
    std::vector<std::string_view> names;
    for (const auto& m : members_) {
      if (writable(m)) names.push_back(m.name);
    }
    return join(names);
  }

  const json::object& body_;
  Mode mode_;
  std::span<const Member> members_;
  FieldErrors& errors_;
};

// Adds what the domain's validate() finds in `record`, one error per field:
// each field it names is reported (unless already reported while reading) and
// then replaced by `good`'s valid value, and the record validated again, until
// it passes. `repair` copies one field from `good`; false for a field it does
// not know, which ends the loop.
template <typename Record>
void add_record_errors(Record record, const Record& good,
                       bool (*repair)(Record&, const Record&, std::string_view),
                       FieldErrors& errors) {
  for (int round = 0; round < kMaxValidateRounds; ++round) {
    const Status status = validate(record);
    if (status.ok()) return;
    const Error& e = status.error();
    if (!reported(errors, e.field)) errors.push_back({e.field, valid_utf8(e.message)});
    if (!repair(record, good, e.field)) return;
  }
}

// --- customers ---

constexpr auto kCustomerMembers = std::to_array<Member>({
    {"id", Access::kReadOnly},
    {"first_name", Access::kWritable},
    {"last_name", Access::kWritable},
    {"phone", Access::kWritable},
    {"email", Access::kWritable},
    {"time_zone", Access::kWritable},
    {"opted_out", Access::kWritable},
    {"opted_out_at", Access::kReadOnly},
    {"created_at", Access::kReadOnly},
});

const Customer& good_customer() {
  static const Customer c = [] {
    Customer out;
    out.first_name = "A";
    out.phone = PhoneNumber::parse("+15550100000").value();
    return out;
  }();
  return c;
}

bool repair_customer(Customer& c, const Customer& good, std::string_view field) {
  if (field == "first_name") {
    c.first_name = good.first_name;
  } else if (field == "last_name") {
    c.last_name = good.last_name;
  } else if (field == "phone") {
    c.phone = good.phone;
  } else if (field == "email") {
    c.email = good.email;
  } else if (field == "time_zone") {
    c.time_zone = good.time_zone;
  } else if (field == "opted_out" || field == "opted_out_at") {
    c.opted_out = good.opted_out;
    c.opted_out_at = good.opted_out_at;
  } else {
    return false;
  }
  return true;
}

// --- vehicles ---

constexpr auto kVehicleMembers = std::to_array<Member>({
    {"id", Access::kReadOnly},
    {"customer_id", Access::kCreateOnly},
    {"year", Access::kWritable},
    {"make", Access::kWritable},
    {"model", Access::kWritable},
    {"vin", Access::kWritable},
    {"plate", Access::kWritable},
    {"description", Access::kReadOnly},
    {"created_at", Access::kReadOnly},
});

const Vehicle& good_vehicle() {
  static const Vehicle v = [] {
    Vehicle out;
    out.customer_id = 1;
    out.year = 2000;
    out.make = "M";
    out.model = "M";
    return out;
  }();
  return v;
}

bool repair_vehicle(Vehicle& v, const Vehicle& good, std::string_view field) {
  if (field == "customer_id") {
    v.customer_id = good.customer_id;
  } else if (field == "year") {
    v.year = good.year;
  } else if (field == "make") {
    v.make = good.make;
  } else if (field == "model") {
    v.model = good.model;
  } else if (field == "vin") {
    v.vin = good.vin;
  } else if (field == "plate") {
    v.plate = good.plate;
  } else {
    return false;
  }
  return true;
}

// --- appointments ---

constexpr auto kAppointmentMembers = std::to_array<Member>({
    {"id", Access::kReadOnly},
    {"customer_id", Access::kCreateOnly},
    {"vehicle_id", Access::kWritable},
    {"start", Access::kWritable},
    {"duration_minutes", Access::kWritable},
    {"service_type", Access::kWritable},
    {"status", Access::kWritable},
    {"notes", Access::kWritable},
    {"created_at", Access::kReadOnly},
    {"updated_at", Access::kReadOnly},
});

const Appointment& good_appointment() {
  static const Appointment a = [] {
    Appointment out;
    out.customer_id = 1;
    out.vehicle_id = 1;
    out.start = TimePoint{std::chrono::seconds{1}};
    out.service_type = "S";
    return out;
  }();
  return a;
}

bool repair_appointment(Appointment& a, const Appointment& good, std::string_view field) {
  if (field == "customer_id") {
    a.customer_id = good.customer_id;
  } else if (field == "vehicle_id") {
    a.vehicle_id = good.vehicle_id;
  } else if (field == "start") {
    a.start = good.start;
  } else if (field == "duration_minutes") {
    a.duration_minutes = good.duration_minutes;
  } else if (field == "service_type") {
    a.service_type = good.service_type;
  } else if (field == "status") {
    a.status = good.status;
  } else if (field == "notes") {
    a.notes = good.notes;
  } else {
    return false;
  }
  return true;
}

// An appointment's start: absolute times only.
std::optional<TimePoint> read_start(BodyReader& in) {
  auto text = in.text("start", Need::kRequired, kNoLimit);
  if (!text) return std::nullopt;
  auto t = parse_time("start", *text, nullptr);
  if (t) return *t;
  if (const TimeZone* utc = utc_zone(); utc != nullptr && parse_time("start", *text, utc).ok()) {
    in.fail("start", "start " + quoted(*text) +
                         " has no UTC offset, so the time is ambiguous; add Z or an offset "
                         "such as -05:00 (RFC 3339, e.g. 2026-11-26T15:00:00Z)");
  } else {
    in.fail("start", std::move(t).error().message);
  }
  return std::nullopt;
}

// --- query strings ---------------------------------------------------------------------

// Reads the parameters of one list endpoint, collecting an error for every
// unknown or repeated parameter and every bad value.
class QueryReader {
 public:
  QueryReader(const telephony::FormParams& query, std::vector<std::string_view> known,
              FieldErrors& errors)
      : query_(query), known_(std::move(known)), errors_(errors) {
    for (std::size_t i = 0; i < query_.size(); ++i) {
      const std::string& name = query_[i].name;
      if (seen_before(i)) continue;  // each name is reported once
      if (!is_known(name)) {
        fail(std::string(first_chars(name, kMaxUnknownNameChars)),
             "unknown query parameter " + quoted(name) + "; expected one of: " + join(known_));
      } else if (const std::size_t n = count(name); n > 1) {
        fail(name, name + " is given " + std::to_string(n) + " times; give it once");
      }
    }
  }

  void fail(std::string_view field, std::string message) {
    errors_.push_back({std::string(field), valid_utf8(std::move(message))});
  }

  // The value of a parameter given exactly once; nullopt when absent (or
  // repeated, which is already reported).
  std::optional<std::string_view> value(std::string_view name) const {
    if (count(name) != 1) return std::nullopt;
    return telephony::form_value(query_, name);
  }

  std::optional<std::int64_t> integer(std::string_view name, const Range& range) {
    const auto text = value(name);
    if (!text) return std::nullopt;
    const std::string_view digits =
        !text->empty() && text->front() == '-' ? text->substr(1) : *text;
    bool all_digits = !digits.empty();
    for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
    if (!all_digits) {
      fail(name, std::string(name) + " " + quoted(*text) + " is not a whole number; expected " +
                     range.expected);
      return std::nullopt;
    }
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size() || n < range.min || n > range.max) {
      fail(name, std::string(name) + " " + std::string(first_chars(*text, kMaxShownChars)) +
                     (text->size() > kMaxShownChars ? "..." : "") + " is out of range: expected " +
                     range.expected);
      return std::nullopt;
    }
    return n;
  }

  // A time: absolute with Z or an offset; otherwise local to `zone`; a date
  // alone is the first instant of that day in `zone`.
  std::optional<TimePoint> time(std::string_view name, const TimeZone* zone) {
    const auto text = value(name);
    if (!text) return std::nullopt;
    constexpr std::size_t kDateLength = 10;  // "YYYY-MM-DD"
    if (text->size() == kDateLength && zone != nullptr) {
      auto day = parse_date(*text, name);
      if (day) return local_day(*day, zone).begin;
      fail(name, std::move(day).error().message);
      return std::nullopt;
    }
    auto t = parse_time(name, *text, zone);
    if (t) return *t;
    std::string message = std::move(t).error().message;
    // A space after the date is likely an offset's '+', which a query string
    // decodes to a space.
    if (text->find(' ', kDateLength + 1) != std::string_view::npos) {
      message += " (a '+' in a query string means a space: write an offset's '+' as %2B)";
    }
    fail(name, std::move(message));
    return std::nullopt;
  }

  Page page() {
    Page p;
    p.limit = kDefaultLimit;
    p.offset = 0;
    if (auto limit = integer("limit", kLimitRange)) p.limit = static_cast<int>(*limit);
    if (auto offset = integer("offset", kOffsetRange)) p.offset = static_cast<int>(*offset);
    return p;
  }

 private:
  bool seen_before(std::size_t i) const {
    const auto first = std::ranges::find(query_, query_[i].name, &telephony::FormParam::name);
    return first != query_.begin() + static_cast<std::ptrdiff_t>(i);
  }

  bool is_known(std::string_view name) const {
    return std::ranges::find(known_, name) != known_.end();
  }

  std::size_t count(std::string_view name) const {
    return static_cast<std::size_t>(std::ranges::count_if(
        query_, [name](const telephony::FormParam& p) { return p.name == name; }));
  }

  const telephony::FormParams& query_;
  std::vector<std::string_view> known_;
  FieldErrors& errors_;
};

json::value optional_time(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  // Not {format_utc(*t)}: braces would make a one-element array.
  return json::value(format_utc(*t));  // NOLINT(modernize-return-braced-init-list)
}

template <typename T>
json::value optional_number(const std::optional<T>& n) {
  if (!n) return nullptr;
  return json::value(*n);
}

}  // namespace

// --- records to JSON ---------------------------------------------------------------------

boost::json::object to_json(const Customer& c) {
  return {{"id", c.id},
          {"first_name", c.first_name},
          {"last_name", c.last_name},
          {"phone", c.phone.str()},
          {"email", c.email},
          {"time_zone", c.time_zone},
          {"opted_out", c.opted_out},
          {"opted_out_at", optional_time(c.opted_out_at)},
          {"created_at", format_utc(c.created_at)}};
}

boost::json::object to_json(const Vehicle& v) {
  return {{"id", v.id},
          {"customer_id", v.customer_id},
          {"year", v.year},
          {"make", v.make},
          {"model", v.model},
          {"vin", v.vin},
          {"plate", v.plate},
          {"description", v.describe()},
          {"created_at", format_utc(v.created_at)}};
}

boost::json::object to_json(const Appointment& a) {
  return {{"id", a.id},
          {"customer_id", a.customer_id},
          {"vehicle_id", a.vehicle_id},
          {"start", format_utc(a.start)},
          {"duration_minutes", a.duration_minutes},
          {"service_type", a.service_type},
          {"status", to_string(a.status)},
          {"notes", a.notes},
          {"created_at", format_utc(a.created_at)},
          {"updated_at", format_utc(a.updated_at)}};
}

boost::json::object to_json(const CallLog& c) {
  return {{"id", c.id},
          {"call_sid", c.call_sid},
          {"customer_id", optional_number(c.customer_id)},
          {"appointment_id", optional_number(c.appointment_id)},
          {"direction", to_string(c.direction)},
          {"status", to_string(c.status)},
          {"intent", c.intent},
          {"from", c.from},
          {"to", c.to},
          {"started_at", optional_time(c.started_at)},
          {"ended_at", optional_time(c.ended_at)},
          {"duration_seconds", optional_number(c.duration_seconds)},
          {"answered_by", c.answered_by},
          {"outcome", c.outcome},
          {"error_code", optional_number(c.error_code)},
          {"error_message", c.error_message},
          {"created_at", format_utc(c.created_at)},
          {"updated_at", format_utc(c.updated_at)}};
}

boost::json::object to_json(const Reminder& r) {
  return {{"id", r.id},
          {"appointment_id", r.appointment_id},
          {"appointment_start", format_utc(r.appointment_start)},
          {"customer_id", r.customer_id},
          {"state", to_string(r.state)},
          {"channel", to_string(r.channel)},
          {"attempts", r.attempts},
          {"due_at", format_utc(r.due_at)},
          {"claimed_by", r.claimed_by},
          {"claimed_at", optional_time(r.claimed_at)},
          {"call_sid", r.call_sid},
          {"reason", r.reason},
          {"detail", r.detail},
          {"created_at", format_utc(r.created_at)},
          {"updated_at", format_utc(r.updated_at)}};
}

// --- request bodies to records ------------------------------------------------------------

Parsed<CustomerInput> customer_from_json(const boost::json::value& body, Mode mode,
                                         const Customer& base) {
  const json::object* object = body.if_object();
  if (object == nullptr) return not_an_object(body);
  FieldErrors errors;
  BodyReader in(*object, mode, kCustomerMembers, errors);
  CustomerInput out{mode == Mode::kPatch ? base : Customer{}, std::nullopt};
  Customer& c = out.customer;

  if (auto v = in.text("first_name", Need::kRequired, kMaxNameChars)) c.first_name = std::move(*v);
  if (auto v = in.text("last_name", Need::kOptional, kMaxNameChars)) c.last_name = std::move(*v);
  if (auto v = in.text("phone", Need::kRequired, kNoLimit)) {
    auto phone = PhoneNumber::parse(*v);
    if (phone) {
      c.phone = std::move(*phone);
    } else {
      in.fail("phone", std::move(phone).error().message);
    }
  }
  if (auto v = in.text("email", Need::kOptional, kMaxEmailChars)) c.email = std::move(*v);
  if (auto v = in.text("time_zone", Need::kOptional, kNoLimit)) {
    if (v->empty()) {
      c.time_zone.clear();
    } else if (auto zone = find_time_zone(*v, "time_zone"); zone) {
      c.time_zone = std::move(*v);
    } else {
      in.fail("time_zone", std::move(zone).error().message);
    }
  }
  if (auto v = in.boolean("opted_out")) {
    out.opted_out = *v;
    if (*v != c.opted_out) c.opted_out_at.reset();
    c.opted_out = *v;
  }

  add_record_errors<Customer>(c, good_customer(), repair_customer, errors);
  if (!errors.empty()) return errors;
  return out;
}

Parsed<Vehicle> vehicle_from_json(const boost::json::value& body, Mode mode, const Vehicle& base) {
  const json::object* object = body.if_object();
  if (object == nullptr) return not_an_object(body);
  FieldErrors errors;
  BodyReader in(*object, mode, kVehicleMembers, errors);
  Vehicle v = mode == Mode::kPatch ? base : Vehicle{};

  if (auto n = in.integer("customer_id", Need::kRequired, kIdRange)) v.customer_id = *n;
  if (auto n = in.integer("year", Need::kRequired, kYearRange)) v.year = static_cast<int>(*n);
  if (auto s = in.text("make", Need::kRequired, kMaxMakeModelChars)) v.make = std::move(*s);
  if (auto s = in.text("model", Need::kRequired, kMaxMakeModelChars)) v.model = std::move(*s);
  if (auto s = in.text("vin", Need::kOptional, kNoLimit)) v.vin = std::move(*s);
  if (auto s = in.text("plate", Need::kOptional, kMaxPlateChars)) v.plate = std::move(*s);

  add_record_errors<Vehicle>(v, good_vehicle(), repair_vehicle, errors);
  if (!errors.empty()) return errors;
  return v;
}

Parsed<Appointment> appointment_from_json(const boost::json::value& body, Mode mode,
                                          const Appointment& base) {
  const json::object* object = body.if_object();
  if (object == nullptr) return not_an_object(body);
  FieldErrors errors;
  BodyReader in(*object, mode, kAppointmentMembers, errors);
  Appointment a = mode == Mode::kPatch ? base : Appointment{};

  if (auto n = in.integer("customer_id", Need::kRequired, kIdRange)) a.customer_id = *n;
  if (auto n = in.integer("vehicle_id", Need::kRequired, kIdRange)) a.vehicle_id = *n;
  if (auto t = read_start(in)) a.start = *t;
  if (auto n = in.integer("duration_minutes", Need::kOptional, kDurationRange)) {
    a.duration_minutes = static_cast<int>(*n);
  }
  if (auto s = in.text("service_type", Need::kRequired, kMaxServiceTypeChars)) {
    a.service_type = std::move(*s);
  }
  if (const json::value* v = in.find("status", Need::kOptional)) {
    if (const json::string* s = v->if_string()) {
      auto status = parse_appointment_status(std::string_view(s->data(), s->size()));
      if (status) {
        a.status = *status;
      } else {
        in.fail("status", std::move(status).error().message);
      }
    } else {
      in.fail("status", "status must be a string, got " + shown(*v));
    }
  }
  if (auto s = in.text("notes", Need::kOptional, kMaxNotesChars, Lines::kMany))
    a.notes = std::move(*s);

  add_record_errors<Appointment>(a, good_appointment(), repair_appointment, errors);
  if (!errors.empty()) return errors;
  return a;
}

// --- query strings ------------------------------------------------------------------------

Parsed<Page> page_from_query(const telephony::FormParams& query,
                             std::initializer_list<std::string_view> also_known) {
  std::vector<std::string_view> known{"limit", "offset"};
  known.insert(known.end(), also_known.begin(), also_known.end());
  FieldErrors errors;
  QueryReader in(query, std::move(known), errors);
  const Page page = in.page();
  if (!errors.empty()) return errors;
  return page;
}

Parsed<AppointmentQuery> appointment_query_from(const telephony::FormParams& query,
                                                const TimeZone* shop_zone) {
  FieldErrors errors;
  QueryReader in(query, {"from", "to", "status", "customer_id", "limit", "offset"}, errors);
  AppointmentQuery q;
  q.from = in.time("from", shop_zone);
  q.to = in.time("to", shop_zone);
  if (q.from && q.to && *q.to < *q.from) {
    in.fail("to", "to " + quoted(*in.value("to")) + " (" + format_utc(*q.to) + ") is before from " +
                      quoted(*in.value("from")) + " (" + format_utc(*q.from) + ")");
  }
  if (auto text = in.value("status")) {
    auto status = parse_appointment_status(*text);
    if (status) {
      q.status = *status;
    } else {
      in.fail("status", std::move(status).error().message);
    }
  }
  q.customer_id = in.integer("customer_id", kIdRange);
  q.page = in.page();
  if (!errors.empty()) return errors;
  return q;
}

Parsed<std::optional<CustomerId>> customer_filter_from(const telephony::FormParams& query) {
  FieldErrors errors;
  QueryReader in(query, {"customer_id", "limit", "offset"}, errors);
  const std::optional<CustomerId> customer_id = in.integer("customer_id", kIdRange);
  static_cast<void>(in.page());  // checked here so that one call reports every error
  if (!errors.empty()) return errors;
  return customer_id;
}

Parsed<CallLogQuery> call_log_query_from(const telephony::FormParams& query) {
  FieldErrors errors;
  QueryReader in(query, {"customer_id", "appointment_id", "limit", "offset"}, errors);
  CallLogQuery q;
  q.customer_id = in.integer("customer_id", kIdRange);
  q.appointment_id = in.integer("appointment_id", kIdRange);
  q.page = in.page();
  if (!errors.empty()) return errors;
  return q;
}

// --- responses ------------------------------------------------------------------------------

boost::json::object list_json(boost::json::array data, const Page& page) {
  const bool last_page = data.size() < static_cast<std::size_t>(page.limit);
  json::object out;
  out["data"] = std::move(data);
  out["limit"] = page.limit;
  out["offset"] = page.offset;
  if (last_page) {
    out["next_offset"] = nullptr;
  } else {
    out["next_offset"] = static_cast<std::int64_t>(page.offset) + page.limit;
  }
  return out;
}

}  // namespace autovoice::server
