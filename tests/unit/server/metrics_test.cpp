#include "server/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace autovoice::server {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
    pos = end + 1;
  }
  return out;
}

TEST(MetricsTest, RendersASmallCaseExactly) {
  Metrics m({RouteLabel{"GET", "/healthz"}, {"POST", "/api/v1/customers/{id}"}});
  m.record_request(0, 200, microseconds{300});
  m.record_request(0, 200, milliseconds{1});  // on a bound: counted in le="0.001"
  m.record_request(0, 404, seconds{3});       // beyond the last bound: only in +Inf
  m.media_stream_opened();
  m.media_stream_opened();
  m.media_stream_closed();
  m.media_message(MediaEvent::kMedia);
  m.media_message(MediaEvent::kMedia);
  m.media_message(MediaEvent::kInvalid);
  m.status_callback(CallbackResult::kApplied);
  m.signature_rejected();

  ScrapeValues v;
  v.calls = CallLogCounts{{{"completed", 3}, {"no-answer", 1}}, {{"confirmed", 2}, {"none", 1}}};
  v.db_pool = DbPoolUse{4, 1, 0};
  v.resident_memory_bytes = 1048576;
  v.process_start = std::chrono::system_clock::time_point{milliseconds{1764064800500}};

  const std::string expected =
      R"text(# HELP autovoice_http_requests_total HTTP requests answered, by method, route and status.
# TYPE autovoice_http_requests_total counter
autovoice_http_requests_total{method="GET",route="/healthz",status="200"} 2
autovoice_http_requests_total{method="GET",route="/healthz",status="404"} 1
# HELP autovoice_http_request_duration_seconds HTTP request latency in seconds, by method and route.
# TYPE autovoice_http_request_duration_seconds histogram
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.0005"} 1
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.001"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.0025"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.005"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.01"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.025"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.05"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.1"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.25"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.5"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="1"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="2.5"} 2
autovoice_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 3
autovoice_http_request_duration_seconds_sum{method="GET",route="/healthz"} 3.0013
autovoice_http_request_duration_seconds_count{method="GET",route="/healthz"} 3
# HELP autovoice_calls Call logs by call status.
# TYPE autovoice_calls gauge
autovoice_calls{status="completed"} 3
autovoice_calls{status="no-answer"} 1
# HELP autovoice_reminders Outbound reminder calls by outcome (none: no outcome yet).
# TYPE autovoice_reminders gauge
autovoice_reminders{outcome="confirmed"} 2
autovoice_reminders{outcome="none"} 1
# HELP autovoice_db_pool_threads Threads in the database pool.
# TYPE autovoice_db_pool_threads gauge
autovoice_db_pool_threads 4
# HELP autovoice_db_pool_busy Database pool threads running a task.
# TYPE autovoice_db_pool_busy gauge
autovoice_db_pool_busy 1
# HELP autovoice_db_pool_queued Database tasks waiting for a pool thread.
# TYPE autovoice_db_pool_queued gauge
autovoice_db_pool_queued 0
# HELP autovoice_media_streams_active Media-stream WebSockets open now.
# TYPE autovoice_media_streams_active gauge
autovoice_media_streams_active 1
# HELP autovoice_media_streams_total Media-stream WebSockets opened.
# TYPE autovoice_media_streams_total counter
autovoice_media_streams_total 2
# HELP autovoice_media_messages_total Media-stream messages received, by event (invalid: did not parse).
# TYPE autovoice_media_messages_total counter
autovoice_media_messages_total{event="connected"} 0
autovoice_media_messages_total{event="start"} 0
autovoice_media_messages_total{event="media"} 2
autovoice_media_messages_total{event="dtmf"} 0
autovoice_media_messages_total{event="mark"} 0
autovoice_media_messages_total{event="stop"} 0
autovoice_media_messages_total{event="invalid"} 1
# HELP autovoice_status_callbacks_total Carrier status callbacks, by what they did to the call log.
# TYPE autovoice_status_callbacks_total counter
autovoice_status_callbacks_total{result="applied"} 1
autovoice_status_callbacks_total{result="created"} 0
autovoice_status_callbacks_total{result="ignored"} 0
autovoice_status_callbacks_total{result="rejected"} 0
# HELP autovoice_signature_rejections_total Carrier requests refused for a bad X-Twilio-Signature.
# TYPE autovoice_signature_rejections_total counter
autovoice_signature_rejections_total 1
# HELP autovoice_process_resident_memory_bytes Resident memory size in bytes.
# TYPE autovoice_process_resident_memory_bytes gauge
autovoice_process_resident_memory_bytes 1048576
# HELP autovoice_process_start_time_seconds Start time of the process since the Unix epoch in seconds.
# TYPE autovoice_process_start_time_seconds gauge
autovoice_process_start_time_seconds 1764064800.5
)text";
  EXPECT_EQ(m.render(v), expected);
}

TEST(MetricsTest, WithNothingRecordedHasNoRequestSeriesButKeepsTheFamilies) {
  Metrics m({RouteLabel{"GET", "/healthz"}});
  const std::string text = m.render({});
  EXPECT_TRUE(contains(text, "# TYPE autovoice_http_requests_total counter\n"));
  EXPECT_TRUE(contains(text, "# TYPE autovoice_http_request_duration_seconds histogram\n"));
  EXPECT_TRUE(lines_starting(text, "autovoice_http_request").empty());
  EXPECT_TRUE(contains(text, "autovoice_media_streams_active 0\n"));
  EXPECT_FALSE(contains(text, "autovoice_process_resident_memory_bytes"));
  EXPECT_FALSE(contains(text, "autovoice_process_start_time_seconds"));
}

TEST(MetricsTest, BucketsAreCumulativeAndEndWithTheCount) {
  Metrics m({RouteLabel{"GET", "/r"}});
  // One latency in each finite bucket, just above the previous bound, and one beyond.
  nanoseconds previous{0};
  for (nanoseconds bound : Metrics::kBucketBounds) {
    m.record_request(0, 200, previous + nanoseconds{1});
    previous = bound;
  }
  m.record_request(0, 200, previous + nanoseconds{1});
  const auto buckets =
      lines_starting(m.render({}), "autovoice_http_request_duration_seconds_bucket");
  ASSERT_EQ(buckets.size(), Metrics::kBucketCount + 1);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    EXPECT_TRUE(buckets[i].ends_with("} " + std::to_string(i + 1))) << buckets[i];
  }
  EXPECT_TRUE(buckets.back().ends_with("le=\"+Inf\"} 13"));
  EXPECT_TRUE(
      contains(m.render({}),
               "autovoice_http_request_duration_seconds_count{method=\"GET\",route=\"/r\"} 13\n"));
}

TEST(MetricsTest, LatencyOnABoundIsInThatBucketAndNegativeLatencyCountsAsZero) {
  Metrics m({RouteLabel{"GET", "/r"}});
  m.record_request(0, 200, microseconds{500});
  m.record_request(0, 200, nanoseconds{-5});
  const std::string text = m.render({});
  EXPECT_TRUE(contains(text,
                       "autovoice_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                       "r\",le=\"0.0005\"} 2\n"));
  EXPECT_TRUE(contains(
      text, "autovoice_http_request_duration_seconds_sum{method=\"GET\",route=\"/r\"} 0.0005\n"));
}

TEST(MetricsTest, OnlyRoutesWithRequestsHaveAHistogram) {
  Metrics m({RouteLabel{"GET", "/a"}, {"GET", "/b"}});
  m.record_request(1, 200, milliseconds{3});
  const std::string text = m.render({});
  EXPECT_FALSE(contains(text, "route=\"/a\""));
  EXPECT_TRUE(contains(
      text, "autovoice_http_request_duration_seconds_count{method=\"GET\",route=\"/b\"} 1\n"));
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");

  Metrics m({RouteLabel{"GET", "/odd\"route\\\n"}});
  m.record_request(0, 200, milliseconds{1});
  ScrapeValues v;
  v.calls = CallLogCounts{{{"weird\"status", 1}}, {}};
  const std::string text = m.render(v);
  EXPECT_TRUE(contains(text,
                       "autovoice_http_requests_total{method=\"GET\",route=\"/"
                       "odd\\\"route\\\\\\n\",status=\"200\"} 1\n"));
  EXPECT_TRUE(contains(text, "autovoice_calls{status=\"weird\\\"status\"} 1\n"));
}

TEST(MetricsTest, UnmatchedRouteHasItsOwnLabels) {
  Metrics m({RouteLabel{"GET", "/healthz"}});
  EXPECT_EQ(m.unmatched_route(), 1u);
  m.record_request(m.unmatched_route(), 404, milliseconds{1});
  m.record_request(57, 404, milliseconds{1});  // an id out of range counts as unmatched
  const std::string text = m.render({});
  EXPECT_TRUE(contains(
      text,
      "autovoice_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 2\n"));
  EXPECT_TRUE(contains(
      text,
      "autovoice_http_request_duration_seconds_count{method=\"other\",route=\"unmatched\"} 2\n"));
  EXPECT_FALSE(contains(text, "route=\"/healthz\""));
}

TEST(MetricsTest, StatusOutsideTheHttpRangeIsCountedAsOther) {
  Metrics m({RouteLabel{"GET", "/r"}});
  m.record_request(0, 99, milliseconds{1});
  m.record_request(0, 600, milliseconds{1});
  m.record_request(0, 100, milliseconds{1});
  m.record_request(0, 599, milliseconds{1});
  const auto lines = lines_starting(m.render({}), "autovoice_http_requests_total{");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "autovoice_http_requests_total{method=\"GET\",route=\"/r\",status=\"100\"} 1");
  EXPECT_EQ(lines[1],
            "autovoice_http_requests_total{method=\"GET\",route=\"/r\",status=\"599\"} 1");
  EXPECT_EQ(lines[2],
            "autovoice_http_requests_total{method=\"GET\",route=\"/r\",status=\"other\"} 2");
}

TEST(MetricsTest, LeavesOutCallGaugesWhenTheDatabaseCouldNotBeRead) {
  Metrics m({});
  ScrapeValues v;
  v.calls = std::nullopt;
  v.db_pool = DbPoolUse{2, 2, 7};
  const std::string text = m.render(v);
  EXPECT_FALSE(contains(text, "autovoice_calls"));
  EXPECT_FALSE(contains(text, "autovoice_reminders"));
  EXPECT_TRUE(contains(text, "autovoice_db_pool_queued 7\n"));
}

TEST(MetricsTest, CountsExactlyUnderConcurrentRecording) {
  Metrics m({RouteLabel{"GET", "/a"}, {"POST", "/b"}});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.record_request(static_cast<std::size_t>(i % 2), i % 3 == 0 ? 500 : 200,
                         microseconds{t + 1});
        m.media_stream_opened();
        m.media_message(MediaEvent::kMedia);
        m.media_stream_closed();
        m.status_callback(CallbackResult::kIgnored);
      }
    });
  }
  std::string during;
  for (int i = 0; i < 20; ++i) during = m.render({});  // scraping while recording is safe
  for (auto& th : threads) th.join();
  EXPECT_FALSE(during.empty());

  const std::string text = m.render({});
  // Per route: kThreads * kPerThread / 2 requests; i % 3 == 0 among even and odd i alike.
  std::uint64_t total = 0;
  for (const std::string& line : lines_starting(text, "autovoice_http_requests_total{")) {
    total += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(total, std::uint64_t{kThreads} * kPerThread);
  EXPECT_TRUE(contains(
      text, "autovoice_http_request_duration_seconds_count{method=\"GET\",route=\"/a\"} 40000\n"));
  EXPECT_TRUE(contains(
      text, "autovoice_http_request_duration_seconds_count{method=\"POST\",route=\"/b\"} 40000\n"));
  // Each thread t records latency t+1 microseconds on both routes alike: per route
  // 10000 * (1+2+3+4) us = 0.1 s.
  EXPECT_TRUE(contains(
      text, "autovoice_http_request_duration_seconds_sum{method=\"GET\",route=\"/a\"} 0.1\n"));
  EXPECT_TRUE(contains(text, "autovoice_media_streams_total 80000\n"));
  EXPECT_TRUE(contains(text, "autovoice_media_streams_active 0\n"));
  EXPECT_TRUE(contains(text, "autovoice_media_messages_total{event=\"media\"} 80000\n"));
  EXPECT_TRUE(contains(text, "autovoice_status_callbacks_total{result=\"ignored\"} 80000\n"));
}

TEST(MetricsTest, ParsesResidentMemoryFromStatm) {
  EXPECT_EQ(parse_statm_resident_bytes("1000 250 100 10 0 300 0\n", 4096), 250 * 4096);
  EXPECT_EQ(parse_statm_resident_bytes("1000 250", 4096), 250 * 4096);
  EXPECT_EQ(parse_statm_resident_bytes("", 4096), std::nullopt);
  EXPECT_EQ(parse_statm_resident_bytes("1000", 4096), std::nullopt);
  EXPECT_EQ(parse_statm_resident_bytes("1000 x 1", 4096), std::nullopt);
  EXPECT_EQ(parse_statm_resident_bytes("1000 -5 1", 4096), std::nullopt);
  EXPECT_EQ(parse_statm_resident_bytes("1000 25x 1", 4096), std::nullopt);
  EXPECT_EQ(parse_statm_resident_bytes("1000 250 1", 0), std::nullopt);
}

TEST(MetricsTest, ReadsThisProcessResidentMemory) {
  const auto bytes = read_resident_memory_bytes();
  ASSERT_TRUE(bytes.has_value());
  EXPECT_GT(*bytes, 0);
}

TEST(MetricsTest, NamesEventsAndResults) {
  EXPECT_EQ(to_string(MediaEvent::kConnected), "connected");
  EXPECT_EQ(to_string(MediaEvent::kInvalid), "invalid");
  EXPECT_EQ(to_string(CallbackResult::kCreated), "created");
  EXPECT_EQ(to_string(CallbackResult::kRejected), "rejected");
}

}  // namespace
}  // namespace autovoice::server
