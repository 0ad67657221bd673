// Playlists in Spotify's shapes (/v1/playlists/..., /v1/me/playlists, /v1/users/{id}/playlists)
// over the playlist service, plus Segue's extensions: version history and restore, invites and
// collaborators, and the operations since a snapshot (what real-time clients catch up with).
// docs/formats/playlist-api.md lists the extensions.
#include "api/spotify/handler_util.h"
#include "api/spotify/playlist_objects.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/routes.h"
#include "common/crypto.h"
#include "common/json_fields.h"
#include "common/strings.h"
#include "playlist/import_service.h"
#include "playlist/io.h"
#include "playlist/service.h"

#include <map>

namespace segue::api::spotify {
namespace {
namespace json = boost::json;
using auth::Scope;
using playlist::PlaylistInfo;

constexpr int64_t kInviteTtlMs = 7LL * 24 * 3600 * 1000;  // invite links last a week
constexpr std::size_t kMaxImageBytes = 256 * 1024;      // Spotify's limit for cover images
constexpr int kOpsPageDefault = 500;                    // GET .../ops: ops per page
constexpr int kOpsPageMax = 2000;

// The scope checks that depend on the playlist's current visibility are the guard's (the
// object rules of access.cc). What stays here depends on the request: the visibility a new
// playlist asks for, a visibility change, and acts that make a playlist collaborative.
//
// Spotify: modifying a public playlist needs playlist-modify-public, a private (or
// collaborative) one playlist-modify-private.
std::optional<Error> modify_scope_error(const auth::Principal& p, bool is_public) {
  Scope need = is_public ? Scope::kPlaylistModifyPublic : Scope::kPlaylistModifyPrivate;
  if (p.scopes.contains(need)) return std::nullopt;
  return Error::permission_denied(std::string("Insufficient client scope: ") +
                                  (is_public ? "playlist-modify-public" : "playlist-modify-private"));
}

// Reading a private playlist (one's own or as a collaborator) needs playlist-read-private or,
// for a collaborative one, playlist-read-collaborative: the filter of playlist lists.
bool may_read_private(const auth::Principal& p, const PlaylistInfo& info) {
  if (info.is_public) return true;
  return p.scopes.contains(Scope::kPlaylistReadPrivate) ||
         (info.collaborative && p.scopes.contains(Scope::kPlaylistReadCollaborative));
}


}  // namespace

json::object public_user(const UserId& id, const std::string& display_name, const std::string& base) {
  json::object o;
  o["display_name"] = display_name;
  o["external_urls"] = json::object();
  o["href"] = base + "/v1/users/" + id.str();
  o["id"] = id.str();
  o["type"] = "user";
  o["uri"] = "segue:user:" + id.str();
  return o;
}

const std::string& UserNames::name(const UserId& id) {
  auto it = names_.find(id.str());
  if (it != names_.end()) return it->second;
  std::optional<std::string> known = auth_.display_name(id);
  if (!known) {
    auto u = auth_.get_user(id);  // a user created elsewhere since start; remembered from now on
    known = u.ok() ? u->display_name : std::string();
  }
  return names_.emplace(id.str(), std::move(*known)).first->second;
}

json::array playlist_images(const PlaylistInfo& info, const std::string& base) {
  json::array images;
  if (info.has_image) {
    json::object img;
    // A private playlist's cover URL carries its cover key (the service rotates it when
    // someone loses access); a public one's works by id alone.
    img["url"] = base + "/images/playlists/" + info.id.str() + "?v=" + std::to_string(info.updated_at_ms) +
                 (info.is_public ? std::string() : "&k=" + info.cover_key);
    img["height"] = nullptr;
    img["width"] = nullptr;
    images.push_back(std::move(img));
  }
  return images;
}

json::object simplified_playlist(const PlaylistInfo& info, UserNames& names, const std::string& base) {
  json::object o;
  o["collaborative"] = info.collaborative;
  o["description"] = info.description;
  o["external_urls"] = json::object();
  o["href"] = base + "/v1/playlists/" + info.id.str();
  o["id"] = info.id.str();
  o["images"] = playlist_images(info, base);
  o["name"] = info.name;
  o["owner"] = public_user(info.owner, names.name(info.owner), base);
  o["public"] = info.is_public;
  o["snapshot_id"] = info.snapshot_id;
  json::object tracks;
  tracks["href"] = base + "/v1/playlists/" + info.id.str() + "/tracks";
  tracks["total"] = info.track_count;
  o["tracks"] = tracks;
  o["items"] = std::move(tracks);  // the 2026 API's name for the same object
  o["type"] = "playlist";
  o["uri"] = "segue:playlist:" + info.id.str();
  o["primary_color"] = nullptr;
  return o;
}

namespace {

json::object playlist_track(const playlist::Item& it, const catalog::Snapshot& snap, const ObjectWriter& w,
                            UserNames& names, const std::string& base) {
  json::object o;
  o["added_at"] = iso8601(it.added_at_ms);
  o["added_by"] = public_user(it.added_by, names.name(it.added_by), base);
  o["is_local"] = false;
  json::value track = nullptr;  // Spotify sends null for a track that is no longer available
  if (auto id = parse_uri(it.uri, "track"))
    if (const auto* t = snap.track(TrackId(*id))) track = w.track(*t);
  o["track"] = track;
  o["item"] = track;
  return o;
}

json::object items_page(const std::vector<playlist::Item>& items, const std::string& href, int limit, int offset,
                        ApiContext& ctx, const std::string& base, UserNames& names) {
  auto snap = ctx.catalog.snapshot();
  ObjectWriter w(*snap, base, ctx.popularity);
  json::array arr;
  for (std::size_t i = static_cast<std::size_t>(offset); i < items.size() && arr.size() < static_cast<std::size_t>(limit); ++i)
    arr.push_back(playlist_track(items[i], *snap, w, names, base));
  return w.paging(href, std::move(arr), limit, offset, static_cast<int64_t>(items.size()));
}

// Track URIs ("segue:track:ID" or "spotify:track:ID") of catalog tracks, normalised.
Result<std::vector<std::string>> track_uris(const std::vector<std::string>& raw, const catalog::Snapshot& snap) {
  if (raw.size() > 100) return Error::invalid("uris: at most 100 tracks per request");
  std::vector<std::string> out;
  for (const auto& u : raw) {
    auto id = parse_uri(u, "track");
    if (!id || !is_base62_id(*id)) return Error::invalid("uris: '" + u.substr(0, 100) + "' is not a track URI");
    if (!snap.track(TrackId(*id))) return Error::not_found("Non existing id: 'segue:track:" + *id + "'");
    out.push_back("segue:track:" + *id);
  }
  return out;
}

Result<std::vector<std::string>> string_array(const json::value* v, const char* what) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return Error::invalid(std::string(what) + ": expected an array of strings");
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return Error::invalid(std::string(what) + ": expected an array of strings");
    out.emplace_back(x.as_string().c_str());
  }
  return out;
}

Result<std::optional<std::size_t>> opt_index(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::size_t>();
  if (v->is_int64() && v->as_int64() >= 0) return std::optional<std::size_t>(static_cast<std::size_t>(v->as_int64()));
  if (v->is_uint64()) return std::optional<std::size_t>(static_cast<std::size_t>(v->as_uint64()));
  return Error::invalid(std::string(key) + ": expected a non-negative integer");
}

using json_fields::opt_bool;
using json_fields::opt_string;


json::object op_json(const playlist::Op& op) {
  auto id = [](const playlist::OpId& i) {
    json::object o;
    o["lamport"] = i.lamport;
    o["replica"] = std::to_string(i.replica);  // 64-bit: a string for JavaScript clients
    return o;
  };
  auto anchor = [&](const playlist::Anchor& a) {
    json::object o;
    o["left"] = a.left ? json::value(id(*a.left)) : json::value(nullptr);
    o["right"] = a.right ? json::value(id(*a.right)) : json::value(nullptr);
    return o;
  };
  json::object o;
  o["id"] = id(op.id);
  switch (op.kind) {
    case playlist::Op::Kind::kInsert:
      o["kind"] = "insert";
      o["at"] = anchor(op.insert.at);
      o["value"] = op.insert.value;
      break;
    case playlist::Op::Kind::kMove:
      o["kind"] = "move";
      o["entry"] = id(op.move.entry);
      o["to"] = anchor(op.move.to);
      break;
    case playlist::Op::Kind::kRemove:
      o["kind"] = "remove";
      o["entry"] = id(op.remove.entry);
      break;
  }
  return o;
}

// An invite as the owner (or its addressee) sees it; never the token.
json::object invite_json(const playlist::Invite& inv) {
  json::object o;
  o["id"] = inv.id;
  o["created_at"] = iso8601(inv.created_at_ms);
  o["expires_at"] = iso8601(inv.expires_at_ms);
  o["max_uses"] = inv.max_uses ? json::value(*inv.max_uses) : json::value(nullptr);
  o["uses"] = inv.uses;
  o["invitee"] = inv.invitee_name.empty() ? json::value(nullptr) : json::value(inv.invitee_name);
  return o;
}

}  // namespace

json::object playlist_ops_json(const std::vector<playlist::Op>& ops) {
  json::object o;
  json::array arr;
  for (const auto& op : ops) arr.push_back(op_json(op));
  o["ops"] = std::move(arr);
  return o;
}

namespace {

// ---- one playlist ----
awaitable<Response> get_playlist(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  std::string base = ctx.base_url(req);
  auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
    SEGUE_ASSIGN_OR_RETURN(auto info, svc.get(id, user));
    SEGUE_ASSIGN_OR_RETURN(auto items, svc.items(id, user));
    UserNames names(ctx.auth);
    json::object o = simplified_playlist(info, names, base);
    json::object page = items_page(items, "/v1/playlists/" + id.str() + "/tracks", 100, 0, ctx, base, names);
    o["followers"] = json::object{{"href", nullptr}, {"total", info.followers}};
    o["tracks"] = page;
    o["items"] = std::move(page);
    return o;
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(*r);
}

awaitable<Response> change_details(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  SEGUE_OR_400(body, object_body(req, false));
  SEGUE_OR_400(name, opt_string(body, "name"));
  SEGUE_OR_400(description, opt_string(body, "description"));
  SEGUE_OR_400(is_public, opt_bool(body, "public"));
  SEGUE_OR_400(collaborative, opt_bool(body, "collaborative"));
  UserId user = *p.user;
  Status s = co_await ctx.workers.run([&]() -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto info, svc.get(id, user));
    // The scope for the visibility the playlist will have.
    if (auto e = modify_scope_error(p, is_public.value_or(info.is_public))) return *e;
    return svc.update_details(id, user, name, description, is_public, collaborative);
  });
  if (!s.ok()) co_return error_response(s.error());
  co_return Response::empty(200);
}

awaitable<Response> followers_contains(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  std::vector<UserId> users;
  if (auto q = req.query_param("ids")) {
    for (auto& u : strings::split(*q, ',')) users.emplace_back(std::string(strings::trim(u)));
    if (users.size() > 5) co_return error_response(400, "ids: at most 5 users");
  } else {
    users.push_back(*p.user);
  }
  UserId user = *p.user;
  auto info = co_await ctx.workers.run([&] { return svc.get(id, user); });
  if (!info.ok()) co_return error_response(info.error());
  auto r = co_await ctx.workers.run([&] { return svc.followed_by(id, users); });
  if (!r.ok()) co_return error_response(r.error());
  json::array arr;
  for (bool b : *r) arr.push_back(b);
  co_return json_response(arr);
}

// ---- cover image ----
awaitable<Response> upload_cover(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  std::string text(strings::trim(req.body()));
  if (text.size() > kMaxImageBytes * 4 / 3 + 4) co_return error_response(413, "The image is larger than 256 KB");
  auto jpeg = crypto::base64_decode(text);
  if (!jpeg || jpeg->size() < 4) co_return error_response(400, "The body must be a base64-encoded JPEG image");
  if (jpeg->size() > kMaxImageBytes) co_return error_response(413, "The image is larger than 256 KB");
  if (static_cast<unsigned char>((*jpeg)[0]) != 0xFF || static_cast<unsigned char>((*jpeg)[1]) != 0xD8)
    co_return error_response(400, "The body must be a base64-encoded JPEG image");
  UserId user = *p.user;
  std::string bytes = std::move(*jpeg);
  Status s = co_await ctx.workers.run([&] { return svc.set_image(id, user, std::move(bytes)); });
  if (!s.ok()) co_return error_response(s.error());
  co_return Response::empty(202);
}

awaitable<Response> cover_images(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  auto info = co_await ctx.workers.run([&] { return svc.get(id, user); });
  if (!info.ok()) co_return error_response(info.error());
  co_return json_response(playlist_images(*info, ctx.base_url(req)));
}

// The image itself, for <img> tags (no bearer token): a public playlist's by id, a private
// one's only with the cover key from its `images` URL (?k=); anything else is one 404.
awaitable<Response> cover_bytes(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  PlaylistId id(req.param("id"));
  if (!is_base62_id(id.str())) co_return error_response(404, "Unknown image");
  std::string key(req.query_param("k").value_or(""));
  auto cover = co_await ctx.workers.run([&] { return svc.cover(id, key); });
  if (!cover.ok() && cover.error().code != ErrorCode::kNotFound) co_return error_response(cover.error());
  if (!cover.ok()) co_return error_response(404, "Unknown image");
  bool pub = cover->is_public;
  Response r = Response::text(200, std::move(cover->jpeg), "image/jpeg");
  r.headers.set(http::field::cache_control, pub ? "public, max-age=86400" : "private, max-age=3600");
  co_return r;
}

// ---- history (Segue) ----
awaitable<Response> versions(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  auto versions = co_await ctx.workers.run([&] { return svc.versions(id, user); });
  if (!versions.ok()) co_return error_response(versions.error());
  std::string base = ctx.base_url(req);
  UserNames names(ctx.auth);
  json::array items;
  co_await ctx.workers.run([&] {
    for (const auto& v : *versions) {
      json::object o;
      o["version"] = v.number;
      o["snapshot_id"] = v.snapshot_id;
      o["changed_by"] = public_user(v.user, names.name(v.user), base);
      o["changed_at"] = iso8601_ms(v.at_ms);
      o["summary"] = v.summary;
      o["operations"] = v.ops;
      items.push_back(std::move(o));
    }
    return 0;
  });
  co_return json_response(json::object{{"items", std::move(items)}});
}

awaitable<Response> version_items(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(limit, limit_param(req, 100, 100));
  SEGUE_OR_400(offset, offset_param(req));
  PlaylistId id(req.param("id"));
  std::string snapshot = req.param("snapshot_id");
  UserId user = *p.user;
  auto items = co_await ctx.workers.run([&] { return svc.items_at(id, user, snapshot); });
  if (!items.ok()) co_return error_response(items.error());
  std::string base = ctx.base_url(req);
  UserNames names(ctx.auth);
  auto page = co_await ctx.workers.run([&] {
    return items_page(*items, "/v1/playlists/" + id.str() + "/versions/" + snapshot, limit, offset, ctx, base, names);
  });
  co_return json_response(page);
}

awaitable<Response> restore_version(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  std::string snapshot = req.param("snapshot_id");
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&] {
    return svc.restore(id, user, snapshot);
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(json::object{{"snapshot_id", *r}});
}

awaitable<Response> ops(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  std::string since(req.query_param("since").value_or(""));
  std::string cursor(req.query_param("cursor").value_or(""));
  SEGUE_OR_400(limit, limit_param(req, kOpsPageDefault, kOpsPageMax));
  UserId user = *p.user;
  auto r = co_await ctx.workers.run([&] {
    return svc.ops_page(id, user, since, cursor, static_cast<std::size_t>(limit));
  });
  // A snapshot (or cursor) older than the kept history: the client starts over.
  if (!r.ok() && r.error().code == ErrorCode::kConflict) co_return error_response(410, r.error().message);
  if (!r.ok()) co_return error_response(r.error());
  json::object o = playlist_ops_json(r->ops);
  o["snapshot_id"] = r->snapshot_id;
  o["since"] = since;
  o["limit"] = limit;
  std::string next;
  if (!r->next.empty()) {
    next = ctx.base_url(req) + "/v1/playlists/" + id.str() + "/ops?limit=" + std::to_string(limit) +
           "&cursor=" + r->next;
    if (!since.empty()) next += "&since=" + since;
  }
  o["next"] = next.empty() ? json::value(nullptr) : json::value(next);
  co_return json_response(o);
}

// ---- import and export (Segue) ----
awaitable<Response> export_playlist(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  std::string fmt_name(req.query_param("format").value_or("json"));
  auto fmt = playlist::detect_format("x." + fmt_name, "", "");
  if (!fmt) co_return error_response(400, "format: expected m3u8, xspf or json");
  playlist::ExportOptions opts;
  // Paths relative to the track's library root: the server's own folders are not the
  // caller's business, and Segue's import matches relative paths (and URIs) anyway.
  opts.paths = playlist::ExportOptions::Paths::kRelative;
  std::string paths(req.query_param("paths").value_or("relative"));
  if (paths != "relative") co_return error_response(400, "paths: only relative paths are exported");
  UserId user = *p.user;
  std::string name;
  auto body = co_await ctx.workers.run([&]() -> Result<std::string> {
    SEGUE_ASSIGN_OR_RETURN(auto info, svc.get(id, user));
    SEGUE_ASSIGN_OR_RETURN(auto items, svc.items(id, user));
    playlist::ExportPlaylist ep{info.name, info.description, {}};
    for (const auto& it : items)
      if (auto tid = parse_uri(it.uri, "track")) ep.tracks.emplace_back(*tid);
    name = info.name;
    return playlist::export_playlist(*fmt, *ctx.catalog.snapshot(), ep, opts);
  });
  if (!body.ok()) co_return error_response(body.error());
  Response r = Response::text(200, std::move(body).value(), std::string(playlist::format_content_type(*fmt)) + "; charset=utf-8");
  std::string file;
  for (char ch : name) file += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
  if (file.empty()) file = "playlist";
  r.headers.set(http::field::content_disposition,
                "attachment; filename=\"" + file + std::string(playlist::format_extension(*fmt)) + "\"");
  co_return r;
}

// The body is the playlist file. ?format= (else from ?filename= or the Content-Type or the
// bytes), ?name= (else the file's own name), ?public= (default false).
awaitable<Response> import_playlist(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  playlist::ImportRequest in;
  in.owner = *p.user;
  in.bytes = req.body();
  in.filename = std::string(req.query_param("filename").value_or(""));
  if (auto f = req.query_param("format")) in.filename = "x." + std::string(*f);
  in.content_type = std::string(req.header(http::field::content_type));
  if (auto n = req.query_param("name")) in.name = std::string(*n);
  in.is_public = req.query_param("public").value_or("false") == "true";
  if (auto e = modify_scope_error(p, in.is_public)) co_return error_response(*e);
  if (!ctx.importer) co_return error_response(503, "Playlist import is not available");
  auto imported = co_await ctx.workers.run([&] { return ctx.importer->import(in); });
  // A file over a limit (size, entries, line length, nesting) is too large to import.
  if (!imported.ok() && imported.error().code == ErrorCode::kResourceExhausted)
    co_return error_response(413, imported.error().message);
  if (!imported.ok()) co_return error_response(imported.error());
  const auto* info = &imported->playlist;
  const auto* fmt = &imported->format;
  const auto* parsed = &imported->parsed;
  const auto& matched = imported->matched;
  std::string base = ctx.base_url(req);
  UserNames names(ctx.auth);
  json::object o;
  co_await ctx.workers.run([&] {
    o["playlist"] = simplified_playlist(*info, names, base);
    return 0;
  });
  o["format"] = std::string(playlist::format_name(*fmt));
  o["entries"] = parsed->entries.size();
  o["imported"] = matched.matched_in_order.size();
  json::array unmatched;
  for (const auto& u : matched.unmatched) {
    json::object e;
    e["index"] = u.index;
    e["line"] = u.entry.line_or_index;
    e["location"] = u.entry.location;
    e["title"] = u.entry.title;
    e["artist"] = u.entry.artist;
    e["reason"] = u.reason;
    unmatched.push_back(std::move(e));
  }
  o["unmatched"] = std::move(unmatched);
  json::array how;
  for (const auto& m : matched.matched_how) {
    json::object e;
    e["index"] = m.index;
    e["uri"] = "segue:track:" + m.track.str();
    e["how"] = m.how;
    how.push_back(std::move(e));
  }
  o["matched_how"] = std::move(how);
  json::array warnings;
  for (const auto& w : parsed->warnings) warnings.push_back(json::string(w));
  o["warnings"] = std::move(warnings);
  co_return json_response(o, 201);
}

// ---- collaborators (Segue) ----
awaitable<Response> create_invite(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  if (auto e = modify_scope_error(p, false)) co_return error_response(*e);
  PlaylistId id(req.param("id"));
  SEGUE_OR_400(body, object_body(req, true));
  int64_t max_uses = 1;  // one person per link unless the owner says otherwise
  if (const auto* v = body.if_contains("max_uses"); v && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > playlist::PlaylistService::kMaxInviteUses)
      co_return error_response(400, "max_uses: expected an integer from 1 to " +
                                        std::to_string(playlist::PlaylistService::kMaxInviteUses));
    max_uses = v->as_int64();
  }
  UserId user = *p.user;
  auto inv = co_await ctx.workers.run([&] { return svc.create_invite(id, user, kInviteTtlMs, max_uses); });
  if (!inv.ok()) co_return error_response(inv.error());
  json::object o = invite_json(*inv);
  o["token"] = inv->token;
  o["url"] = ctx.base_url(req) + "/invite/" + inv->token;
  co_return json_response(o, 201);
}

awaitable<Response> list_invites(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  auto invites = co_await ctx.workers.run([&] { return svc.invites(id, user); });
  if (!invites.ok()) co_return error_response(invites.error());
  json::array items;
  for (const auto& inv : *invites) items.push_back(invite_json(inv));
  co_return json_response(json::object{{"items", std::move(items)}});
}

awaitable<Response> revoke_invite(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  std::string invite_id = req.param("invite_id");
  UserId user = *p.user;
  Status s = co_await ctx.workers.run([&] { return svc.revoke_invite(id, user, invite_id); });
  if (!s.ok()) co_return error_response(s.error());
  co_return Response::empty(200);
}

// Invites addressed to the caller's login name (PUT .../collaborators/{name}).
awaitable<Response> my_invites(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  UserId user = *p.user;
  std::string base = ctx.base_url(req);
  auto r = co_await ctx.workers.run([&]() -> Result<json::array> {
    SEGUE_ASSIGN_OR_RETURN(auto me, ctx.auth.get_user(user));
    SEGUE_ASSIGN_OR_RETURN(auto invites, svc.invites_for_name(me.name));
    UserNames names(ctx.auth);
    json::array items;
    for (const auto& inv : invites) {
      SEGUE_ASSIGN_OR_RETURN(auto facts, svc.facts(inv.playlist_id));
      if (!facts) continue;
      json::object o = invite_json(inv);
      o["playlist"] = json::object{{"id", facts->info.id.str()},
                                   {"name", facts->info.name},
                                   {"owner", public_user(facts->info.owner, names.name(facts->info.owner), base)}};
      items.push_back(std::move(o));
    }
    return items;
  });
  if (!r.ok()) co_return error_response(r.error());
  co_return json_response(json::object{{"items", std::move(*r)}});
}

awaitable<Response> accept_invite(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  std::string token = req.param("token");
  UserId user = *p.user;
  auto info = co_await ctx.workers.run([&]() -> Result<PlaylistInfo> {
    auto r = svc.accept_invite(token, user);
    if (r.ok() || r.error().code != ErrorCode::kNotFound || !is_base62_id(token)) return r;
    // Not a link token: an invite addressed to the caller's login name, by its id.
    SEGUE_ASSIGN_OR_RETURN(auto me, ctx.auth.get_user(user));
    return svc.accept_named_invite(token, user, me.name);
  });
  if (!info.ok()) co_return error_response(info.error());
  std::string base = ctx.base_url(req);
  UserNames names(ctx.auth);
  json::object o;
  co_await ctx.workers.run([&] {
    o = simplified_playlist(*info, names, base);
    return 0;
  });
  co_return json_response(o);
}

awaitable<Response> collaborators(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId user = *p.user;
  auto users = co_await ctx.workers.run([&] { return svc.collaborators(id, user); });
  if (!users.ok()) co_return error_response(users.error());
  std::string base = ctx.base_url(req);
  UserNames names(ctx.auth);
  json::array items;
  co_await ctx.workers.run([&] {
    for (const auto& u : *users) items.push_back(public_user(u, names.name(u), base));
    return 0;
  });
  co_return json_response(json::object{{"items", std::move(items)}});
}

// Invite by user: the owner adds a user by id (at once: ids are not guessable), or invites
// a login name. A name never tells whether it exists: it becomes a pending invite that only
// a user of that name can see and accept, with the same 202 and body either way, and no
// lookup of the name on the way.
awaitable<Response> add_collaborator(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  if (auto e = modify_scope_error(p, false)) co_return error_response(*e);
  PlaylistId id(req.param("id"));
  std::string who = req.param("user_id");
  UserId owner = *p.user;
  auto r = co_await ctx.workers.run([&]() -> Result<std::optional<playlist::Invite>> {
    if (is_base62_id(who)) {
      if (auto u = ctx.auth.get_user(UserId(who)); u.ok()) {
        SEGUE_TRY(svc.add_collaborator(id, owner, u->id));
        return std::optional<playlist::Invite>();
      }
    }
    SEGUE_ASSIGN_OR_RETURN(auto inv, svc.invite_by_name(id, owner, who, kInviteTtlMs));
    return std::optional<playlist::Invite>(std::move(inv));
  });
  if (!r.ok()) co_return error_response(r.error());
  if (!*r) co_return Response::empty(200);
  co_return json_response(invite_json(**r), 202);
}

awaitable<Response> remove_collaborator(ApiContext& ctx, Request& req) {
  auto& svc = *ctx.playlists;
  SEGUE_GUARD(p, ctx, req);
  PlaylistId id(req.param("id"));
  UserId target(req.param("user_id"));
  UserId user = *p.user;
  Status s = co_await ctx.workers.run([&] { return svc.remove_collaborator(id, user, target); });
  if (!s.ok()) co_return error_response(s.error());
  co_return Response::empty(200);
}

}  // namespace

void register_playlist_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.playlists) return;
  auto& svc = *ctx.playlists;
  install_playlist_realtime(ctx);

  // ---- create ----
  auto create = [&ctx, &svc](bool by_user_path) {
    return [&ctx, &svc, by_user_path](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      if (by_user_path && req.param("user_id") != p.user->str())
        co_return error_response(403, "You cannot create a playlist for another user");
      SEGUE_OR_400(body, object_body(req, false));
      SEGUE_OR_400(name, opt_string(body, "name"));
      if (!name) co_return error_response(400, "name: required");
      SEGUE_OR_400(description, opt_string(body, "description"));
      SEGUE_OR_400(is_public, opt_bool(body, "public"));
      SEGUE_OR_400(collaborative, opt_bool(body, "collaborative"));
      bool pub = is_public.value_or(!collaborative.value_or(false));
      if (collaborative.value_or(false) && pub) co_return error_response(400, "A collaborative playlist cannot be public");
      if (auto e = modify_scope_error(p, pub)) co_return error_response(*e);
      UserId user = *p.user;
      std::string desc = description.value_or("");
      bool collab = collaborative.value_or(false);
      std::string base = ctx.base_url(req);
      auto r = co_await ctx.workers.run([&]() -> Result<json::object> {
        SEGUE_ASSIGN_OR_RETURN(auto info, svc.create(user, *name, desc, pub, collab));
        UserNames names(ctx.auth);
        json::object o = simplified_playlist(info, names, base);
        o["followers"] = json::object{{"href", nullptr}, {"total", 0}};
        o["tracks"] = ObjectWriter(*ctx.catalog.snapshot(), base, ctx.popularity)
                          .paging("/v1/playlists/" + info.id.str() + "/tracks", json::array(), 100, 0, 0);
        return o;
      });
      if (!r.ok()) co_return error_response(r.error());
      co_return json_response(*r, 201);
    };
  };
  router.add(http::verb::post, "/v1/me/playlists", create(false));
  router.add(http::verb::post, "/v1/users/{user_id}/playlists", create(true));

  add_routes(router, ctx, {
      {http::verb::get, "/v1/playlists/{id}", get_playlist},
      {http::verb::put, "/v1/playlists/{id}", change_details},
  });
  // ---- items (Spotify renamed /tracks to /items; both work) ----
  for (const char* suffix : {"tracks", "items"}) {
    const std::string path = std::string("/v1/playlists/{id}/") + suffix;

    router.add(http::verb::get, path, [&ctx, &svc](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      SEGUE_OR_400(limit, limit_param(req, 100, 100));
      SEGUE_OR_400(offset, offset_param(req));
      PlaylistId id(req.param("id"));
      UserId user = *p.user;
      std::string base = ctx.base_url(req);
      auto page = co_await ctx.workers.run([&]() -> Result<json::object> {
        SEGUE_ASSIGN_OR_RETURN(auto items, svc.items(id, user));
        UserNames names(ctx.auth);
        return items_page(items, "/v1/playlists/" + id.str() + "/tracks", limit, offset, ctx, base, names);
      });
      if (!page.ok()) co_return error_response(page.error());
      co_return json_response(*page);
    });

    router.add(http::verb::post, path, [&ctx, &svc](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      PlaylistId id(req.param("id"));
      SEGUE_OR_400(body, object_body(req, true));
      std::vector<std::string> raw;
      if (auto q = req.query_param("uris")) {
        for (auto& u : strings::split(*q, ',')) raw.emplace_back(strings::trim(u));
      } else {
        SEGUE_OR_400(list, string_array(body.if_contains("uris"), "uris"));
        raw = std::move(list);
      }
      std::optional<std::size_t> position;
      if (auto q = req.query_param("position")) {
        auto n = strings::parse_int(*q);
        if (!n || *n < 0) co_return error_response(400, "position: expected a non-negative integer");
        position = static_cast<std::size_t>(*n);
      } else {
        SEGUE_OR_400(pos, opt_index(body, "position"));
        position = pos;
      }
      SEGUE_OR_400(snapshot, opt_string(body, "snapshot_id"));
      SEGUE_OR_400(uris, track_uris(raw, *ctx.catalog.snapshot()));
      UserId user = *p.user;
      auto r = co_await ctx.workers.run([&] {
        return svc.add(id, user, uris, position, snapshot);
      });
      if (!r.ok()) co_return error_response(r.error());
      co_return json_response(json::object{{"snapshot_id", *r}}, 201);
    });

    router.add(http::verb::put, path, [&ctx, &svc](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      PlaylistId id(req.param("id"));
      SEGUE_OR_400(body, object_body(req, true));
      UserId user = *p.user;
      Result<std::string> r = Error::internal("unset");
      if (body.contains("range_start")) {
        SEGUE_OR_400(start, opt_index(body, "range_start"));
        SEGUE_OR_400(before, opt_index(body, "insert_before"));
        SEGUE_OR_400(length, opt_index(body, "range_length"));
        SEGUE_OR_400(snapshot, opt_string(body, "snapshot_id"));
        if (!start || !before) co_return error_response(400, "range_start and insert_before are required to reorder");
        std::size_t len = length.value_or(1);
        r = co_await ctx.workers.run([&] {
          return svc.reorder(id, user, *start, len, *before, snapshot);
        });
      } else {
        std::vector<std::string> raw;
        if (auto q = req.query_param("uris")) {
          for (auto& u : strings::split(*q, ',')) raw.emplace_back(strings::trim(u));
        } else {
          SEGUE_OR_400(list, string_array(body.if_contains("uris"), "uris"));
          raw = std::move(list);
        }
        SEGUE_OR_400(uris, track_uris(raw, *ctx.catalog.snapshot()));
        r = co_await ctx.workers.run([&] {
          return svc.replace(id, user, uris);
        });
      }
      if (!r.ok()) co_return error_response(r.error());
      co_return json_response(json::object{{"snapshot_id", *r}});
    });

    router.add(http::verb::delete_, path, [&ctx, &svc](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      PlaylistId id(req.param("id"));
      SEGUE_OR_400(body, object_body(req, false));
      const json::value* list = body.if_contains("tracks");
      if (!list) list = body.if_contains("items");
      if (!list || !list->is_array()) co_return error_response(400, "tracks: expected an array of {uri, positions?}");
      std::vector<playlist::RemoveSpec> specs;
      if (list->as_array().size() > 100) co_return error_response(400, "tracks: at most 100 per request");
      for (const auto& t : list->as_array()) {
        if (!t.is_object() || !t.as_object().contains("uri") || !t.as_object().at("uri").is_string())
          co_return error_response(400, "tracks: expected an array of {uri, positions?}");
        playlist::RemoveSpec spec;
        std::vector<std::string> one{std::string(t.as_object().at("uri").as_string().c_str())};
        SEGUE_OR_400(uri, track_uris(one, *ctx.catalog.snapshot()));
        spec.uri = uri[0];
        if (const auto* pos = t.as_object().if_contains("positions")) {
          if (!pos->is_array()) co_return error_response(400, "positions: expected an array of integers");
          std::vector<std::size_t> ps;
          for (const auto& x : pos->as_array()) {
            if (!x.is_int64() || x.as_int64() < 0) co_return error_response(400, "positions: expected an array of integers");
            ps.push_back(static_cast<std::size_t>(x.as_int64()));
          }
          spec.positions = std::move(ps);
        }
        specs.push_back(std::move(spec));
      }
      SEGUE_OR_400(snapshot, opt_string(body, "snapshot_id"));
      UserId user = *p.user;
      auto r = co_await ctx.workers.run([&] {
        return svc.remove(id, user, specs, snapshot);
      });
      if (!r.ok()) co_return error_response(r.error());
      co_return json_response(json::object{{"snapshot_id", *r}});
    });
  }

  // ---- lists ----
  auto list = [&ctx, &svc](bool me) {
    return [&ctx, &svc, me](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      SEGUE_OR_400(limit, limit_param(req, 20, 50));
      SEGUE_OR_400(offset, offset_param(req));
      UserId viewer = *p.user;
      UserId owner = me ? viewer : UserId(req.param("user_id"));
      auto all = co_await ctx.workers.run([&] { return svc.list_for(owner, viewer); });
      if (!all.ok()) co_return error_response(all.error());
      std::string base = ctx.base_url(req);
      UserNames names(ctx.auth);
      json::array items;
      std::size_t total = 0;
      co_await ctx.workers.run([&] {
        for (const auto& info : *all) {
          if (!may_read_private(p, info)) continue;
          if (total >= static_cast<std::size_t>(offset) && items.size() < static_cast<std::size_t>(limit))
            items.push_back(simplified_playlist(info, names, base));
          ++total;
        }
        return 0;
      });
      std::string href = me ? "/v1/me/playlists" : "/v1/users/" + owner.str() + "/playlists";
      co_return json_response(ObjectWriter(*ctx.catalog.snapshot(), base, ctx.popularity)
                                  .paging(href, std::move(items), limit, offset, static_cast<int64_t>(total)));
    };
  };
  router.add(http::verb::get, "/v1/me/playlists", list(true));
  router.add(http::verb::get, "/v1/users/{user_id}/playlists", list(false));

  // ---- following ----
  auto follow = [&ctx, &svc](bool yes) {
    return [&ctx, &svc, yes](Request& req) -> awaitable<Response> {
      SEGUE_GUARD(p, ctx, req);
      PlaylistId id(req.param("id"));
      UserId user = *p.user;
      Status s = co_await ctx.workers.run([&] { return svc.follow(id, user, yes); });
      if (!s.ok()) co_return error_response(s.error());
      co_return Response::empty(200);
    };
  };
  router.add(http::verb::put, "/v1/playlists/{id}/followers", follow(true));
  router.add(http::verb::delete_, "/v1/playlists/{id}/followers", follow(false));
  add_routes(router, ctx, {
      {http::verb::get, "/v1/playlists/{id}/followers/contains", followers_contains},
      {http::verb::put, "/v1/playlists/{id}/images", upload_cover},
      {http::verb::get, "/v1/playlists/{id}/images", cover_images},
      {http::verb::get, "/images/playlists/{id}", cover_bytes},
      {http::verb::get, "/v1/playlists/{id}/versions", versions},
      {http::verb::get, "/v1/playlists/{id}/versions/{snapshot_id}", version_items},
      {http::verb::post, "/v1/playlists/{id}/versions/{snapshot_id}/restore", restore_version},
      {http::verb::get, "/v1/playlists/{id}/ops", ops},
      {http::verb::get, "/v1/playlists/{id}/export", export_playlist},
      {http::verb::post, "/v1/me/playlists/import", import_playlist},
      {http::verb::post, "/v1/playlists/{id}/invites", create_invite},
      {http::verb::get, "/v1/playlists/{id}/invites", list_invites},
      {http::verb::delete_, "/v1/playlists/{id}/invites/{invite_id}", revoke_invite},
      {http::verb::get, "/v1/me/playlist-invites", my_invites},
      {http::verb::post, "/v1/playlist-invites/{token}", accept_invite},
      {http::verb::get, "/v1/playlists/{id}/collaborators", collaborators},
      {http::verb::put, "/v1/playlists/{id}/collaborators/{user_id}", add_collaborator},
      {http::verb::delete_, "/v1/playlists/{id}/collaborators/{user_id}", remove_collaborator},
  });
}

}  // namespace segue::api::spotify
