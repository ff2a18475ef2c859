#include "telephony/twilio_client.h"

#include <curl/curl.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <sstream>
#include <utility>

#include <spdlog/spdlog.h>

#include "domain/phone.h"
#include "telephony/sid.h"

namespace autovoice::telephony {
namespace {

namespace json = boost::json;

using FormFields = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxAnswerBytes = 4 * 1024 * 1024;
constexpr int kPageSize = 100;
constexpr const char* kApiVersion = "/2010-04-01";
constexpr const char* kUserAgent = "autovoice/0.1 (libcurl)";

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Percent-encodes one form or query component with libcurl (RFC 3986 unreserved
// characters stay as they are; everything else, space included, becomes %XX).
std::string escape(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (escaped == nullptr) throw std::bad_alloc();
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

// "k1=v1&k2=v2", both sides percent-encoded (application/x-www-form-urlencoded).
std::string encode_fields(const FormFields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += escape(key);
    out += '=';
    out += escape(value);
  }
  return out;
}

// Masks every phone-number-like run ("+" and/or 7+ digits) inside free text.
std::string mask_numbers(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    if (text[j] == '+') ++j;
    std::size_t digits_begin = j;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) != 0) ++j;
    if (j - digits_begin >= 7) {
      out += mask_phone(text.substr(i, j - i));
      i = j;
    } else {
      out += text[i];
      ++i;
    }
  }
  return out;
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host == "::1" || host.starts_with("127.");
}

size_t collect_body(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (body->size() + bytes > kMaxAnswerBytes) return 0;  // aborts with CURLE_WRITE_ERROR
  body->append(data, bytes);
  return bytes;
}

// ---- JSON reading -------------------------------------------------------------

std::string string_member(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

// Twilio sends some integers as numbers and some as strings ("duration": "15").
std::optional<int> int_member(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return static_cast<int>(v->get_int64());
  if (v->is_uint64()) return static_cast<int>(v->get_uint64());
  if (v->is_string()) {
    const std::string text(v->get_string());
    if (text.empty()) return std::nullopt;
    try {
      std::size_t used = 0;
      int n = std::stoi(text, &used);
      if (used == text.size()) return n;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

CarrierError make_error(ErrorCode code, std::string message, std::string field = {}) {
  CarrierError e;
  e.code = code;
  e.message = std::move(message);
  e.field = std::move(field);
  return e;
}

CarrierError bad_answer(const char* what, std::string detail, int http_status) {
  CarrierError e;
  e.code = ErrorCode::kInternal;
  e.http_status = http_status;
  e.message = std::string("Twilio ") + what + ": HTTP " + std::to_string(http_status) +
              " answer is not understood: " + std::move(detail);
  return e;
}

// RFC 2822 date as Twilio writes it: "Tue, 31 Aug 2010 20:36:28 +0000".
// Missing or null = unset; present but unparsable = error.
Result<std::optional<TimePoint>> date_member(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<TimePoint>{};
  if (!v->is_string()) return Error::invalid(std::string(key), "is not a string");
  const std::string text(v->get_string());
  if (text.empty()) return std::optional<TimePoint>{};
  auto tp = parse_rfc2822(text);
  if (!tp) return Error::invalid(std::string(key), "'" + text + "' is not an RFC 2822 date");
  return tp;
}

CarrierResult<CallInfo> parse_call(const json::value& value, const char* what, int http_status) {
  if (!value.is_object()) return bad_answer(what, "a call is not a JSON object", http_status);
  const json::object& obj = value.get_object();
  CallInfo call;
  call.sid = string_member(obj, "sid");
  if (call.sid.empty()) return bad_answer(what, "a call has no 'sid'", http_status);
  call.status = string_member(obj, "status");
  call.to = string_member(obj, "to");
  call.from = string_member(obj, "from");
  call.direction = string_member(obj, "direction");
  call.answered_by = string_member(obj, "answered_by");
  call.duration_seconds = int_member(obj, "duration");
  call.error_code = int_member(obj, "error_code");
  call.error_message = string_member(obj, "error_message");
  for (auto [key, slot] : {std::pair{"start_time", &call.start_time},
                           std::pair{"end_time", &call.end_time}}) {
    auto parsed = date_member(obj, key);
    if (!parsed) return bad_answer(what, "'" + std::string(key) + "' " + parsed.error().message,
                                   http_status);
    *slot = *parsed;
  }
  return call;
}

Result<json::value> parse_json(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return Error::invalid("body", ec.message());
  return v;
}

CarrierError error_from_curl(CURLcode rc, const char* what, const char* error_buffer,
                             bool request_changes_state) {
  CarrierError e;
  const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
  e.message = std::string("Twilio ") + what + ": " + detail;
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      e.code = ErrorCode::kUnavailable;  // nothing was sent
      break;
    case CURLE_OPERATION_TIMEDOUT:
      e.code = ErrorCode::kUnavailable;
      e.message = std::string("Twilio ") + what + ": timed out: " + detail;
      e.outcome_unknown = request_changes_state;
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      e.code = ErrorCode::kFailedPrecondition;  // configuration, not luck: do not retry
      break;
    case CURLE_WRITE_ERROR:
      e.code = ErrorCode::kInternal;
      e.message = std::string("Twilio ") + what + ": answer larger than " +
                  std::to_string(kMaxAnswerBytes) + " bytes";
      e.outcome_unknown = request_changes_state;
      break;
    default:  // dropped connection, empty reply, TLS handshake failure, ...
      e.code = ErrorCode::kUnavailable;
      e.outcome_unknown = request_changes_state;
      break;
  }
  return e;
}

// The field a Twilio error code is about, for the common request errors.
std::string field_for_twilio_code(int code) {
  switch (code) {
    case 21211:  // invalid 'To' phone number
    case 21217:  // phone number does not appear to be valid
    case 21214:  // 'To' number cannot be reached
    case 21610:  // 'To' has opted out (STOP)
      return "To";
    case 21212:  // invalid 'From' phone number
    case 21210:  // 'From' not verified
      return "From";
    case 21205:  // Url is not a valid URL
      return "Url";
    case 21609:  // invalid StatusCallback URL
      return "StatusCallback";
    default:
      return {};
  }
}

CarrierError error_from_status(long http_status, const std::string& body, const char* what) {
  CarrierError e;
  e.http_status = static_cast<int>(http_status);
  if (http_status == 429 || http_status >= 500) {
    e.code = ErrorCode::kUnavailable;
  } else if (http_status == 401 || http_status == 403) {
    e.code = ErrorCode::kFailedPrecondition;
  } else if (http_status == 404) {
    e.code = ErrorCode::kNotFound;
  } else if (http_status >= 400) {
    e.code = ErrorCode::kInvalidArgument;
  } else {
    e.code = ErrorCode::kInternal;  // 1xx/3xx: redirects are not followed
  }
  std::string head = std::string("Twilio ") + what + ": HTTP " + std::to_string(http_status);
  auto parsed = parse_json(body);
  if (!parsed || !parsed->is_object()) {
    e.message = head + " with a body that is not Twilio error JSON";
    return e;
  }
  const json::object& obj = parsed->get_object();
  e.twilio_code = int_member(obj, "code").value_or(0);
  e.more_info = string_member(obj, "more_info");
  e.field = field_for_twilio_code(e.twilio_code);
  if (e.twilio_code == 20429) e.code = ErrorCode::kUnavailable;
  std::string text = mask_numbers(string_member(obj, "message"));
  if (e.twilio_code != 0) head += ", Twilio error " + std::to_string(e.twilio_code);
  e.message = text.empty() ? head : head + ": " + text;
  return e;
}

// Removes every occurrence of `secret` from `text` (an answer may echo it).
void scrub(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "****");
  }
}

}  // namespace

struct TwilioClient::HttpAnswer {
  long status = 0;
  std::string body;
};

Result<std::unique_ptr<TwilioClient>> TwilioClient::create(TwilioClientOptions options) {
  auto url = boost::urls::parse_absolute_uri(options.api_base);
  if (!url) {
    return Error::invalid("TWILIO_API_BASE",
                          "TWILIO_API_BASE '" + options.api_base + "' is not an absolute URL");
  }
  const std::string scheme(url->scheme());
  const std::string host(url->encoded_host_and_port().empty() ? "" : url->encoded_host());
  if (host.empty()) {
    return Error::invalid("TWILIO_API_BASE", "TWILIO_API_BASE '" + options.api_base +
                                                 "' has no host");
  }
  if (scheme != "https" && !(scheme == "http" && is_loopback_host(host))) {
    return Error::invalid("TWILIO_API_BASE",
                          "TWILIO_API_BASE '" + options.api_base +
                              "' must be https:// (http:// only for a loopback host)");
  }
  if (url->has_query() || url->has_fragment() ||
      (!url->encoded_path().empty() && url->encoded_path() != "/")) {
    return Error::invalid("TWILIO_API_BASE", "TWILIO_API_BASE '" + options.api_base +
                                                 "' must be scheme://host[:port] with no path");
  }
  if (!options.api_base.empty() && options.api_base.back() == '/') options.api_base.pop_back();
  if (options.account_sid.empty()) {
    return Error::invalid("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID is empty");
  }
  if (options.account_sid.find_first_of("/?#% ") != std::string::npos) {
    return Error::invalid("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID '" + options.account_sid +
                                                    "' has characters not allowed in a SID");
  }
  if (options.auth_token.empty()) {
    return Error::invalid("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN is empty");
  }
  if (options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0) {
    return Error::invalid("timeout", "Twilio client timeouts must be positive");
  }
  init_curl_once();
  return std::unique_ptr<TwilioClient>(new TwilioClient(std::move(options)));
}

Result<std::unique_ptr<TwilioClient>> TwilioClient::from_settings(const Settings& settings) {
  TwilioClientOptions options;
  options.api_base = settings.twilio_api_base;
  options.account_sid = settings.twilio_account_sid;
  options.auth_token = settings.twilio_auth_token;
  return create(std::move(options));
}

TwilioClient::TwilioClient(TwilioClientOptions options) : options_(std::move(options)) {}

TwilioClient::~TwilioClient() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* TwilioClient::acquire_handle() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void TwilioClient::release_handle(void* handle) {
  // Reset clears the options (and the credentials set on it) but keeps the
  // handle's connection cache, so the next request can reuse a connection.
  curl_easy_reset(static_cast<CURL*>(handle));
  std::lock_guard lock(pool_mutex_);
  idle_handles_.push_back(handle);
}

std::string TwilioClient::account_url() const {
  return options_.api_base + kApiVersion + "/Accounts/" + options_.account_sid;
}

CarrierResult<TwilioClient::HttpAnswer> TwilioClient::perform(const char* method,
                                                              const std::string& url,
                                                              const FormFields& form,
                                                              const char* what) {
  CURL* curl = static_cast<CURL*>(acquire_handle());
  if (curl == nullptr) {
    return make_error(ErrorCode::kInternal, std::string("Twilio ") + what + ": curl_easy_init failed");
  }
  struct Release {
    TwilioClient* client;
    CURL* handle;
    curl_slist* headers = nullptr;
    ~Release() {
      curl_slist_free_all(headers);
      client->release_handle(handle);
    }
  } release{this, curl};

  const bool is_post = std::string_view(method) == "POST";
  const std::string body = is_post ? encode_fields(form) : std::string();
  HttpAnswer answer;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  release.headers = curl_slist_append(release.headers, "Accept: application/json");
  release.headers = curl_slist_append(release.headers, "Expect:");  // no 100-continue round trip
  if (is_post) {
    release.headers = curl_slist_append(release.headers,
                                        "Content-Type: application/x-www-form-urlencoded");
  }
  const bool loopback_http = options_.api_base.starts_with("http://");

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, loopback_http ? "http" : "https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(curl, CURLOPT_USERNAME, options_.account_sid.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.auth_token.reveal().c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, release.headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  if (is_post) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }

  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    CarrierError e = error_from_curl(rc, what, error_buffer, is_post);
    scrub(e.message, options_.auth_token.reveal());
    spdlog::warn("twilio {} failed: {}", what, e.message);
    return e;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  if (answer.status < 200 || answer.status >= 300) {
    CarrierError e = error_from_status(answer.status, answer.body, what);
    scrub(e.message, options_.auth_token.reveal());
    scrub(e.more_info, options_.auth_token.reveal());
    spdlog::warn("twilio {} failed: {}", what, e.message);
    return e;
  }
  return answer;
}

CarrierResult<CallInfo> TwilioClient::create_call(const CallRequest& request) {
  FormFields form{{"To", request.to}, {"From", request.from}, {"Url", request.url}};
  if (!request.method.empty()) form.emplace_back("Method", request.method);
  if (!request.status_callback.empty()) {
    form.emplace_back("StatusCallback", request.status_callback);
    for (const auto& event : request.status_callback_events) {
      form.emplace_back("StatusCallbackEvent", event);
    }
    if (!request.status_callback_method.empty()) {
      form.emplace_back("StatusCallbackMethod", request.status_callback_method);
    }
  }
  if (request.timeout_seconds) form.emplace_back("Timeout", std::to_string(*request.timeout_seconds));
  if (!request.machine_detection.empty()) {
    form.emplace_back("MachineDetection", request.machine_detection);
  }
  auto answer = perform("POST", account_url() + "/Calls.json", form, "create_call");
  if (!answer) return std::move(answer).error();
  auto parsed = parse_json(answer->body);
  if (!parsed) {
    CarrierError e = bad_answer("create_call", "not JSON", static_cast<int>(answer->status));
    e.outcome_unknown = true;  // 2xx: the call was probably created
    return e;
  }
  auto call = parse_call(*parsed, "create_call", static_cast<int>(answer->status));
  if (call) {
    spdlog::info("twilio create_call to={} sid={} status={}", mask_phone(request.to), call->sid,
                 call->status);
  }
  return call;
}

CarrierResult<MessageInfo> TwilioClient::send_sms(const SmsRequest& request) {
  FormFields form{{"To", request.to}, {"From", request.from}, {"Body", request.body}};
  if (!request.status_callback.empty()) form.emplace_back("StatusCallback", request.status_callback);
  auto answer = perform("POST", account_url() + "/Messages.json", form, "send_sms");
  if (!answer) return std::move(answer).error();
  const int status = static_cast<int>(answer->status);
  auto parsed = parse_json(answer->body);
  if (!parsed || !parsed->is_object()) {
    CarrierError e = bad_answer("send_sms", "not a JSON object", status);
    e.outcome_unknown = true;
    return e;
  }
  const json::object& obj = parsed->get_object();
  MessageInfo message;
  message.sid = string_member(obj, "sid");
  if (message.sid.empty()) return bad_answer("send_sms", "the message has no 'sid'", status);
  message.status = string_member(obj, "status");
  message.to = string_member(obj, "to");
  message.from = string_member(obj, "from");
  message.error_code = int_member(obj, "error_code");
  message.error_message = string_member(obj, "error_message");
  spdlog::info("twilio send_sms to={} sid={} status={}", mask_phone(request.to), message.sid,
               message.status);
  return message;
}

CarrierResult<CallInfo> TwilioClient::fetch_call(const std::string& sid) {
  if (!is_sid(sid, "CA")) {
    return make_error(ErrorCode::kInvalidArgument, "'" + sid + "' is not a call SID", "sid");
  }
  auto answer = perform("GET", account_url() + "/Calls/" + sid + ".json", {}, "fetch_call");
  if (!answer) return std::move(answer).error();
  const int status = static_cast<int>(answer->status);
  auto parsed = parse_json(answer->body);
  if (!parsed) return bad_answer("fetch_call", "not JSON", status);
  return parse_call(*parsed, "fetch_call", status);
}

CarrierResult<std::vector<CallInfo>> TwilioClient::list_calls(const CallFilter& filter) {
  FormFields query;
  if (!filter.to.empty()) query.emplace_back("To", filter.to);
  if (filter.started_after) query.emplace_back("StartTime>", format_utc(*filter.started_after));
  query.emplace_back("PageSize", std::to_string(kPageSize));
  std::string url = account_url() + "/Calls.json?" + encode_fields(query);

  std::vector<CallInfo> calls;
  for (std::size_t page = 0; page < options_.max_pages && !url.empty(); ++page) {
    auto answer = perform("GET", url, {}, "list_calls");
    if (!answer) return std::move(answer).error();
    const int status = static_cast<int>(answer->status);
    auto parsed = parse_json(answer->body);
    if (!parsed || !parsed->is_object()) return bad_answer("list_calls", "not a JSON object", status);
    const json::object& obj = parsed->get_object();
    const json::value* list = obj.if_contains("calls");
    if (list == nullptr || !list->is_array()) {
      return bad_answer("list_calls", "no 'calls' array", status);
    }
    for (const json::value& item : list->get_array()) {
      auto call = parse_call(item, "list_calls", status);
      if (!call) return std::move(call).error();
      calls.push_back(std::move(call).value());
    }
    const std::string next = string_member(obj, "next_page_uri");
    // next_page_uri is a path on the same host ("/2010-04-01/Accounts/.../Calls.json?...").
    url = next.starts_with("/") ? options_.api_base + next : std::string();
  }
  return calls;
}

}  // namespace autovoice::telephony
