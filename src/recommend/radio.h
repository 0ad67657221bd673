// Radio (issue 18): an endless station from any track, artist, album or playlist, whose
// context URI is "segue:radio:<seed uri>". Stateless on the server: the client sends the seed
// and the station's recent history (tracks played through and tracks skipped early, newest
// last, bounded; and the tracks its queue still holds) and gets the next batch, so any node answers.
//
// A batch: tracks like the seeds (RecommendService::from_seeds over the model's neighbours and
// the seeds' artists, and the user's taste when the model knows them), then more like the
// tracks the station played through, then the user's own ranking and the rest of the catalog,
// so the station never runs dry while the catalog has tracks it has not played. Never a track
// of the history; at most `max_per_artist` per artist per batch while others remain. Feedback:
// an early skip pushes its artist down (and the artist's model neighbours a little) for the
// rest of the station; an artist skipped more often than played through drops to the end; a
// track played through pulls its artist (and neighbours) up.
//
// Also "Recommended songs" under a playlist: every catalog track scored from all of its tracks
// by RecommendService::for_playlist (playlist co-membership over public playlists, content
// similarity, what users did, the viewer's taste), none of its own, few per artist while
// others above the catalog's average remain.
//
// A playlist is read with the caller's rights (playlist::PlaylistService), so another user's
// private playlist is not_found. Blocking (the model, the taste database, playlists): worker
// threads only.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace segue::catalog {
class Catalog;
}
namespace segue::playlist {
class PlaylistService;
}

namespace segue::recommend {

class RecommendService;

enum class SeedKind { kTrack, kArtist, kAlbum, kPlaylist };

struct RadioSeed {
  SeedKind kind = SeedKind::kTrack;
  std::string id;  // base62
  // "segue:<kind>:<id>" (what the context URI wraps).
  std::string uri() const;
  std::string context_uri() const { return "segue:radio:" + uri(); }
};

// A segue: or spotify: URI of a track, artist, album or playlist, or a radio context URI
// ("segue:radio:<uri>") of one. Error::invalid naming what is wrong.
Result<RadioSeed> parse_radio_seed(std::string_view uri);

// What the station did lately, oldest first. Longer lists are cut to their newest
// kMaxHistory entries.
struct RadioHistory {
  static constexpr std::size_t kMaxHistory = 200;
  std::vector<std::string> played;   // track ids played through (or past 30 s)
  std::vector<std::string> skipped;  // track ids skipped in their first 30 s
  std::vector<std::string> queued;   // already in the client's queue: left out, no feedback
};

struct RadioBatch {
  std::string context_uri;
  std::vector<std::string> tracks;
  std::vector<std::string> seed_tracks, seed_artists;  // what the seed became
};

// ---- the rules, free of the database (tests/radio_test.cc) ----

// Score adjustments per artist from a station's history: +play per track played through,
// -skip per early skip, a fraction of each to the artist's neighbours (by similarity, the best
// neighbour 1).
struct RadioFeedback {
  std::unordered_map<std::string, float> adjust;  // artist id -> score adjustment
  std::unordered_set<std::string> dropped;        // artists skipped more often than played through
};
struct FeedbackWeights {
  float play = 0.3f, skip = 0.6f, neighbor = 0.35f;
  float cap = 1.2f;  // |adjustment| per artist at most
};
RadioFeedback radio_feedback(
    const RadioHistory& history, const std::function<std::vector<std::string>(const std::string&)>& artists_of,
    const std::function<std::vector<std::pair<std::string, float>>(const std::string&)>& neighbors_of,
    const FeedbackWeights& w = {});

struct RadioCandidate {
  std::string track;
  std::string artist;  // first artist ("" when none)
  float score = 0;     // within its tier; higher first
  int tier = 0;        // 0 like the seeds, 1 like what was played, 2 the user's taste and the catalog
};

// The next `limit` tracks: candidates outside `history` (and not twice), dropped artists last,
// then by tier, then by score plus the artist's adjustment; at most `max_per_artist` per
// artist while others remain (over-cap tracks of a tier come before the next tier).
std::vector<std::string> pick_radio(std::vector<RadioCandidate> candidates, const RadioFeedback& feedback,
                                    const std::unordered_set<std::string>& history, std::size_t limit,
                                    std::size_t max_per_artist);

// ---- the station ----
class Radio {
 public:
  Radio(RecommendService& recommend, catalog::Catalog& catalog, playlist::PlaylistService* playlists)
      : recommend_(recommend), catalog_(catalog), playlists_(playlists) {}

  // The next `limit` (1..100) tracks of the station. Error::not_found for a seed the catalog
  // (or, for a playlist, the caller) does not have; a playlist without tracks is invalid.
  Result<RadioBatch> next(const RadioSeed& seed, const RadioHistory& history, std::size_t limit, const UserId& user);

  // "Recommended songs" under a playlist `viewer` may read: tracks like it, none of its own.
  Result<std::vector<std::string>> for_playlist(const PlaylistId& playlist, const UserId& viewer, std::size_t limit);

 private:
  struct Seeded {
    std::vector<std::string> tracks, artists;
    std::unordered_set<std::string> own;  // a playlist's or album's tracks
    std::vector<std::string> own_order;   // the same, in their order, once each
  };
  Result<Seeded> seeds_of(const RadioSeed& seed, const UserId& user, std::size_t sample);

  RecommendService& recommend_;
  catalog::Catalog& catalog_;
  playlist::PlaylistService* playlists_;
};

}  // namespace segue::recommend
