#include "store/postgres/connection_pool.h"

#include <exception>
#include <utility>

#include <pqxx/except>

#include "domain/phone.h"
#include "store/postgres/postgres_url.h"

namespace autovoice::postgres {

ConnectionPool::ConnectionPool(std::string url, std::string display_url,
                               std::vector<std::string> secrets, std::size_t size, Setup setup,
                               std::chrono::milliseconds wait_limit)
    : url_(std::move(url)),
      display_url_(std::move(display_url)),
      secrets_(std::move(secrets)),
      size_(size == 0 ? 1 : size),
      setup_(std::move(setup)),
      wait_limit_(wait_limit) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      reused_(other.reused_),
      discard_(other.discard_) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && connection_ != nullptr) pool_->release(std::move(connection_), discard_);
}

std::string ConnectionPool::describe_failure(std::string_view what) const {
  std::string detail = scrub(std::string(what), secrets_);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  return "PostgreSQL at " + display_url_ + " is unavailable: " + mask_phone(detail);
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + wait_limit_;
  const auto can_proceed = [this] { return !idle_.empty() || open_ < size_; };
  if (!released_.wait_until(lock, deadline, can_proceed)) {
    return Error::unavailable("all " + std::to_string(size_) + " connections to PostgreSQL at " +
                              display_url_ + " stayed busy for " +
                              std::to_string(wait_limit_.count()) + " ms");
  }
  if (!idle_.empty()) {
    // Most recently used first: it is the least likely to have gone stale.
    std::unique_ptr<pqxx::connection> connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection), /*reused=*/true);
  }
  ++open_;
  lock.unlock();
  return open_reserved();
}

Result<ConnectionPool::Lease> ConnectionPool::open_reserved() {
  Error error;
  try {
    auto connection = std::make_unique<pqxx::connection>(url_);
    if (setup_) setup_(*connection);
    return Lease(this, std::move(connection), /*reused=*/false);
  } catch (const std::exception& e) {
    error = Error::unavailable(describe_failure(e.what()));
  } catch (...) {
    error = Error::unavailable(describe_failure("unknown error while connecting"));
  }
  {
    std::lock_guard lock(mu_);
    --open_;
  }
  released_.notify_one();
  return error;
}

void ConnectionPool::release(std::unique_ptr<pqxx::connection> connection, bool discard) {
  const bool keep = !discard && connection->is_open();
  {
    std::lock_guard lock(mu_);
    if (keep) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
    }
  }
  released_.notify_one();
  // A discarded connection closes here, outside the lock.
}

std::size_t ConnectionPool::open_count() {
  std::lock_guard lock(mu_);
  return open_;
}

}  // namespace autovoice::postgres
