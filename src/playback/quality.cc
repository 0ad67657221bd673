#include "playback/quality.h"

#include <algorithm>

namespace segue::playback {
namespace {

// True if the client's format name `accepted` covers the codec `fmt` ("ogg" covers Vorbis and
// Opus, "m4a"/"mp4" cover AAC).
bool covers(const std::string& accepted, const std::string& fmt) {
  if (accepted == fmt) return true;
  if (accepted == "ogg" && (fmt == "vorbis" || fmt == "opus")) return true;
  if ((accepted == "m4a" || accepted == "mp4") && fmt == "aac") return true;
  return false;
}

bool format_matches(const std::string& fmt, const std::vector<std::string>& accepted) {
  if (accepted.empty()) return true;
  for (const auto& a : accepted)
    if (covers(a, fmt)) return true;
  return false;
}

// Without a preference from the client: Spotify's format first.
const std::vector<std::string> kDefaultPreference = {"vorbis", "opus", "aac", "mp3"};

}  // namespace

const std::vector<EncodingSpec>& encoding_ladder() {
  static const std::vector<EncodingSpec> ladder = {{"vorbis", 96}, {"vorbis", 160}, {"vorbis", 320}, {"opus", 96},
                                                   {"opus", 160},  {"aac", 128},    {"aac", 256}};
  return ladder;
}

std::vector<EncodingSpec> encodings_for(const Candidate& original) {
  std::vector<EncodingSpec> out;
  if (original.transcode) return out;
  std::string lowest_seen;
  for (const auto& e : encoding_ladder()) {
    const bool lowest_of_format = e.format != lowest_seen;  // the ladder lists each format ascending
    lowest_seen = e.format;
    if (original.lossless || e.bitrate_kbps <= original.bitrate_kbps || lowest_of_format) out.push_back(e);
  }
  return out;
}

const Candidate* best_original(const std::vector<Candidate>& files) {
  const Candidate* best = nullptr;
  for (const auto& f : files) {
    if (f.transcode) continue;
    if (!best || (f.lossless && !best->lossless) || (f.lossless == best->lossless && f.bitrate_kbps > best->bitrate_kbps))
      best = &f;
  }
  return best;
}

Result<QualityChoice> choose_quality(const std::vector<Candidate>& files, const QualityRequest& req) {
  if (files.empty()) return Error::not_found("the track has no playable file");
  std::vector<Candidate> ok;
  for (const auto& f : files)
    if (format_matches(f.format, req.formats)) ok.push_back(f);
  if (ok.empty()) return Error::invalid("no file of this track is in a format the client accepts");

  const int cap = tier_cap_kbps(req.tier);
  // A client that accepts only lossless formats asks for lossless as surely as one that says
  // "quality": "lossless"; either way only Premium may have it.
  const bool only_lossless = std::all_of(ok.begin(), ok.end(), [](const Candidate& f) { return f.lossless; });
  const bool wants_lossless = req.want_lossless || only_lossless;
  if (wants_lossless && req.tier == Tier::kPremium) {
    for (const auto& f : ok)
      if (f.lossless && !f.transcode) return QualityChoice{f, cap, true, "lossless, as requested"};
  }
  const std::string lossless_note = wants_lossless && req.tier != Tier::kPremium ? " (lossless needs Premium)" : "";
  // 1. The best original within the cap: nothing to transcode.
  const Candidate* best = nullptr;
  for (const auto& f : ok)
    if (!f.transcode && !f.lossless && f.bitrate_kbps <= cap && (!best || f.bitrate_kbps > best->bitrate_kbps))
      best = &f;
  if (best) {
    return QualityChoice{*best, cap, true,
                         std::to_string(best->bitrate_kbps) + " kbps " + best->format + ", the original file, within the " +
                             std::to_string(cap) + " kbps cap" + lossless_note};
  }
  // 2. The best encoding within the cap, in the client's most preferred format that has one.
  const std::vector<std::string>& preference = req.formats.empty() ? kDefaultPreference : req.formats;
  for (const auto& wanted : preference) {
    const Candidate* enc = nullptr;
    for (const auto& f : ok)
      if (f.transcode && covers(wanted, f.format) && f.bitrate_kbps <= cap &&
          (!enc || f.bitrate_kbps > enc->bitrate_kbps))
        enc = &f;
    if (enc) {
      return QualityChoice{*enc, cap, true,
                           std::to_string(enc->bitrate_kbps) + " kbps " + enc->format + ", transcoded, within the " +
                               std::to_string(cap) + " kbps cap" + lossless_note};
    }
  }
  for (const auto& f : ok)  // formats outside the stated preference (empty list: any)
    if (f.transcode && f.bitrate_kbps <= cap && (!best || f.bitrate_kbps > best->bitrate_kbps)) best = &f;
  if (best) {
    return QualityChoice{*best, cap, true,
                         std::to_string(best->bitrate_kbps) + " kbps " + best->format + ", transcoded, within the " +
                             std::to_string(cap) + " kbps cap" + lossless_note};
  }
  // 3. Nothing the client accepts fits the cap. The cap holds whatever the client asks: if any
  // file or encoding of the track fits it, refuse and name their formats, so the client can ask
  // again with one of them.
  std::vector<std::string> would_fit;
  for (const auto& f : files) {
    if (f.lossless || f.bitrate_kbps > cap) continue;
    if (std::find(would_fit.begin(), would_fit.end(), f.format) == would_fit.end()) would_fit.push_back(f.format);
  }
  if (!would_fit.empty()) {
    std::string msg = "No file of this track in a format the client accepts fits the " +
                      std::string(req.tier == Tier::kPremium ? "Premium" : "Free") + " tier's " + std::to_string(cap) +
                      " kbps cap" + lossless_note + "; formats within the cap: ";
    for (std::size_t i = 0; i < would_fit.size(); ++i) msg += (i ? ", " : "") + would_fit[i];
    return Error::permission_denied(msg);
  }
  // 4. Nothing of this track fits the cap in any format (no encoding can be made: transcoding
  // is off or failed for its source). What the client asks cannot change that: serve the
  // smallest file it accepts rather than no music at all, and say so.
  auto smallest = std::min_element(ok.begin(), ok.end(), [](const Candidate& a, const Candidate& b) {
    if (a.lossless != b.lossless) return !a.lossless;
    return a.bitrate_kbps < b.bitrate_kbps;
  });
  return QualityChoice{*smallest, cap, false,
                       "no file or encoding of this track fits the " + std::to_string(cap) +
                           " kbps cap; serving the smallest (" + std::to_string(smallest->bitrate_kbps) + " kbps " +
                           smallest->format + ")"};
}

}  // namespace segue::playback
