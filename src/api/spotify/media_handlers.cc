// Audio bytes and cover art. Audio: GET /audio/{file_id}?token=... with HTTP ranges; the file
// id must be a base62 id known to the catalog or to the transcode cache, so nothing from the
// URL ever becomes a path. An encoding is served only once complete (503 + Retry-After while
// it is being made), so ranges and seeking work as for original files.
#include <ctime>

#include "api/spotify/abuse.h"
#include "api/spotify/handler_util.h"
#include "api/spotify/routes.h"
#include "common/strings.h"
#include "playback/byte_range.h"
#include "playback/service.h"

namespace segue::api::spotify {
namespace {

std::string http_date(int64_t epoch_s) {
  std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Per-address request limits of /audio and /images (numbers in abuse.h): 429 with Retry-After.
std::optional<Response> over_limit(net::RateLimit* limiter, const Request& req, std::string_view what) {
  if (!limiter) return std::nullopt;
  auto d = limiter->acquire(std::string(what) + ":" + address_key(req.remote_ip));
  if (d.allowed) return std::nullopt;
  Response r = error_response(429, "Too many " + std::string(what) + " requests from this address");
  r.headers.set(http::field::retry_after, std::to_string(d.retry_after.count()));
  return r;
}

// The audio bytes: `streamed` counts bytes sent, `refused` requests without a valid token.
awaitable<Response> stream_audio(ApiContext& ctx, Counter& streamed, Counter& refused, Request& req) {
  if (auto limited = over_limit(ctx.abuse ? &ctx.abuse->audio : nullptr, req, "audio")) co_return std::move(*limited);
  const std::string& id = req.param("file_id");
  if (!is_base62_id(id)) co_return error_response(404, "Unknown file");
  auto token = req.query_param("token");
  if (!token) {
    refused.inc();
    co_return error_response(403, "Missing stream token");
  }
  if (!ctx.playback) co_return error_response(503, "Playback is not available");
  auto claims = ctx.playback->verify_token(*token, FileId(id));
  if (!claims.ok()) {
    refused.inc();
    co_return error_response(403, claims.error().message);
  }
  auto resolved = ctx.playback->resolve(FileId(id));
  if (!resolved.ok() && resolved.error().code == ErrorCode::kNotFound) {
    // Not in this node's memory: an encoding another node of a cluster was asked for is in the
    // transcode tables (read on a worker; only for a token valid for this very id).
    // The id is a named local captured by reference: a lambda that owns a string, built in the
    // co_await expression, is destroyed twice by g++ 12 (a double free; see WorkerPool::run).
    const FileId file(id);
    resolved = co_await ctx.workers.run([&ctx, &file] { return ctx.playback->resolve_stored(file); });
  }
  SEGUE_OR_400(source, std::move(resolved));
  if (source.state == playback::StreamSource::State::kFailed)
    co_return error_response(500, "This encoding could not be made: " + source.error);
  if (source.state == playback::StreamSource::State::kPending) {
    Response r = error_response(503, "The file is being transcoded; retry after " +
                                         std::to_string(source.retry_after.count()) + " s");
    r.headers.set(http::field::retry_after, std::to_string(std::max<int64_t>(1, source.retry_after.count())));
    r.headers.set(http::field::cache_control, "no-store");
    co_return r;
  }
  const std::string& path = source.path;
  const std::string& mime_type = source.mime_type;
  const int64_t file_size = source.size, mtime_ns = source.mtime_ns;
  const uint64_t size = static_cast<uint64_t>(file_size);
  const int64_t mtime_s = mtime_ns / 1'000'000'000;
  const std::string etag = "\"" + id + "-" + std::to_string(file_size) + "-" + std::to_string(mtime_ns) + "\"";
  const std::string last_modified = http_date(mtime_s);

  Response res;
  res.headers.set(http::field::accept_ranges, "bytes");
  res.headers.set(http::field::etag, etag);
  res.headers.set(http::field::last_modified, last_modified);
  res.headers.set(http::field::cache_control, "private, max-age=3600");
  res.log_user = claims->user.str();

  std::string_view range_header = req.header(http::field::range);
  if (auto if_range = req.header(http::field::if_range); !if_range.empty() && !range_header.empty()) {
    // A range applies only if the validator still matches; otherwise send the whole file.
    if (if_range != etag && if_range != last_modified) range_header = {};
  }
  auto decision = playback::decide_range(range_header, size);
  if (decision.kind == playback::RangeDecision::kUnsatisfiable) {
    Response r = error_response(416, "Requested range not satisfiable");
    r.headers.set(http::field::content_range, "bytes */" + std::to_string(size));
    r.headers.set(http::field::accept_ranges, "bytes");
    co_return r;
  }
  res.headers.set(http::field::content_type, mime_type);
  if (decision.kind == playback::RangeDecision::kPartial) {
    res.status = 206;
    res.headers.set(http::field::content_range, "bytes " + std::to_string(decision.range.first) + "-" +
                                                    std::to_string(decision.range.last) + "/" +
                                                    std::to_string(size));
    res.file = net::FileBody{path, decision.range.first, decision.range.length(), file_size, mtime_ns};
  } else {
    res.status = 200;
    res.file = net::FileBody{path, 0, size, file_size, mtime_ns};
  }
  if (req.method() != http::verb::head) streamed.inc(res.file->length);
  co_return res;
}

awaitable<Response> image(ApiContext& ctx, Request& req) {
  if (auto limited = over_limit(ctx.abuse ? &ctx.abuse->images : nullptr, req, "image")) co_return std::move(*limited);
  const std::string& id = req.param("id");
  if (!is_base62_id(id)) co_return error_response(404, "Unknown image");
  int size = 640;
  if (auto s = req.query_param("size")) {
    auto n = strings::parse_int(*s);
    if (!n || (*n != 640 && *n != 300 && *n != 64)) co_return error_response(400, "size: must be 640, 300 or 64");
    size = static_cast<int>(*n);
  }
  std::string etag = "\"" + id + "-" + std::to_string(size) + "\"";
  if (req.header(http::field::if_none_match) == etag) {
    Response r = Response::empty(304);
    r.headers.set(http::field::etag, etag);
    co_return r;
  }
  auto jpeg = co_await ctx.workers.run([&] { return ctx.artwork.image_jpeg(ImageId(id), size); });
  if (!jpeg.ok()) {
    if (jpeg.error().code == ErrorCode::kNotFound) co_return error_response(404, "Unknown image");
    if (jpeg.error().code == ErrorCode::kInvalidArgument) co_return error_response(404, "The cover art could not be decoded");
    co_return error_response(jpeg.error());
  }
  Response r = Response::text(200, std::move(jpeg).value(), "image/jpeg");
  r.headers.set(http::field::cache_control, "public, max-age=86400");
  r.headers.set(http::field::etag, etag);
  co_return r;
}

}  // namespace

void register_media_routes(net::Router& router, ApiContext& ctx) {
  auto& streamed = ctx.metrics.counter("segue_audio_bytes_streamed_total", "Audio bytes sent to clients");
  auto& refused = ctx.metrics.counter("segue_audio_token_refusals_total", "Audio requests refused for a bad token");

  router.add(http::verb::get, "/audio/{file_id}", [&ctx, &streamed, &refused](Request& req) {
    return stream_audio(ctx, streamed, refused, req);
  });

  add_routes(router, ctx, {
      {http::verb::get, "/images/{id}", image},
  });
}

}  // namespace segue::api::spotify
