#include "playback/service.h"

#include <vector>

#include "audio/transcoder.h"
#include "edge/edges.h"
#include "transcode/cache.h"

namespace segue::playback {

PlaybackService::PlaybackService(const catalog::Catalog& catalog, transcode::TranscodeCache* transcodes,
                                 const StreamTokenSigner& tokens, std::chrono::seconds token_ttl)
    : catalog_(catalog), transcodes_(transcodes), tokens_(tokens), token_ttl_(token_ttl) {}

Result<PlayDecision> PlaybackService::play(const PlayRequest& request) const {
  PlayDecision d;
  d.snapshot = catalog_.snapshot();
  const auto& snap = *d.snapshot;
  d.track = snap.track(request.track);
  if (!d.track) return Error::not_found("Non existing id: 'segue:track:" + request.track.str() + "'");
  std::vector<Candidate> candidates;
  for (const auto* f : snap.files_for_track(d.track->id))
    candidates.push_back({f->id, f->codec, f->bitrate_kbps, f->lossless});
  // The encodings Segue can make from the best original. One that failed means the original
  // does not decode: then none is offered, and the original is served as it is.
  std::optional<transcode::Source> source;
  if (const auto* best = best_original(candidates); best && transcodes_) {
    const auto* f = snap.file(best->file);
    source = transcode::Source{f->id, f->path, f->size, f->mtime_ns,
                               static_cast<double>(d.track->duration_ms) / 1000};
    std::vector<Candidate> encodings;
    bool failed = false;
    for (const auto& spec : encodings_for(*best)) {
      auto fmt = audio::format_from_codec_name(spec.format);
      if (!fmt) continue;
      auto known = transcodes_->peek(*source, *fmt, spec.bitrate_kbps);
      failed = failed || known.state == transcode::State::kFailed;
      encodings.push_back({known.id, spec.format, spec.bitrate_kbps, false, true});
    }
    if (!failed) candidates.insert(candidates.end(), encodings.begin(), encodings.end());
  }
  SEGUE_ASSIGN_OR_RETURN(QualityChoice choice, choose_quality(candidates, request.quality));
  if (choice.file.transcode) {
    const auto fmt = *audio::format_from_codec_name(choice.file.format);
    // Started now if missing; the client fetches it once ready (pending until then).
    auto enc = transcodes_->request(*source, fmt, choice.file.bitrate_kbps);
    if (enc.state == transcode::State::kFailed) return Error::internal("Transcoding failed: " + enc.error);
    d.file = PlayFile{enc.id, choice.file.format, std::string(audio::container_name(fmt)),
                      std::string(audio::mime_type(fmt)), enc.bitrate_kbps, enc.size, false,
                      enc.state == transcode::State::kReady, true, enc.retry_after.count()};
  } else {
    const auto* f = snap.file(choice.file.file);
    d.file = PlayFile{f->id, f->codec, f->container, f->mime_type, f->bitrate_kbps, f->size, f->lossless, true, false, 0};
  }
  d.tier = request.quality.tier;
  d.cap_kbps = choice.cap_kbps;
  d.within_cap = choice.within_cap;
  d.note = std::move(choice.note);
  d.expires_in = token_ttl_;
  const auto expires_at = std::chrono::system_clock::now() + token_ttl_;
  d.token = tokens_.issue(d.file.id, request.user, expires_at);
  // Edges only for a file that can be fetched now: an edge would cache nothing of a pending
  // encoding, and the origin tells the client when to come back.
  if (edges_ && edge_tokens_ && d.file.ready) {
    auto ranking = edges_->ranking();
    if (!ranking->empty()) {
      const std::string path = "/audio/" + d.file.id.str() + "?token=" + edge_tokens_->issue(d.file.id, request.user, expires_at);
      for (const auto& e : *ranking) d.edges.push_back({e.name, e.region, e.base_url + path});
    }
  }
  return d;
}

Result<PlayDecision> PlaybackService::play_settled(const PlayRequest& request) const {
  auto d = play(request);
  if (!d.ok() || !transcodes_ || !d->file.transcoded || d->file.ready) return d;
  SEGUE_TRY(transcodes_->settle(d->file.id));
  return play(request);
}

Result<StreamClaims> PlaybackService::verify_token(std::string_view token, const FileId& file) const {
  const auto now = std::chrono::system_clock::now();
  if (edge_tokens_ && EdgeTokenSigner::looks_like_edge_token(token)) return edge_tokens_->verify(token, file, now);
  return tokens_.verify(token, file, now);
}

namespace {

// What an /audio request for an encoding gets, from what the transcode cache says of it.
Result<StreamSource> from_encoding(const std::optional<transcode::EncodingInfo>& enc) {
  StreamSource s;
  if (!enc) return Error::not_found("Unknown file");
  if (enc->state == transcode::State::kFailed) {
    s.state = StreamSource::State::kFailed;
    s.error = enc->error;
    return s;
  }
  if (enc->state != transcode::State::kReady) {
    s.state = StreamSource::State::kPending;
    s.retry_after = enc->retry_after;
    return s;
  }
  s.path = enc->path;
  s.mime_type = std::string(audio::mime_type(enc->format));
  s.size = enc->size;
  s.mtime_ns = enc->mtime_ns;
  return s;
}

}  // namespace

Result<StreamSource> PlaybackService::resolve(const FileId& file) const {
  StreamSource s;
  auto snap = catalog_.snapshot();
  if (const auto* f = snap->file(file)) {
    s.path = f->path;
    s.mime_type = f->mime_type;
    s.size = f->size;
    s.mtime_ns = f->mtime_ns;
    return s;
  }
  return from_encoding(transcodes_ ? transcodes_->find(file) : std::nullopt);
}

Result<StreamSource> PlaybackService::resolve_stored(const FileId& file) const {
  auto known = resolve(file);
  if (known.ok() || known.error().code != ErrorCode::kNotFound || !transcodes_) return known;
  SEGUE_ASSIGN_OR_RETURN(auto enc, transcodes_->find_stored(file));
  return from_encoding(enc);
}


}  // namespace segue::playback
