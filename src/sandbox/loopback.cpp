#include "sandbox/loopback.h"

#include <array>
#include <cctype>
#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace autovoice::sandbox {

namespace urls = boost::urls;
namespace ip = boost::asio::ip;

namespace {

constexpr std::size_t kShownChars = 100;
constexpr uint16_t kHttpPort = 80;
constexpr uint16_t kHttpsPort = 443;
constexpr unsigned kMaxPort = 65535;

std::string shown(std::string_view text) {
  if (text.size() <= kShownChars) return std::string(text);
  return std::string(text.substr(0, kShownChars)) + "...";
}

Error url_error(std::string_view url, std::string_view what) {
  return Error::invalid("url", "url \"" + shown(url) + "\": " + std::string(what));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool is_loopback_v4(uint32_t address) { return (address >> 24) == 127; }

bool is_loopback_v6(const ip::address_v6& address) {
  if (address.is_loopback()) return true;
  return address.is_v4_mapped() &&
         is_loopback_v4(ip::make_address_v4(ip::v4_mapped, address).to_uint());
}

ip::address_v6 to_asio(const urls::ipv6_address& address) {
  const urls::ipv6_address::bytes_type bytes = address.to_bytes();
  ip::address_v6::bytes_type out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = bytes[i];
  return ip::address_v6(out);
}

// The addresses `url`'s host stands for, or none when it is off loopback.
std::vector<ip::address> loopback_addresses(const urls::url_view& url) {
  switch (url.host_type()) {
    case urls::host_type::ipv4: {
      const uint32_t v4 = url.host_ipv4_address().to_uint();
      if (is_loopback_v4(v4)) return {ip::address(ip::address_v4(v4))};
      return {};
    }
    case urls::host_type::ipv6: {
      const ip::address_v6 v6 = to_asio(url.host_ipv6_address());
      if (is_loopback_v6(v6)) return {ip::address(v6)};
      return {};
    }
    case urls::host_type::name:
      if (equals_ignoring_case(url.host(), "localhost")) {
        return {ip::address(ip::address_v4::loopback()), ip::address(ip::address_v6::loopback())};
      }
      return {};
    default:
      return {};
  }
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  std::string url = "http://";
  url += host;
  auto parsed = urls::parse_uri(url);
  if (!parsed || parsed->has_port() || parsed->encoded_host() != host) return false;
  return !loopback_addresses(*parsed).empty();
}

Result<LoopbackTarget> parse_loopback_url(std::string_view url, UrlKind kind) {
  auto parsed = urls::parse_uri(url);
  if (!parsed) return url_error(url, "not an absolute URL (" + parsed.error().message() + ")");
  const urls::url_view& u = *parsed;

  LoopbackTarget out;
  const urls::scheme scheme = u.scheme_id();
  if (kind == UrlKind::kHttp && (scheme == urls::scheme::http || scheme == urls::scheme::https)) {
    out.secure_scheme = scheme == urls::scheme::https;
  } else if (kind == UrlKind::kWebSocket &&
             (scheme == urls::scheme::ws || scheme == urls::scheme::wss)) {
    out.secure_scheme = scheme == urls::scheme::wss;
  } else {
    return url_error(url, kind == UrlKind::kHttp ? "expected an http:// or https:// URL"
                                                 : "expected a ws:// or wss:// URL");
  }
  if (!u.has_authority() || u.encoded_host().empty()) return url_error(url, "has no host");
  if (u.has_userinfo()) return url_error(url, "user information is not supported");

  out.port = out.secure_scheme ? kHttpsPort : kHttpPort;
  if (u.has_port() && !u.port().empty()) {
    const std::string_view port = u.port();
    unsigned number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number == 0 || number > kMaxPort) {
      return url_error(url, "port must be within 1-65535");
    }
    out.port = static_cast<uint16_t>(number);
  }

  const std::vector<ip::address> addresses = loopback_addresses(u);
  if (addresses.empty()) {
    return url_error(url, "the sandbox never leaves loopback: host " +
                              shown(std::string_view(u.encoded_host())) +
                              " is not 127.0.0.0/8, ::1 or localhost");
  }
  for (const ip::address& address : addresses) out.endpoints.emplace_back(address, out.port);

  out.host_header = std::string(u.encoded_host_and_port());
  out.target = std::string(u.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (u.has_query()) {
    out.target += '?';
    out.target += std::string_view(u.encoded_query());
  }
  return out;
}

}  // namespace autovoice::sandbox
