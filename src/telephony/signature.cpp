#include "telephony/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <boost/container/small_vector.hpp>
#include <boost/url.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>

namespace autovoice::telephony {
namespace {

constexpr std::size_t kSha1Size = 20;
constexpr std::size_t kSha256Size = 32;
constexpr std::size_t kSignatureChars = 28;  // base64 of 20 bytes, with one '=' pad
constexpr std::size_t kInlineParams = 32;    // sorted without allocating up to this many

using Digest = std::array<unsigned char, kSha1Size>;
using SortedParams = boost::container::small_vector<const FormParam*, kInlineParams>;

// One HMAC-SHA1 context per thread, re-keyed for every signature.
class ThreadHmac {
 public:
  ThreadHmac() {
    mac_ = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (mac_ != nullptr) ctx_ = EVP_MAC_CTX_new(mac_);
    if (ctx_ != nullptr) {
      char digest_name[] = "SHA1";
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
          OSSL_PARAM_construct_end()};
      if (EVP_MAC_CTX_set_params(ctx_, params) != 1) {
        EVP_MAC_CTX_free(ctx_);
        ctx_ = nullptr;
      }
    }
  }
  ~ThreadHmac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  ThreadHmac(const ThreadHmac&) = delete;
  ThreadHmac& operator=(const ThreadHmac&) = delete;

  // HMAC-SHA1(key, url + name1 + value1 + ...); false only if OpenSSL fails.
  bool sign(std::string_view key, std::string_view url, const SortedParams& sorted, Digest& out) {
    if (ctx_ == nullptr) return false;
    static const unsigned char kEmptyKey = 0;
    const auto* key_bytes =
        key.empty() ? &kEmptyKey : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(ctx_, key_bytes, key.size(), nullptr) != 1) return false;
    if (!update(url)) return false;
    for (const FormParam* p : sorted) {
      if (!update(p->name) || !update(p->value)) return false;
    }
    std::size_t written = 0;
    return EVP_MAC_final(ctx_, out.data(), &written, out.size()) == 1 && written == kSha1Size;
  }

 private:
  bool update(std::string_view bytes) {
    return bytes.empty() ||
           EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(bytes.data()),
                          bytes.size()) == 1;
  }

  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
};

ThreadHmac& thread_hmac() {
  thread_local ThreadHmac hmac;
  return hmac;
}

// Parameters in signing order: by name, then value; identical pairs once.
SortedParams signing_order(const FormParams& params) {
  SortedParams sorted;
  sorted.reserve(params.size());
  for (const auto& p : params) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const FormParam* a, const FormParam* b) {
    const int by_name = a->name.compare(b->name);
    return by_name != 0 ? by_name < 0 : a->value < b->value;
  });
  sorted.erase(std::unique(sorted.begin(), sorted.end(),
                           [](const FormParam* a, const FormParam* b) { return *a == *b; }),
               sorted.end());
  return sorted;
}

using Base64Signature = std::array<char, kSignatureChars + 1>;  // NUL-terminated

Base64Signature to_base64(const Digest& digest) {
  Base64Signature text{};
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), digest.data(),
                  static_cast<int>(digest.size()));
  return text;
}

bool signature_matches(std::string_view auth_token, std::string_view url,
                       const SortedParams& sorted, std::string_view header) {
  Digest digest{};
  if (!thread_hmac().sign(auth_token, url, sorted, digest)) return false;
  const Base64Signature expected = to_base64(digest);
  return CRYPTO_memcmp(expected.data(), header.data(), kSignatureChars) == 0;
}

// `url` with its scheme's default port added (when it has none) or removed
// (when it names it explicitly); nullopt when neither applies.
std::optional<std::string> default_port_variant(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority()) return std::nullopt;
  std::uint16_t default_port = 0;
  if (parsed->scheme_id() == boost::urls::scheme::https) {
    default_port = 443;
  } else if (parsed->scheme_id() == boost::urls::scheme::http) {
    default_port = 80;
  } else {
    return std::nullopt;
  }
  boost::urls::url variant(*parsed);
  if (!parsed->has_port()) {
    variant.set_port_number(default_port);
  } else if (parsed->port() == std::to_string(default_port)) {
    variant.remove_port();
  } else {
    return std::nullopt;
  }
  return std::string(variant.buffer());
}

bool validate_sorted(std::string_view auth_token, std::string_view url,
                     const SortedParams& sorted, std::string_view header) {
  if (auth_token.empty() || header.size() != kSignatureChars) return false;
  // Try the URL as given first: the common case costs one HMAC and no
  // allocation; the port variant is only built when that does not match.
  if (signature_matches(auth_token, url, sorted, header)) return true;
  const auto variant = default_port_variant(url);
  return variant && signature_matches(auth_token, *variant, sorted, header);
}

std::array<unsigned char, kSha256Size> sha256(std::string_view body) {
  std::array<unsigned char, kSha256Size> out{};
  unsigned int written = 0;
  if (EVP_Digest(body.data(), body.size(), out.data(), &written, EVP_sha256(), nullptr) != 1 ||
      written != kSha256Size) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return out;
}

std::array<char, 2 * kSha256Size> to_hex(const std::array<unsigned char, kSha256Size>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 2 * kSha256Size> out{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0x0F];
  }
  return out;
}

}  // namespace

std::string compute_signature(std::string_view auth_token, std::string_view url,
                              const FormParams& params) {
  Digest digest{};
  if (!thread_hmac().sign(auth_token, url, signing_order(params), digest)) {
    throw std::runtime_error("HMAC-SHA1 failed in OpenSSL");
  }
  return std::string(to_base64(digest).data(), kSignatureChars);
}

bool validate_signature(std::string_view auth_token, std::string_view url,
                        const FormParams& params, std::string_view header) {
  if (auth_token.empty() || header.size() != kSignatureChars) return false;
  return validate_sorted(auth_token, url, signing_order(params), header);
}

bool validate_signature_with_body(std::string_view auth_token, std::string_view url,
                                  std::string_view body, std::string_view header) {
  const auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) return false;
  const auto params = parsed->params();
  const auto found = params.find("bodySHA256");
  if (found == params.end()) return false;
  const std::string claimed = (*found).value;
  if (claimed.size() != 2 * kSha256Size) return false;
  std::array<char, 2 * kSha256Size> claimed_lower{};
  std::transform(claimed.begin(), claimed.end(), claimed_lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  const auto actual = to_hex(sha256(body));
  const bool body_matches =
      CRYPTO_memcmp(actual.data(), claimed_lower.data(), actual.size()) == 0;
  const bool signature_valid = validate_sorted(auth_token, url, SortedParams{}, header);
  return body_matches && signature_valid;
}

std::string body_sha256_hex(std::string_view body) {
  const auto hex = to_hex(sha256(body));
  return std::string(hex.data(), hex.size());
}

}  // namespace autovoice::telephony
