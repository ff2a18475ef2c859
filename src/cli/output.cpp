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

void print_json(std::ostream& out, const boost::json::value& v) {
  pretty(out, v, 0);
  out << '\n';
}

}  // namespace autovoice::cli
