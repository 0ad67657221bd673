// Which file of a track to stream: the subscription tier caps the bitrate (free 160 kbps,
// premium 320 kbps), lossless only when asked for and allowed (premium), and only formats the
// client says it can play. Until transcoding exists the choice is among files that exist; when
// none fits the cap, the smallest one is served and the decision says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/result.h"

namespace segue::playback {

enum class Tier { kFree, kPremium };

struct Candidate {
  FileId file;
  std::string format;  // "vorbis", "mp3", "flac", "opus", "aac", "wav"
  int bitrate_kbps = 0;
  bool lossless = false;
};

struct QualityRequest {
  Tier tier = Tier::kFree;
  std::vector<std::string> formats;  // empty: any
  bool want_lossless = false;
};

struct QualityChoice {
  Candidate file;
  int cap_kbps;          // the tier's cap
  bool within_cap;       // false when no existing file fits the cap
  std::string note;      // human-readable reason, returned to clients
};

inline int tier_cap_kbps(Tier t) { return t == Tier::kPremium ? 320 : 160; }

// Error::not_found if there are no candidates; Error::invalid if none has a format the client
// accepts.
Result<QualityChoice> choose_quality(const std::vector<Candidate>& files, const QualityRequest& req);

}  // namespace segue::playback
