// /v1/me and the user's library (saved tracks and albums).
#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/realtime.h"
#include "api/spotify/routes.h"
#include "user/library_service.h"

namespace segue::api::spotify {
namespace {
using auth::Scope;

struct KindInfo {
  user::ItemKind kind;
  const char* path;      // "/v1/me/tracks"
  const char* field;     // "track" / "album"
  std::size_t max_ids;   // Spotify: 50 tracks, 20 albums
};
const KindInfo kTracks{user::ItemKind::kTrack, "/v1/me/tracks", "track", 50};
const KindInfo kAlbums{user::ItemKind::kAlbum, "/v1/me/albums", "album", 20};

void register_library(net::Router& router, ApiContext& ctx, const KindInfo& k) {

  router.add(http::verb::get, k.path, [&ctx, &k](Request& req) -> awaitable<Response> {
    SEGUE_GUARD(p, ctx, req);
    SEGUE_OR_400(limit, limit_param(req, 20, 50));
    SEGUE_OR_400(offset, offset_param(req));
    UserId user = *p.user;
    auto page = co_await ctx.workers.run([&] { return ctx.library.list(user, k.kind, limit, offset); });
    if (!page.ok()) co_return error_response(page.error());
    auto snap = ctx.catalog.snapshot();
    ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
    boost::json::array items;
    for (const auto& it : page->items) {
      boost::json::object o;
      o["added_at"] = iso8601(it.added_at_ms);
      if (k.kind == user::ItemKind::kTrack) {
        const auto* t = snap->track(TrackId(it.id));
        if (!t) continue;  // gone from the library since it was saved
        o["track"] = w.track(*t);
      } else {
        const auto* a = snap->album(AlbumId(it.id));
        if (!a) continue;
        o["album"] = w.album(*a);
      }
      items.push_back(std::move(o));
    }
    co_return json_response(w.paging(k.path, std::move(items), limit, offset, page->total));
  });

  auto change = [&ctx, &k](bool save) {
    return [&ctx, &k, save](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      SEGUE_OR_400(ids, ids_from_query_or_body(req, k.max_ids));
      if (!ctx.library_service) co_return error_response(503, "Your Library is not available");
      UserId user = *p.user;
      int64_t now = now_ms();
      Status s = co_await ctx.workers.run([&]() -> Status {
        return save ? ctx.library_service->save(user, k.kind, ids, now) : ctx.library_service->remove(user, k.kind, ids, now);
      });
      if (!s.ok()) co_return error_response(s.error());
      // The user's other devices hear of it from the library's domain event (bus::LibraryChanged).
      co_return Response::empty(200);
    };
  };
  router.add(http::verb::put, k.path, change(true));
  router.add(http::verb::delete_, k.path, change(false));

  router.add(http::verb::get, std::string(k.path) + "/contains",
             [&ctx, &k](Request& req) -> awaitable<Response> {
    SEGUE_GUARD(p, ctx, req);
    SEGUE_OR_400(ids, ids_param(req, k.max_ids));
    UserId user = *p.user;
    auto r = co_await ctx.workers.run([&] { return ctx.library.contains(user, k.kind, ids); });
    if (!r.ok()) co_return error_response(r.error());
    boost::json::array arr;
    for (bool b : *r) arr.push_back(b);
    co_return json_response(arr);
  });
}

awaitable<Response> me(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  auto u = co_await ctx.workers.run([&] { return ctx.auth.get_user(user); });
  if (!u.ok()) co_return error_response(u.error());
  co_return json_response(user_object(*u, p, ctx.base_url(req)));
}

}  // namespace

void register_me_routes(net::Router& router, ApiContext& ctx) {
  // The user's other devices hear of library changes on their `me` topic: the real-time layer
  // forwards the library's domain event (bus::LibraryChanged, ws_handlers.cc).
  add_routes(router, ctx, {
      {http::verb::get, "/v1/me", me},
  });
  register_library(router, ctx, kTracks);
  register_library(router, ctx, kAlbums);
}

}  // namespace segue::api::spotify
