// Catalog, user and history objects in the Spotify Web API's JSON shapes (field names, types
// and nesting as in the OpenAPI document). Fields with no meaning in Segue carry their
// documented empty value (available_markets [], preview_url null ...). `popularity` comes from
// the event pipeline's play counts (ApiContext::popularity), 0 without it.
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <string>

#include "auth/principal.h"
#include "auth/user.h"
#include "catalog/catalog.h"
#include "events/track_info.h"

namespace segue::api::spotify {

namespace json = boost::json;

// Where the `popularity` (0-100) of track, album and artist objects comes from (the event
// log's recency-weighted play counts, ApiContext::popularity); empty, objects say 0. Memory
// only, any thread.
using PopularitySource = std::function<int(events::ItemKind kind, const std::string& id)>;

class ObjectWriter {
 public:
  // `popularity` must outlive the writer.
  ObjectWriter(const catalog::Snapshot& snap, std::string base_url, const PopularitySource& popularity)
      : snap_(snap), base_(std::move(base_url)), popularity_(popularity) {}

  json::object simplified_artist(const catalog::Artist& a) const;
  json::object artist(const catalog::Artist& a) const;
  json::array images(const std::optional<ImageId>& id) const;
  json::object simplified_album(const catalog::Album& a) const;
  json::object album(const catalog::Album& a, int track_limit = 50) const;
  json::object simplified_track(const catalog::Track& t) const;
  json::object track(const catalog::Track& t) const;
  json::array artists_of(const std::vector<ArtistId>& ids) const;

  // A paging object; `href_path` is the path and query without limit/offset.
  json::object paging(const std::string& href_path, json::array items, int limit, int offset,
                      int64_t total) const;

  const std::string& base() const { return base_; }

 private:
  int popularity(events::ItemKind kind, const std::string& id) const {
    return popularity_ ? popularity_(kind, id) : 0;
  }

  const catalog::Snapshot& snap_;
  std::string base_;
  const PopularitySource& popularity_;
};

json::object user_object(const auth::User& u, const auth::Principal& p, const std::string& base);

// "2024-05-01T12:34:56.789Z" for epoch milliseconds (Spotify's played_at / added_at form).
std::string iso8601_ms(int64_t epoch_ms);
// "2024-05-01T12:34:56Z".
std::string iso8601(int64_t epoch_ms);

}  // namespace segue::api::spotify
