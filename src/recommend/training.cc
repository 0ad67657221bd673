#include "recommend/training.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace segue::recommend {

float recency_factor(int64_t t_ms, int64_t now_ms, int64_t half_life_ms) {
  const double age = static_cast<double>(std::max<int64_t>(0, now_ms - t_ms));
  return static_cast<float>(0.5 + 0.5 * std::exp2(-age / static_cast<double>(half_life_ms)));
}

int32_t TrainingSet::Level::id_of(const std::string& s) {
  auto [it, added] = index.emplace(s, static_cast<int32_t>(ids.size()));
  if (added) ids.push_back(s);
  return it->second;
}

TrainingSet::TrainingSet(ArtistsOf artists_of, int64_t now_ms, SignalWeights weights)
    : artists_of_(std::move(artists_of)), now_ms_(now_ms), weights_(weights) {}

int32_t TrainingSet::user_of(const std::string& u) {
  auto [it, added] = user_index_.emplace(u, static_cast<int32_t>(users_.size()));
  if (added) users_.push_back(u);
  return it->second;
}

void TrainingSet::track(const std::string& user, const std::string& track, float weight, bool skipped) {
  if (!std::isfinite(weight) || weight == 0) return;
  auto cached = artist_cache_.find(track);
  if (cached == artist_cache_.end()) cached = artist_cache_.emplace(track, artists_of_(track)).first;
  if (cached->second.empty()) return;  // not (any more) in the catalog
  ++signals_;
  const int32_t u = user_of(user);
  const int32_t t = tracks_.id_of(track);
  tracks_.triples.push_back({u, t, weight});
  if (skipped) tracks_.skipped.emplace_back(u, t);
  for (const auto& a : cached->second) {
    const int32_t ai = artists_.id_of(a);
    artists_.triples.push_back({u, ai, weight});
    if (skipped) artists_.skipped.emplace_back(u, ai);
  }
}

void TrainingSet::artist(const std::string& user, const std::string& artist, float weight) {
  if (!std::isfinite(weight) || weight == 0) return;
  ++signals_;
  artists_.triples.push_back({user_of(user), artists_.id_of(artist), weight});
}

namespace {

Status build_level(TrainingSet::Level&& in, int32_t users, const TrainOptions& o, ModelLevel& out,
                   const std::function<bool(int, int)>& als_progress) {
  out.ids = std::move(in.ids);
  out.index = std::move(in.index);
  const auto items = static_cast<int32_t>(out.ids.size());
  out.seen = Interactions::from_triples(users, items, std::move(in.triples));
  out.disliked.assign(static_cast<std::size_t>(users), {});
  for (const auto& [u, i] : in.skipped) {
    auto have = out.seen.items_of(u);
    if (!std::binary_search(have.begin(), have.end(), i)) out.disliked[static_cast<std::size_t>(u)].push_back(i);
  }
  for (auto& d : out.disliked) {
    std::sort(d.begin(), d.end());
    d.erase(std::unique(d.begin(), d.end()), d.end());
  }
  bool stopped = false;
  out.als = train_als(reweight(out.seen, o.weighting), o.als, [&](int done, int total) {
    if (als_progress && !als_progress(done, total)) stopped = true;
    return !stopped;
  });
  if (stopped) return Error::unavailable("training stopped");
  out.neighbors = ItemNeighbors::build(out.seen, o.neighbors);
  out.degree = out.seen.item_degrees();
  return {};
}

}  // namespace

Result<Model> train_model(TrainingSet&& set, const TrainOptions& options,
                          const std::function<bool(const std::string&, int, int)>& progress) {
  if (set.signals_ == 0 || set.users_.empty()) return Error::invalid("nothing to train on: no plays, saves or listens yet");
  const auto start = std::chrono::steady_clock::now();
  Model m;
  m.als_options = options.als;
  m.weighting = options.weighting;
  m.info.trained_at_ms = set.now_ms_;
  m.info.signals = set.signals_;
  m.info.factors = options.als.factors;
  m.info.iterations = options.als.iterations;
  m.info.version = options.version.empty() ? version_for(set.now_ms_, {}) : options.version;
  m.users = std::move(set.users_);
  m.user_index = std::move(set.user_index_);
  const auto users = static_cast<int32_t>(m.users.size());
  auto stage = [&](const char* name) {
    return [&progress, name](int done, int total) { return !progress || progress(name, done, total); };
  };
  SEGUE_TRY(build_level(std::move(set.tracks_), users, options, m.tracks, stage("tracks")));
  SEGUE_TRY(build_level(std::move(set.artists_), users, options, m.artists, stage("artists")));
  m.info.training_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return m;
}

}  // namespace segue::recommend
