// DbPool: the threads that do the server's database work, so that no Store
// call ever blocks an event-loop thread.
//
//   Result<Customer> c = co_await db.run([&] { return store.customer(id); });
//
// The function may capture by reference whatever outlives the co_await (the
// caller's locals do). Capture nothing with a non-trivial destructor by
// value: GCC 12 destroys such a capture twice when the lambda is a temporary
// inside the co_await expression.
//
// run() hands the function to a pool thread and resumes the awaiting
// coroutine on its own executor when the function has returned. Safe to call
// from any number of coroutines at once; use() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/metrics.h"  // DbPoolUse

namespace autovoice::server {

class DbPool {
 public:
  // REQUIRES: threads >= 1.
  explicit DbPool(int threads) : threads_(threads), pool_(static_cast<std::size_t>(threads)) {}
  ~DbPool() { join(); }
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F f) {
    using R = std::invoke_result_t<F&>;
    queued_.fetch_add(1, std::memory_order_relaxed);
    // co_spawn's completion needs a default-constructible value: carry R in an optional.
    std::optional<R> result = co_await boost::asio::co_spawn(
        pool_.get_executor(),
        [this, fn = std::move(f)]() mutable -> boost::asio::awaitable<std::optional<R>> {
          queued_.fetch_sub(1, std::memory_order_relaxed);
          busy_.fetch_add(1, std::memory_order_relaxed);
          struct Done {
            std::atomic<int>& busy;
            ~Done() { busy.fetch_sub(1, std::memory_order_relaxed); }
          } done{busy_};
          co_return std::optional<R>(fn());
        },
        boost::asio::use_awaitable);
    co_return std::move(*result);
  }

  DbPoolUse use() const {
    return DbPoolUse{threads_, busy_.load(std::memory_order_relaxed),
                     queued_.load(std::memory_order_relaxed)};
  }

  // Waits for the queued work to finish; then the pool runs nothing more.
  void join() { pool_.join(); }

 private:
  int threads_;
  boost::asio::thread_pool pool_;
  std::atomic<int> busy_{0};
  std::atomic<std::int64_t> queued_{0};
};

}  // namespace autovoice::server
