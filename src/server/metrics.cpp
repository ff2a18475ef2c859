#include "server/metrics.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <limits>
#include <utility>

namespace autovoice::server {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "recording must not take a lock");

constexpr std::string_view kMediaEventNames[kMediaEventCount] = {
    "connected", "start", "media", "dtmf", "mark", "stop", "invalid"};
constexpr std::string_view kCallbackResultNames[kCallbackResultCount] = {"applied", "created",
                                                                         "ignored", "rejected"};

void append_uint(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void append_int(std::string& out, std::int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Nanoseconds as an exact decimal number of seconds: 1500000 -> "0.0015",
// 2000000000 -> "2".
void append_seconds(std::string& out, std::uint64_t ns) {
  constexpr std::uint64_t kPerSecond = 1'000'000'000;
  append_uint(out, ns / kPerSecond);
  std::uint64_t frac = ns % kPerSecond;
  if (frac == 0) return;
  char digits[9];
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  std::size_t len = 9;
  while (digits[len - 1] == '0') --len;
  out.push_back('.');
  out.append(digits, len);
}

void append_signed_seconds(std::string& out, std::int64_t ns) {
  if (ns < 0) {
    out.push_back('-');
    append_seconds(out, static_cast<std::uint64_t>(-(ns + 1)) + 1);
  } else {
    append_seconds(out, static_cast<std::uint64_t>(ns));
  }
}

void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// `name{method="M",route="R"` (no closing brace, so callers can add labels).
void append_route_labels(std::string& out, std::string_view name, std::string_view method,
                         std::string_view route) {
  out.append(name)
      .append("{method=\"")
      .append(method)
      .append("\",route=\"")
      .append(route)
      .append("\"");
}

// `name{label="value"} n` for each (value, n) pair; values are escaped.
void append_labelled_gauge(std::string& out, std::string_view name, std::string_view label,
                           const std::vector<std::pair<std::string, std::int64_t>>& values) {
  for (const auto& [value, n] : values) {
    out.append(name).append("{").append(label).append("=\"").append(escape_label_value(value));
    out.append("\"} ");
    append_int(out, n);
    out.push_back('\n');
  }
}

// One counter series per fixed label value (the names need no escaping).
template <std::size_t N>
void append_labelled_counter(std::string& out, std::string_view name, std::string_view label,
                             const std::string_view (&values)[N],
                             const std::array<std::atomic<std::uint64_t>, N>& counts) {
  for (std::size_t i = 0; i < N; ++i) {
    out.append(name).append("{").append(label).append("=\"").append(values[i]).append("\"} ");
    append_uint(out, counts[i].load(kRelaxed));
    out.push_back('\n');
  }
}

}  // namespace

std::string_view to_string(MediaEvent e) { return kMediaEventNames[static_cast<std::size_t>(e)]; }
std::string_view to_string(CallbackResult r) {
  return kCallbackResultNames[static_cast<std::size_t>(r)];
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '"':
        out.append("\\\"");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Metrics::Metrics(std::vector<RouteLabel> routes)
    : route_count_(routes.size()), stats_(std::make_unique<RouteStats[]>(routes.size() + 1)) {
  labels_.reserve(route_count_ + 1);
  for (const RouteLabel& r : routes) {
    labels_.push_back({escape_label_value(r.method), escape_label_value(r.route)});
  }
  labels_.push_back({"other", "unmatched"});
}

Metrics::~Metrics() = default;

void Metrics::record_request(std::size_t route, int status, std::chrono::nanoseconds latency) {
  RouteStats& s = stats_[route < route_count_ ? route : route_count_];
  const std::size_t slot =
      status >= 100 && status <= 599 ? static_cast<std::size_t>(status - 100) : kOtherStatusSlot;
  s.by_status[slot].fetch_add(1, kRelaxed);

  const std::int64_t ns = latency.count() > 0 ? latency.count() : 0;
  std::size_t bucket = 0;
  while (bucket < kBucketCount && ns > kBucketBounds[bucket].count()) ++bucket;
  s.buckets[bucket].fetch_add(1, kRelaxed);
  s.sum_ns.fetch_add(static_cast<std::uint64_t>(ns), kRelaxed);
}

void Metrics::media_stream_opened() { streams_opened_.fetch_add(1, kRelaxed); }
void Metrics::media_stream_closed() { streams_closed_.fetch_add(1, kRelaxed); }

void Metrics::media_message(MediaEvent e) {
  media_messages_[static_cast<std::size_t>(e)].fetch_add(1, kRelaxed);
}

void Metrics::status_callback(CallbackResult r) {
  callbacks_[static_cast<std::size_t>(r)].fetch_add(1, kRelaxed);
}

void Metrics::signature_rejected() { signature_rejections_.fetch_add(1, kRelaxed); }

std::string Metrics::render(const ScrapeValues& v) const {
  std::string out;
  out.reserve(8192);

  constexpr std::string_view kRequests = "autovoice_http_requests_total";
  append_header(out, kRequests, "counter", "HTTP requests answered, by method, route and status.");
  for (std::size_t r = 0; r <= route_count_; ++r) {
    const RouteStats& s = stats_[r];
    for (std::size_t slot = 0; slot < kStatusSlots; ++slot) {
      const std::uint64_t n = s.by_status[slot].load(kRelaxed);
      if (n == 0) continue;
      append_route_labels(out, kRequests, labels_[r].method, labels_[r].route);
      out.append(",status=\"");
      if (slot == kOtherStatusSlot) {
        out.append("other");
      } else {
        append_uint(out, slot + 100);
      }
      out.append("\"} ");
      append_uint(out, n);
      out.push_back('\n');
    }
  }

  constexpr std::string_view kDuration = "autovoice_http_request_duration_seconds";
  append_header(out, kDuration, "histogram",
                "HTTP request latency in seconds, by method and route.");
  for (std::size_t r = 0; r <= route_count_; ++r) {
    const RouteStats& s = stats_[r];
    // _count is the +Inf bucket, so both come from the same reads.
    std::array<std::uint64_t, kBucketCount + 1> buckets{};
    std::uint64_t count = 0;
    for (std::size_t b = 0; b <= kBucketCount; ++b) {
      buckets[b] = s.buckets[b].load(kRelaxed);
      count += buckets[b];
    }
    if (count == 0) continue;
    const std::uint64_t sum_ns = s.sum_ns.load(kRelaxed);
    const std::string_view method = labels_[r].method;
    const std::string_view route = labels_[r].route;
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBucketCount; ++b) {
      cumulative += buckets[b];
      append_route_labels(out, "autovoice_http_request_duration_seconds_bucket", method, route);
      out.append(",le=\"");
      if (b < kBucketCount) {
        append_seconds(out, static_cast<std::uint64_t>(kBucketBounds[b].count()));
      } else {
        out.append("+Inf");
      }
      out.append("\"} ");
      append_uint(out, cumulative);
      out.push_back('\n');
    }
    append_route_labels(out, "autovoice_http_request_duration_seconds_sum", method, route);
    out.append("} ");
    append_seconds(out, sum_ns);
    out.push_back('\n');
    append_route_labels(out, "autovoice_http_request_duration_seconds_count", method, route);
    out.append("} ");
    append_uint(out, count);
    out.push_back('\n');
  }

  if (v.calls) {
    append_header(out, "autovoice_calls", "gauge", "Call logs by call status.");
    append_labelled_gauge(out, "autovoice_calls", "status", v.calls->by_status);
    append_header(out, "autovoice_reminders", "gauge",
                  "Outbound reminder calls by outcome (none: no outcome yet).");
    append_labelled_gauge(out, "autovoice_reminders", "outcome", v.calls->reminders_by_outcome);
  }

  const auto gauge = [&out](std::string_view name, std::string_view help, std::int64_t n) {
    append_header(out, name, "gauge", help);
    out.append(name).push_back(' ');
    append_int(out, n);
    out.push_back('\n');
  };
  const auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t n) {
    append_header(out, name, "counter", help);
    out.append(name).push_back(' ');
    append_uint(out, n);
    out.push_back('\n');
  };

  gauge("autovoice_db_pool_threads", "Threads in the database pool.", v.db_pool.threads);
  gauge("autovoice_db_pool_busy", "Database pool threads running a task.", v.db_pool.busy);
  gauge("autovoice_db_pool_queued", "Database tasks waiting for a pool thread.", v.db_pool.queued);

  // Closes are read first: every close follows its open, so the difference
  // cannot go below zero however the recording threads interleave.
  const std::uint64_t closed = streams_closed_.load(kRelaxed);
  const std::uint64_t opened = streams_opened_.load(kRelaxed);
  gauge("autovoice_media_streams_active", "Media-stream WebSockets open now.",
        opened > closed ? static_cast<std::int64_t>(opened - closed) : 0);
  counter("autovoice_media_streams_total", "Media-stream WebSockets opened.", opened);

  constexpr std::string_view kMessages = "autovoice_media_messages_total";
  append_header(out, kMessages, "counter",
                "Media-stream messages received, by event (invalid: did not parse).");
  append_labelled_counter(out, kMessages, "event", kMediaEventNames, media_messages_);

  constexpr std::string_view kCallbacks = "autovoice_status_callbacks_total";
  append_header(out, kCallbacks, "counter",
                "Carrier status callbacks, by what they did to the call log.");
  append_labelled_counter(out, kCallbacks, "result", kCallbackResultNames, callbacks_);

  counter("autovoice_signature_rejections_total",
          "Carrier requests refused for a bad X-Twilio-Signature.",
          signature_rejections_.load(kRelaxed));

  if (v.resident_memory_bytes) {
    gauge("autovoice_process_resident_memory_bytes", "Resident memory size in bytes.",
          *v.resident_memory_bytes);
  }
  if (v.process_start) {
    constexpr std::string_view kStart = "autovoice_process_start_time_seconds";
    append_header(out, kStart, "gauge",
                  "Start time of the process since the Unix epoch in seconds.");
    out.append(kStart).push_back(' ');
    append_signed_seconds(out, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   v.process_start->time_since_epoch())
                                   .count());
    out.push_back('\n');
  }
  return out;
}

std::optional<std::int64_t> parse_statm_resident_bytes(std::string_view statm,
                                                       std::int64_t page_size) {
  // "size resident shared text lib data dt\n", in pages.
  const std::size_t first_space = statm.find(' ');
  if (first_space == std::string_view::npos || page_size <= 0) return std::nullopt;
  const char* begin = statm.data() + first_space + 1;
  const char* end = statm.data() + statm.size();
  std::int64_t pages = 0;
  auto [next, ec] = std::from_chars(begin, end, pages);
  if (ec != std::errc{} || next == begin || pages < 0) return std::nullopt;
  if (next != end && *next != ' ' && *next != '\n') return std::nullopt;
  if (pages > std::numeric_limits<std::int64_t>::max() / page_size) return std::nullopt;
  return pages * page_size;
}

std::optional<std::int64_t> read_resident_memory_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return std::nullopt;
  char buf[256];
  const std::size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  return parse_statm_resident_bytes(std::string_view(buf, n), page_size);
}

}  // namespace autovoice::server
