// What the event pipeline derives, over HTTP: a user's top tracks and artists (Spotify's
// /v1/me/top), and the privacy controls of Segue: exporting every event of the user as JSON
// lines and deleting their listening history. Reads of derived state wait (briefly) for the
// consumers, so they run on the worker pool.
#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/routes.h"
#include "common/strings.h"
#include "events/top_items.h"

namespace segue::api::spotify {
namespace {

namespace json = boost::json;
using auth::Scope;


Result<int> int_param(const Request& req, const char* name, int fallback, int lo, int hi) {
  auto v = req.query_param(name);
  if (!v) return fallback;
  auto n = strings::parse_int(*v);
  if (!n || *n < lo || *n > hi)
    return Error::invalid(std::string("Invalid ") + name + ": expected an integer from " + std::to_string(lo) + " to " +
                          std::to_string(hi));
  return static_cast<int>(*n);
}

awaitable<Response> top_items(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  const std::string type = req.param("type");
  if (type != "tracks" && type != "artists") co_return error_response(404, "Unknown type: expected tracks or artists");
  const std::string range_name(req.query_param("time_range").value_or("medium_term"));
  auto range = events::parse_time_range(range_name);
  if (!range) co_return error_response(400, "Invalid time_range: expected short_term, medium_term or long_term");
  SEGUE_OR_400(limit, int_param(req, "limit", 20, 1, 50));
  SEGUE_OR_400(offset, int_param(req, "offset", 0, 0, 100000));
  UserId user = *p.user;
  const bool tracks = type == "tracks";
  auto page = co_await ctx.workers.run([&] {
    return tracks ? ctx.events.top_tracks(user, *range, limit, offset) : ctx.events.top_artists(user, *range, limit, offset);
  });
  if (!page.ok()) co_return error_response(page.error());
  auto snap = ctx.catalog.snapshot();
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  json::array items;
  for (const auto& it : page->items) {
    if (tracks) {
      if (const auto* t = snap->track(TrackId(it.id))) items.push_back(w.track(*t));
    } else if (const auto* a = snap->artist(ArtistId(it.id))) {
      items.push_back(w.artist(*a));
    }
  }
  co_return json_response(w.paging("/v1/me/top/" + type + "?time_range=" + range_name, std::move(items), limit, offset,
                                   page->total));
}

// Segue's own: every event the user sent, one JSON object per line (application/x-ndjson).
awaitable<Response> export_events(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  auto lines = co_await ctx.workers.run([&]() -> Result<std::string> {
    SEGUE_ASSIGN_OR_RETURN(auto all, ctx.events.export_user(user));
    std::string out;
    for (const auto& e : all) {
      out += json::serialize(events::to_json(e));
      out += '\n';
    }
    return out;
  });
  if (!lines.ok()) co_return error_response(lines.error());
  Response r = Response::text(200, std::move(lines).value(), "application/x-ndjson");
  r.headers.set(http::field::content_disposition, "attachment; filename=\"segue-events.jsonl\"");
  r.headers.set(http::field::cache_control, "no-store");
  co_return r;
}

// Segue's own: forget the user's listening history (their events, plays, top items, and their
// share of play counts). 204 when done.
awaitable<Response> delete_history(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  Status s = co_await ctx.workers.run([&] { return ctx.events.delete_history(user); });
  if (!s.ok()) co_return error_response(s.error());
  co_return Response::empty(204);
}

}  // namespace

void register_events_routes(net::Router& router, ApiContext& ctx) {
  add_routes(router, ctx, {
      {http::verb::get, "/v1/me/top/{type}", top_items},
      {http::verb::get, "/v1/me/export", export_events},
      {http::verb::delete_, "/v1/me/player/recently-played", delete_history},
  });
}

}  // namespace segue::api::spotify
