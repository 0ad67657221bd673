// The playback service: the seed's Audio Playback Flow as use cases, free of HTTP, so that any
// API surface (the Spotify-shaped one today, OpenSubsonic or Connect later) asks the same
// questions and gets the same answers.
//
// - play(): which file of a track a user gets (the track's originals and the encodings Segue can
//   make from the best of them, the transcode cache's state, the tier's cap, the client's
//   formats), the encoding started if it must be made, and a stream token for it.
// - resolve(): what an /audio file id names (an original in the catalog snapshot or an encoding
//   in the transcode cache) and whether it can be served now.
//
// Threads: both only read the catalog snapshot and the transcode cache's memory (never block):
// safe on network threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/ids.h"
#include "common/result.h"
#include "playback/edge_token.h"
#include "playback/quality.h"
#include "playback/stream_token.h"

namespace segue::transcode {
class TranscodeCache;
}  // namespace segue::transcode
namespace segue::edge {
class EdgeSet;
}  // namespace segue::edge

namespace segue::playback {

// What a play answer says about the chosen file, an original or an encoding.
struct PlayFile {
  FileId id;
  std::string format;     // "vorbis", "flac", ...
  std::string container;  // "ogg", "flac", ...
  std::string mime_type;
  int bitrate_kbps = 0;
  int64_t size = 0;       // 0 while an encoding is not ready
  bool lossless = false;
  bool ready = true;      // false: an encoding still being made (GET /audio answers 503)
  bool transcoded = false;
  int64_t retry_after_s = 0;  // !ready: when to ask again
};

struct PlayRequest {
  UserId user;
  TrackId track;
  QualityRequest quality;
};

// One caching edge a play answer lists, with the URL of the chosen file through it.
struct EdgeStream {
  std::string name;
  std::string region;
  std::string url;  // <edge base>/audio/<file id>?token=<edge token>
};

struct PlayDecision {
  // The snapshot the decision was taken on; `track` points into it.
  std::shared_ptr<const catalog::Snapshot> snapshot;
  const catalog::Track* track = nullptr;
  PlayFile file;
  Tier tier = Tier::kFree;
  int cap_kbps = 0;
  bool within_cap = true;
  std::string note;  // why this file (human-readable, for clients)
  std::string token; // the stream token for `file` and the user
  std::chrono::seconds expires_in{0};
  // The healthy caching edges in rank order (set_edges), each with an edge token for `file`
  // that expires with `token`; empty without edges or while the file is not ready. The origin
  // URL (the caller's: it knows the request's base) comes after them.
  std::vector<EdgeStream> edges;
};

// What an /audio file id names.
struct StreamSource {
  enum class State {
    kReady,    // path/size/mtime_ns/mime_type are set
    kPending,  // an encoding not yet complete: ask again after retry_after
    kFailed,   // an encoding that could not be made: `error` says why
  };
  State state = State::kReady;
  std::string path;
  std::string mime_type;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::chrono::seconds retry_after{0};
  std::string error;
};

class PlaybackService {
 public:
  // `transcodes` may be null (only original files are offered). All must outlive the service.
  PlaybackService(const catalog::Catalog& catalog, transcode::TranscodeCache* transcodes,
                  const StreamTokenSigner& tokens, std::chrono::seconds token_ttl);

  // Error::not_found for a track the catalog does not know (or one without files);
  // Error::invalid when no file has a format the client accepts; Error::permission_denied when
  // none the client accepts fits the tier while another would (choose_quality's errors);
  // Error::internal when the chosen encoding has failed meanwhile. Never blocks.
  Result<PlayDecision> play(const PlayRequest& request) const;
  // As play(), and when the chosen encoding is not ready in this node's memory, settles it with
  // the transcode tables first (another node of a cluster may have made it, or failed to: then
  // the original is offered as on one node; else its job row is written before the answer, so
  // any node serves the stream URL) and decides again. Blocks: worker threads only.
  Result<PlayDecision> play_settled(const PlayRequest& request) const;

  // Caching edges (issue 17): play() lists `edges`' ranking with edge tokens signed by
  // `edge_tokens`, and verify_token() accepts those tokens too (what an edge forwards on a cache
  // miss). Both must outlive the service; set once, before serving.
  void set_edges(const EdgeTokenSigner* edge_tokens, const edge::EdgeSet* edges) {
    edge_tokens_ = edge_tokens;
    edges_ = edges;
  }

  // The claims of `token` if it lets its user fetch `file` now: a stream token, or with edges
  // an edge token (permission_denied with a reason otherwise).
  Result<StreamClaims> verify_token(std::string_view token, const FileId& file) const;

  // The original or encoding `file` names. Error::not_found for an id neither the catalog nor
  // the transcode cache knows. Marks a ready encoding used. Never blocks.
  Result<StreamSource> resolve(const FileId& file) const;
  // As resolve(), and when neither the catalog nor this node's transcode cache knows `file`,
  // asks the transcode tables (an encoding another node of a cluster was asked for: pending
  // while it is queued or being made there, then served from the shared transcode folder).
  // Error::unavailable when the database cannot be read. Blocks: worker threads only.
  Result<StreamSource> resolve_stored(const FileId& file) const;

  std::chrono::seconds token_ttl() const { return token_ttl_; }

 private:
  const catalog::Catalog& catalog_;
  transcode::TranscodeCache* transcodes_;
  const StreamTokenSigner& tokens_;
  std::chrono::seconds token_ttl_;
  const EdgeTokenSigner* edge_tokens_ = nullptr;
  const edge::EdgeSet* edges_ = nullptr;
};

}  // namespace segue::playback
