#include "sandbox/rest.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <locale>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "domain/phone.h"
#include "telephony/base64.h"

namespace autovoice::sandbox {

namespace json = boost::json;

namespace {

constexpr std::string_view kErrorsBase = "https://www.twilio.com/docs/errors/";

std::string account_path(const Account& account) {
  return "/" + std::string(kApiVersion) + "/Accounts/" + account.sid;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^
                                              static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

bool is_http_url(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return false;
  const std::string scheme = lower(url->scheme());
  return (scheme == "http" || scheme == "https") && !url->encoded_host().empty();
}

std::optional<int> parse_whole(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return n;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// "(415) 555-0100" for NANP numbers, as Twilio formats them; others as given.
std::string formatted_number(const std::string& e164) {
  if (e164.size() == 12 && e164.starts_with("+1")) {
    return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8);
  }
  return e164;
}

json::value optional_date(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return json::value(format_rfc2822(*t));
}

json::value string_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::value(s);
}

uint64_t mix(uint64_t x) {  // splitmix64's finaliser: a bijection on 64 bits
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

ApiError invalid_parameter(std::string message) {
  return ApiError::make(400, 20001, std::move(message));
}

// Validates a required E.164 number parameter.
ApiResult<std::string> phone_param(const FormParams& params, std::string_view name,
                                   int missing_code, std::string missing_message, int invalid_code,
                                   std::string_view invalid_suffix) {
  auto value = telephony::form_value(params, name);
  if (!value || value->empty()) return ApiError::make(400, missing_code, std::move(missing_message));
  auto phone = PhoneNumber::parse(*value);
  if (!phone) {
    return ApiError::make(400, invalid_code,
                          "The '" + std::string(name) + "' number " + std::string(*value) +
                              " is not a valid phone number" + std::string(invalid_suffix) + ".");
  }
  return phone->str();
}

ApiResult<std::string> method_param(const FormParams& params, std::string_view name) {
  auto value = telephony::form_value(params, name);
  if (!value || value->empty()) return std::string("POST");
  std::string method = upper(*value);
  if (method != "GET" && method != "POST") {
    return invalid_parameter(std::string(name) + " must be GET or POST, not '" +
                             std::string(*value) + "'");
  }
  return method;
}

ApiStatus status_callback_param(const FormParams& params, std::string& out) {
  auto value = telephony::form_value(params, "StatusCallback");
  if (!value || value->empty()) return std::monostate{};
  if (!is_http_url(*value)) {
    return ApiError::make(400, 21609, "Invalid StatusCallback url: " + std::string(*value));
  }
  out = std::string(*value);
  return std::monostate{};
}

}  // namespace

ApiError ApiError::make(int http_status, int code, std::string message) {
  return ApiError{http_status, code, std::move(message),
                  std::string(kErrorsBase) + std::to_string(code)};
}

ApiStatus authenticate(const Account& account, std::string_view authorization) {
  const ApiError denied = ApiError::make(401, 20003, "Authenticate");
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size() ||
      lower(authorization.substr(0, kScheme.size())) != kScheme) {
    return denied;
  }
  std::string_view encoded = authorization.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  auto decoded = telephony::base64_decode(encoded);
  if (!decoded) return denied;
  const std::string credentials(decoded->begin(), decoded->end());
  const std::string expected = account.sid + ":" + account.auth_token;
  if (account.sid.empty() || account.auth_token.empty() ||
      !equal_constant_time(credentials, expected)) {
    return denied;
  }
  return std::monostate{};
}

ApiError not_found_error(std::string_view path) {
  return ApiError::make(404, 20404,
                        "The requested resource " + std::string(path) + " was not found");
}

ApiError unassigned_number_error(std::string_view to) {
  return ApiError::make(400, 21211,
                        "The 'To' number " + std::string(to) + " is not a valid phone number.");
}

ApiResult<CallCreate> validate_create_call(const FormParams& params) {
  CallCreate call;
  auto to = phone_param(params, "To", 21201, "A 'To' phone number is required.", 21211, "");
  if (!to) return std::move(to).error();
  call.to = *to;
  auto from = phone_param(params, "From", 21213, "A 'From' phone number is required.", 21212,
                          ", shortcode, or alphanumeric sender ID");
  if (!from) return std::move(from).error();
  call.from = *from;

  auto url = telephony::form_value(params, "Url");
  if (!url || url->empty()) {
    return ApiError::make(400, 21205, "Url parameter is required.");
  }
  if (!is_http_url(*url)) {
    return ApiError::make(400, 21205, "Url is not a valid URL: " + std::string(*url));
  }
  call.url = std::string(*url);

  auto method = method_param(params, "Method");
  if (!method) return std::move(method).error();
  call.method = *method;
  auto callback_method = method_param(params, "StatusCallbackMethod");
  if (!callback_method) return std::move(callback_method).error();
  call.status_callback_method = *callback_method;

  auto callback = status_callback_param(params, call.status_callback);
  if (!callback) return std::move(callback).error();

  for (const auto& param : params) {
    if (param.name != "StatusCallbackEvent") continue;
    std::string_view rest = param.value;
    while (!rest.empty()) {
      const std::size_t space = rest.find(' ');
      const std::string word = lower(rest.substr(0, space));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      if (word.empty()) continue;
      if (std::find(call.status_callback_events.begin(), call.status_callback_events.end(),
                    word) == call.status_callback_events.end()) {
        call.status_callback_events.push_back(word);
      }
    }
  }

  if (auto timeout = telephony::form_value(params, "Timeout"); timeout && !timeout->empty()) {
    auto seconds = parse_whole(*timeout);
    if (!seconds || *seconds < 1) {
      return ApiError::make(400, 21208, "Invalid Timeout value: " + std::string(*timeout));
    }
    call.timeout_s = std::clamp(*seconds, kMinTimeoutSeconds, kMaxTimeoutSeconds);
  }

  if (auto amd = telephony::form_value(params, "MachineDetection"); amd && !amd->empty()) {
    if (*amd != "Enable" && *amd != "DetectMessageEnd") {
      return invalid_parameter("MachineDetection must be Enable or DetectMessageEnd, not '" +
                               std::string(*amd) + "'");
    }
    call.machine_detection = std::string(*amd);
  }
  return call;
}

ApiResult<MessageCreate> validate_create_message(const FormParams& params) {
  MessageCreate message;
  auto to = phone_param(params, "To", 21604, "A 'To' phone number is required.", 21211, "");
  if (!to) return std::move(to).error();
  message.to = *to;
  auto from = phone_param(params, "From", 21603, "A 'From' phone number is required.", 21212,
                          ", shortcode, or alphanumeric sender ID");
  if (!from) return std::move(from).error();
  message.from = *from;
  auto body = telephony::form_value(params, "Body");
  if (!body || body->empty()) return ApiError::make(400, 21602, "Message body is required.");
  if (code_points(*body) > kMaxMessageBodyChars) {
    return ApiError::make(400, 21617,
                          "The concatenated message body exceeds the 1600 character limit.");
  }
  message.body = std::string(*body);
  auto callback = status_callback_param(params, message.status_callback);
  if (!callback) return std::move(callback).error();
  return message;
}

std::string new_sid(std::string_view prefix, uint64_t seed) {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t parts[2] = {mix(seed), mix(seed ^ 0xA5A5A5A5A5A5A5A5ULL) ^ mix(~seed)};
  std::string sid(prefix);
  for (uint64_t part : parts) {
    for (int shift = 60; shift >= 0; shift -= 4) sid.push_back(kHex[(part >> shift) & 0xF]);
  }
  return sid;
}

std::string format_rfc2822(TimePoint t) {
  return date::format(std::locale::classic(), "%a, %d %b %Y %T +0000", t);
}

json::object call_json(const CallRecord& call, const Account& account) {
  const std::string call_path = account_path(account) + "/Calls/" + call.sid;
  json::object subresources;
  for (auto [key, leaf] :
       {std::pair{"notifications", "/Notifications.json"},
        std::pair{"recordings", "/Recordings.json"}, std::pair{"payments", "/Payments.json"},
        std::pair{"events", "/Events.json"}, std::pair{"siprec", "/Siprec.json"},
        std::pair{"streams", "/Streams.json"},
        std::pair{"user_defined_message_subscriptions", "/UserDefinedMessageSubscriptions.json"},
        std::pair{"user_defined_messages", "/UserDefinedMessages.json"}}) {
    subresources[key] = call_path + leaf;
  }
  json::object obj;
  obj["account_sid"] = account.sid;
  obj["annotation"] = nullptr;
  obj["answered_by"] = string_or_null(call.answered_by);
  obj["api_version"] = kApiVersion;
  obj["caller_name"] = nullptr;
  obj["date_created"] = format_rfc2822(call.date_created);
  obj["date_updated"] = format_rfc2822(call.date_updated);
  obj["direction"] = "outbound-api";
  obj["duration"] = call.duration_s ? json::value(std::to_string(*call.duration_s)) : nullptr;
  obj["end_time"] = optional_date(call.end_time);
  obj["forwarded_from"] = nullptr;
  obj["from"] = call.request.from;
  obj["from_formatted"] = formatted_number(call.request.from);
  obj["group_sid"] = nullptr;
  obj["parent_call_sid"] = nullptr;
  obj["phone_number_sid"] = nullptr;
  obj["price"] = nullptr;
  obj["price_unit"] = "USD";
  obj["queue_time"] = "0";
  obj["sid"] = call.sid;
  obj["start_time"] = optional_date(call.start_time);
  obj["status"] = call.status;
  obj["subresource_uris"] = std::move(subresources);
  obj["to"] = call.request.to;
  obj["to_formatted"] = formatted_number(call.request.to);
  obj["trunk_sid"] = nullptr;
  obj["uri"] = call_path + ".json";
  return obj;
}

json::object message_json(const MessageRecord& message, const Account& account) {
  const std::string path = account_path(account) + "/Messages/" + message.sid;
  const std::size_t chars = code_points(message.request.body);
  const std::size_t segments = chars <= 160 ? 1 : (chars + 152) / 153;
  json::object obj;
  obj["account_sid"] = account.sid;
  obj["api_version"] = kApiVersion;
  obj["body"] = message.request.body;
  obj["date_created"] = format_rfc2822(message.date_created);
  obj["date_sent"] = optional_date(message.date_sent);
  obj["date_updated"] = format_rfc2822(message.date_updated);
  obj["direction"] = "outbound-api";
  obj["error_code"] = nullptr;
  obj["error_message"] = nullptr;
  obj["from"] = message.request.from;
  obj["messaging_service_sid"] = nullptr;
  obj["num_media"] = "0";
  obj["num_segments"] = std::to_string(segments);
  obj["price"] = nullptr;
  obj["price_unit"] = "USD";
  obj["sid"] = message.sid;
  obj["status"] = message.status;
  obj["subresource_uris"] = json::object{{"media", path + "/Media.json"}};
  obj["to"] = message.request.to;
  obj["uri"] = path + ".json";
  return obj;
}

json::object error_json(const ApiError& error) {
  return json::object{{"code", error.code},
                      {"message", error.message},
                      {"more_info", error.more_info},
                      {"status", error.http_status}};
}

ApiResult<CallListQuery> parse_call_list_query(const FormParams& query) {
  CallListQuery out;
  if (auto to = telephony::form_value(query, "To")) out.to = std::string(*to);
  if (auto start = telephony::form_value(query, "StartTime>"); start && !start->empty()) {
    auto utc = find_time_zone("UTC");
    if (!utc) return invalid_parameter("StartTime>: the UTC time zone is unavailable");
    auto t = start->size() == 10 ? parse_datetime(std::string(*start) + "T00:00:00Z", *utc)
                                 : parse_datetime(*start, *utc);
    if (!t) {
      return invalid_parameter("StartTime> '" + std::string(*start) +
                               "' is not a date (YYYY-MM-DD) or an ISO 8601 date-time");
    }
    out.started_after = *t;
  }
  if (auto size = telephony::form_value(query, "PageSize"); size && !size->empty()) {
    auto n = parse_whole(*size);
    if (!n || *n < 1 || *n > kMaxPageSize) {
      return invalid_parameter("PageSize must be a whole number from 1 to 1000, not '" +
                               std::string(*size) + "'");
    }
    out.page_size = *n;
  }
  if (auto page = telephony::form_value(query, "Page"); page && !page->empty()) {
    auto n = parse_whole(*page);
    if (!n || *n < 0) {
      return invalid_parameter("Page must be a whole number >= 0, not '" + std::string(*page) +
                               "'");
    }
    out.page = *n;
  }
  return out;
}

bool call_matches(const CallRecord& call, const CallListQuery& query) {
  if (!query.to.empty() && call.request.to != query.to) return false;
  if (query.started_after) {
    const TimePoint started = call.start_time.value_or(call.date_created);
    if (started < *query.started_after) return false;
  }
  return true;
}

json::object calls_page_json(const std::vector<CallRecord>& calls, const CallListQuery& query,
                             const Account& account) {
  std::vector<const CallRecord*> matching;
  for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
    if (call_matches(*it, query)) matching.push_back(&*it);
  }
  std::stable_sort(matching.begin(), matching.end(),
                   [](const CallRecord* a, const CallRecord* b) {
                     return a->date_created > b->date_created;
                   });

  FormParams filter;
  if (!query.to.empty()) filter.push_back({"To", query.to});
  if (query.started_after) filter.push_back({"StartTime>", format_utc(*query.started_after)});
  auto page_uri = [&](int page) {
    FormParams params = filter;
    params.push_back({"PageSize", std::to_string(query.page_size)});
    params.push_back({"Page", std::to_string(page)});
    return account_path(account) + "/Calls.json?" + telephony::encode_form(params);
  };

  const std::size_t size = static_cast<std::size_t>(query.page_size);
  const std::size_t start = static_cast<std::size_t>(query.page) * size;
  json::array items;
  for (std::size_t i = start; i < matching.size() && i < start + size; ++i) {
    items.push_back(call_json(*matching[i], account));
  }
  const bool more = start + size < matching.size();
  json::object obj;
  obj["calls"] = std::move(items);
  obj["end"] = static_cast<int64_t>(start + obj["calls"].as_array().size()) - 1;
  obj["first_page_uri"] = page_uri(0);
  obj["next_page_uri"] = more ? json::value(page_uri(query.page + 1)) : nullptr;
  obj["page"] = query.page;
  obj["page_size"] = query.page_size;
  obj["previous_page_uri"] = query.page > 0 ? json::value(page_uri(query.page - 1)) : nullptr;
  obj["start"] = static_cast<int64_t>(start);
  obj["uri"] = page_uri(query.page);
  return obj;
}

}  // namespace autovoice::sandbox
