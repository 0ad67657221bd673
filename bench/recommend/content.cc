// Content vectors at catalog scale (issue 18, cold start): ContentSpace::build, brute-force
// nearest() and the ridge cold-start fit on synthetic items. Items: 90 % analysed (random audio
// features), 85 % tagged with 1-3 genres from a vocabulary drawn Zipf(1) (a few big genres, a
// long tail), a year; seeded. The fit maps to random 64-factor item factors on half the items.
// With --cells C (and --probe P, default 16) the inverted file (ContentSpace::build_cells) is
// built too and its nearest() timed on the same queries, with its recall@20 and @50 against the
// full pass.
// usage: segue_recommend_content [--items N] [--genres G] [--queries Q] [--factors K] [--cells C] [--probe P] [--budget ITEMS]
// Prints `RESULT bench=recommend_content ...`.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "recommend/content.h"

using namespace segue::recommend;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  int items = 100'000, genres = 1'000, queries = 1'000, factors = 64, cells = 0, probe = 16, budget = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--items") items = std::stoi(v);
    else if (a == "--genres") genres = std::stoi(v);
    else if (a == "--queries") queries = std::stoi(v);
    else if (a == "--factors") factors = std::stoi(v);
    else if (a == "--cells") cells = std::stoi(v);
    else if (a == "--probe") probe = std::stoi(v);
    else if (a == "--budget") budget = std::stoi(v);
  }
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0, 1);
  const double hn = std::log(static_cast<double>(genres)) + 0.5772;
  std::vector<ContentFeatures> data(static_cast<std::size_t>(items));
  for (auto& f : data) {
    if (u(rng) < 0.9) {
      AudioFeatures a;
      a.tempo = 60 + 140 * u(rng);
      a.loudness = -30 + 25 * u(rng);
      a.energy = u(rng);
      a.danceability = u(rng);
      a.valence = u(rng);
      a.acousticness = u(rng);
      a.instrumentalness = u(rng);
      a.speechiness = 0.3 * u(rng);
      a.liveness = u(rng);
      a.time_signature = u(rng) < 0.9 ? 4 : 3;
      a.key = static_cast<int>(rng() % 12);
      a.mode = static_cast<int>(rng() % 2);
      f.audio = a;
    }
    if (u(rng) < 0.85) {
      const int g = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < g; ++k) {
        auto rank = static_cast<int>(std::exp(u(rng) * hn - 0.5772));
        f.genres.push_back("Genre " + std::to_string(std::min(rank, genres - 1)));
      }
    }
    if (u(rng) < 0.95) f.year = 1950 + static_cast<int>(rng() % 75);
  }

  auto t0 = Clock::now();
  auto space = ContentSpace::build(data);
  const double build_s = seconds_since(t0);
  if (!space.ok()) {
    std::fprintf(stderr, "build: %s\n", space.error().message.c_str());
    return 1;
  }

  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(queries));
  std::size_t found = 0;
  std::vector<int32_t> asked;
  for (int q = 0; q < queries; ++q) {
    const auto item = static_cast<int32_t>(rng() % static_cast<uint64_t>(items));
    asked.push_back(item);
    auto t = Clock::now();
    auto nb = space->nearest(item, 20);
    ms.push_back(seconds_since(t) * 1e3);
    if (nb.ok()) found += nb->size();
  }
  std::sort(ms.begin(), ms.end());
  double mean = 0;
  for (double x : ms) mean += x;
  mean /= static_cast<double>(ms.size());
  const double p99 = ms[std::min(ms.size() - 1, static_cast<std::size_t>(0.99 * static_cast<double>(ms.size())))];

  // Cold-start fit: random factors for the even items as the warm ones.
  FactorMatrix y(items, factors);
  std::normal_distribution<float> g(0, 0.1f);
  for (Eigen::Index r = 0; r < y.rows(); ++r)
    for (Eigen::Index c = 0; c < y.cols(); ++c) y(r, c) = g(rng);
  std::vector<int32_t> warm;
  for (int32_t i = 0; i < items; i += 2) warm.push_back(i);
  t0 = Clock::now();
  auto m = ColdStartMapping::fit(*space, y, warm, 1.0f);
  const double fit_s = seconds_since(t0);
  if (!m.ok()) {
    std::fprintf(stderr, "fit: %s\n", m.error().message.c_str());
    return 1;
  }
  t0 = Clock::now();
  auto all = m->predict_all(*space);
  const double predict_s = seconds_since(t0);

  std::printf(
      "RESULT bench=recommend_content items=%d dims=%d nnz=%lld build_s=%.3f nearest_k20_mean_ms=%.3f "
      "nearest_k20_p99_ms=%.3f neighbours_per_query=%.1f coldstart_fit_s=%.3f warm=%zu factors=%d "
      "predict_all_s=%.3f\n",
      items, space->dims(), static_cast<long long>(space->vectors().nonZeros()), build_s, mean, p99,
      static_cast<double>(found) / queries, fit_s, warm.size(), factors, all.ok() ? predict_s : -1.0);

  if (cells > 0) {
    // The same queries through the inverted file, and how many of the full pass's best it finds.
    std::vector<std::vector<int32_t>> exact;
    for (int32_t item : asked) {
      auto nb = space->nearest(item, 50);
      std::vector<int32_t> ids;
      if (nb.ok())
        for (const auto& n : *nb) ids.push_back(n.item);
      exact.push_back(std::move(ids));
    }
    t0 = Clock::now();
    auto st = space->build_cells(cells, probe, budget);
    const double cells_s = seconds_since(t0);
    if (!st.ok()) {
      std::fprintf(stderr, "build_cells: %s\n", st.error().message.c_str());
      return 1;
    }
    std::vector<int32_t> sizes;
    for (int c = 0; c < space->cells(); ++c) sizes.push_back(space->cell_size(c));
    std::sort(sizes.begin(), sizes.end());
    std::fprintf(stderr, "cells: smallest %d, median %d, largest %d, 99th percentile %d\n", sizes.front(),
                 sizes[sizes.size() / 2], sizes.back(), sizes[sizes.size() * 99 / 100]);
    std::vector<double> ivf_ms;
    double hit20 = 0, hit50 = 0, want20 = 0, want50 = 0;
    for (std::size_t q = 0; q < asked.size(); ++q) {
      auto t = Clock::now();
      auto nb = space->nearest(asked[q], 50);
      ivf_ms.push_back(seconds_since(t) * 1e3);
      if (!nb.ok()) continue;
      const auto& truth = exact[q];
      for (std::size_t r = 0; r < truth.size(); ++r) {
        const bool found_it = std::any_of(nb->begin(), nb->begin() + static_cast<std::ptrdiff_t>(std::min(nb->size(), r < 20 ? std::size_t{20} : std::size_t{50})),
                                          [&](const ContentNeighbor& n) { return n.item == truth[r]; });
        if (r < 20) {
          want20 += 1;
          hit20 += found_it;
        }
        want50 += 1;
        hit50 += found_it;
      }
    }
    std::sort(ivf_ms.begin(), ivf_ms.end());
    double ivf_mean = 0;
    for (double x : ivf_ms) ivf_mean += x;
    ivf_mean /= static_cast<double>(ivf_ms.size());
    std::printf(
        "RESULT bench=recommend_content_cells items=%d cells=%d probe=%d budget=%d build_cells_s=%.2f nearest_k50_mean_ms=%.3f "
        "nearest_k50_p99_ms=%.3f recall_at_20=%.3f recall_at_50=%.3f\n",
        items, space->cells(), space->probe(), space->budget(), cells_s, ivf_mean,
        ivf_ms[std::min(ivf_ms.size() - 1, static_cast<std::size_t>(0.99 * static_cast<double>(ivf_ms.size())))],
        want20 > 0 ? hit20 / want20 : 0.0, want50 > 0 ? hit50 / want50 : 0.0);
  }
  return 0;
}
