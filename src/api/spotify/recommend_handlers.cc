// Recommendations over HTTP (recommend/service.h, issue 18): Spotify's /v1/recommendations with
// seeds and tunable attributes, its genre seeds and related artists, and Segue's
// /v1/me/recommendations (the user's own ranking of what they have not played;
// docs/formats/recommend.md), radio (POST /v1/me/radio) and "Recommended songs" under a playlist
// (docs/formats/radio.md). Queries read a user's latest signals from the database, so they
// run on the worker pool.
#include <charconv>
#include <chrono>
#include <cmath>

#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/routes.h"
#include "common/json_fields.h"
#include "common/strings.h"
#include "api/spotify/playlist_objects.h"
#include "recommend/home.h"
#include "recommend/radio.h"
#include "recommend/service.h"

namespace segue::api::spotify {
namespace {

namespace json = boost::json;

// Comma-separated values of `name` (empty when absent); Error::invalid for an empty item.
Result<std::vector<std::string>> list_param(const Request& req, const char* name) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return std::vector<std::string>{};
  auto parts = strings::split(*v, ',');
  for (auto& s : parts) {
    s = std::string(strings::trim(s));
    if (s.empty()) return Error::invalid(std::string("Invalid ") + name + ": empty value in the list");
  }
  return parts;
}

// A seed id, or the id of a segue:/spotify: URI of the kind.
Result<std::vector<std::string>> seed_ids(const Request& req, const char* name, std::string_view kind) {
  SEGUE_ASSIGN_OR_RETURN(auto ids, list_param(req, name));
  for (auto& id : ids) {
    if (auto parsed = parse_uri(id, kind)) id = *parsed;
    if (!is_base62_id(id)) return Error::invalid(std::string("Invalid ") + name + ": '" + id + "' is not a base62 id");
  }
  return ids;
}

Result<std::optional<double>> number_param(const Request& req, const std::string& name) {
  auto v = req.query_param(name);
  if (!v) return std::optional<double>{};
  double n = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc() || ptr != end || !std::isfinite(n)) return Error::invalid("Invalid " + name + ": expected a number");
  return std::optional<double>(n);
}

Result<std::vector<recommend::Tunable>> tunables(const Request& req) {
  std::vector<recommend::Tunable> out;
  for (const auto& name : recommend::tunable_names()) {
    recommend::Tunable t{name};
    SEGUE_ASSIGN_OR_RETURN(t.min, number_param(req, "min_" + name));
    SEGUE_ASSIGN_OR_RETURN(t.max, number_param(req, "max_" + name));
    SEGUE_ASSIGN_OR_RETURN(t.target, number_param(req, "target_" + name));
    if (t.min && t.max && *t.min > *t.max) return Error::invalid("Invalid min_" + name + ": above max_" + name);
    if (t.min || t.max || t.target) out.push_back(std::move(t));
  }
  return out;
}

awaitable<Response> recommendations(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  recommend::Seeds seeds;
  SEGUE_OR_400(artists, seed_ids(req, "seed_artists", "artist"));
  SEGUE_OR_400(tracks, seed_ids(req, "seed_tracks", "track"));
  SEGUE_OR_400(genres, list_param(req, "seed_genres"));
  seeds.artists = std::move(artists);
  seeds.tracks = std::move(tracks);
  seeds.genres = std::move(genres);
  const std::size_t n = seeds.artists.size() + seeds.tracks.size() + seeds.genres.size();
  if (n == 0) co_return error_response(400, "Missing seeds: give seed_artists, seed_tracks or seed_genres");
  if (n > 5) co_return error_response(400, "Invalid seeds: at most 5 in all");
  SEGUE_OR_400(limit, limit_param(req, 20, 100));
  SEGUE_OR_400(tunes, tunables(req));
  std::optional<UserId> user;
  if (p.user) user = *p.user;
  auto result = co_await ctx.workers.run(
      [&] { return ctx.recommend->from_seeds(seeds, tunes, static_cast<std::size_t>(limit), user); });
  if (!result.ok()) co_return error_response(result.error());
  auto snap = ctx.catalog.snapshot();
  const std::string base = ctx.base_url(req);
  ObjectWriter w(*snap, base, ctx.popularity);
  json::array items;
  for (const auto& id : result->tracks)
    if (const auto* t = snap->track(TrackId(id))) items.push_back(w.track(*t));
  json::array seed_objects;
  for (const auto& s : result->seeds) {
    json::object o;
    o["afterFilteringSize"] = s.after_filtering;
    o["afterRelinkingSize"] = s.after_filtering;
    o["initialPoolSize"] = s.initial_pool;
    o["id"] = s.id;
    o["type"] = s.type;
    o["href"] = s.type == "ARTIST" ? json::value(base + "/v1/artists/" + s.id)
                : s.type == "TRACK" ? json::value(base + "/v1/tracks/" + s.id)
                                    : json::value(nullptr);
    seed_objects.push_back(std::move(o));
  }
  co_return json_response(json::object{{"seeds", std::move(seed_objects)}, {"tracks", std::move(items)}});
}

awaitable<Response> genre_seeds(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  json::array genres;
  for (auto& g : ctx.recommend->genre_seeds()) genres.emplace_back(g);
  co_return json_response(json::object{{"genres", std::move(genres)}});
}

awaitable<Response> related_artists(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  const std::string id = req.param("id");
  if (!is_base62_id(id)) co_return error_response(400, "Invalid base62 id");
  auto related = co_await ctx.workers.run([&] { return ctx.recommend->related_artists(ArtistId(id), 20); });
  if (!related.ok()) co_return error_response(related.error());
  auto snap = ctx.catalog.snapshot();
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  json::array artists;
  for (const auto& a : *related)
    if (const auto* artist = snap->artist(a)) artists.push_back(w.artist(*artist));
  co_return json_response(json::object{{"artists", std::move(artists)}});
}

// Segue's own: ?type=track|artist&limit=1..50.
awaitable<Response> my_recommendations(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  const std::string type(req.query_param("type").value_or("track"));
  if (type != "track" && type != "artist") co_return error_response(400, "Invalid type: expected track or artist");
  SEGUE_OR_400(limit, limit_param(req, 20, 50));
  UserId user = *p.user;
  const auto level = type == "track" ? recommend::Level::kTracks : recommend::Level::kArtists;
  auto ranked = co_await ctx.workers.run(
      [&] { return ctx.recommend->for_user(user, level, static_cast<std::size_t>(limit)); });
  if (!ranked.ok()) co_return error_response(ranked.error());
  auto snap = ctx.catalog.snapshot();
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  json::array items;
  for (const auto& s : *ranked) {
    json::value obj;
    if (type == "track") {
      if (const auto* t = snap->track(TrackId(s.id))) obj = w.track(*t);
    } else if (const auto* a = snap->artist(ArtistId(s.id))) {
      obj = w.artist(*a);
    }
    if (obj.is_null()) continue;
    items.push_back(json::object{{"score", std::isfinite(s.score) ? s.score : 0.0f}, {type, std::move(obj)}});
  }
  auto m = ctx.recommend->model();
  json::object o;
  o["items"] = std::move(items);
  o["model_version"] = m ? json::value(m->info.version) : json::value(nullptr);
  co_return json_response(std::move(o));
}

// One home item as {"type": kind, kind: object}; null when it is gone (or, for a playlist, no
// longer readable by `user`). Reads the playlist store: worker threads only.
json::value home_item(ApiContext& ctx, const catalog::Snapshot& snap, ObjectWriter& w, UserNames& names,
                      const std::string& base, const UserId& user, const recommend::HomeItem& it) {
  auto render = [&](const std::string& kind, const std::string& id) -> json::value {
    if (kind == "track") {
      if (const auto* t = snap.track(TrackId(id))) return w.track(*t);
    } else if (kind == "album") {
      if (const auto* a = snap.album(AlbumId(id))) return w.simplified_album(*a);
    } else if (kind == "artist") {
      if (const auto* a = snap.artist(ArtistId(id))) return w.artist(*a);
    } else if (kind == "playlist" && ctx.playlists) {
      auto info = ctx.playlists->get(PlaylistId(id), user);
      if (info.ok()) return simplified_playlist(*info, names, base);
    }
    return nullptr;
  };
  json::value obj;
  if (it.kind == "radio") {
    // A radio station (id: its seed's URI): docs/formats/home.md.
    if (auto seed = recommend::parse_radio_seed(it.id); seed.ok()) {
      const std::string uri = seed->uri();
      const std::string kind = uri.substr(6, uri.find(':', 6) - 6);  // segue:<kind>:<id>
      json::value seed_obj = render(kind, seed->id);
      if (!seed_obj.is_null()) {
        const json::object& so = seed_obj.as_object();
        const json::value* images =
            kind == "track" ? so.at("album").as_object().if_contains("images") : so.if_contains("images");
        obj = json::object{{"type", "radio"},
                           {"uri", seed->context_uri()},
                           {"href", base + "/v1/" + kind + "s/" + seed->id},
                           {"name", so.at("name")},
                           {"images", images ? *images : json::value(json::array())},
                           {"seed", json::object{{"type", kind}, {"id", seed->id}, {"uri", uri}}}};
      }
    }
  } else {
    obj = render(it.kind, it.id);
  }
  if (obj.is_null()) return obj;
  return json::object{{"type", it.kind}, {it.kind, std::move(obj)}};
}

// Segue's home (docs/formats/home.md): ?device=<Spotify device type>&utc_offset=<minutes east
// of UTC, as the client's clock says>, both optional.
awaitable<Response> home(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  recommend::BanditContext context;
  context.device = recommend::parse_device(req.query_param("device").value_or(""));
  int offset_minutes = 0;
  if (auto v = req.query_param("utc_offset")) {
    auto n = strings::parse_int(*v);
    if (!n || *n < -840 || *n > 840) co_return error_response(400, "Invalid utc_offset: minutes from -840 to 840");
    offset_minutes = static_cast<int>(*n);
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t local_min = now / 60000 + offset_minutes;
  context.hour = static_cast<double>(((local_min % 1440) + 1440) % 1440) / 60.0;
  const int64_t days = (local_min >= 0 ? local_min : local_min - 1439) / 1440;  // since 1970-01-01, a Thursday
  context.weekday = static_cast<int>(((days + 3) % 7 + 7) % 7);
  UserId user = *p.user;
  auto page = co_await ctx.workers.run([&] { return ctx.home->home(user, context); });
  if (!page.ok()) co_return error_response(page.error());
  const std::string base = ctx.base_url(req);
  // Playlist items are rendered as the user may see them (a playlist they lost access to drops).
  auto body = co_await ctx.workers.run([&]() -> Result<std::string> {
    auto snap = ctx.catalog.snapshot();
    ObjectWriter w(*snap, base, ctx.popularity);
    UserNames names(ctx.auth);
    json::array sections;
    for (const auto& s : page->sections) {
      json::array items;
      for (const auto& it : s.items)
        if (auto obj = home_item(ctx, *snap, w, names, base, user, it); !obj.is_null()) items.push_back(std::move(obj));
      if (items.empty()) continue;
      sections.push_back(json::object{{"id", s.id}, {"title", s.title}, {"position", s.position},
                                      {"propensity", s.propensity}, {"items", std::move(items)}});
    }
    json::object o;
    o["impression_id"] = page->impression_id;
    o["policy_version"] = page->policy_version;
    o["experiment_arm"] = page->experiment_arm;
    o["generated_at"] = page->generated_at_ms;
    o["cached"] = page->cached;
    o["sections"] = std::move(sections);
    return json::serialize(o);
  });
  if (!body.ok()) co_return error_response(body.error());
  co_return Response::json(200, std::move(body).value());
}

// One home section in full ("Show all", docs/formats/home.md): {"id", "title", "items": a paging
// object of home items}; ?limit=1..50 (default 50)&offset= over at most kWholeSection items.
awaitable<Response> home_section(ApiContext& ctx, Request& req) {
  constexpr std::size_t kWholeSection = 100;
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(limit, limit_param(req, 50, 50));
  SEGUE_OR_400(offset, offset_param(req));
  const std::string id = req.param("id");
  UserId user = *p.user;
  const std::string base = ctx.base_url(req);
  auto body = co_await ctx.workers.run([&]() -> Result<std::string> {
    SEGUE_ASSIGN_OR_RETURN(auto section, ctx.home->section(user, id, kWholeSection));
    if (!section) return Error::not_found("No such home section: " + id.substr(0, 100));
    auto snap = ctx.catalog.snapshot();
    ObjectWriter w(*snap, base, ctx.popularity);
    UserNames names(ctx.auth);
    json::array all;
    for (const auto& it : section->items)
      if (auto obj = home_item(ctx, *snap, w, names, base, user, it); !obj.is_null()) all.push_back(std::move(obj));
    json::array page;
    for (std::size_t i = static_cast<std::size_t>(offset); i < all.size() && page.size() < static_cast<std::size_t>(limit); ++i)
      page.push_back(std::move(all[i]));
    const std::string path = "/v1/me/home/sections/" + strings::url_encode(id);
    json::object o;
    o["id"] = section->id;
    o["title"] = section->title;
    o["items"] = w.paging(path, std::move(page), limit, offset, static_cast<int64_t>(all.size()));
    return json::serialize(o);
  });
  if (!body.ok()) co_return error_response(body.error());
  co_return Response::json(200, std::move(body).value());
}

// An array of track ids (or track URIs) in the body; Error::invalid naming the field.
Result<std::vector<std::string>> track_list(const json::object& body, const char* name) {
  std::vector<std::string> out;
  const auto* v = body.if_contains(name);
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return Error::invalid(std::string("Invalid ") + name + ": expected an array of track ids");
  // Longer histories are accepted and cut to their newest entries (RadioHistory::kMaxHistory).
  if (v->as_array().size() > 1000) return Error::invalid(std::string("Invalid ") + name + ": at most 1000 ids");
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return Error::invalid(std::string("Invalid ") + name + ": expected an array of track ids");
    std::string id(x.as_string());
    if (auto parsed = parse_uri(id, "track")) id = *parsed;
    if (!is_base62_id(id)) return Error::invalid(std::string("Invalid ") + name + ": '" + id.substr(0, 64) + "' is not a track id");
    out.push_back(std::move(id));
  }
  return out;
}

json::array track_objects(ApiContext& ctx, Request& req, const std::vector<std::string>& ids) {
  auto snap = ctx.catalog.snapshot();
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  json::array items;
  for (const auto& id : ids)
    if (const auto* t = snap->track(TrackId(id))) items.push_back(w.track(*t));
  return items;
}

// Segue's radio: {seed, played, skipped, queued, limit} -> the station's next tracks.
awaitable<Response> radio(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(body, object_body(req));
  SEGUE_OR_400(seed_uri, json_fields::req_string(body, "seed"));
  SEGUE_OR_400(seed, recommend::parse_radio_seed(seed_uri));
  recommend::RadioHistory history;
  SEGUE_OR_400(played, track_list(body, "played"));
  SEGUE_OR_400(skipped, track_list(body, "skipped"));
  SEGUE_OR_400(queued, track_list(body, "queued"));
  history.played = std::move(played);
  history.skipped = std::move(skipped);
  history.queued = std::move(queued);
  SEGUE_OR_400(limit_opt, json_fields::opt_int(body, "limit"));
  const int64_t limit = limit_opt.value_or(10);
  if (limit < 1 || limit > 50) co_return error_response(400, "Invalid limit: expected 1 to 50");
  UserId user = *p.user;
  auto batch = co_await ctx.workers.run([&] {
    recommend::Radio station(*ctx.recommend, ctx.catalog, ctx.playlists);
    return station.next(seed, history, static_cast<std::size_t>(limit), user);
  });
  if (!batch.ok()) co_return error_response(batch.error());
  json::object o;
  o["context_uri"] = batch->context_uri;
  o["seed"] = seed.uri();
  o["tracks"] = track_objects(ctx, req, batch->tracks);
  json::array st, sa;
  for (const auto& t : batch->seed_tracks) st.emplace_back(t);
  for (const auto& a : batch->seed_artists) sa.emplace_back(a);
  o["seed_tracks"] = std::move(st);
  o["seed_artists"] = std::move(sa);
  auto m = ctx.recommend->model();
  o["model_version"] = m ? json::value(m->info.version) : json::value(nullptr);
  co_return json_response(std::move(o));
}

// "Recommended songs" under a playlist: ?limit=1..50 (default 10), none of its own tracks.
awaitable<Response> playlist_recommendations(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(limit, limit_param(req, 10, 50));
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  auto tracks = co_await ctx.workers.run([&] {
    recommend::Radio station(*ctx.recommend, ctx.catalog, ctx.playlists);
    return station.for_playlist(id, user, static_cast<std::size_t>(limit));
  });
  if (!tracks.ok()) co_return error_response(tracks.error());
  co_return json_response(json::object{{"tracks", track_objects(ctx, req, *tracks)}});
}

}  // namespace

void register_recommend_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.recommend) return;
  add_routes(router, ctx, {
      {http::verb::get, "/v1/recommendations", recommendations},
      {http::verb::get, "/v1/recommendations/available-genre-seeds", genre_seeds},
      {http::verb::get, "/v1/artists/{id}/related-artists", related_artists},
      {http::verb::get, "/v1/me/recommendations", my_recommendations},
      {http::verb::post, "/v1/me/radio", radio},
  });
  if (ctx.home)
    add_routes(router, ctx, {{http::verb::get, "/v1/me/home", home},
                             {http::verb::get, "/v1/me/home/sections/{id}", home_section}});
  if (ctx.playlists)
    add_routes(router, ctx, {{http::verb::get, "/v1/playlists/{id}/recommendations", playlist_recommendations}});
}

}  // namespace segue::api::spotify
