// Wiring of the transcode cache for `serve`: where its files go, how its workers are started
// (this binary's `segue worker transcode`), and the ahead-of-time encodings queued
// after each scan.
#pragma once

#include <memory>

#include "app/config.h"
#include "bus/event_bus.h"
#include "catalog/catalog.h"
#include "common/metrics.h"
#include "store/database.h"
#include "transcode/cache.h"

namespace segue::app {

// Opens the cache in `<data>/transcodes` (blocking: start-up only).
Result<std::unique_ptr<transcode::TranscodeCache>> open_transcode_cache(store::Database& db, const Config& config);

// With `transcode_ahead` set, queues that encoding of every track (from its best original
// file, unless an original already fits) each time the catalog publishes a snapshot
// (bus::CatalogSnapshotPublished, for as long as the returned subscription lives). The
// encodings run in the background at a high niceness.
bus::Subscription encode_ahead_after_scans(catalog::Catalog& catalog, transcode::TranscodeCache& cache,
                                           const Config& config, bus::EventBus& events);

}  // namespace segue::app
