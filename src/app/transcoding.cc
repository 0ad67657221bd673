#include "app/transcoding.h"

#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "common/subprocess.h"
#include "playback/quality.h"

namespace segue::app {

Result<std::unique_ptr<transcode::TranscodeCache>> open_transcode_cache(store::Database& db, const Config& config) {
  transcode::WorkerCommand worker;
  worker.argv_prefix = {subprocess::self_executable(), "worker", "transcode"};
  transcode::CacheOptions o;
  o.dir = config.transcode_dir.empty() ? config.data_dir + "/transcodes" : config.transcode_dir;
  o.max_bytes = config.transcode_cache_bytes;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.jobs = config.transcode_jobs > 0 ? config.transcode_jobs : std::max(1, cores / 2);
  o.run_jobs = config.has_role("transcode");  // else: queued here, made by a node with the role
  o.runner = transcode::subprocess_runner(std::move(worker));
  return transcode::TranscodeCache::open(db, std::move(o));
}

bus::Subscription encode_ahead_after_scans(catalog::Catalog& catalog, transcode::TranscodeCache& cache,
                                           const Config& config, bus::EventBus& events) {
  if (config.transcode_ahead.empty()) return {};
  const auto colon = config.transcode_ahead.find(':');
  const std::string codec = config.transcode_ahead.substr(0, colon);
  const int kbps = static_cast<int>(strings::parse_int(config.transcode_ahead.substr(colon + 1)).value_or(160));
  const auto format = audio::format_from_codec_name(codec);
  if (!format) return {};
  auto* c = &cache;
  auto* cat = &catalog;
  return events.subscribe("transcode-ahead", bus::only<bus::CatalogSnapshotPublished>([c, cat, codec, kbps, format = *format](
                                                 const bus::CatalogSnapshotPublished&) {
    auto snap = cat->snapshot();
    std::vector<transcode::Source> sources;
    for (const auto& track : snap->tracks()) {
      std::vector<playback::Candidate> originals;
      bool original_fits = false;
      for (const auto* f : snap->files_for_track(track.id)) {
        originals.push_back({f->id, f->codec, f->bitrate_kbps, f->lossless});
        if (f->codec == codec && !f->lossless && f->bitrate_kbps <= kbps) original_fits = true;
      }
      const playback::Candidate* best = playback::best_original(originals);
      if (!best || original_fits) continue;
      // Only encodings a play request could choose (no upward transcodes of lossy files).
      bool offered = false;
      for (const auto& e : playback::encodings_for(*best))
        offered = offered || (e.format == codec && e.bitrate_kbps == kbps);
      const catalog::AudioFile* file = snap->file(best->file);
      if (!offered || !file) continue;
      sources.push_back({file->id, file->path, file->size, file->mtime_ns, static_cast<double>(track.duration_ms) / 1000});
    }
    const std::size_t queued = c->encode_ahead(sources, format, kbps);
    if (queued > 0)
      log::info("transcode: queued ahead-of-time encodings",
                {{"format", codec}, {"kbps", std::to_string(kbps)}, {"tracks", std::to_string(queued)}});
  }));
}

}  // namespace segue::app
