// A small pool for expensive CPU work (password hashing) that must neither share the request
// workers nor queue without bound: `co_await pool.try_run(fn)` runs fn on one of the pool's
// threads and resumes on the caller's executor with its result, or returns nullopt at once when
// `max_pending` calls are already running or waiting (the caller answers 503/429 instead of
// making everyone wait). Thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace segue::net {

class BoundedPool {
 public:
  BoundedPool(std::size_t threads, std::size_t max_pending)
      : pool_(threads == 0 ? 1 : threads), max_pending_(max_pending == 0 ? 1 : max_pending) {}
  ~BoundedPool() { pool_.join(); }

  template <typename F>
  boost::asio::awaitable<std::optional<std::invoke_result_t<F>>> try_run(F f) {
    static_assert(std::is_trivially_destructible_v<F>,
                  "BoundedPool::try_run: capture by reference, not by value (see WorkerPool::run)");
    using R = std::invoke_result_t<F>;
    if (pending_.fetch_add(1) >= max_pending_) {
      pending_.fetch_sub(1);
      co_return std::nullopt;
    }
    struct Release {
      std::atomic<std::size_t>& n;
      ~Release() { n.fetch_sub(1); }
    };
    // A named task, not a temporary in the co_await expression (see WorkerPool::run).
    auto task = [fn = std::move(f), this]() mutable -> boost::asio::awaitable<std::optional<R>> {
      Release release{pending_};
      co_return std::optional<R>(fn());
    };
    std::optional<R> out =
        co_await boost::asio::co_spawn(pool_.get_executor(), std::move(task), boost::asio::use_awaitable);
    co_return out;
  }

  // Calls running or waiting now.
  std::size_t pending() const { return pending_.load(); }
  std::size_t max_pending() const { return max_pending_; }

 private:
  boost::asio::thread_pool pool_;
  const std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace segue::net
