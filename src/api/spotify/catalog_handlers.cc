// GET endpoints of the catalog: tracks, albums, artists, new releases. Reads come from the
// in-memory catalog snapshot, so these handlers never leave the network thread.
#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/routes.h"

#include <unordered_set>

namespace segue::api::spotify {
namespace {

Result<std::string> path_id(const Request& req) {
  const std::string& id = req.param("id");
  if (!is_base62_id(id)) return Error::invalid("Invalid base62 id");
  return id;
}

#define SEGUE_PATH_ID(var, req)                                  \
  auto var##_r = path_id(req);                                   \
  if (!var##_r.ok()) co_return error_response(var##_r.error());  \
  const std::string var = std::move(var##_r).value()


// GET /v1/<kind>s/{id}: the object, 404 for an unknown id. `lookup(snapshot, id)` finds the
// entity; `render(writer, entity)` maps it.
template <typename Lookup, typename Render>
net::Handler one_by_id(ApiContext& ctx, std::string kind, Lookup lookup, Render render) {
  return [&ctx, kind, lookup, render](Request& req) -> awaitable<Response> {
    SEGUE_GUARD(p, ctx, req);
    SEGUE_PATH_ID(id, req);
    auto snap = ctx.catalog.snapshot();
    const auto* entity = lookup(*snap, id);
    if (!entity) co_return error_response(404, "Non existing id: 'segue:" + kind + ":" + id + "'");
    co_return json_response(render(ObjectWriter(*snap, ctx.base_url(req), ctx.popularity), *entity));
  };
}

// GET /v1/<kind>s?ids=: {"<kind>s": [...]} in request order, null for unknown ids.
template <typename Lookup, typename Render>
net::Handler many_by_ids(ApiContext& ctx, std::string kind, std::size_t max, Lookup lookup,
                         Render render) {
  return [&ctx, kind, max, lookup, render](Request& req) -> awaitable<Response> {
    SEGUE_GUARD(p, ctx, req);
    SEGUE_OR_400(ids, ids_param(req, max));
    auto snap = ctx.catalog.snapshot();
    ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
    boost::json::array arr;
    for (const auto& id : ids) {
      const auto* entity = lookup(*snap, id);
      arr.push_back(entity ? boost::json::value(render(w, *entity)) : boost::json::value(nullptr));
    }
    boost::json::object o;
    o[kind + "s"] = std::move(arr);
    co_return json_response(o);
  };
}

const auto kTrack = [](const catalog::Snapshot& s, const std::string& id) { return s.track(TrackId(id)); };
const auto kAlbum = [](const catalog::Snapshot& s, const std::string& id) { return s.album(AlbumId(id)); };
const auto kArtist = [](const catalog::Snapshot& s, const std::string& id) { return s.artist(ArtistId(id)); };
const auto kRenderTrack = [](const ObjectWriter& w, const catalog::Track& t) { return w.track(t); };
const auto kRenderAlbum = [](const ObjectWriter& w, const catalog::Album& a) { return w.album(a); };
const auto kRenderArtist = [](const ObjectWriter& w, const catalog::Artist& a) { return w.artist(a); };

awaitable<Response> album_tracks(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_PATH_ID(id, req);
  SEGUE_OR_400(limit, limit_param(req, 20, 50));
  SEGUE_OR_400(offset, offset_param(req));
  auto snap = ctx.catalog.snapshot();
  if (!snap->album(AlbumId(id))) co_return error_response(404, "Non existing id: 'segue:album:" + id + "'");
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  auto tracks = snap->album_tracks(AlbumId(id));
  boost::json::array items;
  for (std::size_t i = offset; i < tracks.size() && items.size() < static_cast<std::size_t>(limit); ++i)
    items.push_back(w.simplified_track(*tracks[i]));
  co_return json_response(w.paging("/v1/albums/" + id + "/tracks", std::move(items), limit, offset,
                                   static_cast<int64_t>(tracks.size())));
}

awaitable<Response> artist_albums(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_PATH_ID(id, req);
  SEGUE_OR_400(limit, limit_param(req, 20, 50));
  SEGUE_OR_400(offset, offset_param(req));
  std::vector<std::string> groups;
  std::string groups_q;
  if (auto g = req.query_param("include_groups"); g && !g->empty()) {
    groups_q = *g;
    for (auto& part : strings_split(*g)) {
      if (part != "album" && part != "single" && part != "appears_on" && part != "compilation")
        co_return error_response(400, "Invalid include_groups: use album, single, appears_on, compilation");
      groups.push_back(part);
    }
  }
  auto snap = ctx.catalog.snapshot();
  if (!snap->artist(ArtistId(id))) co_return error_response(404, "Non existing id: 'segue:artist:" + id + "'");
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  std::vector<boost::json::object> all;
  for (const auto& aa : snap->artist_albums(ArtistId(id))) {
    auto o = w.simplified_album(*aa.album);
    std::string group(catalog::album_group_name(aa.group));
    if (group == "album" && o["album_type"].as_string() == "single") group = "single";
    if (!groups.empty() && std::find(groups.begin(), groups.end(), group) == groups.end()) continue;
    o["album_group"] = group;
    all.push_back(std::move(o));
  }
  boost::json::array items;
  for (std::size_t i = offset; i < all.size() && items.size() < static_cast<std::size_t>(limit); ++i)
    items.push_back(std::move(all[i]));
  std::string href = "/v1/artists/" + id + "/albums";
  if (!groups_q.empty()) href += "?include_groups=" + groups_q;
  co_return json_response(w.paging(href, std::move(items), limit, offset, static_cast<int64_t>(all.size())));
}

awaitable<Response> artist_top_tracks(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_PATH_ID(id, req);
  auto snap = ctx.catalog.snapshot();
  if (!snap->artist(ArtistId(id))) co_return error_response(404, "Non existing id: 'segue:artist:" + id + "'");
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  boost::json::array arr;
  // Most played first (the event pipeline's recency-weighted counts), then the artist's other
  // tracks, newest album first, up to ten.
  std::unordered_set<std::string> taken;
  for (const auto& tid : ctx.events.top_tracks_of_artist(ArtistId(id), 10)) {
    if (const auto* t = snap->track(tid); t && taken.insert(tid.str()).second) arr.push_back(w.track(*t));
  }
  for (const auto* t : snap->artist_top_tracks(ArtistId(id), 10 + taken.size())) {
    if (arr.size() >= 10) break;
    if (taken.insert(t->id.str()).second) arr.push_back(w.track(*t));
  }
  co_return json_response(boost::json::object{{"tracks", std::move(arr)}});
}

}  // namespace

void register_catalog_routes(net::Router& router, ApiContext& ctx) {
  router.add(http::verb::get, "/v1/tracks/{id}", one_by_id(ctx, "track", kTrack, kRenderTrack));
  router.add(http::verb::get, "/v1/tracks", many_by_ids(ctx, "track", 50, kTrack, kRenderTrack));
  router.add(http::verb::get, "/v1/albums/{id}", one_by_id(ctx, "album", kAlbum, kRenderAlbum));
  router.add(http::verb::get, "/v1/albums", many_by_ids(ctx, "album", 20, kAlbum, kRenderAlbum));
  add_routes(router, ctx, {
      {http::verb::get, "/v1/albums/{id}/tracks", album_tracks},
  });
  router.add(http::verb::get, "/v1/artists/{id}", one_by_id(ctx, "artist", kArtist, kRenderArtist));
  router.add(http::verb::get, "/v1/artists", many_by_ids(ctx, "artist", 50, kArtist, kRenderArtist));
  add_routes(router, ctx, {
      {http::verb::get, "/v1/artists/{id}/albums", artist_albums},
      {http::verb::get, "/v1/artists/{id}/top-tracks", artist_top_tracks},
  });
  // Spotify's new releases (by release date), and Segue's "recently added" (by the time the
  // library scan first saw each album), both {albums: paging}.
  auto album_list = [&ctx](const char* path, bool by_release) {
    return [&ctx, path, by_release](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      SEGUE_OR_400(limit, limit_param(req, 20, 50));
      SEGUE_OR_400(offset, offset_param(req));
      auto snap = ctx.catalog.snapshot();
      ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
      const std::size_t end = static_cast<std::size_t>(offset) + static_cast<std::size_t>(limit);
      auto albums = by_release ? snap->new_releases(end) : snap->recently_added(end);
      boost::json::array items;
      for (std::size_t i = offset; i < albums.size(); ++i) items.push_back(w.simplified_album(*albums[i]));
      co_return json_response(boost::json::object{
          {"albums", w.paging(path, std::move(items), limit, offset, static_cast<int64_t>(snap->albums().size()))}});
    };
  };
  router.add(http::verb::get, "/v1/browse/new-releases", album_list("/v1/browse/new-releases", true));
  router.add(http::verb::get, "/v1/browse/recently-added", album_list("/v1/browse/recently-added", false));
}

}  // namespace segue::api::spotify
