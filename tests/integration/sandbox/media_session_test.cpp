// The sandbox's side of a Twilio Media Stream against a real WebSocket server
// on 127.0.0.1 that plays the application: what the session sends and when,
// how it answers the application's media, marks and clears, and how it ends.
#include "sandbox/media_session.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "telephony/media_stream.h"

namespace autovoice::sandbox {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using telephony::InboundMessage;

constexpr const char* kAccountSid = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kCallSid = "CAfedcba9876543210fedcba9876543210";
constexpr const char* kStreamSid = "MZ18ad3ab5a668481ce02b83e7395059f0";
constexpr const char* kSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
constexpr auto kWait = 5s;  // the longest any condition is waited for

// Runs `check` under `mutex` until it holds or `timeout` passes.
template <typename Pred>
bool wait_until(std::mutex& mutex, std::condition_variable& cv, std::chrono::nanoseconds timeout,
                Pred check) {
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, timeout, check);
}

struct Received {
  Clock::time_point at;
  std::string text;
  std::optional<InboundMessage> message;  // set when it parses

  template <typename T>
  const T* as() const {
    return message ? std::get_if<T>(&*message) : nullptr;
  }
  uint64_t sequence() const {
    if (!message) return 0;
    return std::visit(
        [](const auto& m) -> uint64_t {
          if constexpr (requires { m.sequence_number; }) {
            return m.sequence_number;
          } else {
            return 0;
          }
        },
        *message);
  }
};

using Messages = std::vector<Received>;

// One WebSocket connection of the application. Its I/O runs on the server's
// io_context; the test inspects it and commands it from its own thread.
class AppConnection : public std::enable_shared_from_this<AppConnection> {
 public:
  AppConnection(tcp::socket socket, bool keep_messages, std::optional<http::status> refuse)
      : ws_(std::move(socket)), keep_messages_(keep_messages), refuse_(refuse) {}

  void run() {
    http::async_read(
        ws_.next_layer(), buffer_, request_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
  }

  // Thread-safe commands.
  void send_text(std::string text) { post_write(std::move(text), true); }
  void send_binary(std::string bytes) { post_write(std::move(bytes), false); }
  void close(websocket::close_code code, std::string reason) {
    net::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)] {
      self->ws_.async_close(websocket::close_reason(code, reason), [](beast::error_code) {});
    });
  }

  // Thread-safe inspection.
  std::string header(http::field name) const {
    std::lock_guard lock(mutex_);
    return headers_.count(name) ? headers_.at(name) : "";
  }
  std::string header(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return other_headers_.count(name) ? other_headers_.at(name) : "";
  }
  std::string target() const {
    std::lock_guard lock(mutex_);
    return target_;
  }
  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  bool ended() const {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  // The close code the session sent, if it closed the WebSocket.
  std::optional<unsigned> close_code() const {
    std::lock_guard lock(mutex_);
    return close_code_;
  }
  template <typename Pred>
  bool wait_for(Pred check, std::chrono::nanoseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return check(received_); });
  }
  bool wait_ended(std::chrono::nanoseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return ended_; });
  }

 private:
  void on_request(beast::error_code ec) {
    if (ec) return mark_ended();
    {
      std::lock_guard lock(mutex_);
      target_ = std::string(request_.target());
      for (const auto& field : request_) {
        if (field.name() != http::field::unknown) {
          headers_[field.name()] = std::string(field.value());
        } else {
          other_headers_[std::string(field.name_string())] = std::string(field.value());
        }
      }
    }
    if (refuse_) {
      auto response = std::make_shared<http::response<http::string_body>>(*refuse_, 11);
      response->body() = "refused";
      response->prepare_payload();
      http::async_write(ws_.next_layer(), *response,
                        [self = shared_from_this(), response](beast::error_code, std::size_t) {
                          self->mark_ended();
                        });
      return;
    }
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code e) {
      if (e) return self->mark_ended();
      self->read_next();
    });
  }

  void read_next() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      std::lock_guard lock(mutex_);
      if (ec == websocket::error::closed) close_code_ = static_cast<unsigned>(ws_.reason().code);
      ended_ = true;
      cv_.notify_all();
      return;
    }
    {
      std::lock_guard lock(mutex_);
      ++count_;
      if (keep_messages_) {
        Received r;
        r.at = Clock::now();
        r.text = beast::buffers_to_string(read_buffer_.cdata());
        if (auto parsed = telephony::parse_inbound(r.text)) r.message = std::move(*parsed);
        received_.push_back(std::move(r));
      }
      cv_.notify_all();
    }
    read_buffer_.consume(read_buffer_.size());
    read_next();
  }

  void post_write(std::string text, bool is_text) {
    net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text), is_text] {
      self->outgoing_.emplace_back(std::move(text), is_text);
      if (self->outgoing_.size() == 1) self->write_next();
    });
  }

  void write_next() {
    ws_.text(outgoing_.front().second);
    ws_.async_write(net::buffer(outgoing_.front().first),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return;
                      self->outgoing_.pop_front();
                      if (!self->outgoing_.empty()) self->write_next();
                    });
  }

  void mark_ended() {
    std::lock_guard lock(mutex_);
    ended_ = true;
    cv_.notify_all();
  }

  websocket::stream<beast::tcp_stream> ws_;
  const bool keep_messages_;
  const std::optional<http::status> refuse_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  beast::flat_buffer read_buffer_;
  std::deque<std::pair<std::string, bool>> outgoing_;  // io thread only

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string target_;                                // GUARDED_BY(mutex_)
  std::map<http::field, std::string> headers_;        // GUARDED_BY(mutex_)
  std::map<std::string, std::string> other_headers_;  // GUARDED_BY(mutex_)
  std::vector<Received> received_;                    // GUARDED_BY(mutex_)
  std::size_t count_ = 0;                             // GUARDED_BY(mutex_)
  bool ended_ = false;                                // GUARDED_BY(mutex_)
  std::optional<unsigned> close_code_;                // GUARDED_BY(mutex_)
};

// The application's WebSocket endpoint on 127.0.0.1 (an ephemeral port).
class AppServer {
 public:
  explicit AppServer(net::io_context& io, bool keep_messages = true)
      : acceptor_(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        keep_messages_(keep_messages) {
    accept_next();
  }

  std::string url(std::string_view scheme = "ws") const {
    return std::string(scheme) +
           "://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
           "/api/v1/voice/media-stream";
  }

  // Answers later upgrades with `status` instead of accepting them.
  void refuse_upgrades(http::status status) {
    std::lock_guard lock(mutex_);
    refuse_ = status;
  }

  std::shared_ptr<AppConnection> wait_connection(std::size_t index = 0) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kWait, [&] { return connections_.size() > index; })) return nullptr;
    return connections_[index];
  }
  std::vector<std::shared_ptr<AppConnection>> connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }

 private:
  void accept_next() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      socket.set_option(tcp::no_delay(true), ec);
      std::shared_ptr<AppConnection> connection;
      {
        std::lock_guard lock(mutex_);
        connection = std::make_shared<AppConnection>(std::move(socket), keep_messages_, refuse_);
        connections_.push_back(connection);
        cv_.notify_all();
      }
      connection->run();
      accept_next();
    });
  }

  tcp::acceptor acceptor_;
  const bool keep_messages_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<http::status> refuse_;                       // GUARDED_BY(mutex_)
  std::vector<std::shared_ptr<AppConnection>> connections_;  // GUARDED_BY(mutex_)
};

// What the observer saw, copied out of the views.
struct Seen {
  MediaEventKind kind;
  std::string name;
  std::string details;
  uint64_t count = 0;
  MediaSessionEnd end = MediaSessionEnd::kHungUp;
};

class Recorder {
 public:
  MediaObserver observer() {
    return [this](const MediaEvent& e) {
      std::lock_guard lock(mutex_);
      seen_.push_back(Seen{e.kind, std::string(e.name), std::string(e.details), e.count, e.end});
      cv_.notify_all();
    };
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::optional<Seen> closed(std::chrono::nanoseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    std::optional<Seen> out;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& s : seen_) {
        if (s.kind == MediaEventKind::kClosed) out = s;
      }
      return out.has_value();
    });
    return out;
  }
  template <typename Pred>
  bool wait_for(Pred check, std::chrono::nanoseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return check(seen_); });
  }
  std::size_t count_of(MediaEventKind kind, std::string_view name = "") const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& s : seen_) n += (s.kind == kind && (name.empty() || s.name == name)) ? 1 : 0;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;  // GUARDED_BY(mutex_)
};

std::size_t count_media(const std::vector<Received>& messages) {
  std::size_t n = 0;
  for (const auto& r : messages) n += r.as<telephony::MediaMessage>() != nullptr ? 1 : 0;
  return n;
}

template <typename T>
std::vector<T> all_of(const std::vector<Received>& messages) {
  std::vector<T> out;
  for (const auto& r : messages) {
    if (const T* m = r.as<T>()) out.push_back(*m);
  }
  return out;
}

template <typename T>
std::optional<Clock::time_point> first_at(const std::vector<Received>& messages) {
  for (const auto& r : messages) {
    if (r.as<T>() != nullptr) return r.at;
  }
  return std::nullopt;
}

// Sessions and the application share one io_context, run by one thread.
class MediaSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    for (auto& session : sessions_) session->abort();
    work_.reset();
    io_.stop();
    runner_.join();
  }

  MediaSessionConfig config(double speed = 1.0) const {
    MediaSessionConfig c;
    c.url = app_.url();
    c.signature = kSignature;
    c.account_sid = kAccountSid;
    c.call_sid = kCallSid;
    c.stream_sid = kStreamSid;
    c.custom_parameters = {{"call_type", "outbound_reminder"}, {"appointment_id", "42"}};
    c.speed = speed;
    return c;
  }

  std::shared_ptr<MediaSession> start(const MediaSessionConfig& c) {
    auto session = MediaSession::start(io_.get_executor(), c, recorder_.observer());
    EXPECT_TRUE(session.ok()) << session.error().message;
    if (!session.ok()) return nullptr;
    sessions_.push_back(*session);
    return *session;
  }

  // Starts a session and waits until the application has its "start".
  std::pair<std::shared_ptr<MediaSession>, std::shared_ptr<AppConnection>> open(
      double speed = 1.0) {
    auto session = start(config(speed));
    auto app = app_.wait_connection();
    EXPECT_NE(app, nullptr);
    if (app) {
      EXPECT_TRUE(app->wait_for([](const Messages& m) {
        return !m.empty() && std::any_of(m.begin(), m.end(), [](const Received& r) {
          return r.as<telephony::StartMessage>() != nullptr;
        });
      }));
    }
    return {session, app};
  }

  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  AppServer app_{io_};
  Recorder recorder_;
  std::vector<std::shared_ptr<MediaSession>> sessions_;
  std::thread runner_;
};

TEST_F(MediaSessionTest, TheUpgradeCarriesTheSignatureAndTheStreamOpensWithConnectedThenStart) {
  auto [session, app] = open();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->target(), "/api/v1/voice/media-stream");
  EXPECT_EQ(app->header("X-Twilio-Signature"), kSignature);
  EXPECT_EQ(app->header(http::field::user_agent), "Twilio.TmeWs/1.0");
  EXPECT_EQ(app->header(http::field::host), app_.url().substr(5, app_.url().find('/', 5) - 5));

  const auto messages = app->received();
  ASSERT_GE(messages.size(), 2U);
  const auto* connected = messages[0].as<telephony::ConnectedMessage>();
  ASSERT_NE(connected, nullptr) << messages[0].text;
  EXPECT_EQ(*connected, (telephony::ConnectedMessage{"Call", "1.0.0"}));
  const auto* start_message = messages[1].as<telephony::StartMessage>();
  ASSERT_NE(start_message, nullptr) << messages[1].text;
  EXPECT_EQ(start_message->sequence_number, 1U);
  EXPECT_EQ(start_message->stream_sid, kStreamSid);
  EXPECT_EQ(start_message->account_sid, kAccountSid);
  EXPECT_EQ(start_message->call_sid, kCallSid);
  EXPECT_EQ(start_message->tracks, std::vector<std::string>{"inbound"});
  EXPECT_EQ(start_message->media_format, (telephony::MediaFormat{"audio/x-mulaw", 8000, 1}));
  EXPECT_EQ(start_message->custom_parameters,
            (std::map<std::string, std::string>{{"call_type", "outbound_reminder"},
                                                {"appointment_id", "42"}}));

  ASSERT_TRUE(recorder_.wait_for([](const std::vector<Seen>& seen) { return seen.size() >= 3; }));
  const auto seen = recorder_.seen();
  EXPECT_EQ(seen[0].kind, MediaEventKind::kOpened);
  EXPECT_EQ(seen[1].kind, MediaEventKind::kSent);
  EXPECT_EQ(seen[1].name, "connected");
  EXPECT_EQ(seen[2].kind, MediaEventKind::kSent);
  EXPECT_EQ(seen[2].name, "start");
}

TEST_F(MediaSessionTest, WssOnLoopbackIsSpokenAsWs) {
  MediaSessionConfig c = config();
  c.url = app_.url("wss");
  start(c);
  auto app = app_.wait_connection();
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->wait_for([](const Messages& m) { return m.size() >= 2; }));
}

TEST_F(MediaSessionTest, MediaFramesArePacedByTheSpeedUpWithoutDrift) {
  constexpr double kSpeed = 10.0;  // a frame every 2 ms
  constexpr std::size_t kFrames = 250;
  auto [session, app] = open(kSpeed);
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->wait_for([](const Messages& m) { return count_media(m) >= kFrames; }));
  const auto messages = app->received();
  const auto media = all_of<telephony::MediaMessage>(messages);
  ASSERT_GE(media.size(), kFrames);
  for (std::size_t i = 0; i < kFrames; ++i) {
    EXPECT_EQ(media[i].chunk, i + 1);
    EXPECT_EQ(media[i].timestamp, i * 20);
    EXPECT_EQ(media[i].track, "inbound");
    EXPECT_EQ(media[i].stream_sid, kStreamSid);
    EXPECT_EQ(media[i].payload, std::vector<uint8_t>(160, 0xFF)) << "frame " << i;
  }
  // 249 intervals of 2 ms after the first frame: about 498 ms.
  std::vector<Clock::time_point> arrivals;
  for (const auto& r : messages) {
    if (r.as<telephony::MediaMessage>()) arrivals.push_back(r.at);
  }
  const auto span = arrivals[kFrames - 1] - arrivals[0];
  // Never ahead of the schedule; the upper bound only catches drift that
  // grows with every frame (lateness under load is bench/'s to measure).
  EXPECT_GE(span, 498ms - 20ms);
  EXPECT_LE(span, 498ms + 200ms);
  EXPECT_GE(session->stats().frames_sent, kFrames);
}

TEST_F(MediaSessionTest, ConsecutiveFramesAreObservedWithACountNotOneStringEach) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->wait_for([](const Messages& m) { return count_media(m) >= 50; }));
  uint64_t observed = 0;
  for (const auto& s : recorder_.seen()) {
    if (s.kind == MediaEventKind::kSent && s.name == "media") {
      EXPECT_GE(s.count, 1U);
      EXPECT_EQ(s.details, "");
      observed += s.count;
    }
  }
  EXPECT_GE(observed, 50U);
  EXPECT_LE(observed, session->stats().frames_sent);
}

TEST_F(MediaSessionTest, TheCalleesAudioReplacesSilenceClipAfterClip) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  session->play_audio(std::vector<uint8_t>(320, 0x11));
  session->play_audio(std::vector<uint8_t>(100, 0x22));
  ASSERT_TRUE(app->wait_for([](const Messages& m) {
    int voiced = 0;
    for (const auto& r : m) {
      const auto* media = r.as<telephony::MediaMessage>();
      if (media && media->payload[0] != 0xFF) ++voiced;
    }
    return voiced >= 3;
  }));
  ASSERT_TRUE(app->wait_for([](const Messages& m) { return count_media(m) >= 60; }));
  const auto media = all_of<telephony::MediaMessage>(app->received());
  std::size_t first = 0;
  while (media[first].payload[0] == 0xFF) ++first;
  EXPECT_EQ(media[first].payload, std::vector<uint8_t>(160, 0x11));
  EXPECT_EQ(media[first + 1].payload, std::vector<uint8_t>(160, 0x11));
  std::vector<uint8_t> third(160, 0xFF);
  std::fill_n(third.begin(), 100, 0x22);
  EXPECT_EQ(media[first + 2].payload, third);
  EXPECT_EQ(media[first + 3].payload, std::vector<uint8_t>(160, 0xFF));
}

TEST_F(MediaSessionTest, AMarkComesBackOnlyWhenTheAudioBeforeItHasPlayed) {
  constexpr double kSpeed = 10.0;
  auto [session, app] = open(kSpeed);
  ASSERT_NE(app, nullptr);
  // One second of audio: 100 ms on the wall clock at speed 10.
  const auto sent_at = Clock::now();
  app->send_text(telephony::media_message(kStreamSid, std::vector<uint8_t>(8000, 0x55)));
  app->send_text(telephony::mark_message(kStreamSid, "greeting-done"));
  ASSERT_TRUE(app->wait_for(
      [](const Messages& m) { return first_at<telephony::MarkMessage>(m).has_value(); }));
  const auto messages = app->received();
  const auto marks = all_of<telephony::MarkMessage>(messages);
  ASSERT_EQ(marks.size(), 1U);
  EXPECT_EQ(marks[0].name, "greeting-done");
  EXPECT_EQ(marks[0].stream_sid, kStreamSid);
  const auto took = *first_at<telephony::MarkMessage>(messages) - sent_at;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 500ms) << "1 s of audio plays in 100 ms at speed 10, not in real time";

  // The record: the audio arrived, played in full, then the mark was answered.
  ASSERT_TRUE(recorder_.wait_for([](const std::vector<Seen>& seen) {
    return std::any_of(seen.begin(), seen.end(), [](const Seen& s) {
      return s.kind == MediaEventKind::kSent && s.name == "mark";
    });
  }));
  const auto seen = recorder_.seen();
  std::vector<std::string> story;
  for (const auto& s : seen) {
    if (s.kind == MediaEventKind::kReceived)
      story.push_back("received " + s.name + " " + std::to_string(s.count));
    if (s.kind == MediaEventKind::kAudioPlayed)
      story.push_back("played " + std::to_string(s.count));
    if (s.kind == MediaEventKind::kSent && s.name == "mark") story.push_back("mark " + s.details);
  }
  EXPECT_EQ(story, (std::vector<std::string>{"received media 8000", "received mark 0",
                                             "played 8000", "mark greeting-done"}));
  EXPECT_EQ(session->stats().audio_bytes_received, 8000U);
  EXPECT_EQ(session->stats().marks_answered, 1U);
}

TEST_F(MediaSessionTest, AMarkWithNothingPlayingComesBackAtOnce) {
  auto [session, app] = open(1.0);
  ASSERT_NE(app, nullptr);
  const auto sent_at = Clock::now();
  app->send_text(telephony::mark_message(kStreamSid, "idle"));
  ASSERT_TRUE(app->wait_for(
      [](const Messages& m) { return first_at<telephony::MarkMessage>(m).has_value(); }));
  EXPECT_LT(*first_at<telephony::MarkMessage>(app->received()) - sent_at, 200ms);
}

TEST_F(MediaSessionTest, ClearDropsTheAudioAndAnswersEveryPendingMarkAtOnce) {
  auto [session, app] = open(1.0);
  ASSERT_NE(app, nullptr);
  // Ten seconds of audio with two marks behind it.
  app->send_text(telephony::media_message(kStreamSid, std::vector<uint8_t>(80000, 0x55)));
  app->send_text(telephony::mark_message(kStreamSid, "first"));
  app->send_text(telephony::media_message(kStreamSid, std::vector<uint8_t>(800, 0x55)));
  app->send_text(telephony::mark_message(kStreamSid, "second"));
  ASSERT_TRUE(recorder_.wait_for([](const std::vector<Seen>& seen) {
    return std::count_if(seen.begin(), seen.end(), [](const Seen& s) {
             return s.kind == MediaEventKind::kReceived && s.name == "mark";
           }) == 2;
  }));
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(all_of<telephony::MarkMessage>(app->received()).empty());

  const auto cleared_at = Clock::now();
  app->send_text(telephony::clear_message(kStreamSid));
  ASSERT_TRUE(app->wait_for(
      [](const Messages& m) { return all_of<telephony::MarkMessage>(m).size() == 2; }));
  const auto messages = app->received();
  const auto marks = all_of<telephony::MarkMessage>(messages);
  EXPECT_EQ(marks[0].name, "first");
  EXPECT_EQ(marks[1].name, "second");
  EXPECT_LT(*first_at<telephony::MarkMessage>(messages) - cleared_at, 500ms)
      << "the marks behind 10 s of audio come back at the clear, not after the audio";

  ASSERT_TRUE(recorder_.wait_for([](const std::vector<Seen>& seen) {
    return std::any_of(seen.begin(), seen.end(),
                       [](const Seen& s) { return s.kind == MediaEventKind::kAudioCleared; });
  }));
  uint64_t played = 0;
  uint64_t cleared = 0;
  for (const auto& s : recorder_.seen()) {
    if (s.kind == MediaEventKind::kAudioPlayed) played += s.count;
    if (s.kind == MediaEventKind::kAudioCleared) cleared += s.count;
  }
  EXPECT_EQ(played + cleared, 80800U);
  EXPECT_GT(cleared, 80800U - 8 * 1000U);  // less than a second had played

  // Audio after the clear plays, and a mark behind it waits for it again.
  app->send_text(telephony::media_message(kStreamSid, std::vector<uint8_t>(400, 0x55)));
  const auto third_at = Clock::now();
  app->send_text(telephony::mark_message(kStreamSid, "third"));
  ASSERT_TRUE(app->wait_for(
      [](const Messages& m) { return all_of<telephony::MarkMessage>(m).size() == 3; }));
  EXPECT_GE(app->received().back().at - third_at, 45ms);
}

TEST_F(MediaSessionTest, DtmfArrivesOnTheInboundTrack) {
  auto [session, app] = open(1.0);
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(session->send_dtmf("5").ok());
  ASSERT_TRUE(session->send_dtmf("#").ok());
  ASSERT_TRUE(app->wait_for(
      [](const Messages& m) { return all_of<telephony::DtmfMessage>(m).size() == 2; }));
  const auto dtmf = all_of<telephony::DtmfMessage>(app->received());
  EXPECT_EQ(dtmf[0].digit, "5");
  EXPECT_EQ(dtmf[0].track, "inbound_track");
  EXPECT_EQ(dtmf[0].stream_sid, kStreamSid);
  EXPECT_EQ(dtmf[1].digit, "#");
  EXPECT_EQ(recorder_.count_of(MediaEventKind::kSent, "dtmf"), 2U);
}

TEST_F(MediaSessionTest, OnlyRealKeysCanBePressed) {
  auto session = start(config());
  for (std::string digit : {"", "10", "a", "w", " "}) {
    auto status = session->send_dtmf(digit);
    ASSERT_FALSE(status.ok()) << digit;
    EXPECT_EQ(status.error().field, "digit");
  }
}

TEST_F(MediaSessionTest, KeysPressedBeforeTheStreamOpensFollowTheStart) {
  auto session = start(config());
  ASSERT_TRUE(session->send_dtmf("9").ok());
  auto app = app_.wait_connection();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->wait_for(
      [](const Messages& m) { return all_of<telephony::DtmfMessage>(m).size() == 1; }));
  const auto messages = app->received();
  ASSERT_GE(messages.size(), 3U);
  EXPECT_NE(messages[1].as<telephony::StartMessage>(), nullptr);
  // The key is neither lost nor sent before "start". It is normally the very
  // next message; if the stream opened before the key was posted, a media
  // frame may come first, so only the order and the numbering are asserted.
  std::size_t at = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].as<telephony::DtmfMessage>()) at = i;
  }
  ASSERT_GE(at, 2U);
  EXPECT_EQ(messages[at].as<telephony::DtmfMessage>()->sequence_number, at);
}

TEST_F(MediaSessionTest, SequenceNumbersCountEveryMessageTheSessionSends) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(session->send_dtmf("1").ok());
  app->send_text(telephony::mark_message(kStreamSid, "m"));
  ASSERT_TRUE(app->wait_for([](const Messages& m) {
    return !all_of<telephony::DtmfMessage>(m).empty() && !all_of<telephony::MarkMessage>(m).empty();
  }));
  session->hangup();
  ASSERT_TRUE(app->wait_ended());
  const auto messages = app->received();
  ASSERT_NE(messages.back().as<telephony::StopMessage>(), nullptr);
  uint64_t expected = 1;
  for (std::size_t i = 1; i < messages.size(); ++i) {  // "connected" carries none
    EXPECT_EQ(messages[i].sequence(), expected) << messages[i].text;
    ++expected;
  }
}

TEST_F(MediaSessionTest, HangupSendsStopThenClosesNormally) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->wait_for([](const Messages& m) { return count_media(m) >= 5; }));
  session->hangup();
  session->hangup();  // idempotent
  ASSERT_TRUE(app->wait_ended());
  EXPECT_EQ(app->close_code(), 1000U);
  const auto messages = app->received();
  const auto* stop = messages.back().as<telephony::StopMessage>();
  ASSERT_NE(stop, nullptr) << messages.back().text;
  EXPECT_EQ(stop->account_sid, kAccountSid);
  EXPECT_EQ(stop->call_sid, kCallSid);
  EXPECT_EQ(stop->stream_sid, kStreamSid);
  EXPECT_EQ(all_of<telephony::StopMessage>(messages).size(), 1U);

  auto closed = recorder_.closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->end, MediaSessionEnd::kHungUp);
  EXPECT_EQ(closed->details, "the callee hung up");
  session->hangup();  // still harmless afterwards
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(recorder_.count_of(MediaEventKind::kClosed), 1U);
  EXPECT_EQ(recorder_.count_of(MediaEventKind::kSent, "stop"), 1U);
}

TEST_F(MediaSessionTest, HangingUpBeforeTheStreamOpensJustEndsIt) {
  auto session = start(config());
  session->hangup();
  auto closed = recorder_.closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->end, MediaSessionEnd::kHungUp);
  EXPECT_EQ(recorder_.count_of(MediaEventKind::kSent), 0U);
}

TEST_F(MediaSessionTest, TheApplicationClosingTheWebSocketEndsTheSession) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  app->close(websocket::close_code::normal, "call over");
  auto closed = recorder_.closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->end, MediaSessionEnd::kApplicationClosed);
  EXPECT_NE(closed->details.find("code 1000"), std::string::npos) << closed->details;
  EXPECT_NE(closed->details.find("call over"), std::string::npos) << closed->details;
  const uint64_t frames = session->stats().frames_sent;
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(session->stats().frames_sent, frames);
  EXPECT_EQ(recorder_.count_of(MediaEventKind::kSent, "stop"), 0U);
}

TEST_F(MediaSessionTest, AMalformedApplicationMessageIsReportedAndIgnored) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  app->send_text("not json at all");
  app->send_text(R"({"event":"play","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0"})");
  app->send_text(
      R"({"event":"media","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0","media":{"payload":"!!"}})");
  app->send_text(telephony::mark_message("MZ00000000000000000000000000000000", "elsewhere"));
  app->send_binary(std::string("\x01\x02\x03", 3));
  app->send_text(telephony::mark_message(kStreamSid, "still-here"));
  ASSERT_TRUE(
      app->wait_for([](const Messages& m) { return !all_of<telephony::MarkMessage>(m).empty(); }));
  EXPECT_EQ(all_of<telephony::MarkMessage>(app->received())[0].name, "still-here");

  std::vector<std::string> why;
  for (const auto& s : recorder_.seen()) {
    if (s.kind == MediaEventKind::kIgnored) why.push_back(s.details);
  }
  ASSERT_EQ(why.size(), 5U);
  EXPECT_NE(why[0].find("not valid JSON"), std::string::npos) << why[0];
  EXPECT_NE(why[1].find("unknown event"), std::string::npos) << why[1];
  EXPECT_NE(why[2].find("media.payload"), std::string::npos) << why[2];
  EXPECT_NE(why[3].find("not this stream"), std::string::npos) << why[3];
  EXPECT_NE(why[4].find("binary"), std::string::npos) << why[4];
  EXPECT_EQ(session->stats().messages_ignored, 5U);
  EXPECT_EQ(session->stats().messages_received, 6U);
  // The stream goes on.
  const auto before = count_media(app->received());
  ASSERT_TRUE(app->wait_for([&](const Messages& m) { return count_media(m) >= before + 10; }));
}

TEST_F(MediaSessionTest, ARefusedConnectionEndsTheSessionWithAReason) {
  uint16_t port = 0;
  {
    tcp::acceptor probe(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  MediaSessionConfig c = config();
  c.url = "ws://127.0.0.1:" + std::to_string(port) + "/media";
  start(c);
  auto closed = recorder_.closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->end, MediaSessionEnd::kConnectFailed);
  EXPECT_NE(closed->details.find("cannot connect to ws://127.0.0.1:"), std::string::npos)
      << closed->details;
  EXPECT_EQ(recorder_.count_of(MediaEventKind::kOpened), 0U);
}

TEST_F(MediaSessionTest, ARefusedUpgradeEndsTheSessionNamingTheStatus) {
  app_.refuse_upgrades(http::status::forbidden);
  start(config());
  auto closed = recorder_.closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->end, MediaSessionEnd::kConnectFailed);
  EXPECT_NE(closed->details.find("HTTP 403"), std::string::npos) << closed->details;
}

TEST_F(MediaSessionTest, AnUpgradeThatNeverComesTimesOut) {
  // Accepts the connection and never answers.
  tcp::acceptor silent(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp::socket held(io_);
  silent.async_accept(held, [](beast::error_code) {});
  MediaSessionConfig c = config();
  c.url = "ws://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/media";
  c.connect_timeout = 200ms;
  const auto started = Clock::now();
  start(c);
  auto closed = recorder_.closed();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->end, MediaSessionEnd::kConnectFailed);
  EXPECT_NE(closed->details.find("within 200 ms"), std::string::npos) << closed->details;
  EXPECT_LT(Clock::now() - started, 2s);
  net::post(io_, [&] {
    silent.close();
    held.close();
  });
  std::this_thread::sleep_for(10ms);
}

TEST_F(MediaSessionTest, BadConfigurationIsRefusedAtStart) {
  struct Case {
    MediaSessionConfig config;
    std::string_view field;
  };
  auto with = [&](auto change) {
    MediaSessionConfig c = config();
    change(c);
    return c;
  };
  const Case cases[] = {
      {with([](auto& c) { c.url = "ws://example.com/media"; }), "url"},
      {with([](auto& c) { c.url = "http://127.0.0.1/media"; }), "url"},
      {with([](auto& c) { c.stream_sid = "MZ123"; }), "stream_sid"},
      {with([](auto& c) { c.call_sid = "XX0123456789abcdef0123456789abcdef"; }), "call_sid"},
      {with([](auto& c) { c.account_sid = ""; }), "account_sid"},
      {with([](auto& c) { c.speed = 0.5; }), "speed"},
      {with([](auto& c) { c.speed = std::nan(""); }), "speed"},
      {with([](auto& c) { c.speed = 5000; }), "speed"},
      {with([](auto& c) { c.connect_timeout = 0ms; }), "connect_timeout"},
      {with([](auto& c) { c.signature = "abc\r\nX-Evil: 1"; }), "signature"},
  };
  for (const auto& c : cases) {
    auto session = MediaSession::start(io_.get_executor(), c.config, recorder_.observer());
    ASSERT_FALSE(session.ok()) << c.field;
    EXPECT_EQ(session.error().field, c.field) << session.error().message;
  }
  auto off = MediaSession::start(io_.get_executor(), cases[0].config, recorder_.observer());
  EXPECT_NE(off.error().message.find("never leaves loopback"), std::string::npos);
}

TEST_F(MediaSessionTest, AbortDropsTheConnectionAndSilencesTheObserver) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  session->abort();
  const std::size_t seen = recorder_.seen().size();
  ASSERT_TRUE(app->wait_ended());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(recorder_.seen().size(), seen);
  EXPECT_TRUE(all_of<telephony::StopMessage>(app->received()).empty());
  session->abort();  // idempotent
  session->hangup();
}

TEST_F(MediaSessionTest, AbortFromInsideTheObserverIsSafe) {
  std::shared_ptr<MediaSession> session;
  std::mutex mutex;
  int after_abort = 0;
  bool aborted = false;
  auto created = MediaSession::start(io_.get_executor(), config(10.0), [&](const MediaEvent& e) {
    std::lock_guard lock(mutex);
    if (aborted) ++after_abort;
    if (e.kind == MediaEventKind::kSent && e.name == "media" && session) {
      aborted = true;
      session->abort();
    }
  });
  ASSERT_TRUE(created.ok());
  {
    std::lock_guard lock(mutex);
    session = *created;
  }
  auto app = app_.wait_connection();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->wait_ended());
  std::lock_guard lock(mutex);
  EXPECT_TRUE(aborted);
  EXPECT_EQ(after_abort, 0);
}

TEST_F(MediaSessionTest, TheScriptCanBeDrivenFromManyThreads) {
  auto [session, app] = open(10.0);
  ASSERT_NE(app, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([s = session] {
      for (int i = 0; i < 25; ++i) {
        s->play_audio(std::vector<uint8_t>(16, 0x10));
        EXPECT_TRUE(s->send_dtmf("7").ok());
        (void)s->stats();
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(app->wait_for(
      [](const Messages& m) { return all_of<telephony::DtmfMessage>(m).size() == 100; }));
  session->hangup();
  session->hangup();
  ASSERT_TRUE(app->wait_ended());
}

TEST(MediaSessionLifetimeTest, DestroyingTheIoContextWithSessionsPendingIsSafe) {
  Recorder recorder;
  std::weak_ptr<MediaSession> weak;
  {
    net::io_context io;
    AppServer app(io);
    MediaSessionConfig c;
    c.url = app.url();
    c.account_sid = kAccountSid;
    c.call_sid = kCallSid;
    c.stream_sid = kStreamSid;
    c.speed = 10.0;
    auto session = MediaSession::start(io.get_executor(), c, recorder.observer());
    ASSERT_TRUE(session.ok());
    weak = *session;
    session = Error::internal("dropped");  // the owner lets go while I/O is pending
    io.run_for(100ms);
    EXPECT_FALSE(weak.expired());  // kept alive by its own operations
  }
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(recorder.count_of(MediaEventKind::kOpened), 1U);
}

// 200 calls streaming at once, all driven by one io_context thread: every
// session opens, streams and closes cleanly. How late frames are under this
// load is measured by bench/sandbox_stream_bench (a timed assertion here
// would only measure how busy the test machine is).
TEST(MediaSessionLoadTest, TwoHundredSessionsShareOneThread) {
  constexpr std::size_t kSessions = 200;
  net::io_context app_io;
  auto app_work = net::make_work_guard(app_io);
  AppServer app(app_io, /*keep_messages=*/false);
  std::thread app_thread([&] { app_io.run(); });

  net::io_context io;
  std::vector<std::shared_ptr<MediaSession>> sessions;
  std::atomic<int> closed{0};
  for (std::size_t i = 0; i < kSessions; ++i) {
    MediaSessionConfig c;
    c.url = app.url();
    c.signature = kSignature;
    c.account_sid = kAccountSid;
    c.call_sid = kCallSid;
    c.stream_sid = kStreamSid;
    c.custom_parameters = {{"n", std::to_string(i)}};
    auto session = MediaSession::start(io.get_executor(), c, [&](const MediaEvent& e) {
      if (e.kind == MediaEventKind::kClosed) ++closed;
    });
    ASSERT_TRUE(session.ok());
    sessions.push_back(*session);
  }
  // Stream until every session has sent 50 frames (1 s of audio), then hang up
  // and wait for every close; the deadlines only bound a broken run.
  const auto sent_enough = [&] {
    for (auto& s : sessions) {
      if (s->stats().frames_sent < 50) return false;
    }
    return true;
  };
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       !sent_enough() && std::chrono::steady_clock::now() < deadline;) {
    io.run_for(50ms);
  }
  ASSERT_TRUE(sent_enough());
  for (auto& s : sessions) s->hangup();
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       closed.load() < static_cast<int>(kSessions) && std::chrono::steady_clock::now() < deadline;) {
    io.run_for(50ms);
  }
  EXPECT_EQ(closed.load(), static_cast<int>(kSessions));
  std::size_t messages = 0;
  for (const auto& connection : app.connections()) messages += connection->count();
  // connected + start + 50 frames + stop, at least, from each.
  EXPECT_GE(messages, kSessions * 53);

  app_work.reset();
  app_io.stop();
  app_thread.join();
}

}  // namespace
}  // namespace autovoice::sandbox
