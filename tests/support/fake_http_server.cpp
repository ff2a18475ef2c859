#include "support/fake_http_server.h"

#include "support/loopback_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace autovoice::testing {
namespace {

constexpr int kPollMillis = 50;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

FakeHttpServer::FakeHttpServer() {
  listen_fd_ = listen_on_loopback(64, port_);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

FakeHttpServer::~FakeHttpServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(connection_threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listen_fd_);
}

std::string FakeHttpServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void FakeHttpServer::enqueue(FakeResponse response) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(response));
}

void FakeHttpServer::set_default(FakeResponse response) {
  std::lock_guard lock(mutex_);
  default_ = std::move(response);
}

std::vector<RecordedRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FakeHttpServer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::size_t FakeHttpServer::connection_count() const {
  std::lock_guard lock(mutex_);
  return connection_threads_.size();
}

FakeResponse FakeHttpServer::next_response() {
  std::lock_guard lock(mutex_);
  if (script_.empty()) return default_;
  FakeResponse r = std::move(script_.front());
  script_.pop_front();
  return r;
}

void FakeHttpServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMillis) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    connection_threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeHttpServer::serve(int fd) {
  std::string buffer;
  char chunk[4096];
  // Reads until `buffer` holds at least `want` bytes; false on close or stop.
  auto fill = [&](std::size_t want, auto&& done) {
    while (!done() && buffer.size() < want) {
      if (stopping_) return false;
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, kPollMillis);
      if (ready < 0) return false;
      if (ready == 0) continue;
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  };
  while (!stopping_) {
    if (!fill(SIZE_MAX, [&] { return buffer.find("\r\n\r\n") != std::string::npos; })) break;
    const std::size_t head_end = buffer.find("\r\n\r\n");
    RecordedRequest request;
    std::string_view head(buffer.data(), head_end);
    std::size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    std::size_t sp1 = request_line.find(' ');
    std::size_t sp2 = request_line.find(' ', sp1 + 1);
    request.method = std::string(request_line.substr(0, sp1));
    request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    std::size_t qmark = request.target.find('?');
    request.path = request.target.substr(0, qmark);
    if (qmark != std::string::npos) request.query = request.target.substr(qmark + 1);
    while (line_end != std::string_view::npos && line_end < head.size()) {
      std::size_t next = head.find("\r\n", line_end + 2);
      std::string_view line = head.substr(line_end + 2, next == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : next - line_end - 2);
      std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        request.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
      }
      line_end = next;
    }
    std::size_t length = 0;
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      length = std::stoul(it->second);
    }
    const std::size_t total = head_end + 4 + length;
    if (!fill(total, [] { return false; })) break;
    request.body = buffer.substr(head_end + 4, length);
    buffer.erase(0, total);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }

    FakeResponse response = next_response();
    if (response.delay.count() > 0) {
      std::unique_lock lock(mutex_);
      stop_cv_.wait_for(lock, response.delay, [this] { return stopping_.load(); });
    }
    if (response.drop_connection || stopping_) break;
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      reason(response.status) + "\r\nContent-Type: " + response.content_type +
                      "\r\nContent-Length: " + std::to_string(response.body.size()) +
                      "\r\n\r\n" + response.body;
    if (!send_all(fd, out)) break;
  }
  ::close(fd);
}

}  // namespace autovoice::testing
