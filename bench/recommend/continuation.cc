// Playlist continuation on real playlists (issue 18): each playlist is a "user" of its tracks;
// every playlist with at least 10 tracks has a seeded random half hidden (the other half is the
// seed), the models train on all visible (playlist, track) pairs, and for each playlist rank every
// track not in its visible half. R-precision (hits in the top R / R, R = hidden tracks), Recall@20
// (hits / min(20, R)) and NDCG@20, averaged over the playlists.
//
// Data: ../shared/data/catalog/tidytuesday-2020-01-21-spotify-songs/ (TidyTuesday 2020-01-21
// Spotify songs; see its README): tracks.csv.gz (audio features, album release date) and
// playlist_tracks.csv.gz (membership). The 3,053 rows withheld from that folder are not used.
// Every track of tracks.csv.gz is a candidate, also those in no visible playlist.
//
// usage: segue_recommend_continuation [DATA_DIR] [--seed N] [--blend W] [--blend-grid]
//   [--beta B] [--only NAME] [--no-audio] [--dump-split FILE]
// Models: popularity (playlists per track), item_knn_cosine, rp3beta, als_foldin (train_als, each
// playlist folded in from its visible tracks by AlsModel::fold_in), recommender
// (Recommender::score_user, the server's model), content (ContentSpace from audio features and
// album year only; the playlist genres are not used, they come from the playlists themselves;
// score = sum of cosines to the visible tracks), blend (rp3beta + W * content, each z-scored over
// the tracks). --blend-grid prints one blend line per weight of a grid (for choosing W on seed 1).
// --no-audio leaves the audio features out of the content vectors (album year alone);
// --dump-split FILE writes the split (playlist id, visible and hidden track ids per line) for
// bench/recommend/continuation_api.sh, which measures the server on it.
// Prints `RESULT bench=recommend_continuation model=... rprec=... recall20=... ndcg20=...
// playlists=...` per model.
#include <zlib.h>

#include "common/strings.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "recommend/als.h"
#include "recommend/content.h"
#include "recommend/evaluate.h"
#include "recommend/neighbors.h"
#include "recommend/recommender.h"

using namespace segue::recommend;

namespace {

std::string read_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}


bool number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(out);
}

struct Data {
  Interactions all;
  std::vector<ContentFeatures> content;
  std::vector<std::string> track_ids, playlist_ids;  // item / user index -> the dataset's id
};

Data load(const std::string& dir) {
  Data d;
  auto tracks = segue::strings::parse_csv(read_gz(dir + "/tracks.csv.gz"));
  std::unordered_map<std::string, int32_t> track_index;
  for (std::size_t r = 1; r < tracks.size(); ++r) {
    const auto& f = tracks[r];
    if (f.size() < 19) continue;
    const auto id = static_cast<int32_t>(track_index.size());
    if (!track_index.try_emplace(f[0], id).second) continue;
    d.track_ids.push_back(f[0]);
    ContentFeatures c;
    double v[11];
    bool ok = true;
    for (int k = 0; k < 11; ++k) ok = ok && number(f[static_cast<std::size_t>(7 + k)], v[k]);
    if (ok) {
      AudioFeatures a;
      a.danceability = v[0];
      a.energy = v[1];
      a.key = static_cast<int>(v[2]);
      a.loudness = v[3];
      a.mode = static_cast<int>(v[4]);
      a.speechiness = v[5];
      a.acousticness = v[6];
      a.instrumentalness = v[7];
      a.liveness = v[8];
      a.valence = v[9];
      a.tempo = std::max(0.0, v[10]);
      c.audio = a;
    }
    double year;
    if (f[6].size() >= 4 && number(f[6].substr(0, 4), year) && year >= 1 && year <= 9999) c.year = static_cast<int>(year);
    d.content.push_back(std::move(c));
  }
  auto members = segue::strings::parse_csv(read_gz(dir + "/playlist_tracks.csv.gz"));
  std::unordered_map<std::string, int32_t> playlists;
  std::set<std::pair<int32_t, int32_t>> pairs;  // a playlist under two genre labels counts once
  for (std::size_t r = 1; r < members.size(); ++r) {
    const auto& f = members[r];
    if (f.size() < 4) continue;
    auto t = track_index.find(f[3]);
    if (t == track_index.end()) continue;
    const auto [pit, fresh] = playlists.try_emplace(f[0], static_cast<int32_t>(playlists.size()));
    if (fresh) d.playlist_ids.push_back(f[0]);
    const auto p = pit->second;
    pairs.insert({p, t->second});
  }
  std::vector<Triple> triples;
  for (const auto& [p, t] : pairs) triples.push_back({p, t, 1.0f});
  d.all = Interactions::from_triples(static_cast<int32_t>(playlists.size()), static_cast<int32_t>(track_index.size()),
                                     std::move(triples));
  return d;
}

struct Scores {
  double rprec = 0, recall = 0, ndcg = 0;
  std::size_t playlists = 0;
};

Scores measure(const Split& split, const std::function<void(int32_t, std::span<float>)>& score) {
  Scores total;
  std::vector<float> s(static_cast<std::size_t>(split.train.items()));
  const std::size_t k = 20;
  for (int32_t u = 0; u < split.train.users(); ++u) {
    const auto& hidden = split.hidden[static_cast<std::size_t>(u)];
    if (hidden.empty()) continue;
    score(u, s);
    const std::size_t r = hidden.size();
    auto top = top_k(s, split.train.items_of(u), std::max(k, r));
    double hits_r = 0, hits_k = 0, dcg = 0, idcg = 0;
    for (std::size_t n = 0; n < top.size(); ++n) {
      if (!std::binary_search(hidden.begin(), hidden.end(), top[n])) continue;
      if (n < r) hits_r += 1;
      if (n < k) {
        hits_k += 1;
        dcg += 1.0 / std::log2(static_cast<double>(n) + 2.0);
      }
    }
    for (std::size_t n = 0; n < std::min(k, r); ++n) idcg += 1.0 / std::log2(static_cast<double>(n) + 2.0);
    total.rprec += hits_r / static_cast<double>(r);
    total.recall += hits_k / static_cast<double>(std::min(k, r));
    total.ndcg += dcg / idcg;
    ++total.playlists;
  }
  if (total.playlists) {
    const auto n = static_cast<double>(total.playlists);
    total.rprec /= n;
    total.recall /= n;
    total.ndcg /= n;
  }
  return total;
}

void report(const std::string& model, const Scores& s) {
  std::printf("RESULT bench=recommend_continuation model=%s rprec=%.4f recall20=%.4f ndcg20=%.4f playlists=%zu\n",
              model.c_str(), s.rprec, s.recall, s.ndcg, s.playlists);
  std::fflush(stdout);
}

// Scores to mean 0, deviation 1 over all tracks (so two models' scores can be added).
void standardise(std::span<float> s) {
  double sum = 0, sq = 0;
  for (float x : s) sum += x;
  const double mean = sum / static_cast<double>(s.size());
  for (float x : s) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / static_cast<double>(s.size()));
  for (float& x : s) x = sd > 0 ? static_cast<float>((x - mean) / sd) : 0.0f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = std::string(SEGUE_SHARED_DATA) + "/catalog/tidytuesday-2020-01-21-spotify-songs";
  uint64_t seed = 1;
  float blend_weight = 0.5f;  // chosen on seed 1 with --blend-grid (docs/benchmarks.md)
  bool grid = false;
  std::string only;
  std::string dump;       // --dump-split FILE: the split, for the bench through the API
  bool no_audio = false;  // --no-audio: content from the album year alone (what the API bench's server has)
  ContentOptions content;
  NeighborOptions rp3;
  rp3.beta = 0.2f;  // as in the HetRec bench (quality.cc)
  rp3.threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seed") seed = std::stoull(next());
    else if (a == "--blend") blend_weight = std::stof(next());
    else if (a == "--blend-grid") grid = true;
    else if (a == "--beta") rp3.beta = std::stof(next());
    else if (a == "--only") only = next();
    else if (a == "--dump-split") dump = next();
    else if (a == "--no-audio") no_audio = true;
    else if (a == "--year-weight") content.year_weight = std::stof(next());
    else if (a == "--key-weight") content.key_weight = std::stof(next());
    else dir = a;
  }
  auto data = load(dir);
  if (no_audio)
    for (auto& c : data.content) c.audio.reset();
  auto split = split_per_user(data.all, 0.5, 10, seed);
  if (!dump.empty()) {
    // One line per playlist: its id, its visible tracks, its hidden tracks (ids joined by ',';
    // a playlist under 10 tracks has no hidden part).
    std::FILE* f = std::fopen(dump.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "cannot write %s\n", dump.c_str());
      return 2;
    }
    auto ids = [&](auto&& items) {
      std::string out;
      for (int32_t t : items) out += (out.empty() ? "" : ",") + data.track_ids[static_cast<std::size_t>(t)];
      return out;
    };
    for (int32_t u = 0; u < split.train.users(); ++u)
      std::fprintf(f, "%s\t%s\t%s\n", data.playlist_ids[static_cast<std::size_t>(u)].c_str(),
                   ids(split.train.items_of(u)).c_str(), ids(split.hidden[static_cast<std::size_t>(u)]).c_str());
    std::fclose(f);
  }
  const auto& train = split.train;
  std::size_t hidden = 0, reachable = 0;  // reachable: hidden in some other playlist's visible half
  {
    auto deg = train.item_degrees();
    for (const auto& h : split.hidden) {
      hidden += h.size();
      for (int32_t t : h) reachable += deg[static_cast<std::size_t>(t)] > 0;
    }
  }
  std::fprintf(stderr, "playlists %d, tracks %d, pairs %zu (visible %zu, hidden %zu, %zu of them visible elsewhere)\n",
               data.all.users(), data.all.items(), data.all.nnz(), train.nnz(), hidden, reachable);
  auto want = [&](const char* name) { return only.empty() || only == name; };

  if (want("popularity")) {
    auto deg = train.item_degrees();
    report("popularity", measure(split, [&](int32_t, std::span<float> out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(deg[i]);
    }));
  }
  NeighborOptions cosine;
  cosine.similarity = NeighborOptions::Similarity::kCosine;
  cosine.threads = 1;
  auto knn = ItemNeighbors::build(train, cosine);
  if (want("item_knn_cosine"))
    report("item_knn_cosine", measure(split, [&](int32_t u, std::span<float> out) {
      knn.score(train.items_of(u), train.weights_of(u), out);
    }));
  auto nb = ItemNeighbors::build(train, rp3);
  if (want("rp3beta"))
    report("rp3beta", measure(split, [&](int32_t u, std::span<float> out) {
      nb.score(train.items_of(u), train.weights_of(u), out);
    }));
  if (want("als_foldin")) {
    AlsOptions o;
    o.factors = 64;
    o.iterations = 15;
    o.alpha = 10.0f;
    o.regularization = 1.0f;
    o.log_confidence = false;
    o.threads = 1;
    auto m = train_als(train, o);
    report("als_foldin", measure(split, [&](int32_t u, std::span<float> out) {
      auto v = m.fold_in(train.items_of(u), train.weights_of(u), o);
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = v[static_cast<Eigen::Index>(i)];
    }));
  }
  if (want("recommender")) {
    RecommenderOptions o;
    o.als.threads = 1;
    auto m = Recommender::train(train, o);
    report("recommender", measure(split, [&](int32_t u, std::span<float> out) {
      m.score_user(train.items_of(u), train.weights_of(u), out);
    }));
  }
  auto space = ContentSpace::build(data.content, content);
  if (!space.ok()) {
    std::fprintf(stderr, "content: %s\n", space.error().message.c_str());
    return 1;
  }
  const auto& vec = space->vectors();
  auto content_scores = [&](int32_t u, std::span<float> out) {
    Eigen::VectorXf sum = Eigen::VectorXf::Zero(space->dims());
    for (int32_t t : train.items_of(u))
      for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(vec, t); it; ++it) sum[it.col()] += it.value();
    Eigen::VectorXf s = vec * sum;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = s[static_cast<Eigen::Index>(i)];
  };
  if (want("content")) report("content", measure(split, content_scores));
  auto blend = [&](const std::string& name, float w) {
    report(name, measure(split, [&](int32_t u, std::span<float> out) {
      std::vector<float> c(out.size());
      content_scores(u, c);
      standardise(c);
      nb.score(train.items_of(u), train.weights_of(u), out);
      standardise(out);
      for (std::size_t i = 0; i < out.size(); ++i) out[i] += w * c[i];
    }));
  };
  if (grid) {
    for (float w : {0.05f, 0.1f, 0.2f, 0.5f, 1.0f, 2.0f, 5.0f}) {
      char name[32];
      std::snprintf(name, sizeof name, "blend_w%.2f", w);
      blend(name, w);
    }
  } else if (want("blend")) {
    blend("blend", blend_weight);
  }
  return 0;
}
