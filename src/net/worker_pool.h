// The pool that runs blocking work (SQLite, disk reads, codecs) so that network threads never
// block. From a coroutine on a network thread: `auto r = co_await pool.run([&] { ... });` runs
// the callable on a worker and resumes the coroutine on its own executor with the result.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace segue::net {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads) : pool_(threads) {}
  ~WorkerPool() { join(); }

  // `f` must be trivially destructible (capture by reference; name what it needs as locals of
  // the caller): g++ 12 destroys a temporary that owns resources in a co_await expression twice,
  // so `co_await pool.run([s = std::string(...)] { ... })` frees s twice and corrupts the heap.
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F>> run(F f) {
    static_assert(std::is_trivially_destructible_v<F>,
                  "WorkerPool::run: capture by reference, not by value (g++ 12 destroys owning "
                  "temporaries in a co_await expression twice)");
    using R = std::invoke_result_t<F>;
    // co_spawn needs a default-constructible result; Result<T> is not, so wrap it.
    // The task is a named local, not a temporary in the co_await expression: g++ 12 destroys
    // such temporaries twice when they own resources.
    auto task = [fn = std::move(f)]() mutable -> boost::asio::awaitable<std::optional<R>> {
      co_return std::optional<R>(fn());
    };
    std::optional<R> out =
        co_await boost::asio::co_spawn(pool_.get_executor(), std::move(task), boost::asio::use_awaitable);
    co_return std::move(*out);
  }

  // Waits for queued work to finish and stops the threads.
  void join() {
    pool_.wait();
  }
  auto get_executor() { return pool_.get_executor(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace segue::net
