// ALS training speed on a synthetic set the size of Last.fm 360K (issue 18: 360,000 users,
// 290,000 items, 17.5 million plays, 64 factors; goal at most 6 s per iteration on 2 cores).
// Items drawn from a Zipf(1) popularity, play counts from a geometric distribution, seeded.
// usage: segue_recommend_speed [--users N] [--items N] [--plays N] [--factors K] [--iterations N] [--threads T]
// Prints `RESULT bench=recommend_als_speed ... s_per_iteration=...`.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "recommend/als.h"

using namespace segue::recommend;

int main(int argc, char** argv) {
  int32_t users = 360'000, items = 290'000;
  int64_t plays = 17'500'000;
  AlsOptions o;
  o.factors = 64;
  o.iterations = 3;
  o.alpha = 3;
  o.regularization = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--users") users = std::stoi(v);
    else if (a == "--items") items = std::stoi(v);
    else if (a == "--plays") plays = std::stoll(v);
    else if (a == "--factors") o.factors = std::stoi(v);
    else if (a == "--iterations") o.iterations = std::stoi(v);
    else if (a == "--threads") o.threads = std::stoi(v);
  }
  auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(7);
  // Zipf(1) over items by inverse CDF on the harmonic numbers (approximated by log).
  const double hn = std::log(static_cast<double>(items)) + 0.5772;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::geometric_distribution<int> count(0.05);
  std::vector<Triple> t;
  t.reserve(static_cast<std::size_t>(plays));
  // `plays` distinct (user, item) pairs: users take turns, each drawing an item they do not
  // have yet (Last.fm 360K's rows are distinct user-artist pairs with a play count).
  std::vector<std::vector<int32_t>> have(static_cast<std::size_t>(users));
  for (int64_t n = 0; n < plays; ++n) {
    const auto user = static_cast<int32_t>(n % users);
    auto& mine = have[static_cast<std::size_t>(user)];
    int32_t item;
    do {
      item = static_cast<int32_t>(std::exp(unit(rng) * hn - 0.5772));
      if (item >= items) item = items - 1;
      // Scatter popular ranks over ids so popularity is not ordered by id.
      item = static_cast<int32_t>((static_cast<int64_t>(item) * 2654435761LL) % items);
    } while (std::find(mine.begin(), mine.end(), item) != mine.end());
    mine.push_back(item);
    t.push_back({user, item, static_cast<float>(1 + count(rng))});
  }
  have.clear();
  have.shrink_to_fit();
  auto data = Interactions::from_triples(users, items, std::move(t));
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> per;
  auto last = std::chrono::steady_clock::now();
  train_als(data, o, [&](int, int) {
    auto now = std::chrono::steady_clock::now();
    per.push_back(std::chrono::duration<double>(now - last).count());
    last = now;
    return true;
  });
  double best = per.empty() ? 0 : per[0], sum = 0;
  for (double s : per) {
    best = std::min(best, s);
    sum += s;
  }
  std::printf("RESULT bench=recommend_als_speed users=%d items=%d nnz=%zu factors=%d threads=%d cg_steps=%d "
              "build_s=%.1f s_per_iteration=%.2f best_s=%.2f iterations=%zu\n",
              users, items, data.nnz(), o.factors, o.threads, o.cg_steps, build_s, sum / static_cast<double>(per.size()), best,
              per.size());
  return 0;
}
