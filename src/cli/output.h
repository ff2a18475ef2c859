// How the CLI shows records: aligned tables for people, JSON for scripts.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "domain/types.h"
#include "server/crm_json.h"

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

// JSON forms of the records: the CRM API's (server/crm_json.h), so that
// scripts read the same shape from the CLI and from the API.
using server::to_json;

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
