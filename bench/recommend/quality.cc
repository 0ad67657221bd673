// Offline accuracy of the recommendation models on real listening data, next to the
// baselines in the same run (issue 18, "Quality and speed, measured").
//
// Data: ../shared/data/listening/hetrec2011-lastfm-2k/user_artists.train.tsv (HetRec 2011
// Last.fm: user, artist, play count; see that folder's README for its source and licence).
// Every user with at least 5 artists has 20 % of them hidden (seeded); each model trains on the
// rest and ranks the artists the user does not have; Recall@20 and NDCG@20 of the hidden ones.
//
// usage: segue_recommend_quality [DATA_DIR] [--seed N] [--factors K] [--iterations N]
//   [--alpha A] [--reg L] [--beta B] [--lambda L] [--min-users N] [--ease-log] [--ease-rank]
//   [--ease-weight W] [--only NAME]
// Models: popularity, item_knn_cosine, rp3beta, als (log confidence on the counts), ease,
// als_rank (ALS on per-user ranks), recommender (als_rank + ease through
// Recommender::score_user, users folded in), blend (als + rp3beta).
// Prints one `RESULT bench=recommend_quality model=... recall20=... ndcg20=... train_s=...` line
// per model.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "recommend/als.h"
#include "recommend/ease.h"
#include "recommend/evaluate.h"
#include "recommend/neighbors.h"
#include "recommend/recommender.h"
#include "recommend/weighting.h"

using namespace segue::recommend;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Interactions load(const std::string& dir) {
  std::ifstream in(dir + "/user_artists.train.tsv");
  if (!in) {
    std::cerr << "cannot read " << dir << "/user_artists.train.tsv\n";
    std::exit(2);
  }
  std::string line;
  std::getline(in, line);  // header
  std::unordered_map<long, int32_t> users, items;
  std::vector<Triple> t;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    long u, a;
    double w;
    if (!(f >> u >> a >> w)) continue;
    auto ui = users.try_emplace(u, static_cast<int32_t>(users.size())).first->second;
    auto ai = items.try_emplace(a, static_cast<int32_t>(items.size())).first->second;
    t.push_back({ui, ai, static_cast<float>(w)});
  }
  return Interactions::from_triples(static_cast<int32_t>(users.size()), static_cast<int32_t>(items.size()), std::move(t));
}

void report(const std::string& model, const Accuracy& a, double train_s) {
  std::printf("RESULT bench=recommend_quality model=%s recall20=%.4f ndcg20=%.4f users=%zu train_s=%.2f\n",
              model.c_str(), a.recall, a.ndcg, a.users, train_s);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = std::string(SEGUE_SHARED_DATA) + "/listening/hetrec2011-lastfm-2k";
  uint64_t seed = 1;
  AlsOptions als;
  als.factors = 64;
  als.iterations = 15;
  als.alpha = 3.0f;            // chosen on seed 1 (docs/benchmarks.md, "Recommendations")
  als.regularization = 50.0f;
  NeighborOptions rp3;
  rp3.beta = 0.2f;
  EaseOptions ease;
  RecommenderOptions rec;  // the server's model: its own defaults, --ease-weight and --lambda apply
  std::string only;
  float blend_weight = 0.5f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seed") seed = std::stoull(next());
    else if (a == "--factors") als.factors = std::stoi(next());
    else if (a == "--iterations") als.iterations = std::stoi(next());
    else if (a == "--alpha") als.alpha = std::stof(next());
    else if (a == "--reg") als.regularization = std::stof(next());
    else if (a == "--beta") rp3.beta = std::stof(next());
    else if (a == "--only") only = next();
    else if (a == "--blend") blend_weight = std::stof(next());
    else if (a == "--eps") als.epsilon = std::stof(next());
    else if (a == "--linear") als.log_confidence = false;
    else if (a == "--lambda") ease.lambda = rec.ease.lambda = std::stof(next());
    else if (a == "--min-users") ease.min_users = std::stoi(next());
    else if (a == "--ease-log") ease.weighting.kind = Weighting::Kind::kLog;
    else if (a == "--ease-rank") ease.weighting.kind = Weighting::Kind::kRank;
    else if (a == "--ease-weight") rec.ease_weight = std::stof(next());
    else if (a == "--ease-eps") ease.weighting.epsilon = std::stof(next());
    else if (a == "--ease-usermax") ease.weighting.per_user_max = true;
    else dir = a;
  }
  auto all = load(dir);
  auto split = split_per_user(all, 0.2, 5, seed);
  std::fprintf(stderr, "users %d, artists %d, plays rows %zu (train %zu)\n", all.users(), all.items(), all.nnz(),
               split.train.nnz());
  const auto& train = split.train;
  auto want = [&](const char* name) { return only.empty() || only == name; };

  if (want("popularity")) {
    auto t0 = std::chrono::steady_clock::now();
    auto deg = train.item_degrees();
    const double s = seconds_since(t0);
    report("popularity", evaluate(split, 20, [&](int32_t, std::span<float> out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(deg[i]);
    }), s);
  }
  auto neighbours = [&](const char* name, NeighborOptions o) {
    if (!want(name)) return;
    auto t0 = std::chrono::steady_clock::now();
    auto m = ItemNeighbors::build(train, o);
    const double s = seconds_since(t0);
    report(name, evaluate(split, 20, [&](int32_t u, std::span<float> out) {
      m.score(train.items_of(u), train.weights_of(u), out);
    }), s);
  };
  NeighborOptions cosine;
  cosine.similarity = NeighborOptions::Similarity::kCosine;
  neighbours("item_knn_cosine", cosine);
  neighbours("rp3beta", rp3);
  if (want("als")) {
    auto t0 = std::chrono::steady_clock::now();
    auto m = train_als(train, als);
    const double s = seconds_since(t0);
    report("als", evaluate(split, 20, [&](int32_t u, std::span<float> out) { m.score(u, out); }), s);
  }
  if (want("ease")) {
    auto t0 = std::chrono::steady_clock::now();
    auto m = EaseModel::train(train, ease);
    const double s = seconds_since(t0);
    std::fprintf(stderr, "ease: %d items modelled\n", m.modelled());
    report("ease", evaluate(split, 20, [&](int32_t u, std::span<float> out) {
      m.score(train.items_of(u), train.weights_of(u), out);
    }), s);
  }
  if (want("als_rank")) {
    // ALS on rank-weighted plays (the recommender's ALS half), scored with the trained user vectors.
    auto t0 = std::chrono::steady_clock::now();
    auto m = train_als(reweight(train, rec.als_weighting), rec.als);
    const double s = seconds_since(t0);
    report("als_rank", evaluate(split, 20, [&](int32_t u, std::span<float> out) { m.score(u, out); }), s);
  }
  if (want("recommender")) {
    // What the server runs: Recommender::score_user from each user's training history alone.
    auto t0 = std::chrono::steady_clock::now();
    auto m = Recommender::train(train, rec);
    const double s = seconds_since(t0);
    report("recommender", evaluate(split, 20, [&](int32_t u, std::span<float> out) {
      m.score_user(train.items_of(u), train.weights_of(u), out);
    }), s);
  }
  if (want("blend")) {
    // ALS and RP3beta together: each model's scores for the user scaled to their maximum over
    // the items, then a weighted sum.
    auto t0 = std::chrono::steady_clock::now();
    auto m = train_als(train, als);
    auto nb = ItemNeighbors::build(train, rp3);
    const double s = seconds_since(t0);
    report("blend", evaluate(split, 20, [&](int32_t u, std::span<float> out) {
      std::vector<float> a(out.size());
      m.score(u, a);
      nb.score(train.items_of(u), train.weights_of(u), out);
      float ma = 1e-12f, mb = 1e-12f;
      for (std::size_t i = 0; i < out.size(); ++i) {
        ma = std::max(ma, a[i]);
        mb = std::max(mb, out[i]);
      }
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = (1 - blend_weight) * a[i] / ma + blend_weight * out[i] / mb;
    }), s);
  }
  return 0;
}
