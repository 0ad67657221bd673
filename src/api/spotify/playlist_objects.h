// Playlist objects in the Spotify Web API's JSON shapes, shared by the playlist and search
// handlers.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <string>

#include "auth/auth_service.h"
#include "playlist/service.h"

namespace segue::api::spotify {

// Display names for one response, from the auth service's in-memory directory; only a user this
// process has never seen (created on another node since it started) is read from the database,
// once. Blocking only then: call from worker threads.
class UserNames {
 public:
  explicit UserNames(auth::AuthService& auth) : auth_(auth) {}
  const std::string& name(const UserId& id);

 private:
  auth::AuthService& auth_;
  std::map<std::string, std::string> names_;
};

boost::json::object public_user(const UserId& id, const std::string& display_name, const std::string& base);
boost::json::array playlist_images(const playlist::PlaylistInfo& info, const std::string& base);
boost::json::object simplified_playlist(const playlist::PlaylistInfo& info, UserNames& names,
                                        const std::string& base);

}  // namespace segue::api::spotify
