#include "recommend/made_for_you.h"

#include <date/date.h>
#include <date/iso_week.h>
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/log.h"
#include "events/decay.h"
#include "common/strings.h"

namespace segue::recommend {

std::vector<store::Migration> made_for_you_migrations() {
  // made_for_you: the playlist of each (user, kind, index), the tracks of its latest generation
  // and those of the period before (what Discover Weekly makes way for); `active` 0 for a
  // Daily Mix the latest clustering no longer has. made_for_you_runs: the period of each kind's
  // latest generation per user, also when it made no playlist (a user with nothing to go on).
  return {{1, R"(
    CREATE TABLE made_for_you (
      user_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      idx INTEGER NOT NULL,
      playlist_id TEXT NOT NULL,
      period TEXT NOT NULL,
      generated_at INTEGER NOT NULL,
      tracks TEXT NOT NULL DEFAULT '',
      previous_tracks TEXT NOT NULL DEFAULT '',
      active INTEGER NOT NULL DEFAULT 1,
      PRIMARY KEY (user_id, kind, idx)
    );
    CREATE TABLE made_for_you_runs (
      user_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      period TEXT NOT NULL,
      generated_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, kind)
    );
  )"}};
}

std::string_view mix_kind_name(MixKind kind) {
  switch (kind) {
    case MixKind::kDiscoverWeekly: return "discover_weekly";
    case MixKind::kReleaseRadar: return "release_radar";
    case MixKind::kDailyMix: return "daily_mix";
  }
  return "";
}

std::optional<MixKind> parse_mix_kind(std::string_view name) {
  for (auto k : {MixKind::kDiscoverWeekly, MixKind::kReleaseRadar, MixKind::kDailyMix})
    if (mix_kind_name(k) == name) return k;
  return std::nullopt;
}

// ---- periods ----

Result<std::string> period_key(MixKind kind, std::string_view zone, int64_t at_ms) {
  const date::time_zone* tz = nullptr;
  try {
    tz = date::locate_zone(zone);
  } catch (const std::exception&) {
    return Error::invalid("Invalid time_zone: '" + std::string(zone) + "' is not a known time zone");
  }
  using namespace std::chrono;
  const sys_time<milliseconds> at{milliseconds(at_ms)};
  const auto local = tz->to_local(at);
  const date::local_days day = date::floor<date::days>(local);
  switch (kind) {
    case MixKind::kDiscoverWeekly: {
      // The ISO week of the local date: weeks start on Monday 00:00 local.
      const iso_week::year_weeknum_weekday w{date::sys_days(day.time_since_epoch())};
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-W%02u", static_cast<int>(w.year()), static_cast<unsigned>(w.weeknum()));
      return std::string(buf);
    }
    case MixKind::kReleaseRadar: {
      // The latest Friday on or before the local date.
      const date::weekday wd{day};
      const auto back = (wd - date::Friday).count();  // 0..6 days since Friday
      return date::format("%F", day - date::days(back));
    }
    case MixKind::kDailyMix: return date::format("%F", day);
  }
  return Error::invalid("unknown mix kind");
}

// ---- diversification ----

namespace {

Eigen::VectorXf unit_row(const FactorMatrix& f, int32_t row) {
  Eigen::VectorXf v = f.row(row).transpose();
  const float n = v.norm();
  if (n > 0) v /= n;
  return v;
}

}  // namespace

std::vector<std::size_t> diversify(const std::vector<Candidate>& candidates, const FactorMatrix* factors,
                                   std::size_t n, int max_per_artist, float lambda) {
  std::vector<std::size_t> picked;
  if (candidates.empty() || n == 0) return picked;
  float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  for (const auto& c : candidates) {
    if (!std::isfinite(c.score)) continue;
    lo = std::min(lo, c.score);
    hi = std::max(hi, c.score);
  }
  const float span = hi > lo ? hi - lo : 1.0f;
  std::vector<float> relevance(candidates.size());
  std::vector<Eigen::VectorXf> unit(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    relevance[i] = std::isfinite(c.score) ? (c.score - lo) / span : 0.0f;
    if (factors && c.item >= 0 && c.item < factors->rows()) unit[i] = unit_row(*factors, c.item);
  }
  // The highest similarity of each candidate to the picked ones, updated after each pick.
  std::vector<float> max_sim(candidates.size(), 0.0f);
  std::vector<bool> used(candidates.size(), false);
  std::unordered_map<std::string, int> per_artist;
  while (picked.size() < n) {
    std::size_t best = candidates.size();
    float best_value = std::numeric_limits<float>::lowest();
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (used[i]) continue;
      if (max_per_artist > 0 && per_artist[candidates[i].artist] >= max_per_artist) continue;
      const float value = lambda * relevance[i] - (1.0f - lambda) * max_sim[i];
      if (value > best_value) {
        best_value = value;
        best = i;
      }
    }
    if (best == candidates.size()) break;
    used[best] = true;
    picked.push_back(best);
    ++per_artist[candidates[best].artist];
    if (unit[best].size() == 0) continue;
    for (std::size_t i = 0; i < candidates.size(); ++i)
      if (!used[i] && unit[i].size() == unit[best].size())
        max_sim[i] = std::max(max_sim[i], unit[i].dot(unit[best]));
  }
  return picked;
}

// ---- clustering ----

namespace {

FactorMatrix unit_rows(const FactorMatrix& points) {
  FactorMatrix u = points;
  for (Eigen::Index r = 0; r < u.rows(); ++r) {
    const float n = u.row(r).norm();
    if (n > 0) u.row(r) /= n;
  }
  return u;
}

}  // namespace

std::vector<int> kmeans(const FactorMatrix& points, int k, uint64_t seed, int iterations) {
  const Eigen::Index n = points.rows();
  std::vector<int> assignment(static_cast<std::size_t>(n), 0);
  if (n == 0 || k <= 1) return assignment;
  k = static_cast<int>(std::min<Eigen::Index>(k, n));
  const FactorMatrix u = unit_rows(points);
  std::mt19937_64 rng(seed);
  // k-means++: the first centre at random, each next one with probability proportional to the
  // squared distance to the nearest centre so far.
  FactorMatrix centres(k, u.cols());
  centres.row(0) = u.row(static_cast<Eigen::Index>(rng() % static_cast<uint64_t>(n)));
  std::vector<double> d2(static_cast<std::size_t>(n), std::numeric_limits<double>::max());
  for (int c = 1; c < k; ++c) {
    double total = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      d2[i] = std::min(d2[i], static_cast<double>((u.row(i) - centres.row(c - 1)).squaredNorm()));
      total += d2[i];
    }
    Eigen::Index chosen = 0;
    if (total > 0) {
      double r = std::uniform_real_distribution<double>(0, total)(rng);
      for (chosen = 0; chosen < n - 1; ++chosen) {
        r -= d2[chosen];
        if (r <= 0) break;
      }
    }
    centres.row(c) = u.row(chosen);
  }
  for (int it = 0; it < iterations; ++it) {
    bool changed = it == 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      int best = 0;
      float best_d = std::numeric_limits<float>::max();
      for (int c = 0; c < k; ++c) {
        const float d = (u.row(i) - centres.row(c)).squaredNorm();
        if (d < best_d) {
          best_d = d;
          best = c;
        }
      }
      if (assignment[i] != best) {
        assignment[i] = best;
        changed = true;
      }
    }
    if (!changed) break;
    FactorMatrix sums = FactorMatrix::Zero(k, u.cols());
    std::vector<int> counts(static_cast<std::size_t>(k), 0);
    for (Eigen::Index i = 0; i < n; ++i) {
      sums.row(assignment[i]) += u.row(i);
      ++counts[assignment[i]];
    }
    for (int c = 0; c < k; ++c)
      if (counts[c] > 0) centres.row(c) = sums.row(c) / static_cast<float>(counts[c]);
  }
  return assignment;
}

double silhouette(const FactorMatrix& points, const std::vector<int>& assignment, int k) {
  const Eigen::Index n = points.rows();
  if (k < 2 || n < 2) return 0;
  const FactorMatrix u = unit_rows(points);
  const FactorMatrix sim = u * u.transpose();
  double total = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    std::vector<double> sum(static_cast<std::size_t>(k), 0);
    std::vector<int> count(static_cast<std::size_t>(k), 0);
    for (Eigen::Index j = 0; j < n; ++j) {
      if (j == i) continue;
      sum[assignment[j]] += 1.0 - sim(i, j);
      ++count[assignment[j]];
    }
    const int own = assignment[i];
    if (count[own] == 0) continue;  // a singleton scores 0
    const double a = sum[own] / count[own];
    double b = std::numeric_limits<double>::max();
    for (int c = 0; c < k; ++c)
      if (c != own && count[c] > 0) b = std::min(b, sum[c] / count[c]);
    if (b == std::numeric_limits<double>::max()) continue;
    const double m = std::max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / static_cast<double>(n);
}

std::vector<int> taste_clusters(const FactorMatrix& points, int max_k, std::size_t min_size, uint64_t seed,
                                double min_silhouette, double min_explained) {
  const auto n = static_cast<std::size_t>(points.rows());
  std::vector<int> best(n, 0);
  int best_k = 1;
  double best_score = min_silhouette;
  const int limit = std::min<int>(max_k, static_cast<int>(min_size > 0 ? n / min_size : n));
  // Silhouette cannot say "one cluster" (a split of mere noise can score well): a split must
  // also explain `min_explained` of the spread (1 - within-cluster / total sum of squares).
  const FactorMatrix u = unit_rows(points);
  const Eigen::RowVectorXf mean = n > 0 ? Eigen::RowVectorXf(u.colwise().mean()) : Eigen::RowVectorXf();
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += (u.row(static_cast<Eigen::Index>(i)) - mean).squaredNorm();
  for (int k = 2; k <= limit; ++k) {
    auto a = kmeans(points, k, seed + static_cast<uint64_t>(k));
    FactorMatrix centres = FactorMatrix::Zero(k, u.cols());
    std::vector<int> counts(static_cast<std::size_t>(k), 0);
    for (std::size_t i = 0; i < n; ++i) {
      centres.row(a[i]) += u.row(static_cast<Eigen::Index>(i));
      ++counts[a[i]];
    }
    for (int c = 0; c < k; ++c)
      if (counts[c] > 0) centres.row(c) /= static_cast<float>(counts[c]);
    double within = 0;
    for (std::size_t i = 0; i < n; ++i) within += (u.row(static_cast<Eigen::Index>(i)) - centres.row(a[i])).squaredNorm();
    if (total <= 0 || 1.0 - within / total < min_explained) continue;
    const double s = silhouette(points, a, k);
    if (s > best_score + 1e-6) {
      best_score = s;
      best = std::move(a);
      best_k = k;
    }
  }
  // Renumber by size, largest first (ties: the cluster of the earlier row); small ones -1.
  std::vector<std::size_t> size(static_cast<std::size_t>(best_k), 0);
  std::vector<std::size_t> first(static_cast<std::size_t>(best_k), n);
  for (std::size_t i = 0; i < n; ++i) {
    ++size[best[i]];
    first[best[i]] = std::min(first[best[i]], i);
  }
  std::vector<int> order(static_cast<std::size_t>(best_k));
  for (int c = 0; c < best_k; ++c) order[c] = c;
  std::sort(order.begin(), order.end(), [&](int x, int y) { return size[x] != size[y] ? size[x] > size[y] : first[x] < first[y]; });
  std::vector<int> rename(static_cast<std::size_t>(best_k), -1);
  int next = 0;
  for (int c : order)
    if (size[c] >= std::max<std::size_t>(min_size, 1)) rename[c] = next++;
  for (auto& a : best) a = rename[a];
  return best;
}

// ---- the service ----

namespace {

constexpr int64_t kDayMs = 86'400'000;

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Days since the epoch of a "YYYY-MM-DD" release date, if it is one.
std::optional<int64_t> release_day_ms(const std::string& date, const std::string& precision) {
  if (precision != "day" || date.size() != 10) return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(date.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3) return std::nullopt;
  const date::year_month_day ymd{date::year(y), date::month(m), date::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(date::sys_days(ymd).time_since_epoch()).count();
}

std::string track_uri(const std::string& id) { return "spotify:track:" + id; }

}  // namespace

struct MadeForYou::Row {
  std::string playlist_id, period, tracks, previous;
};

MadeForYou::MadeForYou(Sources sources, MadeForYouOptions options) : src_(std::move(sources)), options_(std::move(options)) {}

int64_t MadeForYou::now_ms() const { return options_.now_ms ? options_.now_ms() : events::wall_clock_ms(); }

Result<std::vector<MadeForYouPlaylist>> MadeForYou::playlists_of(const UserId& user) {
  std::vector<MadeForYouPlaylist> out;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    return c.query(
        "SELECT kind, idx, playlist_id, generated_at, period FROM made_for_you "
        "WHERE user_id = ? AND active = 1 AND playlist_id <> '' ORDER BY idx",
        {user.str()}, [&](const store::Row& r) {
          auto kind = parse_mix_kind(r.text(0));
          if (!kind) return;
          MadeForYouPlaylist p;
          p.kind = *kind;
          p.index = static_cast<int>(r.i64(1));
          p.playlist = PlaylistId(r.text(2));
          p.generated_at_ms = r.i64(3);
          p.period = r.text(4);
          out.push_back(std::move(p));
        });
  }));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.kind != b.kind ? static_cast<int>(a.kind) < static_cast<int>(b.kind) : a.index < b.index;
  });
  return out;
}

Result<std::vector<std::string>> MadeForYou::discover_weekly(const UserId& user, const std::vector<std::string>& last_week) {
  const std::size_t want = options_.discover_size;
  SEGUE_ASSIGN_OR_RETURN(auto ranked, src_.recommend->for_user(user, Level::kTracks, want * 20));
  auto model = src_.recommend->model();
  auto snap = src_.catalog->snapshot();
  const std::unordered_set<std::string> previous(last_week.begin(), last_week.end());
  std::vector<Candidate> fresh, repeat;
  for (const auto& s : ranked) {
    const auto* t = snap->track(TrackId(s.id));
    if (!t) continue;
    Candidate c{s.id, t->artist_ids.empty() ? std::string() : t->artist_ids.front().str(), s.score, -1};
    if (model) c.item = model->tracks.find(s.id).value_or(-1);
    (previous.count(s.id) ? repeat : fresh).push_back(std::move(c));
  }
  const FactorMatrix* factors = model ? &model->tracks.als.items : nullptr;
  std::vector<std::string> out;
  std::unordered_map<std::string, int> per_artist;
  for (auto i : diversify(fresh, factors, want, options_.discover_per_artist)) {
    out.push_back(fresh[i].id);
    ++per_artist[fresh[i].artist];
  }
  // Last week's tracks only when there are not enough others, still under the artist cap.
  for (auto& c : repeat) {
    if (out.size() >= want) break;
    if (per_artist[c.artist] >= options_.discover_per_artist) continue;
    ++per_artist[c.artist];
    out.push_back(c.id);
  }
  return out;
}

Result<std::vector<std::string>> MadeForYou::release_radar(const UserId& user, int64_t now) {
  auto snap = src_.catalog->snapshot();
  std::unordered_set<std::string> artists;
  SEGUE_ASSIGN_OR_RETURN(auto top, src_.events->top_artists(user, events::TimeRange::kLongTerm, 50, 0));
  for (const auto& a : top.items) artists.insert(a.id);
  SEGUE_ASSIGN_OR_RETURN(auto saved_tracks, src_.library->list(user, user::ItemKind::kTrack, 200, 0));
  for (const auto& s : saved_tracks.items)
    if (const auto* t = snap->track(TrackId(s.id)))
      for (const auto& a : t->artist_ids) artists.insert(a.str());
  SEGUE_ASSIGN_OR_RETURN(auto saved_albums, src_.library->list(user, user::ItemKind::kAlbum, 200, 0));
  for (const auto& s : saved_albums.items)
    if (const auto* al = snap->album(AlbumId(s.id)))
      for (const auto& a : al->artist_ids) artists.insert(a.str());
  // New albums of those artists: released (a day-precise date) or added in the window.
  const int64_t from = now - options_.radar_days * kDayMs;
  struct New {
    const catalog::Album* album;
    int64_t at;
  };
  std::vector<New> albums;
  for (const auto& al : snap->albums()) {
    bool theirs = false;
    for (const auto& a : al.artist_ids) theirs = theirs || artists.count(a.str()) > 0;
    if (!theirs) continue;
    int64_t at = -1;
    if (auto r = release_day_ms(al.release_date, al.release_date_precision); r && *r >= from - kDayMs && *r <= now) at = *r;
    if (al.added_at_ms >= from && al.added_at_ms <= now) at = std::max(at, al.added_at_ms);
    if (at >= 0) albums.push_back({&al, at});
  }
  std::sort(albums.begin(), albums.end(), [](const New& a, const New& b) {
    return a.at != b.at ? a.at > b.at : a.album->id.str() < b.album->id.str();
  });
  std::vector<std::string> out;
  for (const auto& n : albums) {
    int taken = 0;
    for (const auto* t : snap->album_tracks(n.album->id)) {
      if (out.size() >= options_.radar_size || taken >= options_.radar_per_album) break;
      out.push_back(t->id.str());
      ++taken;
    }
    if (out.size() >= options_.radar_size) break;
  }
  return out;
}

Result<std::vector<MadeForYou::Mix>> MadeForYou::daily_mixes(const UserId& user, uint64_t seed) {
  std::vector<Mix> mixes;
  auto model = src_.recommend->model();
  if (!model) return mixes;
  SEGUE_ASSIGN_OR_RETURN(auto top, src_.events->top_tracks(user, events::TimeRange::kLongTerm, 300, 0));
  std::vector<int32_t> items;
  std::vector<std::string> ids;
  for (const auto& t : top.items)
    if (auto i = model->tracks.find(t.id)) {
      items.push_back(*i);
      ids.push_back(t.id);
    }
  if (items.size() < options_.min_cluster_tracks) return mixes;
  const auto& f = model->tracks.als.items;
  FactorMatrix points(static_cast<Eigen::Index>(items.size()), f.cols());
  for (std::size_t i = 0; i < items.size(); ++i) points.row(static_cast<Eigen::Index>(i)) = f.row(items[i]);
  const auto cluster = taste_clusters(points, options_.max_mixes, options_.min_cluster_tracks, seed);
  int k = 0;
  for (int c : cluster) k = std::max(k, c + 1);
  if (k == 0) return mixes;
  // Centroids on the unit sphere; the user's unplayed tracks go to the nearest one.
  FactorMatrix centres = FactorMatrix::Zero(k, f.cols());
  for (std::size_t i = 0; i < items.size(); ++i)
    if (cluster[i] >= 0) centres.row(cluster[i]) += unit_row(f, items[i]).transpose();
  for (int c = 0; c < k; ++c)
    if (centres.row(c).norm() > 0) centres.row(c).normalize();
  SEGUE_ASSIGN_OR_RETURN(auto ranked, src_.recommend->for_user(user, Level::kTracks, options_.mix_size * k * 10));
  std::vector<std::vector<std::string>> fresh(static_cast<std::size_t>(k));
  for (const auto& s : ranked) {
    auto i = model->tracks.find(s.id);
    if (!i) continue;
    const Eigen::VectorXf v = unit_row(f, *i);
    int best = -1;
    float best_sim = 0;  // only tracks leaning toward a cluster
    for (int c = 0; c < k; ++c) {
      const float sim = centres.row(c).dot(v);
      if (sim > best_sim) {
        best_sim = sim;
        best = c;
      }
    }
    if (best >= 0) fresh[best].push_back(s.id);
  }
  auto snap = src_.catalog->snapshot();
  for (int c = 0; c < k; ++c) {
    std::vector<std::string> familiar;
    for (std::size_t i = 0; i < items.size(); ++i)
      if (cluster[i] == c) familiar.push_back(ids[i]);
    const std::size_t half = options_.mix_size / 2;
    // Half familiar, more when there are too few new ones to fill the mix.
    const std::size_t room = fresh[c].size() >= options_.mix_size ? 0 : options_.mix_size - fresh[c].size();
    familiar.resize(std::min(familiar.size(), std::max(half, room)));
    Mix mix;
    std::size_t a = 0, b = 0;
    while (mix.tracks.size() < options_.mix_size && (a < familiar.size() || b < fresh[c].size())) {
      if (a < familiar.size()) mix.tracks.push_back(familiar[a++]);
      if (mix.tracks.size() < options_.mix_size && b < fresh[c].size()) mix.tracks.push_back(fresh[c][b++]);
    }
    // "A, B and C": the cluster's most played artists.
    std::vector<std::string> names;
    for (const auto& id : familiar) {
      const auto* t = snap->track(TrackId(id));
      if (!t || t->artist_ids.empty()) continue;
      const auto* ar = snap->artist(t->artist_ids.front());
      if (ar && std::find(names.begin(), names.end(), ar->name) == names.end()) names.push_back(ar->name);
      if (names.size() == 3) break;
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      mix.description += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
    if (!mix.description.empty()) mix.description += " and more";
    mixes.push_back(std::move(mix));
  }
  return mixes;
}

Status MadeForYou::publish(const UserId& user, MixKind kind, int index, const std::string& name,
                           const std::string& description, const std::vector<std::string>& tracks,
                           const std::string& period, GenerationReport& report) {
  const std::string kind_name(mix_kind_name(kind));
  std::optional<Row> row;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    return c.query("SELECT playlist_id, period, tracks, previous_tracks FROM made_for_you WHERE user_id = ? AND kind = ? AND idx = ?",
                   {user.str(), kind_name, int64_t{index}},
                   [&](const store::Row& r) { row = Row{r.text(0), r.text(1), r.text(2), r.text(3)}; });
  }));
  std::vector<std::string> uris;
  for (const auto& t : tracks) uris.push_back(track_uri(t));
  std::string playlist = row ? row->playlist_id : std::string();
  bool exists = false;
  if (!playlist.empty()) {
    auto items = src_.playlists->items(PlaylistId(playlist), user);
    if (items.ok()) {
      exists = true;
      std::vector<std::string> current;
      for (const auto& it : *items) current.push_back(it.uri);
      if (current == uris) {
        ++report.unchanged;
      } else {
        SEGUE_TRY(src_.playlists->replace(PlaylistId(playlist), user, uris));
        ++report.replaced;
      }
      if (auto info = src_.playlists->get(PlaylistId(playlist), user); info.ok() && info->description != description)
        SEGUE_TRY(src_.playlists->update_details(PlaylistId(playlist), user, std::nullopt, description, std::nullopt, std::nullopt));
    } else if (items.error().code != ErrorCode::kNotFound) {
      return items.error();
    }
  }
  if (!exists) {
    playlist.clear();
    if (!tracks.empty()) {
      SEGUE_ASSIGN_OR_RETURN(auto info, src_.playlists->create(user, name, description, /*is_public=*/false, false));
      playlist = info.id.str();
      SEGUE_TRY(src_.playlists->replace(info.id, user, uris));
      ++report.created;
    }
  }
  // The tracks of the period before: kept when regenerating within the same period.
  std::string previous = row ? (row->period == period ? row->previous : row->tracks) : std::string();
  const int64_t now = now_ms();
  return src_.db->write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec(
        "INSERT INTO made_for_you (user_id, kind, idx, playlist_id, period, generated_at, tracks, previous_tracks, active) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (user_id, kind, idx) DO UPDATE SET "
        "playlist_id = excluded.playlist_id, period = excluded.period, generated_at = excluded.generated_at, "
        "tracks = excluded.tracks, previous_tracks = excluded.previous_tracks, active = 1",
        {user.str(), kind_name, int64_t{index}, playlist, period, now, join_ids(tracks), previous}));
    return {};
  });
}

Result<GenerationReport> MadeForYou::generate(const UserId& user, bool force) {
  std::lock_guard lock(user_mu_);
  GenerationReport report;
  SEGUE_ASSIGN_OR_RETURN(auto prefs, src_.preferences->get(user));
  const int64_t now = now_ms();
  std::map<MixKind, std::string> due;
  std::map<std::string, std::string> done;  // kind -> period of the latest run
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    return c.query("SELECT kind, period FROM made_for_you_runs WHERE user_id = ?", {user.str()},
                   [&](const store::Row& r) { done[r.text(0)] = r.text(1); });
  }));
  for (auto kind : {MixKind::kDiscoverWeekly, MixKind::kReleaseRadar, MixKind::kDailyMix}) {
    SEGUE_ASSIGN_OR_RETURN(auto key, period_key(kind, prefs.time_zone, now));
    auto it = done.find(std::string(mix_kind_name(kind)));
    if (force || it == done.end() || it->second != key) due[kind] = key;
  }
  if (due.empty()) return report;
  // Someone to make mixes for: the model knows them, or they played something.
  auto model = src_.recommend->model();
  SEGUE_ASSIGN_OR_RETURN(auto top, src_.events->top_tracks(user, events::TimeRange::kLongTerm, 1, 0));
  const bool known = !top.items.empty() || (model && model->find_user(user.str()));
  for (const auto& [kind, period] : due) {
    if (known) {
      switch (kind) {
        case MixKind::kDiscoverWeekly: {
          std::vector<std::string> last_week;
          SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
            return c.query("SELECT period, tracks, previous_tracks FROM made_for_you WHERE user_id = ? AND kind = ? AND idx = 0",
                           {user.str(), std::string(mix_kind_name(kind))}, [&](const store::Row& r) {
                             last_week = split_ids(r.text(0) == period ? r.text(2) : r.text(1));
                           });
          }));
          SEGUE_ASSIGN_OR_RETURN(auto tracks, discover_weekly(user, last_week));
          SEGUE_TRY(publish(user, kind, 0, "Discover Weekly",
                            "Your weekly mixtape of fresh music: 30 tracks picked for you. Updated every Monday.",
                            tracks, period, report));
          break;
        }
        case MixKind::kReleaseRadar: {
          SEGUE_ASSIGN_OR_RETURN(auto tracks, release_radar(user, now));
          SEGUE_TRY(publish(user, kind, 0, "Release Radar",
                            "New music from artists you listen to and saved. Updated every Friday.", tracks, period, report));
          break;
        }
        case MixKind::kDailyMix: {
          SEGUE_ASSIGN_OR_RETURN(auto mixes, daily_mixes(user, 42));
          for (std::size_t i = 0; i < mixes.size(); ++i)
            SEGUE_TRY(publish(user, kind, static_cast<int>(i), "Daily Mix " + std::to_string(i + 1), mixes[i].description,
                              mixes[i].tracks, period, report));
          // Mixes the clustering no longer has leave the list (their playlists stay the user's).
          SEGUE_TRY(src_.db->write([&](store::Connection& c) -> Status {
            SEGUE_TRY(c.exec("UPDATE made_for_you SET active = 0 WHERE user_id = ? AND kind = ? AND idx >= ?",
                             {user.str(), std::string(mix_kind_name(kind)), static_cast<int64_t>(mixes.size())}));
            return {};
          }));
          break;
        }
      }
    }
    SEGUE_TRY(src_.db->write([&](store::Connection& c) -> Status {
      SEGUE_TRY(c.exec("INSERT INTO made_for_you_runs (user_id, kind, period, generated_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (user_id, kind) DO UPDATE SET period = excluded.period, generated_at = excluded.generated_at",
                       {user.str(), std::string(mix_kind_name(kind)), period, now}));
      return {};
    }));
  }
  return report;
}

Result<int> MadeForYou::run_due() {
  if (!src_.users) return 0;
  SEGUE_ASSIGN_OR_RETURN(auto users, src_.users());
  std::map<std::string, std::map<std::string, std::string>> runs;  // user -> kind -> period
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    return c.query("SELECT user_id, kind, period FROM made_for_you_runs", {},
                   [&](const store::Row& r) { runs[r.text(0)][r.text(1)] = r.text(2); });
  }));
  const int64_t now = now_ms();
  int generated = 0;
  for (const auto& user : users) {
    auto prefs = src_.preferences->get(user);
    if (!prefs.ok()) return prefs.error();
    bool due = false;
    const auto& mine = runs[user.str()];
    for (auto kind : {MixKind::kDiscoverWeekly, MixKind::kReleaseRadar, MixKind::kDailyMix}) {
      auto key = period_key(kind, prefs->time_zone, now);
      if (!key.ok()) continue;  // a zone the system no longer knows: nothing to schedule by
      auto it = mine.find(std::string(mix_kind_name(kind)));
      due = due || it == mine.end() || it->second != *key;
    }
    if (!due) continue;
    auto r = generate(user, false);
    if (!r.ok()) {
      log::warn("made for you: generation failed", {{"user", user.str()}, {"error", r.error().message}});
      continue;
    }
    ++generated;
  }
  return generated;
}

}  // namespace segue::recommend
