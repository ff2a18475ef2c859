// ConnectionPool: at most `size` libpqxx connections to one PostgreSQL
// database, opened on demand and shared by many threads.
//
// Thread safety: acquire() may be called from any thread. A Lease gives its
// holder sole use of one connection until the Lease dies; a pqxx::connection
// is never used by two threads at once. The pool must outlive its Leases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "domain/result.h"

namespace autovoice::postgres {

class ConnectionPool {
 public:
  // Runs on each new connection before its first use (session settings,
  // prepared statements). May throw; the connection is then dropped.
  using Setup = std::function<void(pqxx::connection&)>;

  // `url` is the libpq URI; it may hold a password, so it never appears in an
  // error: `display_url` (redacted) and `secrets` (scrubbed from libpq's text)
  // do instead.
  ConnectionPool(std::string url, std::string display_url, std::vector<std::string> secrets,
                 std::size_t size, Setup setup, std::chrono::milliseconds wait_limit);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();  // hands the connection back (or closes it if discarded)

    pqxx::connection& connection() { return *connection_; }
    // True when the connection had served earlier leases: it may have gone
    // stale while idle (server restart), unlike one opened for this lease.
    bool reused() const { return reused_; }
    // The connection is broken or in an unknown state: close it instead of
    // returning it; the pool opens a replacement when one is next needed.
    void discard() { discard_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> connection, bool reused)
        : pool_(pool), connection_(std::move(connection)), reused_(reused) {}

    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
    bool reused_;
    bool discard_ = false;
  };

  // An idle connection, else a new one while fewer than `size` are open, else
  // waits (up to wait_limit) for one to be handed back. kUnavailable when the
  // server cannot be reached or the wait times out.
  Result<Lease> acquire();

  std::size_t size() const { return size_; }
  // Connections currently open (idle or leased); for tests and metrics.
  std::size_t open_count();

  // "could not connect ..." from libpq, made safe to show: no password.
  std::string describe_failure(std::string_view what) const;

 private:
  void release(std::unique_ptr<pqxx::connection> connection, bool discard);
  // REQUIRES: a slot was reserved (open_ incremented) for this connection.
  Result<Lease> open_reserved();

  const std::string url_;
  const std::string display_url_;
  const std::vector<std::string> secrets_;
  const std::size_t size_;
  const Setup setup_;
  const std::chrono::milliseconds wait_limit_;

  std::mutex mu_;
  std::condition_variable released_;  // signalled when idle_ grows or open_ shrinks
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // GUARDED_BY(mu_)
  std::size_t open_ = 0;  // GUARDED_BY(mu_): idle + leased + being opened; <= size_
};

}  // namespace autovoice::postgres
