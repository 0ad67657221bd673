// The personal boost of search ranking (docs/search.md, "personal"): how much a hit is the
// signed-in user's own. A saved track +0.6, a track among their last 50 plays +0.4, a saved
// album 1.0; capped at 1; artists and playlists 0. The facts come from callbacks (the user's
// library, their recent plays), so search depends on neither.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "search/searcher.h"

namespace segue::search {

struct PersonalWeights {
  double saved_track = 0.6;
  double recent_track = 0.4;
  double saved_album = 1.0;
  double cap = 1.0;
};
// How many recent plays count as "recent" (the last N plays of the user).
inline constexpr int kRecentPlaysForBoost = 50;

// What is known about the user. Either callback may be empty (that signal counts 0). A failed
// lookup (nullopt) counts 0 too: the boost only reorders, it never fails a search.
struct PersonalSignals {
  // For each id, whether the user saved it; `kind` is Kind::kTrack or Kind::kAlbum.
  std::function<std::optional<std::vector<bool>>(Kind kind, const std::vector<std::string>& ids)> saved;
  // The track ids of the user's last kRecentPlaysForBoost plays.
  std::function<std::optional<std::vector<std::string>>()> recent_tracks;
};

// The boost in [0, cap] of each hit, in order. Blocking as much as the callbacks are.
std::vector<double> personal_boosts(const std::vector<Hit>& hits, const PersonalSignals& signals,
                                    const PersonalWeights& weights = {});

// A PersonalBoost for SearchRequest/SuggestRequest over `signals`.
PersonalBoost make_personal_boost(PersonalSignals signals, PersonalWeights weights = {});

}  // namespace segue::search
