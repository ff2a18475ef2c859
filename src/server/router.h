// Router: the server's fixed table of routes, matched by method and path.
//
// A pattern is a path whose segments are literals or "{name}" placeholders
// ("/api/v1/customers/{id}"); a placeholder matches one non-empty segment and
// its (percent-decoded) value is handed to the handler in order. Routes are
// added at start-up; match() is then read-only and safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/verb.hpp>

namespace autovoice::server {

class Router {
 public:
  struct Match {
    enum class Kind { kFound, kNoRoute, kMethodNotAllowed };
    Kind kind = Kind::kNoRoute;
    std::size_t route = 0;            // kFound: the index add() returned
    std::vector<std::string> params;  // kFound: placeholder values, in order
    std::string allow;                // kMethodNotAllowed: "GET, POST"
  };

  // Returns the route's index (0, 1, ... in the order added).
  std::size_t add(boost::beast::http::verb method, std::string_view pattern);

  // `path` is the request target's path, still percent-encoded, without the query.
  Match match(boost::beast::http::verb method, std::string_view path) const;

  std::size_t size() const { return routes_.size(); }
  boost::beast::http::verb method(std::size_t route) const { return routes_[route].method; }
  const std::string& pattern(std::size_t route) const { return routes_[route].pattern; }

 private:
  struct Entry {
    boost::beast::http::verb method;
    std::string pattern;
    std::vector<std::string> segments;  // "{}" for a placeholder
  };
  std::vector<Entry> routes_;
};

}  // namespace autovoice::server
