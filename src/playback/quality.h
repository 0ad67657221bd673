// Which file of a track to stream: the subscription tier caps the bitrate (free 160 kbps,
// premium 320 kbps), lossless only when asked for and allowed (premium), and only formats the
// client says it can play. Candidates are the track's original files and the encodings Segue
// can produce from them (encodings_for()); an original that fits is preferred (nothing to
// transcode), else the best encoding within the cap in the client's most preferred format.
// The cap holds whatever the client asks: a client accepting only lossless formats is asking
// for lossless (Premium only), and when nothing the client accepts fits the cap but something
// else of the track does, the answer is Error::permission_denied naming the formats that would
// fit. Only when nothing of the track fits in any format (no encoding can be made) is the
// smallest file served, with within_cap false.
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
  bool transcode = false;  // an encoding to be made from an original (file is its future id)
};

// An encoding Segue can produce: Ogg Vorbis at Spotify's 96/160/320 kbps, Opus 96/160 kbps and
// AAC 128/256 kbps (for browsers without Vorbis and Opus, e.g. Safari).
struct EncodingSpec {
  std::string format;  // "vorbis", "opus", "aac"
  int bitrate_kbps = 0;
};
const std::vector<EncodingSpec>& encoding_ladder();

// The encodings worth offering for an original file: from a lossless original all of the
// ladder; from a lossy one those at or below its bitrate (more bits cannot restore what it
// lost) and the lowest of each format. None for an original that is itself a transcode.
std::vector<EncodingSpec> encodings_for(const Candidate& original);
// The original a track's encodings are made from: a lossless one first, else the one with the
// highest bitrate. nullptr if `files` holds no original.
const Candidate* best_original(const std::vector<Candidate>& files);

struct QualityRequest {
  Tier tier = Tier::kFree;
  std::vector<std::string> formats;  // accepted, most preferred first; empty: any
  bool want_lossless = false;
};

struct QualityChoice {
  Candidate file;
  int cap_kbps;          // the tier's cap
  bool within_cap;       // false only when nothing of the track fits the cap in any format
  std::string note;      // human-readable reason, returned to clients
};

inline int tier_cap_kbps(Tier t) { return t == Tier::kPremium ? 320 : 160; }

// Error::not_found if there are no candidates; Error::invalid if none has a format the client
// accepts; Error::permission_denied if none the client accepts fits the tier while another
// format would (the message names them). Pure function; any thread.
Result<QualityChoice> choose_quality(const std::vector<Candidate>& files, const QualityRequest& req);

}  // namespace segue::playback
