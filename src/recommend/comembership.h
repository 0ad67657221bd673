// Playlist co-membership (issue 18, "Recommended songs" under a playlist): an item model whose
// "users" are playlists. Two tracks are alike when the same playlists hold them; RP3beta
// (neighbors.h: alpha 1, beta 0.2, the best of the continuation bench, docs/benchmarks.md
// "Playlist continuation on real playlists") over the playlists x tracks membership, 200
// neighbours per track. A playlist's recommendations sum the neighbours of its tracks.
//
// Privacy: the lists given to build() are the caller's choice; the service gives PUBLIC
// playlists only (service.h, docs/formats/recommend.md "Playlist co-membership"): their contents
// are readable by anyone anyway, so aggregated co-occurrence over them reveals nothing a user
// could not read. A private or collaborative playlist never enters the model, so no answer can
// be used to enumerate one.
//
// Pure and immutable once built: any thread may read it. Also: `blend_add`, the z-scored sum the
// playlist recommendations combine their components with.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "recommend/neighbors.h"

namespace segue::recommend {

struct CoMembershipOptions {
  NeighborOptions neighbors{.similarity = NeighborOptions::Similarity::kRp3beta,
                            .neighbors = 200,
                            .alpha = 1.0f,
                            .beta = 0.2f,
                            .shrink = 0.0f,
                            .binary = true,
                            .threads = 2};
  // A list with fewer distinct tracks says nothing about pairs and is left out.
  std::size_t min_tracks = 2;
};

struct CoMembership {
  std::vector<std::string> ids;                    // track index -> track id
  std::unordered_map<std::string, int32_t> index;  // track id -> index
  ItemNeighbors neighbors;
  std::vector<int32_t> lists_per_track;            // how many of the lists hold the track
  int32_t lists = 0;                               // lists the model was built from

  // `lists`: each playlist's track ids (repeats within a list count once). Tracks of lists
  // shorter than min_tracks (after removing repeats) are not in the model.
  static CoMembership build(const std::vector<std::vector<std::string>>& lists, const CoMembershipOptions& options = {});

  std::optional<int32_t> find(const std::string& id) const {
    auto it = index.find(id);
    return it == index.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }
  int32_t size() const { return static_cast<int32_t>(ids.size()); }
  bool empty() const { return ids.empty(); }

  // The score of every track of the model for a playlist holding `tracks` (ids; unknown ones
  // ignored, repeats once): the sum of their neighbour similarities. Only the non-zero scores,
  // as (index, score); the playlist's own tracks are not left out here.
  std::vector<std::pair<int32_t, float>> score(std::span<const std::string> tracks) const;
};

// out[i] += weight * (x[i] - mean) / deviation, mean and deviation over all of x's entries; a
// component without spread (all equal, or empty) adds nothing. `x` and `out` have the same size.
void blend_add(std::span<float> out, std::span<const float> x, float weight);

}  // namespace segue::recommend
