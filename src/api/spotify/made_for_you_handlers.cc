// "Made for you" over HTTP (recommend/made_for_you.h, issue 18; docs/formats/made-for-you.md):
// Segue's GET /v1/me/made-for-you lists the caller's Discover Weekly, Release Radar and Daily
// Mixes as simplified playlist objects with their kind and period, and POST
// /v1/me/made-for-you/refresh generates them now. The playlists themselves are ordinary
// playlists of the user (/v1/playlists/{id}). Everything blocks on the database: worker pool.
#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/playlist_objects.h"
#include "api/spotify/routes.h"
#include "recommend/made_for_you.h"

namespace segue::api::spotify {
namespace {

namespace json = boost::json;

// The caller's mixes that they can still read (a playlist they deleted is left out).
Result<json::array> mixes_json(ApiContext& ctx, const UserId& user, const std::string& base) {
  SEGUE_ASSIGN_OR_RETURN(auto mixes, ctx.made_for_you->playlists_of(user));
  UserNames names(ctx.auth);
  json::array items;
  for (const auto& m : mixes) {
    auto info = ctx.playlists->get(m.playlist, user);
    if (!info.ok()) {
      if (info.error().code == ErrorCode::kNotFound) continue;
      return info.error();
    }
    json::object o;
    o["kind"] = std::string(recommend::mix_kind_name(m.kind));
    o["index"] = m.index;
    o["period"] = m.period;
    o["generated_at"] = iso8601(m.generated_at_ms);
    o["playlist"] = simplified_playlist(*info, names, base);
    items.push_back(std::move(o));
  }
  return items;
}

awaitable<Response> get_made_for_you(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  const std::string base = ctx.base_url(req);
  auto r = co_await ctx.workers.run([&] { return mixes_json(ctx, user, base); });
  if (!r.ok()) co_return error_response(r.error());
  const auto total = static_cast<int64_t>(r->size());
  co_return json_response(json::object{{"items", std::move(*r)}, {"total", total}});
}

awaitable<Response> refresh_made_for_you(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  const std::string base = ctx.base_url(req);
  auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
    SEGUE_ASSIGN_OR_RETURN(auto report, ctx.made_for_you->generate(user, /*force=*/true));
    SEGUE_ASSIGN_OR_RETURN(auto items, mixes_json(ctx, user, base));
    json::object o;
    o["created"] = report.created;
    o["replaced"] = report.replaced;
    o["unchanged"] = report.unchanged;
    o["total"] = static_cast<int64_t>(items.size());
    o["items"] = std::move(items);
    return o;
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(std::move(*r));
}

}  // namespace

void register_made_for_you_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.made_for_you || !ctx.playlists) return;
  add_routes(router, ctx, {
      {http::verb::get, "/v1/me/made-for-you", get_made_for_you},
      {http::verb::post, "/v1/me/made-for-you/refresh", refresh_made_for_you},
  });
}

}  // namespace segue::api::spotify
