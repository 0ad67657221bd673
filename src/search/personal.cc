#include "search/personal.h"

#include <algorithm>
#include <unordered_set>

namespace segue::search {

std::vector<double> personal_boosts(const std::vector<Hit>& hits, const PersonalSignals& signals,
                                    const PersonalWeights& weights) {
  std::vector<double> out(hits.size(), 0.0);
  std::vector<std::string> track_ids, album_ids;
  std::vector<std::size_t> track_at, album_at;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (hits[i].kind == Kind::kTrack) {
      track_ids.push_back(hits[i].id);
      track_at.push_back(i);
    } else if (hits[i].kind == Kind::kAlbum) {
      album_ids.push_back(hits[i].id);
      album_at.push_back(i);
    }
  }
  auto add_saved = [&](Kind kind, const std::vector<std::string>& ids, const std::vector<std::size_t>& at, double w) {
    if (ids.empty() || !signals.saved) return;
    auto saved = signals.saved(kind, ids);
    if (!saved) return;
    for (std::size_t j = 0; j < saved->size() && j < at.size(); ++j)
      if ((*saved)[j]) out[at[j]] += w;
  };
  add_saved(Kind::kTrack, track_ids, track_at, weights.saved_track);
  if (!track_ids.empty() && signals.recent_tracks) {
    if (auto recent = signals.recent_tracks()) {
      std::unordered_set<std::string> played(recent->begin(), recent->end());
      for (std::size_t j = 0; j < track_ids.size(); ++j)
        if (played.count(track_ids[j])) out[track_at[j]] += weights.recent_track;
    }
  }
  add_saved(Kind::kAlbum, album_ids, album_at, weights.saved_album);
  for (auto& v : out) v = std::min(v, weights.cap);
  return out;
}

PersonalBoost make_personal_boost(PersonalSignals signals, PersonalWeights weights) {
  return [signals = std::move(signals), weights](const std::vector<Hit>& hits) {
    return personal_boosts(hits, signals, weights);
  };
}

}  // namespace segue::search
