#include "net/bounded_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace segue::net {
namespace {
namespace asio = boost::asio;

TEST(BoundedPool, RunsWorkOffTheCallersThreadAndRefusesAtOnceWhenFull) {
  BoundedPool pool(1, 2);
  asio::io_context io;
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> ran{0}, refused{0};
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> other_thread{true};
  auto call = [&]() -> asio::awaitable<void> {
    auto r = co_await pool.try_run([&] {
      if (std::this_thread::get_id() == caller) other_thread = false;
      open.wait();
      return 7;
    });
    if (r) {
      EXPECT_EQ(*r, 7);
      ++ran;
    } else {
      ++refused;
    }
  };
  for (int i = 0; i < 5; ++i) asio::co_spawn(io, call(), asio::detached);
  // The first two are taken (one running, one waiting); the other three are refused at once,
  // while the first still blocks.
  for (int i = 0; i < 200 && refused < 3; ++i) io.run_for(std::chrono::milliseconds(5));
  EXPECT_EQ(refused.load(), 3);
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(pool.pending(), 2u);
  gate.set_value();
  for (int i = 0; i < 400 && ran < 2; ++i) io.run_for(std::chrono::milliseconds(5));
  EXPECT_EQ(ran.load(), 2);
  EXPECT_TRUE(other_thread.load());
  EXPECT_EQ(pool.pending(), 0u);
}

}  // namespace
}  // namespace segue::net
