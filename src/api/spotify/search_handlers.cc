// Search: GET /v1/search (Spotify's shape), GET /v1/search/suggest (search as you type), recent
// searches (/v1/me/search/recent) and the private-session preference (/v1/me/preferences).
// Every search runs on a worker: Xapian reads, the user's library and recent plays for the
// personal boost, and playlist access checks all block.

#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/playlist_objects.h"
#include "api/spotify/routes.h"
#include "common/strings.h"
#include "search/indexer.h"
#include "search/personal.h"
#include "search/recent.h"
#include "search/searcher.h"

namespace segue::api::spotify {
namespace {

namespace json = boost::json;
using auth::Scope;
using search::Hit;
using search::Kind;


// Spotify's search types; the ones Segue has no content for yet answer with empty pages.
const char* const kEmptyTypes[] = {"show", "episode", "audiobook"};

struct Types {
  std::vector<Kind> kinds;
  std::vector<std::string> empty;
};

Result<Types> parse_types(const Request& req) {
  auto t = req.query_param("type");
  if (!t || t->empty()) return Error::invalid("Missing parameter type");
  Types out;
  for (const auto& part : strings_split(*t)) {
    Kind k;
    if (search::parse_kind(part, &k)) {
      if (std::find(out.kinds.begin(), out.kinds.end(), k) == out.kinds.end()) out.kinds.push_back(k);
      continue;
    }
    if (std::find(std::begin(kEmptyTypes), std::end(kEmptyTypes), part) != std::end(kEmptyTypes)) {
      out.empty.push_back(part);
      continue;
    }
    return Error::invalid("Invalid type: '" + part + "'; use album, artist, playlist, track, show, episode or audiobook");
  }
  return out;
}

// The personal boost (weights in search/personal.h) over the user's library and recent plays.
search::PersonalBoost personal_boost(ApiContext& ctx, const std::optional<UserId>& user) {
  if (!user) return nullptr;
  search::PersonalSignals signals;
  signals.saved = [&ctx, u = *user](Kind kind, const std::vector<std::string>& ids) -> std::optional<std::vector<bool>> {
    auto saved = ctx.library.contains(u, kind == Kind::kAlbum ? user::ItemKind::kAlbum : user::ItemKind::kTrack, ids);
    if (!saved.ok()) return std::nullopt;
    return std::move(saved).value();
  };
  signals.recent_tracks = [&ctx, u = *user]() -> std::optional<std::vector<std::string>> {
    auto plays = ctx.events.recently_played(u, search::kRecentPlaysForBoost, std::nullopt, std::nullopt);
    if (!plays.ok()) return std::nullopt;
    std::vector<std::string> ids;
    for (const auto& p : plays->items) ids.push_back(p.track.str());
    return ids;
  };
  return search::make_personal_boost(std::move(signals));
}

// Renders hits as Spotify objects; hits whose entity vanished since indexing are skipped.
class Renderer {
 public:
  Renderer(ApiContext& ctx, const std::string& base, std::optional<UserId> viewer)
      : ctx_(ctx), snap_(ctx.catalog.snapshot()), w_(*snap_, base, ctx.popularity), base_(base), names_(ctx.auth),
        viewer_(std::move(viewer)) {}

  std::optional<json::object> render(const Hit& h) {
    switch (h.kind) {
      case Kind::kTrack:
        if (const auto* t = snap_->track(TrackId(h.id))) return w_.track(*t);
        return std::nullopt;
      case Kind::kAlbum:
        if (const auto* a = snap_->album(AlbumId(h.id))) return w_.simplified_album(*a);
        return std::nullopt;
      case Kind::kArtist:
        if (const auto* a = snap_->artist(ArtistId(h.id))) return w_.artist(*a);
        return std::nullopt;
      case Kind::kPlaylist: {
        if (!ctx_.playlists) return std::nullopt;
        auto info = ctx_.playlists->get(PlaylistId(h.id), viewer_.value_or(UserId("")));
        if (!info.ok()) return std::nullopt;
        return simplified_playlist(*info, names_, base_);
      }
    }
    return std::nullopt;
  }
  const ObjectWriter& writer() const { return w_; }

 private:
  ApiContext& ctx_;
  std::shared_ptr<const catalog::Snapshot> snap_;
  ObjectWriter w_;
  std::string base_;
  UserNames names_;
  std::optional<UserId> viewer_;
};

using strings::url_encode;

json::value corrected_json(const std::optional<std::string>& c) {
  return c ? json::value(*c) : json::value(nullptr);
}

// While the index is being built for the first time (a first start or a first scan), a search
// would answer from an index that misses most of the catalog: 503 with Retry-After instead, so
// that clients say "indexing" rather than "no results" (issue 15). Rescans never get here: the
// indexer reports a build only when it has more to write than the index holds.
std::optional<Response> indexing_response(const ApiContext& ctx) {
  if (!ctx.indexer) return std::nullopt;
  auto st = ctx.indexer->stats();
  if (!st.building) return std::nullopt;
  Response r = error_response(503, "The search index is being built (" + std::to_string(st.indexed) + " documents indexed, " +
                                       std::to_string(st.pending) + " to go); try again shortly");
  r.headers.set(http::field::retry_after, std::to_string(st.retry_after_seconds()));
  r.headers.set(http::field::cache_control, "no-store");
  return r;
}

awaitable<Response> search_catalog(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  auto q = req.query_param("q");
  if (!q || q->empty()) co_return error_response(400, "Missing parameter q");
  SEGUE_OR_400(types, parse_types(req));
  SEGUE_OR_400(limit, limit_param(req, 20, 50));
  SEGUE_OR_400(offset, offset_param(req));
  if (offset > 1000) co_return error_response(400, "offset must be at most 1000");
  if (auto busy = indexing_response(ctx)) co_return std::move(*busy);
  std::optional<UserId> viewer = p.user ? std::optional<UserId>(*p.user) : std::nullopt;
  std::string base = ctx.base_url(req);
  std::string query = *q;
  auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
    json::object o;
    if (!types.kinds.empty()) {
      search::SearchRequest sr;
      sr.q = query;
      sr.kinds = types.kinds;
      sr.limit = static_cast<std::size_t>(limit);
      sr.offset = static_cast<std::size_t>(offset);
      sr.viewer = viewer ? viewer->str() : "";
      sr.boost = personal_boost(ctx, viewer);
      SEGUE_ASSIGN_OR_RETURN(auto res, ctx.searcher->search(sr));
      Renderer render(ctx, base, viewer);
      for (Kind k : types.kinds) {
        const auto& page = res.pages[static_cast<std::size_t>(k)];
        json::array items;
        for (const auto& h : page.items)
          if (auto obj = render.render(h)) items.push_back(std::move(*obj));
        std::string type = search::kind_name(k);
        o[type + "s"] = render.writer().paging(
            "/v1/search?q=" + url_encode(query) + "&type=" + type, std::move(items), limit, offset,
            static_cast<int64_t>(page.total));
      }
      o["corrected_query"] = corrected_json(res.corrected);
    } else {
      o["corrected_query"] = nullptr;
    }
    auto snap = ctx.catalog.snapshot();
    ObjectWriter w(*snap, base, ctx.popularity);
    for (const auto& type : types.empty)
      o[type + "s"] = w.paging("/v1/search?q=" + url_encode(query) + "&type=" + type, json::array(), limit,
                               offset, 0);
    return o;
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(*r);
}

awaitable<Response> suggest(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  auto q = req.query_param("q");
  if (!q || q->empty()) co_return error_response(400, "Missing parameter q");
  SEGUE_OR_400(limit, limit_param(req, 4, 20));
  if (auto busy = indexing_response(ctx)) co_return std::move(*busy);
  std::optional<UserId> viewer = p.user ? std::optional<UserId>(*p.user) : std::nullopt;
  std::string base = ctx.base_url(req);
  std::string query = *q;
  auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
    search::SuggestRequest sr;
    sr.q = query;
    sr.limit = static_cast<std::size_t>(limit);
    sr.viewer = viewer ? viewer->str() : "";
    sr.boost = personal_boost(ctx, viewer);
    SEGUE_ASSIGN_OR_RETURN(auto res, ctx.searcher->suggest(sr));
    Renderer render(ctx, base, viewer);
    json::object o;
    o["q"] = query;
    o["corrected_query"] = corrected_json(res.corrected);
    o["top_result"] = nullptr;
    if (res.top) {
      if (auto obj = render.render(*res.top)) {
        json::object top;
        top["type"] = search::kind_name(res.top->kind);
        top["item"] = std::move(*obj);
        o["top_result"] = std::move(top);
      }
    }
    for (int k = 0; k < search::kKindCount; ++k) {
      json::array items;
      for (const auto& h : res.items[static_cast<std::size_t>(k)])
        if (auto obj = render.render(h)) items.push_back(std::move(*obj));
      o[std::string(search::kind_name(static_cast<Kind>(k))) + "s"] = std::move(items);
    }
    return o;
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(*r);
}

awaitable<Response> recent_searches(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(limit, limit_param(req, 20, static_cast<int>(search::kMaxRecent)));
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&] { return ctx.recent_searches->list(user, static_cast<std::size_t>(limit)); });
  if (!r.ok()) co_return error_response(r.error());
  json::array items;
  for (const auto& s : *r) {
    json::object o;
    o["query"] = s.query;
    o["searched_at"] = iso8601_ms(s.searched_at_ms);
    items.push_back(std::move(o));
  }
  json::object o;
  o["items"] = std::move(items);
  co_return json_response(o);
}

awaitable<Response> record_recent_search(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(body, json_body(req));
  const json::value* q = body.is_object() ? body.as_object().if_contains("query") : nullptr;
  if (!q || !q->is_string()) co_return error_response(400, "Body must be {\"query\": \"...\"}");
  std::string query(q->as_string());
  UserId user = *p.user;
  Status s = co_await ctx.workers.run([&]() -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto prefs, ctx.preferences->get(user));
    if (prefs.private_session) return {};  // a private session keeps nothing
    return ctx.recent_searches->add(user, query, now_ms());
  });
  if (!s.ok()) co_return error_response(s.error());
  co_return Response::empty(204);
}

awaitable<Response> clear_recent_searches(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  auto one = req.query_param("query");
  Status s = co_await ctx.workers.run([&] {
    return one ? ctx.recent_searches->remove(user, *one) : ctx.recent_searches->clear(user);
  });
  if (!s.ok()) co_return error_response(s.error());
  co_return Response::empty(204);
}

json::object prefs_json(const user::Prefs& prefs) {
  json::object o;
  o["private_session"] = prefs.private_session;
  o["time_zone"] = prefs.time_zone;
  return o;
}

awaitable<Response> get_preferences(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&] { return ctx.preferences->get(user); });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(prefs_json(*r));
}

// Body: {"private_session": true|false, "time_zone": "Europe/Berlin"}, either or both; what is
// left out stays as it was.
awaitable<Response> put_preferences(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(body, json_body(req));
  constexpr const char* kShape = "Body must be {\"private_session\": true|false, \"time_zone\": \"<IANA name>\"} (either or both)";
  if (!body.is_object()) co_return error_response(400, kShape);
  const json::value* ps = body.as_object().if_contains("private_session");
  const json::value* tz = body.as_object().if_contains("time_zone");
  if ((!ps && !tz) || (ps && !ps->is_bool()) || (tz && !tz->is_string())) co_return error_response(400, kShape);
  std::optional<bool> private_session;
  if (ps) private_session = ps->as_bool();
  std::optional<std::string> zone;
  if (tz) zone = std::string(tz->as_string());
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&]() -> Result<user::Prefs> {
    SEGUE_ASSIGN_OR_RETURN(auto prefs, ctx.preferences->get(user));
    if (private_session) prefs.private_session = *private_session;
    if (zone) prefs.time_zone = *zone;
    SEGUE_TRY(ctx.preferences->set(user, prefs));
    return prefs;
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(prefs_json(*r));
}

}  // namespace

void register_search_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.searcher) return;

  add_routes(router, ctx, {
      {http::verb::get, "/v1/search", search_catalog},
      {http::verb::get, "/v1/search/suggest", suggest},
  });
  if (ctx.recent_searches && ctx.preferences) {
    add_routes(router, ctx, {
        {http::verb::get, "/v1/me/search/recent", recent_searches},
        {http::verb::post, "/v1/me/search/recent", record_recent_search},
        {http::verb::delete_, "/v1/me/search/recent", clear_recent_searches},
        {http::verb::get, "/v1/me/preferences", get_preferences},
        {http::verb::put, "/v1/me/preferences", put_preferences},
    });
  }
}

}  // namespace segue::api::spotify
