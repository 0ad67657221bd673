// A trained recommendation model: what `segue recommend train` and the server's scheduled
// training produce and every query reads. Two levels, each trained from the same signals:
// tracks (users x tracks) and artists (users x artists, a track's weight added to each of its
// artists). Per level: the implicit ALS factors, the items each trained user already has (kept
// out of "not played yet" lists, early-skipped ones included), and RP3beta neighbour lists
// (related artists, radio and seed-based recommendations start from them). And, from format 2,
// the playlist co-membership model over the public playlists (comembership.h).
//
// Saved as one binary file (docs/formats/recommend.md): a magic and format number, a JSON header
// (version, times, sizes, options), then length-prefixed arrays in little-endian order, and a
// CRC-32 of everything before it. load() checks every length and index, so a truncated or
// corrupt file is an error, never a crash. Immutable once built; any thread may read it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "recommend/als.h"
#include "recommend/comembership.h"
#include "recommend/interactions.h"
#include "recommend/neighbors.h"
#include "recommend/weighting.h"

namespace segue::recommend {

struct ModelInfo {
  std::string version;       // e.g. "20261207T231500Z"; unique per models directory
  int64_t trained_at_ms = 0;
  double training_seconds = 0;
  int64_t signals = 0;       // (user, item, signal) rows read
  int factors = 0;
  int iterations = 0;
};

// One level (tracks or artists).
struct ModelLevel {
  std::vector<std::string> ids;                      // item index -> id
  std::unordered_map<std::string, int32_t> index;    // id -> item index
  AlsModel als;                                      // users x ids
  Interactions seen;                                 // the trained users' items (weights > 0)
  std::vector<std::vector<int32_t>> disliked;        // per user: items skipped early, net weight <= 0
  ItemNeighbors neighbors;
  std::vector<int32_t> degree;                       // users per item (popularity among the trained users)

  std::optional<int32_t> find(const std::string& id) const {
    auto it = index.find(id);
    return it == index.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }
  int32_t size() const { return static_cast<int32_t>(ids.size()); }
};

struct Model {
  ModelInfo info;
  AlsOptions als_options;                          // what fold-in needs (alpha, reg, confidence)
  Weighting weighting;                             // how a user's weights became ALS values (fold-in too)
  std::vector<std::string> users;                  // user index -> user id
  std::unordered_map<std::string, int32_t> user_index;
  ModelLevel tracks, artists;
  // Playlist co-membership over the public playlists (comembership.h); empty in a model of
  // format 1 (before it existed) or without public playlists of two tracks or more.
  CoMembership playlists;

  std::optional<int32_t> find_user(const std::string& id) const {
    auto it = user_index.find(id);
    return it == user_index.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }
};

std::string serialize_model(const Model& m);
Result<std::shared_ptr<const Model>> parse_model(std::string_view bytes);

// Versions in a directory (`<data>/models` by default): each model in `<version>/model.bin`,
// `current` a symbolic link to the version in use, `previous` to the one before (rollback).
// Swapping is a rename of a new link over `current`: a reader sees the old or the new one. The
// newest `keep` versions stay, plus whatever `current` and `previous` point at. Blocking file
// I/O: worker threads and the CLI only.
class ModelStore {
 public:
  explicit ModelStore(std::string dir, int keep = 3) : dir_(std::move(dir)), keep_(keep) {}
  const std::string& dir() const { return dir_; }

  // Writes the model (to a temporary name, fsynced, renamed), makes it current and the old
  // current previous. Returns its version.
  Result<std::string> publish(const Model& m);
  // The version `current` points at (Error::not_found without one).
  Result<std::string> current_version() const;
  Result<std::string> previous_version() const;
  Result<std::shared_ptr<const Model>> load(const std::string& version) const;
  Result<std::shared_ptr<const Model>> load_current() const;
  // `current` back to `previous` (and `previous` to the version rolled back from, so a second
  // rollback undoes the first). Returns the version now current.
  Result<std::string> rollback();
  // Versions on disk, oldest first.
  std::vector<std::string> versions() const;

 private:
  Status point(const std::string& link, const std::string& version);
  std::string dir_;
  int keep_;
};

// A version name for a model trained at `ms` (UTC, second resolution, then "-2", "-3" ... when
// the directory already has one from that second).
std::string version_for(int64_t ms, const std::vector<std::string>& existing);

}  // namespace segue::recommend
