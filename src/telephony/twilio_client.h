// TwilioClient: the Carrier over Twilio's REST API (2010-04-01), using libcurl.
//
//   POST {base}/2010-04-01/Accounts/{AccountSid}/Calls.json       create_call
//   GET  {base}/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json fetch_call
//   GET  {base}/2010-04-01/Accounts/{AccountSid}/Calls.json?...   list_calls
//   POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json    send_sms
//
// Requests use HTTP Basic auth (account SID : auth token) and form-encoded
// bodies; answers are parsed from JSON. Non-2xx answers carry Twilio's error
// JSON ({"code", "message", "more_info", "status"}) and become a CarrierError
// classified as carrier.h describes.
//
// Transport: TLS certificate and host verification are always on. Plain http is
// accepted only for a loopback host (127.0.0.0/8, ::1, localhost) — the sandbox
// carrier and tests — never for a remote host, since the credentials would
// travel in clear. Redirects are not followed. Connections are kept alive and
// reused: finished curl handles go back to a pool, so a thread's next request
// usually finds a warm connection.
//
// Thread safety: safe for concurrent use; each request uses its own curl handle.
// The auth token is never logged nor put in an error message.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/settings.h"
#include "telephony/carrier.h"

namespace autovoice::telephony {

struct TwilioClientOptions {
  std::string api_base = "https://api.twilio.com";  // scheme://host[:port], no path
  std::string account_sid;
  Secret auth_token;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};  // whole request, connect included
  std::size_t max_pages = 20;  // list_calls stops following next_page_uri after this many
};

class TwilioClient final : public Carrier {
 public:
  // Validates the options: api_base must be https://host[:port] (http only for a
  // loopback host), account_sid and auth_token non-empty, timeouts positive.
  // Errors name the setting (TWILIO_API_BASE, TWILIO_ACCOUNT_SID, ...).
  static Result<std::unique_ptr<TwilioClient>> create(TwilioClientOptions options);
  // The options from Settings (TWILIO_API_BASE, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)
  // with default timeouts.
  static Result<std::unique_ptr<TwilioClient>> from_settings(const Settings& settings);

  ~TwilioClient() override;
  TwilioClient(const TwilioClient&) = delete;
  TwilioClient& operator=(const TwilioClient&) = delete;

  CarrierResult<CallInfo> create_call(const CallRequest& request) override;
  CarrierResult<MessageInfo> send_sms(const SmsRequest& request) override;
  CarrierResult<CallInfo> fetch_call(const std::string& sid) override;
  CarrierResult<std::vector<CallInfo>> list_calls(const CallFilter& filter) override;

 private:
  struct HttpAnswer;
  explicit TwilioClient(TwilioClientOptions options);

  // One request; `form` is the body for POST (empty for GET). `what` names the
  // operation in error messages.
  CarrierResult<HttpAnswer> perform(const char* method, const std::string& url,
                                    const std::vector<std::pair<std::string, std::string>>& form,
                                    const char* what);
  void* acquire_handle();           // a CURL*, from the pool or new
  void release_handle(void* handle);  // back to the pool
  std::string account_url() const;

  const TwilioClientOptions options_;
  std::mutex pool_mutex_;
  std::vector<void*> idle_handles_;  // GUARDED_BY(pool_mutex_); CURL* not in use
};

}  // namespace autovoice::telephony
