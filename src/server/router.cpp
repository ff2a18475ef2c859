#include "server/router.h"

#include <boost/beast/http/verb.hpp>
#include <boost/url/pct_string_view.hpp>

namespace autovoice::server {

namespace http = boost::beast::http;

namespace {

// "/a/b/c" -> {"a", "b", "c"}; an empty segment ("/a//b", trailing "/") is kept
// as "" so that it never matches a placeholder.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_placeholder(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::size_t Router::add(http::verb method, std::string_view pattern) {
  Entry e{method, std::string(pattern), {}};
  for (std::string_view s : split_path(pattern)) {
    e.segments.emplace_back(is_placeholder(s) ? std::string_view("{}") : s);
  }
  routes_.push_back(std::move(e));
  return routes_.size() - 1;
}

Router::Match Router::match(http::verb method, std::string_view path) const {
  const auto parts = split_path(path);
  Match out;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Entry& e = routes_[i];
    if (e.segments.size() != parts.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < parts.size() && same; ++k) {
      same = e.segments[k] == "{}" ? !parts[k].empty() : e.segments[k] == parts[k];
    }
    if (!same) continue;
    if (e.method != method) {
      if (!out.allow.empty()) out.allow += ", ";
      out.allow += http::to_string(e.method);
      out.kind = Match::Kind::kMethodNotAllowed;
      continue;
    }
    Match found;
    found.kind = Match::Kind::kFound;
    found.route = i;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (e.segments[k] != "{}") continue;
      auto decoded = boost::urls::make_pct_string_view(parts[k]);
      found.params.push_back(decoded ? decoded->decode() : std::string(parts[k]));
    }
    return found;
  }
  return out;
}

}  // namespace autovoice::server
