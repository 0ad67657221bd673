// Everything Segue computes from one audio file in a single decoding pass: EBU R128 loudness,
// the Chromaprint fingerprint and the music analysis (tempo, key, features, beats, sections,
// segments). The file is untrusted: the server runs this in a child process (`segue worker
// analyze`, see AnalysisService) and reads the result back as JSON.
#pragma once

#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "audio/features.h"
#include "audio/fingerprint.h"
#include "audio/loudness.h"
#include "common/result.h"

namespace segue::audio {

struct TrackAnalysis {
  std::string version;        // kAnalyzerVersion: results of an older version are recomputed
  double duration_s = 0;      // decoded audio
  std::string codec;          // of the source
  int source_sample_rate = 0;
  int damaged_packets = 0;
  Loudness loudness;
  std::optional<Fingerprint> fingerprint;  // absent for audio too short or silent to fingerprint
  AudioAnalysis music;
};

struct AnalyzeOptions {
  int analysis_rate = 22050;       // mono rate handed to analyze_pcm
  double max_seconds = 60 * 60;    // longer files are analyzed up to this point
};

// Decodes `path` once, at its own rate for loudness and the fingerprint and downmixed to
// `analysis_rate` for the music analysis. Errors from the decoder pass through (not_found,
// invalid). Blocking, CPU-bound, keeps the mono signal in memory (about 5 MB per minute).
Result<TrackAnalysis> analyze_file(const std::string& path, const AnalyzeOptions& options = {});

// The whole analysis as JSON (the worker's output and the stored form) and back. from_json
// checks every field's type and range: the text comes from a child process that read an
// untrusted file.
boost::json::value to_json(const TrackAnalysis& a);
Result<TrackAnalysis> track_analysis_from_json(const boost::json::value& v);

}  // namespace segue::audio
