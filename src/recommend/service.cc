#include "recommend/service.h"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <span>
#include <unordered_set>

#include "common/log.h"
#include "events/decay.h"
#include "recommend/content.h"
#include "recommend/listen_store.h"
#include "recommend/taste.h"

namespace segue::recommend {

namespace {

int64_t now_ms() { return events::wall_clock_ms(); }

// Recency-weighted count from a count and its decay-form score (taste.h): half the plain count
// plus half the decayed one, as recency_factor() weighs a single event.
float weighted(int64_t count, double score, int64_t now) {
  if (count <= 0) return 0;
  return static_cast<float>(0.5 * static_cast<double>(count) + 0.5 * events::decayed(score, now, kTasteHalfLifeMs));
}

// The value of a tunable for a track (nullopt when unknown: no analysis yet).
std::optional<double> attribute(const std::string& name, const catalog::Track& t,
                                const std::optional<audio::AudioAnalysis>& f, int popularity) {
  if (name == "popularity") return popularity;
  if (name == "duration_ms") return static_cast<double>(t.duration_ms);
  if (!f) return std::nullopt;
  if (name == "tempo") return f->tempo;
  if (name == "energy") return f->energy;
  if (name == "danceability") return f->danceability;
  if (name == "valence") return f->valence;
  if (name == "acousticness") return f->acousticness;
  if (name == "instrumentalness") return f->instrumentalness;
  if (name == "speechiness") return f->speechiness;
  if (name == "liveness") return f->liveness;
  if (name == "loudness") return f->loudness;
  if (name == "key") return f->key;
  if (name == "mode") return f->mode;
  if (name == "time_signature") return f->time_signature;
  return std::nullopt;
}

// How far a value may be from a target before it costs a whole point of score.
double scale_of(const std::string& name) {
  if (name == "tempo") return 40;
  if (name == "popularity") return 50;
  if (name == "duration_ms") return 120000;
  if (name == "loudness") return 12;
  if (name == "key") return 6;
  if (name == "time_signature") return 2;
  return 0.5;
}

// The `limit` best of `scores` that `keep` accepts, best first (ties: lower id first). `keep`
// (a catalog lookup, say) is asked only about the best candidates, in rounds of growing size,
// not about every item: at a million tracks that pass alone would cost more than the answer.
template <typename IdOf, typename Keep>
std::vector<Scored> top_of(std::span<const float> scores, IdOf id_of, std::size_t limit, Keep keep) {
  std::vector<int32_t> order;
  order.reserve(scores.size());
  for (int32_t i = 0; i < static_cast<int32_t>(scores.size()); ++i)
    if (std::isfinite(scores[static_cast<std::size_t>(i)])) order.push_back(i);
  const auto better = [&](int32_t a, int32_t b) {
    const float sa = scores[static_cast<std::size_t>(a)], sb = scores[static_cast<std::size_t>(b)];
    return sa != sb ? sa > sb : id_of(a) < id_of(b);
  };
  std::vector<Scored> out;
  out.reserve(std::min(limit, order.size()));
  std::size_t from = 0, round = limit + 16;
  while (out.size() < limit && from < order.size()) {
    const std::size_t to = std::min(order.size(), from + round);
    std::partial_sort(order.begin() + static_cast<std::ptrdiff_t>(from), order.begin() + static_cast<std::ptrdiff_t>(to),
                      order.end(), better);
    for (std::size_t k = from; k < to && out.size() < limit; ++k)
      if (keep(order[k])) out.push_back({id_of(order[k]), scores[static_cast<std::size_t>(order[k])]});
    from = to;
    round *= 4;
  }
  return out;
}

std::vector<Scored> top(const std::vector<float>& scores, const std::vector<std::string>& ids, std::size_t limit,
                        const std::function<bool(int32_t)>& keep) {
  return top_of(std::span<const float>(scores), [&](int32_t i) -> const std::string& { return ids[static_cast<std::size_t>(i)]; },
                limit, keep);
}

}  // namespace

const std::vector<std::string>& tunable_names() {
  static const std::vector<std::string> names{"acousticness", "danceability", "duration_ms",   "energy",
                                              "instrumentalness", "key",      "liveness",      "loudness",
                                              "mode",         "popularity",   "speechiness",   "tempo",
                                              "time_signature", "valence"};
  return names;
}

RecommendService::RecommendService(Sources sources, RecommendServiceOptions options)
    : src_(std::move(sources)), options_(std::move(options)), store_(options_.models_dir) {}

std::shared_ptr<const Model> RecommendService::model() const {
  std::lock_guard l(mu_);
  return model_;
}

void RecommendService::swap_in(std::shared_ptr<const Model> m) {
  std::lock_guard l(mu_);
  model_ = std::move(m);
}

Status RecommendService::load() {
  auto v = store_.current_version();
  if (!v.ok()) return {};  // no model yet
  SEGUE_ASSIGN_OR_RETURN(auto m, store_.load(*v));
  swap_in(std::move(m));
  return {};
}

Status RecommendService::follow() {
  auto v = store_.current_version();
  auto cur = model();
  if (v.ok() && !(cur && cur->info.version == *v)) {
    SEGUE_ASSIGN_OR_RETURN(auto m, store_.load(*v));
    log::info("recommendation model loaded", {{"version", m->info.version}});
    swap_in(std::move(m));
  }
  return refresh_content();
}

std::shared_ptr<const ContentIndex> RecommendService::content() const {
  std::lock_guard l(mu_);
  return content_;
}

Status RecommendService::refresh_content(bool force) {
  const auto catalog_version = static_cast<int64_t>(src_.catalog->loaded_version());
  auto snap = src_.catalog->snapshot();
  auto m = model();
  const std::string version = m ? m->info.version : "";
  const int64_t now = now_ms();
  const uint64_t generation = features_generation_ ? features_generation_() : 0;
  if (auto cur = content(); !force && cur && cur->catalog_version == catalog_version && cur->model_version == version) {
    // New analyses come in continuously while a library is analysed: at most one rebuild every
    // 10 minutes for them (a million tracks take about a minute of a core), none without any.
    const bool features_changed = !features_generation_ || cur->features_generation != generation;
    if (!features_changed || now - cur->built_at_ms < options_.content_refresh_ms) return {};
  }
  auto idx = std::make_shared<ContentIndex>();
  idx->catalog_version = catalog_version;
  idx->model_version = version;
  idx->built_at_ms = now;
  idx->features_generation = generation;
  std::vector<ContentFeatures> items;
  items.reserve(snap->tracks().size());
  for (const auto& t : snap->tracks()) {
    ContentFeatures f;
    if (src_.features)
      if (auto a = src_.features(t.id); a && a->tempo > 0) f.audio = audio_features_of(*a);
    f.genres = t.genres;
    if (const auto* al = snap->album(t.album_id)) {
      f.genres.insert(f.genres.end(), al->genres.begin(), al->genres.end());
      if (al->year && *al->year >= 1000 && *al->year <= 3000) f.year = *al->year;
    }
    const auto item = static_cast<int32_t>(idx->ids.size());
    idx->index.emplace(t.id.str(), item);
    idx->ids.push_back(t.id.str());
    std::vector<std::string> folded;
    for (const auto& g : f.genres)
      if (auto x = fold_genre(g); !x.empty() && std::find(folded.begin(), folded.end(), x) == folded.end())
        folded.push_back(std::move(x));
    for (auto& g : folded) idx->genre_tracks[std::move(g)].push_back(item);
    items.push_back(std::move(f));
  }
  // Each genre's most popular tracks (ties: catalog order).
  for (auto& [genre, tracks] : idx->genre_tracks) {
    std::vector<std::pair<int, int32_t>> by_pop;
    by_pop.reserve(tracks.size());
    for (int32_t item : tracks)
      by_pop.push_back({src_.popularity ? src_.popularity(TrackId(idx->ids[static_cast<std::size_t>(item)])) : 0, item});
    const std::size_t n = std::min(ContentIndex::kGenrePool, by_pop.size());
    std::partial_sort(by_pop.begin(), by_pop.begin() + static_cast<std::ptrdiff_t>(n), by_pop.end(),
                      [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    tracks.resize(n);
    for (std::size_t k = 0; k < n; ++k) tracks[k] = by_pop[k].second;
  }
  auto space = ContentSpace::build(items);
  if (!space.ok()) return Error{space.error().code, "content vectors: " + space.error().message};
  idx->space = std::move(*space);
  if (idx->ids.size() >= options_.content_cells_from) {
    const int cells = static_cast<int>(std::lround(std::sqrt(static_cast<double>(idx->ids.size()))));
    SEGUE_TRY(idx->space.build_cells(cells, 32, 20'000));
  }
  // Cold tracks' factors, predicted from their content by a ridge map fitted on the tracks the
  // model knows with at least 3 listeners.
  if (m && m->tracks.size() > 0) {
    FactorMatrix aligned = FactorMatrix::Zero(static_cast<Eigen::Index>(idx->ids.size()), m->tracks.als.items.cols());
    std::vector<int32_t> warm;
    idx->model_track.assign(idx->ids.size(), -1);
    for (int32_t c = 0; c < static_cast<int32_t>(idx->ids.size()); ++c) {
      const auto i = m->tracks.find(idx->ids[static_cast<std::size_t>(c)]);
      if (i) idx->model_track[static_cast<std::size_t>(c)] = *i;
      if (!i) {
        if (idx->space.has_content(c)) idx->cold.push_back(c);
        continue;
      }
      aligned.row(c) = m->tracks.als.items.row(*i);
      if (m->tracks.degree[static_cast<std::size_t>(*i)] >= 3 && idx->space.has_content(c)) warm.push_back(c);
    }
    idx->cold_position.assign(idx->ids.size(), -1);
    for (std::size_t k = 0; k < idx->cold.size(); ++k) idx->cold_position[static_cast<std::size_t>(idx->cold[k])] = static_cast<int32_t>(k);
    {
      std::vector<int32_t> order(static_cast<std::size_t>(m->tracks.size()));
      for (int32_t i = 0; i < m->tracks.size(); ++i) order[static_cast<std::size_t>(i)] = i;
      const std::size_t n = std::min<std::size_t>(1'000, order.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), [&](int32_t a, int32_t b) {
        const auto da = m->tracks.degree[static_cast<std::size_t>(a)], db = m->tracks.degree[static_cast<std::size_t>(b)];
        return da != db ? da > db : a < b;
      });
      order.resize(n);
      idx->popular_tracks = std::move(order);
    }
    if (!warm.empty() && !idx->cold.empty()) {
      auto mapping = ColdStartMapping::fit(idx->space, aligned, warm, 1.0f);
      if (mapping.ok()) {
        idx->cold_factors.resize(static_cast<Eigen::Index>(idx->cold.size()), aligned.cols());
        for (std::size_t k = 0; k < idx->cold.size(); ++k) {
          auto f = mapping->predict(idx->space, idx->cold[k]);
          if (f.ok()) idx->cold_factors.row(static_cast<Eigen::Index>(k)) = f->transpose();
          else idx->cold_factors.row(static_cast<Eigen::Index>(k)).setZero();
        }
      } else {
        idx->cold.clear();
      }
    } else {
      idx->cold.clear();
    }
    if (idx->cold.empty()) std::fill(idx->cold_position.begin(), idx->cold_position.end(), -1);
  }
  std::lock_guard l(mu_);
  content_ = std::move(idx);
  return {};
}

Result<std::string> RecommendService::rollback() {
  SEGUE_ASSIGN_OR_RETURN(std::string v, store_.rollback());
  SEGUE_ASSIGN_OR_RETURN(auto m, store_.load(v));
  swap_in(std::move(m));
  return v;
}

Result<TrainingSet> RecommendService::gather(int64_t now,
                                             const std::function<bool(const std::string&, int, int)>& progress,
                                             std::vector<std::vector<std::string>>* public_lists) {
  auto snap = src_.catalog->snapshot();
  TrainingSet set(
      [snap](const std::string& track) {
        std::vector<std::string> out;
        if (const auto* t = snap->track(TrackId(track)))
          for (const auto& a : t->artist_ids) out.push_back(a.str());
        return out;
      },
      now, options_.weights);
  const SignalWeights& w = options_.weights;
  auto step = [&](int done) { return !progress || progress("signals", done, 4); };
  if (!step(0)) return Error::unavailable("training stopped");
  // What users did in Segue: plays, early skips, search clicks.
  if (src_.taste_db) {
    SEGUE_TRY(TasteConsumer::for_each(*src_.taste_db, [&](TasteRow&& r) {
      const float clicks = w.search_click * weighted(r.clicks, r.click_score, now);
      switch (r.kind) {
        case events::ItemKind::kTrack: {
          const float v = w.play * weighted(r.plays, r.play_score, now) +
                          w.early_skip * weighted(r.skips, r.skip_score, now) + clicks;
          set.track(r.user.str(), r.id, v, r.skips > 0);
          break;
        }
        case events::ItemKind::kAlbum:
          if (const auto* a = snap->album(AlbumId(r.id)))
            for (const auto& artist : a->artist_ids) set.artist(r.user.str(), artist.str(), clicks);
          break;
        case events::ItemKind::kArtist:
          set.artist(r.user.str(), r.id, clicks);
          break;
      }
    }));
  }
  if (!step(1)) return Error::unavailable("training stopped");
  // Imported history (ListenBrainz, Last.fm): each (user, track) weighed at its latest listen.
  if (src_.db) {
    SEGUE_TRY(src_.db->read([&](store::Connection& c) {
      return for_each_listen_aggregate(c, [&](ListenAggregate&& a) {
        set.track(a.user.str(), a.track.str(),
                  w.play * static_cast<float>(a.plays) * recency_factor(a.last_ms, now, kTasteHalfLifeMs));
      });
    }));
  }
  if (!step(2)) return Error::unavailable("training stopped");
  // Your Library: a saved track; a saved album counts half a save for each of its tracks.
  if (src_.library) {
    SEGUE_TRY(src_.library->for_each_saved([&](const UserId& u, user::ItemKind kind, const user::SavedItem& item) {
      const float v = w.save * recency_factor(item.added_at_ms, now, kTasteHalfLifeMs);
      if (kind == user::ItemKind::kTrack) {
        set.track(u.str(), item.id, v);
      } else {
        for (const auto* t : snap->album_tracks(AlbumId(item.id))) set.track(u.str(), t->id.str(), v / 2);
      }
    }));
  }
  if (!step(3)) return Error::unavailable("training stopped");
  // Public playlists: who added which track (a taste signal of the adder), and each playlist's
  // tracks for the co-membership model. A private or collaborative playlist feeds neither: what
  // it holds is for its members only, and no model trained across users may be used to
  // enumerate it (docs/formats/recommend.md, "Playlist co-membership and privacy").
  if (src_.playlists) {
    SEGUE_ASSIGN_OR_RETURN(auto ids, src_.playlists->all_ids());
    for (const auto& id : ids) {
      auto facts = src_.playlists->facts(id);
      if (!facts.ok() || !*facts || !(*facts)->info.is_public || (*facts)->info.collaborative) continue;
      auto items = src_.playlists->items(id, (*facts)->info.owner);
      if (!items.ok()) continue;
      std::vector<std::string> list;
      for (const auto& item : *items) {
        auto track = parse_uri(item.uri, "track");
        if (!track || !snap->track(TrackId(*track))) continue;
        list.push_back(*track);
        if (item.added_by.str().empty()) continue;
        set.track(item.added_by.str(), *track, w.playlist_add * recency_factor(item.added_at_ms, now, kTasteHalfLifeMs));
      }
      if (public_lists) public_lists->push_back(std::move(list));
    }
  }
  if (!step(4)) return Error::unavailable("training stopped");
  return set;
}

Result<ModelInfo> RecommendService::train(const std::function<bool(const std::string&, int, int)>& progress) {
  std::lock_guard l(train_mu_);
  const int64_t now = now_ms();
  auto result = [&]() -> Result<ModelInfo> {
    std::vector<std::vector<std::string>> lists;
    SEGUE_ASSIGN_OR_RETURN(TrainingSet set, gather(now, progress, &lists));
    TrainOptions o = options_.train;
    o.version = version_for(now, store_.versions());
    SEGUE_ASSIGN_OR_RETURN(Model m, train_model(std::move(set), o, progress));
    const auto co_start = std::chrono::steady_clock::now();
    m.playlists = CoMembership::build(lists, options_.playlists);
    m.info.training_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - co_start).count();
    SEGUE_TRY(store_.publish(m));
    ModelInfo info = m.info;
    swap_in(std::make_shared<const Model>(std::move(m)));
    if (Status st = refresh_content(true); !st.ok())
      log::warn("recommendations: content vectors not rebuilt", {{"error", st.error().message}});
    return info;
  }();
  (result.ok() ? trainings_ok_ : trainings_failed_).fetch_add(1);
  return result;
}

Result<std::vector<std::pair<int32_t, float>>> RecommendService::fresh_history(const Model& m, const UserId& user,
                                                                              Level level,
                                                                              std::vector<int32_t>& played) {
  std::vector<std::pair<int32_t, float>> out;
  if (!src_.taste_db) return out;
  const ModelLevel& l = level == Level::kTracks ? m.tracks : m.artists;
  auto snap = src_.catalog->snapshot();
  SEGUE_ASSIGN_OR_RETURN(auto rows, TasteConsumer::of_user(*src_.taste_db, user));
  const int64_t now = now_ms();
  const SignalWeights& w = options_.weights;
  auto add = [&](const std::string& id, float v, bool play) {
    if (auto i = l.find(id)) {
      out.emplace_back(*i, v);
      if (play) played.push_back(*i);
    }
  };
  for (const auto& r : rows) {
    if (r.kind != events::ItemKind::kTrack) continue;
    const float v = w.play * weighted(r.plays, r.play_score, now) + w.early_skip * weighted(r.skips, r.skip_score, now);
    const bool touched = r.plays > 0 || r.skips > 0;
    if (level == Level::kTracks) {
      add(r.id, v, touched);
    } else if (const auto* t = snap->track(TrackId(r.id))) {
      for (const auto& a : t->artist_ids) add(a.str(), v, r.plays > 0);
    }
  }
  return out;
}

std::vector<Scored> RecommendService::rank_track_candidates(const Model& m, const ContentIndex& ci,
                                                            const catalog::Snapshot& snap, const Eigen::VectorXf& user_vec,
                                                            const std::vector<int32_t>& history,
                                                            const std::vector<char>& excluded, std::size_t limit) {
  const ModelLevel& l = m.tracks;
  std::vector<int32_t> warm, cold;  // model items; positions in ci.cold
  std::vector<char> warm_seen(static_cast<std::size_t>(l.size()), 0), cold_seen(ci.cold.size(), 0);
  const auto add_warm = [&](int32_t i) {
    if (excluded[static_cast<std::size_t>(i)] || warm_seen[static_cast<std::size_t>(i)]) return;
    warm_seen[static_cast<std::size_t>(i)] = 1;
    warm.push_back(i);
  };
  const auto add_content_item = [&](int32_t c) {
    if (c < 0 || static_cast<std::size_t>(c) >= ci.model_track.size()) return;
    if (const int32_t i = ci.model_track[static_cast<std::size_t>(c)]; i >= 0) {
      add_warm(i);
    } else if (const int32_t k = ci.cold_position[static_cast<std::size_t>(c)]; k >= 0 && !cold_seen[static_cast<std::size_t>(k)]) {
      cold_seen[static_cast<std::size_t>(k)] = 1;
      cold.push_back(k);
    }
  };
  // What they played most like their taste first: the 200 of their history the model scores best.
  std::vector<std::pair<float, int32_t>> hist;
  hist.reserve(history.size());
  for (int32_t i : history) hist.push_back({l.als.items.row(i).dot(user_vec), i});
  const std::size_t top_history = std::min<std::size_t>(200, hist.size());
  std::partial_sort(hist.begin(), hist.begin() + static_cast<std::ptrdiff_t>(top_history), hist.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  // 1. The model's neighbours of those tracks.
  for (std::size_t h = 0; h < top_history; ++h) {
    if (hist[h].second >= l.neighbors.items()) continue;
    const auto nb = l.neighbors.neighbors_of(hist[h].second);
    for (std::size_t k = 0; k < nb.size() && k < 50; ++k) add_warm(nb[k]);
  }
  // 2. Tracks of the artists of their 30 best, and of those artists' model neighbours.
  std::unordered_set<std::string> artists;
  for (std::size_t h = 0; h < std::min<std::size_t>(30, top_history); ++h)
    if (const auto* t = snap.track(TrackId(l.ids[static_cast<std::size_t>(hist[h].second)]))) {
      for (const auto& a : t->artist_ids) {
        if (artists.size() >= 100) break;
        artists.insert(a.str());
        if (auto ai = m.artists.find(a.str()); ai && *ai < m.artists.neighbors.items()) {
          const auto nb = m.artists.neighbors.neighbors_of(*ai);
          for (int32_t n : nb.first(std::min<std::size_t>(5, nb.size()))) artists.insert(m.artists.ids[static_cast<std::size_t>(n)]);
        }
      }
    }
  for (const auto& a : artists) {
    int n = 0;
    for (const auto* t : snap.artist_tracks(ArtistId(a))) {
      if (++n > 30) break;
      if (auto c = ci.index.find(t->id.str()); c != ci.index.end()) add_content_item(c->second);
    }
  }
  // 3. What sounds like their two best (reaches tracks nobody played yet).
  for (std::size_t h = 0; h < std::min<std::size_t>(2, top_history); ++h)
    if (auto c = ci.index.find(l.ids[static_cast<std::size_t>(hist[h].second)]); c != ci.index.end()) {
      auto near = ci.space.nearest(c->second, 50);
      if (near.ok())
        for (const auto& n : *near) add_content_item(n.item);
    }
  // 4. The popular, so there is always enough.
  for (int32_t i : ci.popular_tracks) add_warm(i);

  std::vector<Scored> scored;
  scored.reserve(warm.size() + cold.size());
  for (int32_t i : warm) {
    const auto& id = l.ids[static_cast<std::size_t>(i)];
    if (snap.track(TrackId(id))) scored.push_back({id, l.als.items.row(i).dot(user_vec)});
  }
  if (ci.cold_factors.rows() == static_cast<Eigen::Index>(ci.cold.size()))
    for (int32_t k : cold) {
      const auto& id = ci.ids[static_cast<std::size_t>(ci.cold[static_cast<std::size_t>(k)])];
      if (snap.track(TrackId(id))) scored.push_back({id, 0.8f * ci.cold_factors.row(k).dot(user_vec)});
    }
  const std::size_t n = std::min(limit, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                    [](const Scored& a, const Scored& b) { return a.score != b.score ? a.score > b.score : a.id < b.id; });
  scored.resize(n);
  return scored;
}

Result<std::vector<Scored>> RecommendService::for_user(const UserId& user, Level level, std::size_t limit) {
  auto m = model();
  auto snap = src_.catalog->snapshot();
  if (!m) {
    // No model yet: the most popular items of the catalog.
    std::vector<Scored> out;
    if (level == Level::kTracks) {
      for (const auto& t : snap->tracks())
        out.push_back({t.id.str(), src_.popularity ? static_cast<float>(src_.popularity(t.id)) : 0.0f});
    } else {
      for (const auto& a : snap->artists()) out.push_back({a.id.str(), 0.0f});
    }
    std::stable_sort(out.begin(), out.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  const ModelLevel& l = level == Level::kTracks ? m->tracks : m->artists;
  std::vector<int32_t> played;
  SEGUE_ASSIGN_OR_RETURN(auto fresh, fresh_history(*m, user, level, played));
  // At catalog scale, candidates instead of every track (kTrackCandidatesFrom).
  if (auto ci = content(); level == Level::kTracks && ci && ci->model_version == m->info.version &&
                           static_cast<std::size_t>(l.size()) + ci->cold.size() >= options_.track_candidates_from) {
    std::vector<char> excluded(static_cast<std::size_t>(l.size()), 0);
    for (int32_t i : played) excluded[static_cast<std::size_t>(i)] = 1;
    std::vector<int32_t> history;
    std::vector<int32_t> items;
    std::vector<float> weights;
    for (const auto& [i, v] : fresh) {
      if (v <= 0) {
        excluded[static_cast<std::size_t>(i)] = 1;  // skipped more than played
      } else {
        items.push_back(i);
        weights.push_back(v);
      }
    }
    Eigen::VectorXf user_vec;
    const auto u = m->find_user(user.str());
    if (u) {
      user_vec = l.als.users.row(*u).transpose();
      for (int32_t i : l.seen.items_of(*u)) {
        excluded[static_cast<std::size_t>(i)] = 1;
        history.push_back(i);
      }
      for (int32_t i : l.disliked[static_cast<std::size_t>(*u)]) excluded[static_cast<std::size_t>(i)] = 1;
    } else if (!items.empty()) {
      std::vector<float> values(weights.size());
      m->weighting.apply(weights, values);  // as the model's users were weighted
      user_vec = l.als.fold_in_factors(items, values, m->als_options);
    }
    history.insert(history.end(), items.begin(), items.end());
    if (user_vec.size() == 0) {
      // No taste at all: the most popular tracks.
      std::vector<Scored> out;
      for (int32_t i : ci->popular_tracks) {
        if (out.size() >= limit) break;
        const auto& id = l.ids[static_cast<std::size_t>(i)];
        if (!excluded[static_cast<std::size_t>(i)] && snap->track(TrackId(id)))
          out.push_back({id, static_cast<float>(l.degree[static_cast<std::size_t>(i)])});
      }
      return out;
    }
    return rank_track_candidates(*m, *ci, *snap, user_vec, history, excluded, limit);
  }
  std::vector<float> scores(static_cast<std::size_t>(l.size()), 0.0f);
  std::vector<char> excluded(static_cast<std::size_t>(l.size()), 0);
  for (int32_t i : played) excluded[static_cast<std::size_t>(i)] = 1;
  const auto u = m->find_user(user.str());
  if (u) {
    l.als.score(*u, scores);
    for (int32_t i : l.seen.items_of(*u)) excluded[static_cast<std::size_t>(i)] = 1;
    for (int32_t i : l.disliked[static_cast<std::size_t>(*u)]) excluded[static_cast<std::size_t>(i)] = 1;
  } else {
    std::vector<int32_t> items;
    std::vector<float> weights;
    for (const auto& [i, v] : fresh)
      if (v > 0) {
        items.push_back(i);
        weights.push_back(v);
      }
    if (!items.empty()) {
      std::vector<float> values(weights.size());
      m->weighting.apply(weights, values);  // as the model's users were weighted
      Eigen::VectorXf s = l.als.fold_in(items, values, m->als_options);
      for (int32_t i = 0; i < l.size(); ++i) scores[static_cast<std::size_t>(i)] = s[i];
    } else {
      for (int32_t i = 0; i < l.size(); ++i) scores[static_cast<std::size_t>(i)] = static_cast<float>(l.degree[static_cast<std::size_t>(i)]);
    }
  }
  for (const auto& [i, v] : fresh)
    if (v <= 0) excluded[static_cast<std::size_t>(i)] = 1;  // skipped more than played
  // Only what the catalog still has.
  auto keep = [&](int32_t i) {
    if (excluded[static_cast<std::size_t>(i)]) return false;
    const auto& id = l.ids[static_cast<std::size_t>(i)];
    return level == Level::kTracks ? snap->track(TrackId(id)) != nullptr : snap->artist(ArtistId(id)) != nullptr;
  };
  auto ranked = top(scores, l.ids, limit, keep);
  // Tracks nobody has played yet, scored by their predicted factors (a trained user only; a
  // little below what the model knows, whose factors are learned rather than guessed).
  auto content_index = content();
  if (level == Level::kTracks && u && content_index && content_index->cold.size() > 0 &&
      content_index->model_version == m->info.version) {
    const Eigen::VectorXf user_vec = l.als.users.row(*u).transpose();
    const Eigen::VectorXf cold_scores = content_index->cold_factors * user_vec * 0.8f;
    std::unordered_set<std::string> played_now;
    for (int32_t i : played) played_now.insert(l.ids[static_cast<std::size_t>(i)]);
    const auto cold_id = [&](int32_t k) -> const std::string& {
      return content_index->ids[static_cast<std::size_t>(content_index->cold[static_cast<std::size_t>(k)])];
    };
    auto cold = top_of(std::span<const float>(cold_scores.data(), static_cast<std::size_t>(cold_scores.size())), cold_id,
                       limit, [&](int32_t k) {
                         const auto& id = cold_id(k);
                         return snap->track(TrackId(id)) != nullptr && played_now.count(id) == 0;
                       });
    ranked.insert(ranked.end(), cold.begin(), cold.end());
    std::stable_sort(ranked.begin(), ranked.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
    if (ranked.size() > limit) ranked.resize(limit);
  }
  return ranked;
}

Result<Recommendations> RecommendService::from_seeds(const Seeds& seeds, const std::vector<Tunable>& tunables,
                                                     std::size_t limit, const std::optional<UserId>& user) {
  auto snap = src_.catalog->snapshot();
  auto m = model();
  Recommendations out;
  // Candidate scores per catalog track.
  std::unordered_map<std::string, float> cand;
  std::unordered_set<std::string> seed_tracks(seeds.tracks.begin(), seeds.tracks.end());
  auto pop = [&](const TrackId& t) { return src_.popularity ? src_.popularity(t) : 0; };
  auto add_artist_tracks = [&](const std::string& artist, float weight, int& pool) {
    for (const auto* t : snap->artist_tracks(ArtistId(artist))) {
      if (seed_tracks.count(t->id.str())) continue;
      cand[t->id.str()] += weight * (0.5f + static_cast<float>(pop(t->id)) / 200.0f);
      ++pool;
    }
  };
  for (const auto& id : seeds.tracks) {
    const auto* t = snap->track(TrackId(id));
    if (!t) return Error::invalid("seed_tracks: unknown track " + id);
    SeedReport rep{id, "TRACK"};
    if (m) {
      if (auto i = m->tracks.find(id)) {
        auto nb = m->tracks.neighbors.neighbors_of(*i);
        auto sim = m->tracks.neighbors.similarities_of(*i);
        const float best = sim.empty() ? 1.0f : std::max(sim[0], 1e-6f);
        for (std::size_t k = 0; k < nb.size(); ++k) {
          const auto& tid = m->tracks.ids[static_cast<std::size_t>(nb[k])];
          if (seed_tracks.count(tid) || !snap->track(TrackId(tid))) continue;
          cand[tid] += 2.0f * sim[k] / best;
          ++rep.initial_pool;
        }
      }
    }
    // Tracks that sound and are tagged alike (content.h): the only neighbours of a track nobody
    // has played yet, and a second opinion for the others.
    if (auto ci = content()) {
      if (auto c = ci->index.find(id); c != ci->index.end() && ci->space.has_content(c->second)) {
        auto near = ci->space.nearest(c->second, 50);
        if (near.ok())
          for (const auto& n : *near) {
            const auto& tid = ci->ids[static_cast<std::size_t>(n.item)];
            // Only what is actually alike: a track sharing nothing with the seed is no candidate.
            if (n.similarity < 0.2f || seed_tracks.count(tid) || !snap->track(TrackId(tid))) continue;
            cand[tid] += n.similarity;
            ++rep.initial_pool;
          }
      }
    }
    // The track's own artists, less strongly: radio-like continuity even without a model.
    for (const auto& a : t->artist_ids) add_artist_tracks(a.str(), 0.5f, rep.initial_pool);
    out.seeds.push_back(rep);
  }
  for (const auto& id : seeds.artists) {
    if (!snap->artist(ArtistId(id))) return Error::invalid("seed_artists: unknown artist " + id);
    SeedReport rep{id, "ARTIST"};
    add_artist_tracks(id, 1.0f, rep.initial_pool);
    if (m) {
      if (auto i = m->artists.find(id)) {
        auto nb = m->artists.neighbors.neighbors_of(*i);
        auto sim = m->artists.neighbors.similarities_of(*i);
        const float best = sim.empty() ? 1.0f : std::max(sim[0], 1e-6f);
        for (std::size_t k = 0; k < nb.size() && k < 50; ++k)
          add_artist_tracks(m->artists.ids[static_cast<std::size_t>(nb[k])], sim[k] / best, rep.initial_pool);
      }
    }
    out.seeds.push_back(rep);
  }
  const auto content_index = content();
  auto add_genre_track = [&](const catalog::Track& t, SeedReport& rep) {
    cand[t.id.str()] += 0.75f + static_cast<float>(pop(t.id)) / 200.0f;
    ++rep.initial_pool;
  };
  for (const auto& g : seeds.genres) {
    const std::string folded = fold_genre(g);
    SeedReport rep{g, "GENRE"};
    if (content_index && content_index->catalog_version == static_cast<int64_t>(src_.catalog->loaded_version())) {
      // The genre's most popular tracks, from the index.
      if (auto it = content_index->genre_tracks.find(folded); it != content_index->genre_tracks.end())
        for (int32_t item : it->second) {
          const auto& id = content_index->ids[static_cast<std::size_t>(item)];
          const auto* t = snap->track(TrackId(id));
          if (t && !seed_tracks.count(id)) add_genre_track(*t, rep);
        }
      out.seeds.push_back(rep);
      continue;
    }
    for (const auto& t : snap->tracks()) {
      bool match = std::any_of(t.genres.begin(), t.genres.end(), [&](const auto& x) { return fold_genre(x) == folded; });
      if (!match)
        if (const auto* a = snap->album(t.album_id))
          match = std::any_of(a->genres.begin(), a->genres.end(), [&](const auto& x) { return fold_genre(x) == folded; });
      if (match && !seed_tracks.count(t.id.str())) add_genre_track(t, rep);
    }
    out.seeds.push_back(rep);
  }
  // A known user's own taste breaks ties among the candidates.
  if (m && user) {
    if (auto u = m->find_user(user->str())) {
      for (auto& [id, s] : cand)
        if (auto i = m->tracks.find(id)) s += 0.1f * m->tracks.als.users.row(*u).dot(m->tracks.als.items.row(*i));
    }
  }
  // Tunables: min/max filter, target pulls toward the value.
  struct Ranked {
    const catalog::Track* track;
    float score;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(cand.size());
  // The audio features are looked up only when a tunable needs them.
  const bool need_features = std::any_of(tunables.begin(), tunables.end(), [](const Tunable& tu) {
    return tu.name != "popularity" && tu.name != "duration_ms";
  });
  for (const auto& [id, base] : cand) {
    const auto* t = snap->track(TrackId(id));
    if (!t) continue;
    std::optional<audio::AudioAnalysis> f;
    if (need_features && src_.features) f = src_.features(t->id);
    const int p = pop(t->id);
    float score = base;
    bool ok = true;
    for (const auto& tu : tunables) {
      auto v = attribute(tu.name, *t, f, p);
      if (!v) {
        if (tu.min || tu.max) ok = false;  // unknown cannot be shown to be in range
        continue;
      }
      if ((tu.min && *v < *tu.min) || (tu.max && *v > *tu.max)) ok = false;
      if (tu.target) score -= static_cast<float>(std::abs(*v - *tu.target) / scale_of(tu.name));
    }
    if (ok) ranked.push_back({t, score});
  }
  for (auto& rep : out.seeds) rep.after_filtering = static_cast<int>(ranked.size());
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    return a.score != b.score ? a.score > b.score : a.track->id < b.track->id;
  });
  // Few per artist, then fill with the rest in order.
  const std::size_t cap =
      options_.max_per_artist > 0 ? static_cast<std::size_t>(options_.max_per_artist) : std::max<std::size_t>(2, limit / 5);
  std::unordered_map<std::string, std::size_t> per_artist;
  std::vector<const catalog::Track*> later;
  for (const auto& r : ranked) {
    if (out.tracks.size() >= limit) break;
    const std::string a = r.track->artist_ids.empty() ? std::string() : r.track->artist_ids.front().str();
    if (per_artist[a]++ >= cap) {
      later.push_back(r.track);
      continue;
    }
    out.tracks.push_back(r.track->id.str());
  }
  for (const auto* t : later) {
    if (out.tracks.size() >= limit) break;
    out.tracks.push_back(t->id.str());
  }
  return out;
}

Result<std::vector<Scored>> RecommendService::for_playlist(const std::vector<std::string>& tracks,
                                                            const std::optional<UserId>& viewer, std::size_t limit) {
  auto ci = content();
  if (!ci) return Error::unavailable("content vectors not built yet");
  auto m = model();
  auto snap = src_.catalog->snapshot();
  const PlaylistBlend& w = options_.playlist_blend;
  const std::size_t n = ci->ids.size();
  std::vector<float> total(n, 0.0f), part(n, 0.0f);
  std::vector<char> own(n, 0);
  std::vector<int32_t> own_items;
  for (const auto& id : tracks)
    if (auto c = ci->index.find(id); c != ci->index.end() && !own[static_cast<std::size_t>(c->second)]) {
      own[static_cast<std::size_t>(c->second)] = 1;
      own_items.push_back(c->second);
    }
  auto place = [&](const std::string& id, float v) {
    if (auto c = ci->index.find(id); c != ci->index.end()) part[static_cast<std::size_t>(c->second)] += v;
  };
  // Co-membership over the public playlists.
  if (m && !m->playlists.empty() && w.comembership != 0) {
    std::fill(part.begin(), part.end(), 0.0f);
    for (const auto& [i, v] : m->playlists.score(tracks)) place(m->playlists.ids[static_cast<std::size_t>(i)], v);
    blend_add(total, part, w.comembership);
  }
  // Content: the sum of the playlist's content vectors against every track's.
  if (w.content != 0 && ci->space.items() == static_cast<int32_t>(n)) {
    const auto& vec = ci->space.vectors();
    Eigen::VectorXf sum = Eigen::VectorXf::Zero(ci->space.dims());
    for (int32_t c : own_items)
      for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(vec, c); it; ++it) sum[it.col()] += it.value();
    if (sum.squaredNorm() > 0) {
      const Eigen::VectorXf s = vec * sum;
      for (std::size_t c = 0; c < n; ++c) part[c] = s[static_cast<Eigen::Index>(c)];
      blend_add(total, part, w.content);
    }
  }
  if (m && m->tracks.size() > 0) {
    // What users did: the tracks level's neighbour lists from the playlist's tracks.
    if (w.neighbors != 0) {
      std::vector<int32_t> items;
      for (const auto& id : tracks)
        if (auto i = m->tracks.find(id)) items.push_back(*i);
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      if (!items.empty()) {
        std::vector<float> ones(items.size(), 1.0f), s(static_cast<std::size_t>(m->tracks.size()));
        m->tracks.neighbors.score(items, ones, s);
        std::fill(part.begin(), part.end(), 0.0f);
        for (int32_t i = 0; i < m->tracks.size(); ++i)
          if (s[static_cast<std::size_t>(i)] != 0) place(m->tracks.ids[static_cast<std::size_t>(i)], s[static_cast<std::size_t>(i)]);
        blend_add(total, part, w.neighbors);
      }
    }
    // The viewer's own taste (a user the model was trained with).
    const auto u = viewer ? m->find_user(viewer->str()) : std::nullopt;
    if (w.taste != 0 && u && ci->model_version == m->info.version && ci->model_track.size() == n) {
      const Eigen::VectorXf user_vec = m->tracks.als.users.row(*u).transpose();
      for (std::size_t c = 0; c < n; ++c) {
        const int32_t i = ci->model_track[c];
        part[c] = i < 0 ? 0.0f : m->tracks.als.items.row(i).dot(user_vec);
      }
      blend_add(total, part, w.taste);
    }
  }
  // The playlist's artists, and every catalog track by one of them.
  std::vector<const catalog::Track*> tracks_of(n, nullptr);
  for (std::size_t c = 0; c < n; ++c) tracks_of[c] = snap->track(TrackId(ci->ids[c]));
  if (w.artist != 0) {
    std::unordered_map<std::string, float> per_artist;
    for (int32_t c : own_items)
      if (const auto* t = tracks_of[static_cast<std::size_t>(c)]; t && !t->artist_ids.empty())
        per_artist[t->artist_ids.front().str()] += 1.0f;
    if (!per_artist.empty()) {
      std::fill(part.begin(), part.end(), 0.0f);
      for (const auto& [a, count] : per_artist)
        for (const auto* t : snap->artist_tracks(ArtistId(a)))
          if (auto c = ci->index.find(t->id.str()); c != ci->index.end() && !t->artist_ids.empty() &&
                                                    t->artist_ids.front().str() == a)
            part[static_cast<std::size_t>(c->second)] = count;
      blend_add(total, part, w.artist);
    }
  }
  std::vector<int32_t> order;
  order.reserve(n);
  for (int32_t c = 0; c < static_cast<int32_t>(n); ++c)
    if (!own[static_cast<std::size_t>(c)] && std::isfinite(total[static_cast<std::size_t>(c)]) && tracks_of[static_cast<std::size_t>(c)])
      order.push_back(c);
  const std::size_t k = std::min(limit, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), [&](int32_t a, int32_t b) {
    const float sa = total[static_cast<std::size_t>(a)], sb = total[static_cast<std::size_t>(b)];
    return sa != sb ? sa > sb : ci->ids[static_cast<std::size_t>(a)] < ci->ids[static_cast<std::size_t>(b)];
  });
  std::vector<Scored> out;
  out.reserve(k);
  for (std::size_t i = 0; i < k; ++i)
    out.push_back({ci->ids[static_cast<std::size_t>(order[i])], total[static_cast<std::size_t>(order[i])]});
  return out;
}

Result<std::vector<ArtistId>> RecommendService::related_artists(const ArtistId& artist, std::size_t limit) {
  auto snap = src_.catalog->snapshot();
  const auto* a = snap->artist(artist);
  if (!a) return Error::not_found("artist not found");
  std::vector<ArtistId> out;
  std::unordered_set<std::string> have{artist.str()};
  if (auto m = model()) {
    if (auto i = m->artists.find(artist.str())) {
      for (int32_t n : m->artists.neighbors.neighbors_of(*i)) {
        if (out.size() >= limit) break;
        const auto& id = m->artists.ids[static_cast<std::size_t>(n)];
        if (snap->artist(ArtistId(id)) && have.insert(id).second) out.emplace_back(id);
      }
    }
  }
  if (out.size() < limit) {
    // Artists sharing the most genres with this one (cold start: nobody played it yet).
    std::set<std::string> mine;
    for (const auto* t : snap->artist_tracks(artist))
      for (const auto& g : t->genres) mine.insert(fold_genre(g));
    std::vector<std::pair<int, std::string>> shared;
    if (!mine.empty()) {
      std::unordered_map<std::string, std::set<std::string>> genres_of;
      for (const auto& t : snap->tracks())
        for (const auto& aid : t.artist_ids)
          for (const auto& g : t.genres)
            if (mine.count(fold_genre(g))) genres_of[aid.str()].insert(fold_genre(g));
      for (const auto& [id, gs] : genres_of)
        if (!have.count(id)) shared.emplace_back(static_cast<int>(gs.size()), id);
      std::sort(shared.begin(), shared.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first > y.first : x.second < y.second;
      });
    }
    for (const auto& [n, id] : shared) {
      if (out.size() >= limit) break;
      out.emplace_back(id);
    }
  }
  return out;
}

std::vector<std::string> RecommendService::genre_seeds() const {
  // Shown in lower case as tagged; two spellings that fold alike ("Hip-Hop", "hip hop") are one.
  auto snap = src_.catalog->snapshot();
  std::map<std::string, std::string> by_fold;
  auto add = [&](const std::string& x) {
    if (auto f = fold_genre(x); !f.empty()) {
      std::string shown;
      for (char c : x) shown += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      by_fold.emplace(f, shown);
    }
  };
  for (const auto& t : snap->tracks())
    for (const auto& x : t.genres) add(x);
  for (const auto& a : snap->albums())
    for (const auto& x : a.genres) add(x);
  std::set<std::string> out;
  for (const auto& [f, shown] : by_fold) out.insert(shown);
  return {out.begin(), out.end()};
}

void RecommendService::register_metrics(MetricsRegistry& metrics) {
  metrics.gauge_fn("segue_recommend_model_version", "The current model's version (its training time, Unix seconds; 0: none)",
                   [this] {
                     auto m = model();
                     return m ? static_cast<double>(m->info.trained_at_ms) / 1000.0 : 0.0;
                   });
  metrics.gauge_fn("segue_recommend_model_age_seconds", "Seconds since the current model was trained", [this] {
    auto m = model();
    return m ? static_cast<double>(now_ms() - m->info.trained_at_ms) / 1000.0 : 0.0;
  });
  metrics.gauge_fn("segue_recommend_model_training_seconds", "How long the current model took to train", [this] {
    auto m = model();
    return m ? m->info.training_seconds : 0.0;
  });
  metrics.gauge_fn("segue_recommend_model_users", "Users in the current model", [this] {
    auto m = model();
    return m ? static_cast<double>(m->users.size()) : 0.0;
  });
  metrics.gauge_fn("segue_recommend_model_tracks", "Tracks in the current model", [this] {
    auto m = model();
    return m ? static_cast<double>(m->tracks.size()) : 0.0;
  });
  metrics.gauge_fn("segue_recommend_content_tracks", "Tracks in the content index (audio features, genres, year)", [this] {
    auto c = content();
    return c ? static_cast<double>(c->ids.size()) : 0.0;
  });
  metrics.gauge_fn("segue_recommend_trainings", "Trainings finished in this process", {{"result", "ok"}},
                   [this] { return static_cast<double>(trainings_ok_.load()); });
  metrics.gauge_fn("segue_recommend_trainings", "Trainings finished in this process", {{"result", "failed"}},
                   [this] { return static_cast<double>(trainings_failed_.load()); });
}

}  // namespace segue::recommend
