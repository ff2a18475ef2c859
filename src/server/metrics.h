// Metrics: the server's counters and histograms, rendered for Prometheus
// (text exposition format 0.0.4) by GET /metrics.
//
// Recording is on the request path: every record_* and media_* method is
// lock-free and wait-free (relaxed atomic increments into storage sized at
// construction), allocates nothing and looks nothing up by name. Routes are
// fixed at start-up and identified by their index.
//
// Thread safety: a Metrics is safe for concurrent use from multiple threads
// without external synchronization; render() may run while requests are being
// recorded. Each counter is exact, but a scrape is not a snapshot across
// counters: a request being recorded may already show in
// autovoice_http_requests_total and not yet in the duration histogram.
//
// Gauges that are computed at scrape time (from the database, the database
// pool, the process) are not kept here: the caller gathers them into a
// ScrapeValues and passes it to render(), which reads nothing else.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace autovoice::server {

// A route as it appears in the labels: the method and the route's pattern
// (not the request's path, so that ids do not make new series).
struct RouteLabel {
  std::string method;  // "POST"
  std::string route;   // "/api/v1/customers/{id}"
};

// The database pool's state at scrape time.
struct DbPoolUse {
  int threads = 0;          // threads in the pool
  int busy = 0;             // threads running a task now
  std::int64_t queued = 0;  // tasks waiting for a thread
};

// Gauges computed at scrape time and passed to Metrics::render().
struct ScrapeValues {
  // Call-log counts from Store::call_log_counts(); nullopt when the database
  // could not be read, and then autovoice_calls and autovoice_reminders are
  // left out of the scrape.
  std::optional<CallLogCounts> calls;
  DbPoolUse db_pool;
  // From read_resident_memory_bytes(); left out when nullopt.
  std::optional<std::int64_t> resident_memory_bytes;
  // When the process started (wall clock); left out when nullopt.
  std::optional<std::chrono::system_clock::time_point> process_start;
};

// Inbound media-stream WebSocket messages, by Twilio "event" (kInvalid: a
// frame that did not parse).
enum class MediaEvent { kConnected, kStart, kMedia, kDtmf, kMark, kStop, kInvalid };
inline constexpr std::size_t kMediaEventCount = 7;

// What a carrier status callback did (see Store::apply_call_status):
// kApplied changed a known call's log, kCreated made a log for an unknown
// CallSid, kIgnored was a duplicate or out-of-order callback, kRejected was
// refused (bad parameters, storage failure).
enum class CallbackResult { kApplied, kCreated, kIgnored, kRejected };
inline constexpr std::size_t kCallbackResultCount = 4;

// "connected", "start", ... "invalid"; "applied", "created", ... "rejected".
std::string_view to_string(MediaEvent e);
std::string_view to_string(CallbackResult r);

class Metrics {
 public:
  // Upper bounds of the request-duration histogram's finite buckets, in
  // seconds: 0.0005, 0.001, 0.0025, ... 2.5 (then +Inf).
  static constexpr std::size_t kBucketCount = 12;
  static constexpr std::array<std::chrono::nanoseconds, kBucketCount> kBucketBounds{
      std::chrono::microseconds{500},  std::chrono::milliseconds{1},
      std::chrono::microseconds{2500}, std::chrono::milliseconds{5},
      std::chrono::milliseconds{10},   std::chrono::milliseconds{25},
      std::chrono::milliseconds{50},   std::chrono::milliseconds{100},
      std::chrono::milliseconds{250},  std::chrono::milliseconds{500},
      std::chrono::seconds{1},         std::chrono::milliseconds{2500}};

  // Index i of `routes` is the route id for record_request(); one more id,
  // unmatched_route() == routes.size(), counts requests no route matched
  // (method label "other", route label "unmatched").
  explicit Metrics(std::vector<RouteLabel> routes);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::size_t unmatched_route() const { return route_count_; }

  // Records one finished HTTP request: its route id, response status and
  // latency. A status outside 100..599 is counted under the status label
  // "other"; a route id above unmatched_route() counts as unmatched; a
  // negative latency counts as zero. A latency exactly on a bucket bound
  // falls in that bucket (le is "less than or equal").
  void record_request(std::size_t route, int status, std::chrono::nanoseconds latency);

  // A media-stream WebSocket opened / closed. Each close must follow its open;
  // autovoice_media_streams_active is opens minus closes.
  void media_stream_opened();
  void media_stream_closed();
  void media_message(MediaEvent e);
  void status_callback(CallbackResult r);
  // A webhook or media-stream upgrade refused for a bad X-Twilio-Signature.
  void signature_rejected();

  // Every family, in a fixed order, each with HELP and TYPE lines:
  //   autovoice_http_requests_total{method,route,status}       counter (non-zero series only)
  //   autovoice_http_request_duration_seconds{method,route}    histogram (routes with requests
  //   only) autovoice_calls{status}, autovoice_reminders{outcome}    gauges (left out if v.calls is
  //   nullopt) autovoice_db_pool_threads, _busy, _queued                gauges
  //   autovoice_media_streams_active                           gauge
  //   autovoice_media_streams_total                            counter
  //   autovoice_media_messages_total{event}                    counter (every event)
  //   autovoice_status_callbacks_total{result}                 counter (every result)
  //   autovoice_signature_rejections_total                     counter
  //   autovoice_process_resident_memory_bytes                  gauge (if given)
  //   autovoice_process_start_time_seconds                     gauge (if given)
  // Label values are escaped (backslash, double quote, newline); durations
  // are exact decimals of the nanoseconds recorded.
  std::string render(const ScrapeValues& v) const;

 private:
  // Status slots: 0..499 for statuses 100..599, 500 for anything else.
  static constexpr std::size_t kStatusSlots = 501;
  static constexpr std::size_t kOtherStatusSlot = 500;

  // One route's counters, on its own cache lines so that threads recording
  // different routes do not share them.
  struct alignas(64) RouteStats {
    std::array<std::atomic<std::uint64_t>, kStatusSlots> by_status{};
    // Non-cumulative: buckets[i] counts latencies in (bound[i-1], bound[i]];
    // buckets[kBucketCount] those above the last bound. Made cumulative by render().
    std::array<std::atomic<std::uint64_t>, kBucketCount + 1> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
  };

  struct RenderedRoute {
    std::string method;  // escaped label values
    std::string route;
  };

  std::size_t route_count_;
  std::vector<RenderedRoute> labels_;    // route_count_ + 1 entries, the last unmatched
  std::unique_ptr<RouteStats[]> stats_;  // likewise

  alignas(64) std::atomic<std::uint64_t> streams_opened_{0};
  std::atomic<std::uint64_t> streams_closed_{0};
  std::array<std::atomic<std::uint64_t>, kMediaEventCount> media_messages_{};
  std::array<std::atomic<std::uint64_t>, kCallbackResultCount> callbacks_{};
  std::atomic<std::uint64_t> signature_rejections_{0};
};

// The process's resident set size in bytes, from /proc/self/statm; nullopt
// when it cannot be read (not Linux, no /proc).
std::optional<std::int64_t> read_resident_memory_bytes();

// The resident set size /proc/self/statm's text gives (its second field, in
// pages, times page_size); nullopt when the text is malformed.
std::optional<std::int64_t> parse_statm_resident_bytes(std::string_view statm,
                                                       std::int64_t page_size);

// A label value escaped for the text format: \ as \\, " as \", newline as \n.
std::string escape_label_value(std::string_view value);

}  // namespace autovoice::server
