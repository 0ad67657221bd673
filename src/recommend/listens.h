// A household's listening history from elsewhere (issue 18, "history import"): ListenBrainz
// exports (JSON lines: `listened_at`, `track_metadata` with `artist_name`, `track_name`,
// `release_name`, and `user_name` when present) and Last.fm scrobble CSVs (artist, album,
// track, timestamp). Parsed here; matched to catalog tracks by folded artist and title
// (TrackMatcher); kept in the `listens` table (listen_store.h), matched or not, so a later scan
// can resolve the unmatched ones.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace segue::recommend {

struct Listen {
  std::string user;  // the export's user name (ListenBrainz `user_name`); empty if not given
  int64_t listened_at_ms = 0;
  std::string artist, album, title;
  std::string source;  // "listenbrainz" or "lastfm": the kind of export it came from
};

// One ListenBrainz JSON line. Error::invalid (with the reason) for anything that is not an
// object with a positive `listened_at` and a `track_metadata` naming an artist and a track.
Result<Listen> parse_listenbrainz_line(std::string_view line);

// A timestamp of a Last.fm CSV: Unix seconds (or milliseconds, above 10^11), "DD Mon YYYY HH:MM"
// (Last.fm's own export, UTC), or ISO 8601 "YYYY-MM-DD[T ]HH:MM[:SS][Z]". Milliseconds since the
// epoch, or nullopt.
std::optional<int64_t> parse_listen_time(std::string_view s);

struct ParseReport {
  std::size_t lines = 0;     // records read (CSV header excluded)
  std::size_t listens = 0;   // passed to the callback
  std::size_t bad = 0;       // refused, with the first few reasons below
  std::vector<std::string> first_errors;  // "line N: reason", at most 10
};

// Reads a whole export: JSON lines when the first non-blank byte is '{', else CSV (an optional
// header row naming artist, album, track or title, and timestamp, date, uts or utc_time in any
// order; without one the columns are artist, album, track, timestamp). Bad records are counted
// and skipped. `progress(bytes_read)` now and then.
ParseReport read_listens(std::istream& in, const std::function<void(Listen&&)>& on_listen,
                         const std::function<void(std::size_t)>& progress = {});

// Matches (artist, title) to catalog tracks: both folded as the playlist importer folds them
// (case, accents, punctuation, "&" = "and", a leading "The ", "feat." parts). A track is found
// under each of its artists; an artist string naming several ("A & B", "A, B", "A feat. B") is
// also tried by its first name. Several tracks with the same key: the one on an album whose
// folded name equals the listen's, else the first by id.
class TrackMatcher {
 public:
  struct Candidate {
    TrackId id;
    std::vector<std::string> artists;
    std::string title;
    std::string album;
  };
  explicit TrackMatcher(std::vector<Candidate> tracks);
  std::optional<TrackId> match(std::string_view artist, std::string_view title, std::string_view album = {}) const;
  std::size_t tracks() const { return tracks_.size(); }

 private:
  std::optional<TrackId> lookup(const std::string& artist_key, const std::string& title_key,
                                const std::string& album_key) const;
  std::vector<Candidate> tracks_;
  std::vector<std::string> album_keys_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_key_;  // artist \x1f title -> tracks_
};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm); month
// 1-12, day 1-31, not range-checked. Also the smart playlists' date rules use it.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

}  // namespace segue::recommend
