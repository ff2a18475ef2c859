// TwimlApp: a minimal voice application for testing a carrier (the sandbox) on
// loopback. It answers webhooks with fixed TwiML, records every request with
// whether its X-Twilio-Signature is valid, and serves a Media Streams
// WebSocket that records what arrives and answers with scripted audio, marks
// and clears. Each connection is served by its own thread; every accessor is
// safe from any thread.
//
// Routes (POST or GET; the query string is kept for the signature check):
//   /voice/stream     <Connect><Stream url="{ws}/media"> with the Parameters
//                     call_type=outbound_reminder and appointment_id (copied
//                     from the query's appointment_id, default "42")
//   /voice/gather     <Gather input="dtmf speech" numDigits="1" timeout="3"
//                     action="/voice/gathered"><Say>Press 1 or say yes</Say>
//                     </Gather><Say>We did not hear you</Say>
//   /voice/gathered   <Say>Thank you</Say><Hangup/>
//   /voice/redirect   <Redirect>/voice/say</Redirect>
//   /voice/say        <Say>Hello from the test application</Say>
//   /voice/bad        a document the carrier must refuse (not TwiML)
//   /status, /sms     200, empty
//   anything else     404
// set_route_status / set_route_delay change how a path answers.
//
// The media stream (/media): on `start` it sends `prompt_frames` media frames
// (a tone) followed by the mark "prompt"; when that mark comes back it sends
// `tail_frames` more and the mark "tail". A `dtmf` "2" is answered with
// `clear`. A `dtmf` "#" makes the application close the WebSocket. Everything
// received is recorded per stream.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "telephony/form.h"

namespace autovoice::testing {

struct AppWebhook {
  std::string method;
  std::string path;
  std::string query;  // raw
  telephony::FormParams params;  // the body's (POST) or the query's (GET)
  bool signature_valid = false;
  std::chrono::steady_clock::time_point at;
};

struct AppStream {
  bool signature_valid = false;
  std::vector<std::string> events;  // every event name received, in order
  std::map<std::string, std::string> custom_parameters;
  std::string call_sid;
  std::string stream_sid;
  int media_frames = 0;
  int voiced_frames = 0;  // frames with sound in them (not mu-law silence)
  uint64_t last_chunk = 0;
  bool chunks_in_order = true;
  std::vector<std::string> dtmf;
  std::vector<std::string> marks;  // names of marks received back, in order
  std::chrono::steady_clock::time_point prompt_sent_at{};
  std::chrono::steady_clock::time_point prompt_mark_at{};
  std::chrono::steady_clock::time_point tail_sent_at{};
  std::chrono::steady_clock::time_point tail_mark_at{};
  bool stop_received = false;
  bool closed = false;
};

class TwimlApp {
 public:
  TwimlApp(std::string auth_token, int prompt_frames = 25, int tail_frames = 1500);
  ~TwimlApp();
  TwimlApp(const TwimlApp&) = delete;
  TwimlApp& operator=(const TwimlApp&) = delete;

  int port() const { return port_; }
  std::string url(std::string_view path) const;  // "http://127.0.0.1:PORT" + path

  void set_route_status(const std::string& path, int status);
  void set_route_delay(const std::string& path, std::chrono::milliseconds delay);

  std::vector<AppWebhook> webhooks(const std::string& path = {}) const;
  std::vector<AppStream> streams() const;

  // Polls `done` every 10 ms until it is true or `timeout` passes.
  static bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

 private:
  void accept_loop();
  void serve(int fd);
  void serve_stream(void* stream_ptr, const std::string& target, const std::string& signature);

  std::string auth_token_;
  int prompt_frames_;
  int tail_frames_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;       // GUARDED_BY(mu_)
  std::vector<int> open_fds_;              // GUARDED_BY(mu_)
  std::map<std::string, int> statuses_;    // GUARDED_BY(mu_)
  std::map<std::string, std::chrono::milliseconds> delays_;  // GUARDED_BY(mu_)
  std::vector<AppWebhook> webhooks_;       // GUARDED_BY(mu_)
  std::vector<AppStream> streams_;         // GUARDED_BY(mu_)
};

}  // namespace autovoice::testing
