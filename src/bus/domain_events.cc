#include "bus/domain_events.h"

#include <boost/json.hpp>

#include "common/crypto.h"

namespace segue::bus {
namespace json = boost::json;

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

const char* kind_str(LibraryChanged::Kind k) { return k == LibraryChanged::Kind::kTracks ? "tracks" : "albums"; }

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Field readers: Error::invalid naming the field when it is missing or of another type.
Result<std::string> str(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return Error::invalid(std::string("domain event: '") + key + "' must be a string");
  return std::string(v->as_string());
}
Result<bool> boolean(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_bool()) return Error::invalid(std::string("domain event: '") + key + "' must be a boolean");
  return v->as_bool();
}
Result<uint64_t> count(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_uint64()) return v->as_uint64();
  if (v && v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return Error::invalid(std::string("domain event: '") + key + "' must be a non-negative integer");
}
Result<std::vector<std::string>> str_list(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_array()) return Error::invalid(std::string("domain event: '") + key + "' must be an array");
  std::vector<std::string> out;
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return Error::invalid(std::string("domain event: '") + key + "' must hold strings");
    out.emplace_back(x.as_string());
  }
  return out;
}

}  // namespace

std::string_view kind_name(const DomainEvent& e) {
  return std::visit(Overloaded{
                        [](const PlaylistItemsChanged&) { return std::string_view("playlist_items_changed"); },
                        [](const PlaylistDetailsChanged&) { return std::string_view("playlist_details_changed"); },
                        [](const LibraryChanged&) { return std::string_view("library_changed"); },
                        [](const CatalogSnapshotPublished&) { return std::string_view("catalog_snapshot_published"); },
                        [](const UsersRevoked&) { return std::string_view("users_revoked"); },
                    },
                    e);
}

bool crosses_nodes(const DomainEvent& e) {
  return std::visit(Overloaded{
                        [](const PlaylistItemsChanged&) { return true; },
                        [](const PlaylistDetailsChanged&) { return true; },
                        [](const LibraryChanged&) { return true; },
                        [](const CatalogSnapshotPublished&) { return false; },
                        [](const UsersRevoked&) { return true; },
                    },
                    e);
}

std::string encode(const DomainEvent& e) {
  json::object o;
  o["kind"] = kind_name(e);
  std::visit(Overloaded{
                 [&](const PlaylistItemsChanged& x) {
                   o["playlist_id"] = x.playlist_id.str();
                   o["snapshot_id"] = x.snapshot_id;
                   o["previous_snapshot_id"] = x.previous_snapshot_id;
                   o["ops"] = crypto::base64_encode(x.ops);
                   o["is_public"] = x.is_public;
                 },
                 [&](const PlaylistDetailsChanged& x) { o["playlist_id"] = x.playlist_id.str(); },
                 [&](const LibraryChanged& x) {
                   o["user"] = x.user.str();
                   o["item_kind"] = kind_str(x.kind);
                   o["ids"] = strings(x.ids);
                   o["saved"] = x.saved;
                 },
                 [&](const CatalogSnapshotPublished& x) {
                   o["generation"] = x.generation;
                   o["tracks"] = x.tracks;
                 },
                 [&](const UsersRevoked& x) {
                   json::array a;
                   for (const auto& u : x.users) a.emplace_back(u.str());
                   o["users"] = std::move(a);
                 },
             },
             e);
  return json::serialize(o);
}

Result<DomainEvent> decode(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::invalid("domain event: not a JSON object");
  const json::object& o = v.as_object();
  SEGUE_ASSIGN_OR_RETURN(std::string kind, str(o, "kind"));
  if (kind == "playlist_items_changed") {
    PlaylistItemsChanged x;
    SEGUE_ASSIGN_OR_RETURN(std::string playlist_id, str(o, "playlist_id"));
    x.playlist_id = PlaylistId(std::move(playlist_id));
    SEGUE_ASSIGN_OR_RETURN(x.snapshot_id, str(o, "snapshot_id"));
    SEGUE_ASSIGN_OR_RETURN(x.previous_snapshot_id, str(o, "previous_snapshot_id"));
    SEGUE_ASSIGN_OR_RETURN(std::string ops, str(o, "ops"));
    auto bytes = crypto::base64_decode(ops);
    if (!bytes) return Error::invalid("domain event: 'ops' must be base64");
    x.ops = std::move(*bytes);
    SEGUE_ASSIGN_OR_RETURN(x.is_public, boolean(o, "is_public"));
    return DomainEvent(std::move(x));
  }
  if (kind == "playlist_details_changed") {
    PlaylistDetailsChanged x;
    SEGUE_ASSIGN_OR_RETURN(std::string playlist_id, str(o, "playlist_id"));
    x.playlist_id = PlaylistId(std::move(playlist_id));
    return DomainEvent(std::move(x));
  }
  if (kind == "library_changed") {
    LibraryChanged x;
    SEGUE_ASSIGN_OR_RETURN(std::string user, str(o, "user"));
    x.user = UserId(std::move(user));
    SEGUE_ASSIGN_OR_RETURN(std::string item_kind, str(o, "item_kind"));
    if (item_kind == "tracks") x.kind = LibraryChanged::Kind::kTracks;
    else if (item_kind == "albums") x.kind = LibraryChanged::Kind::kAlbums;
    else return Error::invalid("domain event: 'item_kind' must be tracks or albums");
    SEGUE_ASSIGN_OR_RETURN(x.ids, str_list(o, "ids"));
    SEGUE_ASSIGN_OR_RETURN(x.saved, boolean(o, "saved"));
    return DomainEvent(std::move(x));
  }
  if (kind == "catalog_snapshot_published") {
    CatalogSnapshotPublished x;
    SEGUE_ASSIGN_OR_RETURN(x.generation, count(o, "generation"));
    SEGUE_ASSIGN_OR_RETURN(x.tracks, count(o, "tracks"));
    return DomainEvent(x);
  }
  if (kind == "users_revoked") {
    UsersRevoked x;
    SEGUE_ASSIGN_OR_RETURN(auto users, str_list(o, "users"));
    for (auto& u : users) x.users.emplace_back(std::move(u));
    return DomainEvent(std::move(x));
  }
  return Error::invalid("domain event: unknown kind '" + kind + "'");
}

}  // namespace segue::bus
