// Smart-playlist rules (issue 18): a tree of `all` / `any` groups of conditions over a track's
// catalog fields, its audio features and the owner's listening (play count, last played,
// saved), with a sort and a limit. The JSON form is Navidrome's `.nsp` shape
// (docs/formats/smart-playlists.md): {"all": [{"gt": {"playcount": 5}}, {"any": [...]}],
// "sort": "-year,title", "limit": 50}; `parse_rules` reads Segue's field names and Navidrome's
// (loved, bpm, playCount, ...), case-insensitively, and refuses anything else naming the bad
// field, operator or value. Pure domain code: no HTTP, no database; evaluation reads plain
// facts the caller gathered (smart_playlists.h does, from the catalog, the analysis and the
// event pipeline).
#pragma once

#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace segue::recommend::smart {

enum class Field {
  kTitle, kAlbum, kArtist, kAlbumArtist, kGenre,        // text (artist, albumartist, genre: lists)
  kYear, kDuration,                                     // numbers (duration in seconds)
  kDateAdded, kLastPlayed,                              // dates
  kPlayCount,                                           // number, the owner's
  kSaved,                                               // bool, the owner's Your Library
  kTempo, kEnergy, kDanceability, kValence, kAcousticness, kInstrumentalness, kSpeechiness,
  kLiveness, kLoudness, kKey, kMode,                    // audio features (numbers)
  kRandom,                                              // sort only
};
enum class FieldType { kText, kNumber, kDate, kBool };
constexpr int kAudioFeatureCount = 11;  // kTempo .. kMode

enum class Op {
  kIs, kIsNot, kContains, kNotContains, kStartsWith, kEndsWith, kGt, kLt, kInTheRange,
  kInTheLast, kNotInTheLast, kBefore, kAfter,
};

std::string_view field_name(Field f);  // Segue's name: "playcount", "albumartist", ...
std::string_view op_name(Op op);        // "inTheRange", ...
FieldType field_type(Field f);

struct Condition {
  Op op = Op::kIs;
  Field field = Field::kTitle;
  std::string text;        // text fields, folded (ASCII lower case)
  double a = 0, b = 0;     // numbers; dates as ms since the epoch (b: a range's end, inclusive
                           // day for dates); inTheLast/notInTheLast: a = days
  bool flag = false;       // bool fields
  std::string original;    // the value as given, for writing the rule back (dates, text)
  std::string original_b;
};

struct Node {
  bool any = false;              // group: true any, false all
  std::vector<Node> children;    // a group when `is_group`
  Condition condition;
  bool is_group = false;
};

struct SortKey {
  Field field = Field::kTitle;
  bool desc = false;
};

struct Rules {
  Node root;                      // a group (all or any)
  std::vector<SortKey> sort;      // empty: catalog order; {kRandom}: shuffled by `seed`
  std::size_t limit = 0;          // 0: no limit (kMaxItems still applies)
  uint64_t seed = 0;              // for "random": the same seed, the same order
  bool has_seed = false;
};

constexpr std::size_t kMaxItems = 10'000;     // a smart playlist holds at most this many tracks
constexpr int kMaxDepth = 8;                  // nesting of groups
constexpr std::size_t kMaxConditions = 200;   // conditions in all

// What a .nsp file (or a create request) says beside the rules.
struct Parsed {
  Rules rules;
  std::string name;     // .nsp "name" ("" if absent)
  std::string comment;  // .nsp "comment"
};

// Reads the rules document (a JSON object). Error::invalid naming the problem: an unknown
// field or operator, a value of the wrong type, an operator that does not apply to the field
// (`gt` on title), a bad date, a limit out of range, too deep or too many conditions. Keys a
// .nsp file may carry beside the rules ("name", "comment", "public") are accepted and returned.
Result<Parsed> parse_rules(const boost::json::value& doc);
Result<Parsed> parse_rules_text(std::string_view json_text);

// The canonical JSON of `rules` (what GET .../rules answers): parse_rules(to_json(r)) == r.
boost::json::object to_json(const Rules& rules);

// One track's facts, independent of the user. Strings folded (ASCII lower case).
struct AudioValues {
  std::array<double, kAudioFeatureCount> v{};  // in Field order from kTempo; key/mode -1: unknown
};
struct TrackFacts {
  TrackId id;
  std::string title, album;
  std::vector<std::string> artists, album_artists, genres;
  std::optional<int> year;
  double duration_s = 0;
  int64_t added_ms = 0;  // 0: unknown
  std::optional<AudioValues> audio;
};

// The owner's listening: plays and the latest play per track id, and saved track ids.
struct Plays {
  int64_t count = 0;
  int64_t last_ms = 0;
};
struct UserFacts {
  std::unordered_map<std::string, Plays> plays;
  std::unordered_set<std::string> saved;
};

// A missing value (no year, no analysis, never played) fails every positive condition and
// passes its negation (isNot, notContains, notInTheLast); a play count is never missing (0).
bool matches(const Rules& rules, const TrackFacts& track, const UserFacts& user, int64_t now_ms);

// The matching tracks, sorted and limited (ties in catalog order, the order of `tracks`).
std::vector<TrackId> select(const Rules& rules, const std::vector<TrackFacts>& tracks, const UserFacts& user,
                            int64_t now_ms);

}  // namespace segue::recommend::smart
