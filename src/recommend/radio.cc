#include "recommend/radio.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "catalog/catalog.h"
#include "playlist/service.h"
#include "recommend/service.h"

namespace segue::recommend {

namespace {

constexpr std::string_view kRadioPrefix = "segue:radio:";

const char* kind_name(SeedKind k) {
  switch (k) {
    case SeedKind::kTrack: return "track";
    case SeedKind::kArtist: return "artist";
    case SeedKind::kAlbum: return "album";
    case SeedKind::kPlaylist: return "playlist";
  }
  return "track";
}

template <typename T>
std::vector<T> newest(const std::vector<T>& v, std::size_t n) {
  if (v.size() <= n) return v;
  return std::vector<T>(v.end() - static_cast<std::ptrdiff_t>(n), v.end());
}

// Up to `k` items spread evenly over `v` (the first, then every n/k-th).
std::vector<std::string> spread(const std::vector<std::string>& v, std::size_t k) {
  if (v.size() <= k) return v;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < k; ++i) out.push_back(v[i * v.size() / k]);
  return out;
}

}  // namespace

std::string RadioSeed::uri() const { return std::string("segue:") + kind_name(kind) + ":" + id; }

Result<RadioSeed> parse_radio_seed(std::string_view uri) {
  if (uri.substr(0, kRadioPrefix.size()) == kRadioPrefix) uri.remove_prefix(kRadioPrefix.size());
  for (SeedKind k : {SeedKind::kTrack, SeedKind::kArtist, SeedKind::kAlbum, SeedKind::kPlaylist}) {
    if (auto id = parse_uri(uri, kind_name(k))) return RadioSeed{k, *id};
  }
  return Error::invalid("Invalid seed: expected a segue: or spotify: URI of a track, artist, album or playlist, got '" +
                        std::string(uri.substr(0, 80)) + "'");
}

RadioFeedback radio_feedback(
    const RadioHistory& history, const std::function<std::vector<std::string>(const std::string&)>& artists_of,
    const std::function<std::vector<std::pair<std::string, float>>(const std::string&)>& neighbors_of,
    const FeedbackWeights& w) {
  RadioFeedback out;
  std::unordered_map<std::string, std::pair<int, int>> counts;  // artist -> (played, skipped)
  for (const auto& t : newest(history.played, RadioHistory::kMaxHistory))
    for (const auto& a : artists_of(t)) ++counts[a].first;
  for (const auto& t : newest(history.skipped, RadioHistory::kMaxHistory))
    for (const auto& a : artists_of(t)) ++counts[a].second;
  // Ordered, so float sums do not depend on the hash map's order.
  std::vector<std::tuple<std::string, int, int>> ordered;
  for (const auto& [a, c] : counts) ordered.emplace_back(a, c.first, c.second);
  std::sort(ordered.begin(), ordered.end());
  for (const auto& [a, played, skipped] : ordered) {
    const float net = w.play * static_cast<float>(played) - w.skip * static_cast<float>(skipped);
    out.adjust[a] += net;
    if (skipped > played) out.dropped.insert(a);
    if (net == 0) continue;
    for (const auto& [nb, sim] : neighbors_of(a))
      if (nb != a) out.adjust[nb] += w.neighbor * net * sim;
  }
  for (auto& [a, v] : out.adjust) v = std::clamp(v, -w.cap, w.cap);
  return out;
}

std::vector<std::string> pick_radio(std::vector<RadioCandidate> candidates, const RadioFeedback& feedback,
                                    const std::unordered_set<std::string>& history, std::size_t limit,
                                    std::size_t max_per_artist) {
  auto adjusted = [&](const RadioCandidate& c) {
    auto it = feedback.adjust.find(c.artist);
    return c.score + (it == feedback.adjust.end() ? 0.0f : it->second);
  };
  // The best entry of each track (a track may come from several tiers).
  std::unordered_map<std::string, std::size_t> best;
  std::vector<RadioCandidate> kept;
  for (auto& c : candidates) {
    if (c.track.empty() || history.count(c.track)) continue;
    auto [it, fresh] = best.emplace(c.track, kept.size());
    if (fresh) {
      kept.push_back(std::move(c));
      continue;
    }
    auto& old = kept[it->second];
    if (std::make_tuple(-c.tier, c.score) > std::make_tuple(-old.tier, old.score)) old = std::move(c);
  }
  struct Key {
    bool dropped;
    int tier;
    float score;
  };
  std::vector<std::pair<Key, const RadioCandidate*>> order;
  order.reserve(kept.size());
  for (const auto& c : kept) order.push_back({Key{feedback.dropped.count(c.artist) > 0, c.tier, adjusted(c)}, &c});
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    if (x.first.dropped != y.first.dropped) return !x.first.dropped;
    if (x.first.tier != y.first.tier) return x.first.tier < y.first.tier;
    if (x.first.score != y.first.score) return x.first.score > y.first.score;
    return x.second->track < y.second->track;
  });
  std::vector<std::string> out;
  std::unordered_map<std::string, std::size_t> per_artist;
  // Group by (dropped, tier): within a group, tracks under the cap first, then the rest.
  std::size_t i = 0;
  while (i < order.size() && out.size() < limit) {
    std::size_t j = i;
    while (j < order.size() && order[j].first.dropped == order[i].first.dropped && order[j].first.tier == order[i].first.tier) ++j;
    std::vector<const RadioCandidate*> over;
    for (std::size_t k = i; k < j && out.size() < limit; ++k) {
      const auto* c = order[k].second;
      if (!c->artist.empty() && per_artist[c->artist] >= max_per_artist) {
        over.push_back(c);
        continue;
      }
      ++per_artist[c->artist];
      out.push_back(c->track);
    }
    for (const auto* c : over) {
      if (out.size() >= limit) break;
      ++per_artist[c->artist];
      out.push_back(c->track);
    }
    i = j;
  }
  return out;
}

Result<Radio::Seeded> Radio::seeds_of(const RadioSeed& seed, const UserId& user, std::size_t sample) {
  auto snap = catalog_.snapshot();
  Seeded s;
  switch (seed.kind) {
    case SeedKind::kTrack:
      if (!snap->track(TrackId(seed.id))) return Error::not_found("Unknown track " + seed.id);
      s.tracks.push_back(seed.id);
      break;
    case SeedKind::kArtist:
      if (!snap->artist(ArtistId(seed.id))) return Error::not_found("Unknown artist " + seed.id);
      s.artists.push_back(seed.id);
      break;
    case SeedKind::kAlbum: {
      const auto* album = snap->album(AlbumId(seed.id));
      if (!album) return Error::not_found("Unknown album " + seed.id);
      std::vector<std::string> tracks;
      for (const auto* t : snap->album_tracks(album->id)) tracks.push_back(t->id.str());
      for (const auto& a : album->artist_ids)
        if (s.artists.size() < 2) s.artists.push_back(a.str());
      s.tracks = spread(tracks, sample > s.artists.size() ? sample - s.artists.size() : 1);
      s.own.insert(tracks.begin(), tracks.end());
      break;
    }
    case SeedKind::kPlaylist: {
      if (!playlists_) return Error::not_found("Unknown playlist " + seed.id);
      SEGUE_ASSIGN_OR_RETURN(auto items, playlists_->items(PlaylistId(seed.id), user));
      std::vector<std::string> tracks;
      for (const auto& item : items) {
        auto id = parse_uri(item.uri, "track");
        if (id && snap->track(TrackId(*id)) && s.own.insert(*id).second) tracks.push_back(*id);
      }
      s.own_order = tracks;
      if (tracks.empty()) return Error::invalid("Invalid seed: the playlist has no tracks of this catalog");
      s.tracks = spread(tracks, sample);
      break;
    }
  }
  return s;
}

Result<RadioBatch> Radio::next(const RadioSeed& seed, const RadioHistory& history_in, std::size_t limit,
                               const UserId& user) {
  limit = std::clamp<std::size_t>(limit, 1, 100);
  RadioHistory history{newest(history_in.played, RadioHistory::kMaxHistory),
                       newest(history_in.skipped, RadioHistory::kMaxHistory),
                       newest(history_in.queued, RadioHistory::kMaxHistory)};
  SEGUE_ASSIGN_OR_RETURN(Seeded seeded, seeds_of(seed, user, 5));
  auto snap = catalog_.snapshot();
  auto model = recommend_.model();
  std::unordered_set<std::string> seen(history.played.begin(), history.played.end());
  seen.insert(history.skipped.begin(), history.skipped.end());
  seen.insert(history.queued.begin(), history.queued.end());

  auto first_artist = [&](const std::string& track) -> std::string {
    const auto* t = snap->track(TrackId(track));
    return t && !t->artist_ids.empty() ? t->artist_ids.front().str() : std::string();
  };
  std::vector<RadioCandidate> cands;
  auto add_ranked = [&](const std::vector<std::string>& ids, int tier, float scale) {
    const float n = static_cast<float>(std::max<std::size_t>(ids.size(), 1));
    for (std::size_t i = 0; i < ids.size(); ++i)
      cands.push_back({ids[i], first_artist(ids[i]), scale * (1.0f - static_cast<float>(i) / n), tier});
  };
  const std::size_t pool = std::min<std::size_t>(500, limit * 10 + seen.size());
  // Tier 0: like the seeds (the user's taste breaks ties), and a track seed itself first.
  Seeds seeds;
  seeds.tracks = seeded.tracks;
  seeds.artists = seeded.artists;
  SEGUE_ASSIGN_OR_RETURN(Recommendations like, recommend_.from_seeds(seeds, {}, pool, user));
  add_ranked(like.tracks, 0, 1.0f);
  if (seed.kind == SeedKind::kTrack) cands.push_back({seed.id, first_artist(seed.id), 10.0f, 0});
  // An album's or playlist's own tracks belong on its radio, among the rest.
  for (const auto& t : seeded.own) cands.push_back({t, first_artist(t), 0.5f, 0});
  // Tier 1: like the tracks the station played through lately.
  std::vector<std::string> liked;
  for (auto it = history.played.rbegin(); it != history.played.rend() && liked.size() < 3; ++it)
    if (snap->track(TrackId(*it)) && std::find(liked.begin(), liked.end(), *it) == liked.end()) liked.push_back(*it);
  if (!liked.empty()) {
    Seeds more;
    more.tracks = liked;
    auto r = recommend_.from_seeds(more, {}, pool, user);
    if (r.ok()) add_ranked(r->tracks, 1, 1.0f);
  }
  // Tier 2: the user's own ranking, then the catalog, so the station does not run dry.
  auto mine = recommend_.for_user(user, Level::kTracks, pool);
  if (mine.ok()) {
    std::vector<std::string> ids;
    for (const auto& x : *mine) ids.push_back(x.id);
    add_ranked(ids, 2, 1.0f);
  }
  std::size_t fresh = 0;
  {
    std::unordered_set<std::string> distinct;
    for (const auto& c : cands)
      if (!seen.count(c.track) && distinct.insert(c.track).second) ++fresh;
  }
  if (fresh < limit * 3) {
    std::size_t added = 0;
    for (const auto& t : snap->tracks()) {
      if (added >= limit * 10) break;
      if (seen.count(t.id.str())) continue;
      cands.push_back({t.id.str(), t.artist_ids.empty() ? std::string() : t.artist_ids.front().str(), 0.0f, 3});
      ++added;
    }
  }

  auto artists_of = [&](const std::string& track) {
    std::vector<std::string> out;
    if (const auto* t = snap->track(TrackId(track)))
      for (const auto& a : t->artist_ids) out.push_back(a.str());
    return out;
  };
  auto neighbors_of = [&](const std::string& artist) {
    std::vector<std::pair<std::string, float>> out;
    if (!model) return out;
    auto i = model->artists.find(artist);
    if (!i) return out;
    auto nb = model->artists.neighbors.neighbors_of(*i);
    auto sim = model->artists.neighbors.similarities_of(*i);
    const float top = sim.empty() ? 1.0f : std::max(sim[0], 1e-6f);
    for (std::size_t k = 0; k < nb.size() && k < 20; ++k)
      out.emplace_back(model->artists.ids[static_cast<std::size_t>(nb[k])], std::clamp(sim[k] / top, 0.0f, 1.0f));
    return out;
  };
  RadioFeedback fb = radio_feedback(history, artists_of, neighbors_of);
  RadioBatch out;
  out.context_uri = seed.context_uri();
  out.seed_tracks = seeded.tracks;
  out.seed_artists = seeded.artists;
  out.tracks = pick_radio(std::move(cands), fb, seen, limit, std::max<std::size_t>(2, limit / 4));
  return out;
}

Result<std::vector<std::string>> Radio::for_playlist(const PlaylistId& playlist, const UserId& viewer,
                                                      std::size_t limit) {
  auto got = seeds_of(RadioSeed{SeedKind::kPlaylist, playlist.str()}, viewer, 5);
  if (!got.ok()) {
    // Nothing to go on (an empty playlist) is an empty list, not an error.
    if (got.error().code == ErrorCode::kInvalidArgument) return std::vector<std::string>{};
    return got.error();
  }
  Seeded seeded = std::move(got).value();
  auto snap = catalog_.snapshot();
  auto first_artist = [&](const catalog::Track& t) {
    return t.artist_ids.empty() ? std::string() : t.artist_ids.front().str();
  };
  const std::size_t cap = std::max<std::size_t>(2, limit / 5);
  // Every catalog track scored from all of the playlist's tracks; more than `limit` so the
  // per-artist cap has others to take.
  auto blended = recommend_.for_playlist(seeded.own_order, viewer, std::min<std::size_t>(1000, limit * 5));
  if (blended.ok()) {
    std::vector<RadioCandidate> cands;
    cands.reserve(blended->size());
    // Tracks above the catalog's average (the blend's z-scores sum to 0 on average) are a tier
    // above the rest: one over its artist's cap still comes before a track unlike the playlist.
    for (const auto& s : *blended)
      if (const auto* t = snap->track(TrackId(s.id))) cands.push_back({s.id, first_artist(*t), s.score, s.score > 0 ? 0 : 1});
    return pick_radio(std::move(cands), RadioFeedback{}, seeded.own, limit, cap);
  }
  if (blended.error().code != ErrorCode::kUnavailable) return blended.error();
  // No content vectors yet (a server just started): tracks like a sample of the playlist's.
  Seeds seeds;
  seeds.tracks = seeded.tracks;
  const std::size_t pool = std::min<std::size_t>(1000, limit * 5 + seeded.own.size());
  SEGUE_ASSIGN_OR_RETURN(Recommendations like, recommend_.from_seeds(seeds, {}, pool, viewer));
  std::vector<RadioCandidate> cands;
  const float n = static_cast<float>(std::max<std::size_t>(like.tracks.size(), 1));
  for (std::size_t i = 0; i < like.tracks.size(); ++i) {
    const auto* t = snap->track(TrackId(like.tracks[i]));
    if (!t) continue;
    cands.push_back({t->id.str(), first_artist(*t), 1.0f - static_cast<float>(i) / n, 0});
  }
  return pick_radio(std::move(cands), RadioFeedback{}, seeded.own, limit, cap);
}

}  // namespace segue::recommend
