// How the CLI shows records: aligned tables for people, JSON for scripts.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "domain/types.h"

namespace autovoice::cli {

// Collects rows, then prints them with columns padded to the widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;
  std::size_t size() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// JSON forms of the records; times as UTC ISO-8601, phones in full (scripts
// need them; logs never print these).
boost::json::object to_json(const Customer& c);
boost::json::object to_json(const Vehicle& v);
boost::json::object to_json(const Appointment& a);
boost::json::object to_json(const CallLog& c);

template <typename T>
boost::json::array to_json_array(const std::vector<T>& items) {
  boost::json::array out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

// Prints one JSON value on its own line, with two-space indentation.
void print_json(std::ostream& out, const boost::json::value& v);

}  // namespace autovoice::cli
