// Where the sandbox carrier may connect: loopback only.
//
// The sandbox plays the phone network for an autovoice running on the same
// machine; it never leaves loopback. A URL is accepted when its host is an
// IPv4 literal in 127.0.0.0/8, the IPv6 literal [::1] (or an IPv4-mapped
// [::ffff:127.x.y.z]), or the name "localhost" (any case). "localhost" is not
// looked up: it means 127.0.0.1, then [::1], so no name resolution happens.
//
// Secure schemes are spoken in the clear: there is no TLS terminator on
// loopback, so https:// is spoken as http:// and wss:// as ws:// to the same
// host and port (443 when the URL gives none). The URL itself is kept as
// given, so the X-Twilio-Signature computed over it still matches what the
// application reconstructs from its BASE_URL.
//
// Pure functions, safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "domain/result.h"

namespace autovoice::sandbox {

// Which schemes a URL may use.
enum class UrlKind {
  kHttp,       // http:// or https://
  kWebSocket,  // ws:// or wss://
};

// A URL the sandbox may connect to, ready for a connection.
struct LoopbackTarget {
  bool secure_scheme = false;  // https:// or wss:// (spoken in the clear all the same)
  std::string host_header;     // the URL's host and port as written: "127.0.0.1:8080"
  std::string target;          // path and query as written, "/" when empty; no fragment
  uint16_t port = 0;           // the URL's port, else 80 (http, ws) or 443 (https, wss)
  // Where to connect, in order of preference (two for "localhost").
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
};

// True for 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and "localhost" (any case).
// `host` is as a URL writes it: IPv6 literals in brackets.
bool is_loopback_host(std::string_view host);

// Parses `url` and checks that the sandbox may connect to it. Errors are
// kInvalidArgument with field "url": not an absolute URL, a scheme other than
// `kind` allows, no host, a bad port, or a host off loopback ("the sandbox
// never leaves loopback: host example.com is not 127.0.0.0/8, ::1 or
// localhost").
Result<LoopbackTarget> parse_loopback_url(std::string_view url, UrlKind kind);

}  // namespace autovoice::sandbox
