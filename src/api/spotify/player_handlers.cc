// The seed's Audio Playback Flow: POST /v1/me/player/play hands out a stream token and URLs;
// POST /v1/me/player/events records what was played; recently-played reads it back.
#include <cmath>

#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/routes.h"
#include "analysis/analysis_service.h"
#include "common/strings.h"
#include "playback/service.h"
#include "playlist/service.h"
#include "recommend/radio.h"

namespace segue::api::spotify {
namespace {
namespace json = boost::json;
using auth::Scope;

constexpr std::size_t kMaxEventsPerBatch = 1000;

// Reads the track id from {"track_id": "..."} (the seed's contract) or {"uris": ["segue:track:..."]}.
Result<std::string> track_id_from(const json::object& body) {
  if (const auto* v = body.if_contains("track_id")) {
    if (!v->is_string()) return Error::invalid("track_id: expected a string");
    std::string id(v->as_string().c_str());
    if (auto from_uri = parse_uri(id, "track")) id = *from_uri;
    if (!is_base62_id(id)) return Error::invalid("track_id: invalid base62 id");
    return id;
  }
  if (const auto* v = body.if_contains("uris")) {
    if (!v->is_array() || v->as_array().empty() || !v->as_array()[0].is_string())
      return Error::invalid("uris: expected an array of track URIs");
    auto id = parse_uri(std::string_view(v->as_array()[0].as_string()), "track");
    if (!id) return Error::invalid("uris: invalid track URI");
    return *id;
  }
  return Error::invalid("Missing required field track_id");
}

// One event of a POST /v1/me/player/events body, in the versioned schema of events/event.h.
// Playback events must name a track the catalog knows. The user's private-session setting
// marks every event private (the client may also mark its own session's events).
Result<events::Event> parse_client_event(const json::value& v, std::size_t index, const UserId& user,
                                         const catalog::Snapshot& snap, bool private_session) {
  const std::string at = "events[" + std::to_string(index) + "].";
  auto e = events::parse_event(v, user);
  if (!e.ok()) return Error::invalid(at + e.error().message);
  if (const auto* pb = e->playback(); pb && !snap.track(pb->track))
    return Error::invalid(at + "track_id: unknown track");
  if (private_session) e->private_session = true;
  return e;
}

constexpr std::string_view kRadioPrefix = "segue:radio:";

const char* seed_kind_name(recommend::SeedKind k) {
  switch (k) {
    case recommend::SeedKind::kTrack: return "track";
    case recommend::SeedKind::kArtist: return "artist";
    case recommend::SeedKind::kAlbum: return "album";
    case recommend::SeedKind::kPlaylist: return "playlist";
  }
  return "track";
}

// A radio context (docs/formats/radio.md): Spotify has no such type, so a Segue one, "radio",
// whose href is the seed's and whose `seed` (an extension) names it for a client to show
// "<name> Radio" and start the station again. Playlist names come from `playlist_names`
// (looked up on a worker thread; a playlist the user may not read has none).
json::value radio_context(const std::string& uri, const std::string& base, const catalog::Snapshot& snap,
                          const std::unordered_map<std::string, std::string>& playlist_names) {
  json::object c;
  c["type"] = "radio";
  c["uri"] = uri;
  c["external_urls"] = json::object();
  auto seed = recommend::parse_radio_seed(uri);
  if (!seed.ok()) {
    c["href"] = nullptr;
    c["seed"] = nullptr;
    return c;
  }
  const std::string kind = seed_kind_name(seed->kind);
  c["href"] = base + "/v1/" + kind + "s/" + seed->id;
  json::value name = nullptr;
  switch (seed->kind) {
    case recommend::SeedKind::kTrack:
      if (const auto* t = snap.track(TrackId(seed->id))) name = json::string(t->title);
      break;
    case recommend::SeedKind::kArtist:
      if (const auto* a = snap.artist(ArtistId(seed->id))) name = json::string(a->name);
      break;
    case recommend::SeedKind::kAlbum:
      if (const auto* a = snap.album(AlbumId(seed->id))) name = json::string(a->name);
      break;
    case recommend::SeedKind::kPlaylist:
      if (auto it = playlist_names.find(seed->id); it != playlist_names.end()) name = json::string(it->second);
      break;
  }
  c["seed"] = json::object{{"type", kind}, {"id", seed->id}, {"uri", seed->uri()}, {"name", std::move(name)}};
  return c;
}

json::value context_object(const std::string& uri, const std::string& base, const catalog::Snapshot& snap,
                           const std::unordered_map<std::string, std::string>& playlist_names) {
  if (uri.empty()) return nullptr;
  if (uri.starts_with(kRadioPrefix)) return radio_context(uri, base, snap, playlist_names);
  json::object c;
  std::string type = "album";
  std::string id;
  for (const char* kind : {"album", "artist", "playlist"}) {
    if (auto parsed = parse_uri(uri, kind)) {
      type = kind;
      id = *parsed;
    }
  }
  c["type"] = type;
  c["uri"] = uri;
  c["href"] = id.empty() ? json::value(nullptr) : json::value(base + "/v1/" + type + "s/" + id);
  c["external_urls"] = json::object();
  return c;
}

awaitable<Response> play(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(body, object_body(req));
  SEGUE_OR_400(track_id, track_id_from(body));
  playback::QualityRequest q;
  q.tier = p.tier == auth::Tier::kPremium ? playback::Tier::kPremium : playback::Tier::kFree;
  if (const auto* f = body.if_contains("formats")) {
    if (!f->is_array()) co_return error_response(400, "formats: expected an array of strings");
    for (const auto& x : f->as_array()) {
      if (!x.is_string()) co_return error_response(400, "formats: expected an array of strings");
      q.formats.emplace_back(x.as_string().c_str());
    }
  }
  if (const auto* ql = body.if_contains("quality")) {
    if (!ql->is_string()) co_return error_response(400, "quality: expected \"normal\" or \"lossless\"");
    std::string_view v(ql->as_string());
    if (v != "normal" && v != "lossless") co_return error_response(400, "quality: expected \"normal\" or \"lossless\"");
    q.want_lossless = v == "lossless";
  }
  if (!ctx.playback) co_return error_response(503, "Playback is not available");
  playback::PlayRequest play;
  play.user = *p.user;
  play.track = TrackId(track_id);
  play.quality = std::move(q);
  auto played = ctx.playback->play(play);
  if (played.ok() && played->file.transcoded && !played->file.ready) {
    // Being made: what the other nodes of a cluster recorded counts, and the job row must exist
    // before the client takes the stream URL to any node (a worker: database).
    played = co_await ctx.workers.run([&ctx, &play] { return ctx.playback->play_settled(play); });
  }
  // play()'s only internal error is an encoding that failed meanwhile; the client is told why.
  if (!played.ok() && played.error().code == ErrorCode::kInternal)
    co_return error_response(500, played.error().message);
  if (!played.ok()) co_return error_response(played.error());
  auto d = std::move(played).value();
  const auto* track = d.track;
  const auto& chosen = d.file;
  std::string base = ctx.base_url(req);
  json::object o;
  // The seed's order: the healthy caching edges by rank, then the origin (clients fall over
  // to the next URL). `edges` (a Segue extension) names the edges, in the same order.
  json::array urls;
  json::array edges;
  for (const auto& e : d.edges) {
    urls.push_back(json::string(e.url));
    edges.push_back(json::object{{"name", e.name}, {"region", e.region}, {"url", e.url}});
  }
  urls.push_back(json::string(base + "/audio/" + chosen.id.str() + "?token=" + d.token));
  o["stream_urls"] = std::move(urls);
  o["edges"] = std::move(edges);
  o["file_id"] = chosen.id.str();
  o["token"] = d.token;
  o["expires_in"] = d.expires_in.count();
  o["format"] = chosen.format;
  o["container"] = chosen.container;
  o["mime_type"] = chosen.mime_type;
  o["bitrate"] = chosen.bitrate_kbps;
  o["duration_ms"] = track->duration_ms;
  o["size"] = chosen.ready ? json::value(chosen.size) : json::value(nullptr);
  // Segue's extension: an encoding still being made is not ready; GET /audio answers 503
  // with Retry-After until it is.
  o["ready"] = chosen.ready;
  o["transcoded"] = chosen.transcoded;
  if (!chosen.ready) o["retry_after"] = chosen.retry_after_s;
  json::object quality;
  quality["tier"] = d.tier == playback::Tier::kPremium ? "premium" : "free";
  quality["cap_kbps"] = d.cap_kbps;
  quality["within_cap"] = d.within_cap;
  quality["lossless"] = chosen.lossless;
  quality["note"] = d.note;
  o["quality"] = std::move(quality);
  json::object rg;
  if (track->replay_gain.track_gain_db) rg["track_gain_db"] = *track->replay_gain.track_gain_db;
  if (track->replay_gain.album_gain_db) rg["album_gain_db"] = *track->replay_gain.album_gain_db;
  o["replay_gain"] = std::move(rg);
  // Loudness normalisation from Segue's own EBU R128 analysis (absent until the track is
  // analyzed): the gains that bring the track, or its album, to -14 LUFS without clipping.
  if (ctx.analysis) {
    if (auto sound = ctx.analysis->track(track->id); sound && sound->integrated_lufs) {
      json::object n;
      n["target_lufs"] = audio::kTargetLufs;
      n["integrated_lufs"] = std::round(*sound->integrated_lufs * 100) / 100;
      n["true_peak_dbtp"] = std::round(sound->true_peak_dbtp * 100) / 100;
      n["track_gain_db"] = std::round(sound->track_gain_db * 100) / 100;
      n["album_gain_db"] = std::round(sound->album_gain_db * 100) / 100;
      if (sound->album_lufs) n["album_integrated_lufs"] = std::round(*sound->album_lufs * 100) / 100;
      o["normalization"] = std::move(n);
    }
  }
  o["track"] = ObjectWriter(*d.snapshot, base, ctx.popularity).track(*track);
  co_return json_response(o);
}

awaitable<Response> record_events(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(body, json_body(req));
  json::array single;
  const json::array* arr = events::event_batch(body, single);
  if (!arr) co_return error_response(400, "Expected an event object, an array of events or {\"events\": [...]}");
  if (arr->empty()) co_return error_response(400, "events: at least one event is required");
  if (arr->size() > kMaxEventsPerBatch)
    co_return error_response(400, "events: at most " + std::to_string(kMaxEventsPerBatch) + " per request");
  auto snap = ctx.catalog.snapshot();
  UserId user = *p.user;
  bool private_session = false;
  if (ctx.preferences) {
    auto prefs = co_await ctx.workers.run([&] { return ctx.preferences->get(user); });
    if (!prefs.ok()) co_return error_response(prefs.error());
    private_session = prefs->private_session;
  }
  std::vector<events::Event> batch;
  batch.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    SEGUE_OR_400(e, parse_client_event((*arr)[i], i, user, *snap, private_session));
    batch.push_back(std::move(e));
  }
  auto appended = co_await ctx.workers.run([&] { return ctx.events.append(batch); });
  if (!appended.ok()) co_return error_response(appended.error());
  // The offsets tell a client exactly which of its events are durable.
  co_return json_response(json::object{{"accepted", batch.size()}, {"first_offset", appended->first},
                                       {"last_offset", appended->last}});
}

awaitable<Response> recently_played(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(limit, limit_param(req, 20, 50));
  auto cursor = [&req](const char* name) -> Result<std::optional<int64_t>> {
    auto v = req.query_param(name);
    if (!v) return std::optional<int64_t>();
    auto n = strings::parse_int(*v);
    if (!n || *n < 0) return Error::invalid(std::string("Invalid ") + name + ": expected a unix timestamp in milliseconds");
    return std::optional<int64_t>(*n);
  };
  SEGUE_OR_400(before, cursor("before"));
  SEGUE_OR_400(after, cursor("after"));
  if (before && after) co_return error_response(400, "Only one of before and after may be given");
  UserId user = *p.user;
  // The names of playlists that seeded a radio, read as the user may see them (a worker: database).
  std::unordered_map<std::string, std::string> playlist_names;
  auto page = co_await ctx.workers.run([&]() -> Result<events::PlaysPage> {
    auto r = ctx.events.recently_played(user, limit, before, after);
    if (!r.ok() || !ctx.playlists) return r;
    for (const auto& play : r->items) {
      if (!play.context_uri.starts_with(kRadioPrefix)) continue;
      auto seed = recommend::parse_radio_seed(play.context_uri);
      if (!seed.ok() || seed->kind != recommend::SeedKind::kPlaylist || playlist_names.count(seed->id)) continue;
      if (auto info = ctx.playlists->get(PlaylistId(seed->id), user); info.ok()) playlist_names[seed->id] = info->name;
    }
    return r;
  });
  if (!page.ok()) co_return error_response(page.error());
  auto snap = ctx.catalog.snapshot();
  std::string base = ctx.base_url(req);
  ObjectWriter w(*snap, base, ctx.popularity);
  json::array items;
  for (const auto& play : page->items) {
    const auto* t = snap->track(play.track);
    if (!t) continue;
    json::object it;
    it["track"] = w.track(*t);
    it["played_at"] = iso8601_ms(play.played_at_ms);
    it["context"] = context_object(play.context_uri, base, *snap, playlist_names);
    items.push_back(std::move(it));
  }
  std::string href = base + "/v1/me/player/recently-played?limit=" + std::to_string(limit);
  json::object o;
  o["href"] = href + (before ? "&before=" + std::to_string(*before) : after ? "&after=" + std::to_string(*after) : "");
  o["limit"] = limit;
  json::object cursors;
  if (!page->items.empty()) {
    cursors["after"] = std::to_string(page->items.front().played_at_ms);
    cursors["before"] = std::to_string(page->items.back().played_at_ms);
  } else {
    cursors["after"] = nullptr;
    cursors["before"] = nullptr;
  }
  // Going back in time is "next", as in Spotify's API.
  bool more_older = after ? true : page->has_more;
  o["next"] = (!page->items.empty() && more_older)
                  ? json::value(href + "&before=" + std::to_string(page->items.back().played_at_ms))
                  : json::value(nullptr);
  o["cursors"] = std::move(cursors);
  o["items"] = std::move(items);
  co_return json_response(o);
}

}  // namespace

void register_player_routes(net::Router& router, ApiContext& ctx) {
  add_routes(router, ctx, {
      {http::verb::post, "/v1/me/player/play", play},
      {http::verb::post, "/v1/me/player/events", record_events},
      {http::verb::get, "/v1/me/player/recently-played", recently_played},
  });
}

}  // namespace segue::api::spotify
