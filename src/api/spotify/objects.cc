#include "api/spotify/objects.h"

#include <ctime>
#include <memory>

#include "auth/scopes.h"

namespace segue::api::spotify {
namespace {
json::object external_urls() { return json::object(); }
}  // namespace

json::array ObjectWriter::artists_of(const std::vector<ArtistId>& ids) const {
  json::array out;
  for (const auto& id : ids)
    if (const auto* a = snap_.artist(id)) out.push_back(simplified_artist(*a));
  return out;
}

json::object ObjectWriter::simplified_artist(const catalog::Artist& a) const {
  json::object o;
  o["external_urls"] = external_urls();
  o["href"] = base_ + "/v1/artists/" + a.id.str();
  o["id"] = a.id.str();
  o["name"] = a.name;
  o["type"] = "artist";
  o["uri"] = "segue:artist:" + a.id.str();
  return o;
}

json::object ObjectWriter::artist(const catalog::Artist& a) const {
  json::object o = simplified_artist(a);
  json::object followers;
  followers["href"] = nullptr;
  followers["total"] = 0;
  o["followers"] = std::move(followers);
  // Genres: the union of its albums' genres in first-seen order. Picture: the cover of its
  // newest album with one, the closest thing we have.
  json::array genres;
  std::vector<std::string> seen;
  std::optional<ImageId> img;
  for (const auto& aa : snap_.artist_albums(a.id)) {
    for (const auto& g : aa.album->genres) {
      if (std::find(seen.begin(), seen.end(), g) == seen.end()) {
        seen.push_back(g);
        genres.push_back(json::string(g));
      }
    }
    if (!img && aa.album->image_id) img = aa.album->image_id;
  }
  o["genres"] = std::move(genres);
  o["images"] = images(img);
  o["popularity"] = popularity(events::ItemKind::kArtist, a.id.str());
  return o;
}

json::array ObjectWriter::images(const std::optional<ImageId>& id) const {
  json::array out;
  if (!id) return out;
  // /images serves a JPEG fitting size x size without upscaling, so its dimensions follow
  // from the source's; when the catalog does not know those, say so (null) instead of guessing.
  const catalog::Image* src = snap_.image(*id);
  const bool known = src && src->width > 0 && src->height > 0;
  for (int size : {640, 300, 64}) {
    json::object im;
    im["url"] = base_ + "/images/" + id->str() + "?size=" + std::to_string(size);
    if (known) {
      int64_t w = src->width, h = src->height;
      if (w > size || h > size) {
        if (w >= h) {
          h = std::max<int64_t>(1, h * size / w);
          w = size;
        } else {
          w = std::max<int64_t>(1, w * size / h);
          h = size;
        }
      }
      im["height"] = h;
      im["width"] = w;
    } else {
      im["height"] = nullptr;
      im["width"] = nullptr;
    }
    out.push_back(std::move(im));
  }
  return out;
}

json::object ObjectWriter::simplified_album(const catalog::Album& a) const {
  json::object o;
  // The tracks this album has here: tags count per disc (TRACKTOTAL), Spotify counts the album.
  const auto total = static_cast<int64_t>(snap_.album_tracks(a.id).size());
  o["album_type"] = a.is_compilation ? "compilation" : (total > 0 && total <= 3 ? "single" : "album");
  o["total_tracks"] = total;
  o["available_markets"] = json::array();
  o["external_urls"] = external_urls();
  o["href"] = base_ + "/v1/albums/" + a.id.str();
  o["id"] = a.id.str();
  o["images"] = images(a.image_id);
  o["name"] = a.name;
  o["release_date"] = a.release_date.empty() ? std::string("0000") : a.release_date;
  o["release_date_precision"] = a.release_date_precision.empty() ? std::string("year") : a.release_date_precision;
  o["type"] = "album";
  o["uri"] = "segue:album:" + a.id.str();
  o["artists"] = artists_of(a.artist_ids);
  return o;
}

json::object ObjectWriter::album(const catalog::Album& a, int track_limit) const {
  json::object o = simplified_album(a);
  json::array items;
  auto tracks = snap_.album_tracks(a.id);
  int n = 0;
  for (const auto* t : tracks) {
    if (n++ >= track_limit) break;
    items.push_back(simplified_track(*t));
  }
  o["tracks"] = paging("/v1/albums/" + a.id.str() + "/tracks", std::move(items), track_limit, 0,
                       static_cast<int64_t>(tracks.size()));
  o["copyrights"] = json::array();
  o["external_ids"] = json::object();
  json::array genres;
  for (const auto& g : a.genres) genres.push_back(json::string(g));
  o["genres"] = std::move(genres);
  o["label"] = "";
  o["popularity"] = popularity(events::ItemKind::kAlbum, a.id.str());
  return o;
}

json::object ObjectWriter::simplified_track(const catalog::Track& t) const {
  json::object o;
  o["artists"] = artists_of(t.artist_ids);
  o["available_markets"] = json::array();
  o["disc_number"] = t.disc_number;
  o["duration_ms"] = t.duration_ms;
  o["explicit"] = t.explicit_content;
  o["external_urls"] = external_urls();
  o["href"] = base_ + "/v1/tracks/" + t.id.str();
  o["id"] = t.id.str();
  o["is_playable"] = !t.file_ids.empty();
  o["name"] = t.title;
  o["preview_url"] = nullptr;
  o["track_number"] = t.track_number;
  o["type"] = "track";
  o["uri"] = "segue:track:" + t.id.str();
  o["is_local"] = false;
  return o;
}

json::object ObjectWriter::track(const catalog::Track& t) const {
  json::object o = simplified_track(t);
  if (const auto* a = snap_.album(t.album_id)) o["album"] = simplified_album(*a);
  json::object ext;
  if (t.isrc) ext["isrc"] = *t.isrc;
  o["external_ids"] = std::move(ext);
  o["popularity"] = popularity(events::ItemKind::kTrack, t.id.str());
  return o;
}

json::object ObjectWriter::paging(const std::string& href_path, json::array items, int limit,
                                  int offset, int64_t total) const {
  const char sep = href_path.find('?') == std::string::npos ? '?' : '&';
  auto link = [&](int64_t off) {
    return base_ + href_path + sep + "offset=" + std::to_string(off) + "&limit=" + std::to_string(limit);
  };
  json::object o;
  o["href"] = link(offset);
  o["limit"] = limit;
  o["next"] = offset + limit < total ? json::value(link(offset + limit)) : json::value(nullptr);
  o["offset"] = offset;
  o["previous"] = offset > 0 ? json::value(link(std::max(0, offset - limit))) : json::value(nullptr);
  o["total"] = total;
  o["items"] = std::move(items);
  return o;
}

json::object user_object(const auth::User& u, const auth::Principal& p, const std::string& base) {
  json::object o;
  o["display_name"] = u.display_name;
  o["external_urls"] = json::object();
  json::object followers;
  followers["href"] = nullptr;
  followers["total"] = 0;
  o["followers"] = std::move(followers);
  o["href"] = base + "/v1/users/" + u.id.str();
  o["id"] = u.id.str();
  o["images"] = json::array();
  o["type"] = "user";
  o["uri"] = "segue:user:" + u.id.str();
  if (p.scopes.contains(auth::Scope::kUserReadPrivate)) {
    o["product"] = auth::tier_name(u.tier);
    json::object explicit_content;
    explicit_content["filter_enabled"] = false;
    explicit_content["filter_locked"] = false;
    o["explicit_content"] = std::move(explicit_content);
  }
  return o;
}

std::string iso8601_ms(int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return buf;
}

std::string iso8601(int64_t epoch_ms) {
  std::string s = iso8601_ms(epoch_ms);
  return s.substr(0, 19) + "Z";
}

}  // namespace segue::api::spotify
