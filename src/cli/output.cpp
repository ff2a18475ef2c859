#include "cli/output.h"

#include <algorithm>

namespace autovoice::cli {

namespace {

// Display width of UTF-8 text: counts code points, not bytes.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

template <typename T>
boost::json::value optional_json(const std::optional<T>& v) {
  if (!v) return nullptr;
  return boost::json::value(*v);
}

boost::json::value optional_time(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return boost::json::value(format_utc(*t));
}

void pretty(std::ostream& out, const boost::json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (v.is_object()) {
    const auto& obj = v.get_object();
    if (obj.empty()) {
      out << "{}";
      return;
    }
    out << "{\n";
    bool first = true;
    for (const auto& kv : obj) {
      if (!first) out << ",\n";
      first = false;
      out << inner << boost::json::serialize(boost::json::value(kv.key())) << ": ";
      pretty(out, kv.value(), indent + 1);
    }
    out << '\n' << pad << '}';
  } else if (v.is_array()) {
    const auto& arr = v.get_array();
    if (arr.empty()) {
      out << "[]";
      return;
    }
    out << "[\n";
    bool first = true;
    for (const auto& item : arr) {
      if (!first) out << ",\n";
      first = false;
      out << inner;
      pretty(out, item, indent + 1);
    }
    out << '\n' << pad << ']';
  } else {
    out << boost::json::serialize(v);
  }
}

}  // namespace

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out << line << '\n';
  };
  print_row(header_);
  for (const auto& row : rows_) print_row(row);
}

boost::json::object to_json(const Customer& c) {
  return {{"id", c.id},
          {"first_name", c.first_name},
          {"last_name", c.last_name},
          {"phone", c.phone.str()},
          {"email", c.email},
          {"time_zone", c.time_zone},
          {"opted_out", c.opted_out},
          {"opted_out_at", optional_time(c.opted_out_at)},
          {"created_at", format_utc(c.created_at)}};
}

boost::json::object to_json(const Vehicle& v) {
  return {{"id", v.id},       {"customer_id", v.customer_id}, {"year", v.year},
          {"make", v.make},   {"model", v.model},             {"vin", v.vin},
          {"plate", v.plate}, {"created_at", format_utc(v.created_at)}};
}

boost::json::object to_json(const Appointment& a) {
  return {{"id", a.id},
          {"customer_id", a.customer_id},
          {"vehicle_id", a.vehicle_id},
          {"start", format_utc(a.start)},
          {"duration_minutes", a.duration_minutes},
          {"service_type", a.service_type},
          {"status", to_string(a.status)},
          {"notes", a.notes},
          {"created_at", format_utc(a.created_at)},
          {"updated_at", format_utc(a.updated_at)}};
}

boost::json::object to_json(const CallLog& c) {
  return {{"id", c.id},
          {"call_sid", c.call_sid},
          {"customer_id", optional_json(c.customer_id)},
          {"appointment_id", optional_json(c.appointment_id)},
          {"direction", to_string(c.direction)},
          {"status", to_string(c.status)},
          {"intent", c.intent},
          {"from", c.from},
          {"to", c.to},
          {"started_at", optional_time(c.started_at)},
          {"ended_at", optional_time(c.ended_at)},
          {"duration_seconds", optional_json(c.duration_seconds)},
          {"answered_by", c.answered_by},
          {"outcome", c.outcome},
          {"error_code", optional_json(c.error_code)},
          {"error_message", c.error_message},
          {"created_at", format_utc(c.created_at)},
          {"updated_at", format_utc(c.updated_at)}};
}

void print_json(std::ostream& out, const boost::json::value& v) {
  pretty(out, v, 0);
  out << '\n';
}

}  // namespace autovoice::cli
