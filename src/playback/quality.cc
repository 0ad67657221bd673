#include "playback/quality.h"

#include <algorithm>

namespace segue::playback {
namespace {
bool format_matches(const std::string& fmt, const std::vector<std::string>& accepted) {
  if (accepted.empty()) return true;
  for (const auto& a : accepted) {
    if (a == fmt) return true;
    if (a == "ogg" && (fmt == "vorbis" || fmt == "opus")) return true;
    if ((a == "m4a" || a == "mp4") && fmt == "aac") return true;
  }
  return false;
}
}  // namespace

Result<QualityChoice> choose_quality(const std::vector<Candidate>& files, const QualityRequest& req) {
  if (files.empty()) return Error::not_found("the track has no playable file");
  std::vector<Candidate> ok;
  for (const auto& f : files)
    if (format_matches(f.format, req.formats)) ok.push_back(f);
  if (ok.empty()) return Error::invalid("no file of this track is in a format the client accepts");

  const int cap = tier_cap_kbps(req.tier);
  if (req.want_lossless && req.tier == Tier::kPremium) {
    for (const auto& f : ok)
      if (f.lossless) return QualityChoice{f, cap, true, "lossless, as requested"};
  }
  // Best lossy file within the cap.
  const Candidate* best = nullptr;
  for (const auto& f : ok)
    if (!f.lossless && f.bitrate_kbps <= cap && (!best || f.bitrate_kbps > best->bitrate_kbps)) best = &f;
  if (best) {
    std::string note = std::to_string(best->bitrate_kbps) + " kbps, the best existing file within the " +
                       std::to_string(cap) + " kbps cap";
    if (req.want_lossless) note += " (lossless needs Premium)";
    return QualityChoice{*best, cap, true, note};
  }
  // Nothing fits: serve the smallest existing file and say so (no transcoder yet).
  auto smallest = std::min_element(ok.begin(), ok.end(), [](const Candidate& a, const Candidate& b) {
    if (a.lossless != b.lossless) return !a.lossless;
    return a.bitrate_kbps < b.bitrate_kbps;
  });
  return QualityChoice{*smallest, cap, false,
                       "no existing file fits the " + std::to_string(cap) +
                           " kbps cap and transcoding is not available yet; serving the smallest "
                           "existing file (" + std::to_string(smallest->bitrate_kbps) + " kbps " +
                           smallest->format + ")"};
}

}  // namespace segue::playback
