// Smart playlists over HTTP (recommend/smart_playlists.h, issue 18; docs/formats/smart-playlists.md):
// listing the caller's, creating one from rules, importing a Navidrome .nsp file, and reading,
// changing and deleting a playlist's rules. A smart playlist is an ordinary playlist, so every other playlist route
// serves it unchanged. Each call reads or writes the database: on the worker pool.
#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/playlist_objects.h"
#include "api/spotify/routes.h"
#include "common/json_fields.h"
#include "recommend/smart_playlists.h"

namespace segue::api::spotify {
namespace {

namespace json = boost::json;
using auth::Scope;
using json_fields::opt_bool;
using json_fields::opt_string;
using View = recommend::SmartPlaylists::View;

// A new playlist's visibility decides the scope it needs (as POST /v1/me/playlists).
std::optional<Error> create_scope_error(const auth::Principal& p, bool is_public) {
  Scope need = is_public ? Scope::kPlaylistModifyPublic : Scope::kPlaylistModifyPrivate;
  if (p.scopes.contains(need)) return std::nullopt;
  return Error::permission_denied(std::string("Insufficient client scope: ") +
                                  (is_public ? "playlist-modify-public" : "playlist-modify-private"));
}

json::value refreshed(const View& v) {
  return v.rules && v.refreshed_at_ms > 0 ? json::value(iso8601(v.refreshed_at_ms)) : json::value(nullptr);
}

// The playlist object with its rules, for the creating calls.
json::object playlist_with_rules(ApiContext& ctx, const View& v, const std::string& base) {
  UserNames names(ctx.auth);
  json::object o = simplified_playlist(v.playlist, names, base);
  o["followers"] = json::object{{"href", nullptr}, {"total", v.playlist.followers}};
  o["rules"] = v.rules ? json::value(*v.rules) : json::value(nullptr);
  o["refreshed_at"] = refreshed(v);
  return o;
}

json::object rules_object(const View& v) {
  json::object o;
  o["playlist_id"] = v.playlist.id.str();
  o["smart"] = v.rules.has_value();
  o["rules"] = v.rules ? json::value(*v.rules) : json::value(nullptr);
  o["refreshed_at"] = refreshed(v);
  return o;
}

awaitable<Response> create_smart(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(body, object_body(req, false));
  SEGUE_OR_400(name, opt_string(body, "name"));
  if (!name) co_return error_response(400, "name: required");
  SEGUE_OR_400(description, opt_string(body, "description"));
  SEGUE_OR_400(is_public, opt_bool(body, "public"));
  const auto* rules = body.if_contains("rules");
  if (!rules || rules->is_null()) co_return error_response(400, "rules: required");
  const bool pub = is_public.value_or(true);
  if (auto e = create_scope_error(p, pub)) co_return error_response(*e);
  UserId user = *p.user;
  std::string base = ctx.base_url(req);
  auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
    SEGUE_ASSIGN_OR_RETURN(auto v, ctx.smart_playlists->create(user, *name, description.value_or(""), pub, *rules));
    return playlist_with_rules(ctx, v, base);
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(*r, 201);
}

// The body is the .nsp file; ?name= (else the file's "name"), ?public= (default false).
awaitable<Response> import_nsp(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  std::optional<std::string> name;
  if (auto n = req.query_param("name")) name = std::string(*n);
  const bool pub = req.query_param("public").value_or("false") == "true";
  if (auto e = create_scope_error(p, pub)) co_return error_response(*e);
  UserId user = *p.user;
  std::string base = ctx.base_url(req);
  auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
    SEGUE_ASSIGN_OR_RETURN(auto v, ctx.smart_playlists->import_nsp(user, req.body(), name, pub));
    return playlist_with_rules(ctx, v, base);
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(*r, 201);
}

awaitable<Response> get_rules(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&] { return ctx.smart_playlists->rules(id, user); });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(rules_object(*r));
}

// The body is the rules document; an ordinary playlist becomes a smart one.
awaitable<Response> put_rules(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  SEGUE_OR_400(body, json_body(req));
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&] { return ctx.smart_playlists->set_rules(id, user, body); });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(rules_object(*r));
}

// The caller's smart playlists (?limit=1..50, default 20, &offset=), each with its rules.
awaitable<Response> list_smart(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(limit, limit_param(req, 20, 50));
  SEGUE_OR_400(offset, offset_param(req));
  UserId user = *p.user;
  std::string base = ctx.base_url(req);
  auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
    SEGUE_ASSIGN_OR_RETURN(auto views, ctx.smart_playlists->list(user));
    json::array items;
    for (std::size_t i = static_cast<std::size_t>(offset); i < views.size() && items.size() < static_cast<std::size_t>(limit); ++i)
      items.push_back(playlist_with_rules(ctx, views[i], base));
    ObjectWriter w(*ctx.catalog.snapshot(), base, ctx.popularity);
    return w.paging("/v1/me/smart-playlists", std::move(items), limit, offset, static_cast<int64_t>(views.size()));
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(*r);
}

// The playlist stays, an ordinary one with the tracks it last held.
awaitable<Response> delete_rules(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&] { return ctx.smart_playlists->remove_rules(id, user); });
  if (!r.ok()) co_return error_response(r.error());
  co_return Response::empty(204);
}

}  // namespace

void register_smart_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.smart_playlists || !ctx.playlists) return;
  add_routes(router, ctx, {
      {http::verb::get, "/v1/me/smart-playlists", list_smart},
      {http::verb::post, "/v1/me/smart-playlists", create_smart},
      {http::verb::post, "/v1/me/smart-playlists/import", import_nsp},
      {http::verb::get, "/v1/playlists/{id}/rules", get_rules},
      {http::verb::put, "/v1/playlists/{id}/rules", put_rules},
      {http::verb::delete_, "/v1/playlists/{id}/rules", delete_rules},
  });
}

}  // namespace segue::api::spotify
