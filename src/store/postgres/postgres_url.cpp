#include "store/postgres/postgres_url.h"

namespace autovoice::postgres {

namespace {

constexpr std::string_view kMask = "***";

// The span of the password in the user-info part ("user:secret@"), if any.
struct Span {
  std::size_t begin = std::string_view::npos;
  std::size_t end = std::string_view::npos;
  bool found() const { return begin != std::string_view::npos; }
};

Span userinfo_password(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::size_t authority = scheme + 3;
  const auto authority_end = url.find_first_of("/?", authority);
  const std::string_view auth =
      url.substr(authority, authority_end == std::string_view::npos ? std::string_view::npos
                                                                    : authority_end - authority);
  // The last '@' ends the user-info: a password may itself contain '@' unencoded.
  const auto at = auth.rfind('@');
  if (at == std::string_view::npos) return {};
  const auto colon = auth.find(':');
  if (colon == std::string_view::npos || colon > at) return {};
  return Span{authority + colon + 1, authority + at};
}

// Spans of the values of password= query parameters.
std::vector<Span> query_passwords(std::string_view url) {
  std::vector<Span> spans;
  const auto query = url.find('?');
  if (query == std::string_view::npos) return spans;
  std::size_t pos = query + 1;
  while (pos <= url.size()) {
    auto end = url.find('&', pos);
    if (end == std::string_view::npos) end = url.size();
    const std::string_view param = url.substr(pos, end - pos);
    constexpr std::string_view kKey = "password=";
    if (param.starts_with(kKey)) spans.push_back(Span{pos + kKey.size(), end});
    pos = end + 1;
  }
  return spans;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::vector<Span> spans = query_passwords(url);
  if (const Span user = userinfo_password(url); user.found()) spans.insert(spans.begin(), user);
  std::string out;
  std::size_t copied = 0;
  for (const Span& span : spans) {  // spans are in increasing order
    out.append(url.substr(copied, span.begin - copied));
    out.append(kMask);
    copied = span.end;
  }
  out.append(url.substr(copied));
  return out;
}

std::vector<std::string> url_secrets(std::string_view url) {
  std::vector<Span> spans = query_passwords(url);
  if (const Span user = userinfo_password(url); user.found()) spans.push_back(user);
  std::vector<std::string> secrets;
  for (const Span& span : spans) {
    const std::string_view raw = url.substr(span.begin, span.end - span.begin);
    if (raw.empty()) continue;
    secrets.emplace_back(raw);
    if (std::string decoded = percent_decode(raw); decoded != raw)
      secrets.push_back(std::move(decoded));
  }
  return secrets;
}

std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + kMask.size())) {
      text.replace(pos, secret.size(), kMask);
    }
  }
  return text;
}

std::string with_default_param(std::string url, std::string_view key, std::string_view value) {
  const auto query = url.find('?');
  if (query != std::string::npos) {
    std::size_t pos = query + 1;
    while (pos <= url.size()) {
      auto end = url.find('&', pos);
      if (end == std::string::npos) end = url.size();
      const std::string_view param = std::string_view(url).substr(pos, end - pos);
      if (param.starts_with(key) && param.size() > key.size() && param[key.size()] == '=') {
        return url;
      }
      pos = end + 1;
    }
  }
  url += query == std::string::npos ? '?' : '&';
  url.append(key);
  url += '=';
  url.append(value);
  return url;
}

}  // namespace autovoice::postgres
