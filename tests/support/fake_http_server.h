// FakeHttpServer: a scripted HTTP/1.1 server on 127.0.0.1 (an ephemeral port)
// for client tests. Each request gets the next scripted response (or the
// default one when the script is empty); every request is recorded.
// Connections are kept alive, each served by its own thread, so concurrent
// clients are served concurrently. Safe to script and inspect from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace autovoice::testing {

struct FakeResponse {
  int status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before answering
  bool drop_connection = false;        // close the connection instead of answering
  std::string content_type = "application/json";
};

struct RecordedRequest {
  std::string method;
  std::string target;  // as sent: path plus "?query"
  std::string path;
  std::string query;  // raw, still percent-encoded; empty when none
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  // The header's value, "" when absent. `name` in any case.
  std::string header(std::string_view name) const;
};

class FakeHttpServer {
 public:
  FakeHttpServer();  // listening when constructed; throws if it cannot bind
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  void enqueue(FakeResponse response);       // answers the next unanswered request
  void set_default(FakeResponse response);   // answers when nothing is enqueued
  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;
  std::size_t connection_count() const;  // connections accepted so far

 private:
  void accept_loop();
  void serve(int fd);
  FakeResponse next_response();

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  std::deque<FakeResponse> script_;            // GUARDED_BY(mutex_)
  FakeResponse default_;                       // GUARDED_BY(mutex_)
  std::vector<RecordedRequest> requests_;      // GUARDED_BY(mutex_)
  std::vector<std::thread> connection_threads_;  // GUARDED_BY(mutex_)
  std::thread accept_thread_;
};

}  // namespace autovoice::testing
