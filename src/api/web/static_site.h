// The web player's built files (web/dist), indexed once at start-up. Only files found by that
// walk can be served: a URL is looked up in the index, never joined onto a directory, so no
// path reaches a file outside the site.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace segue::api::web {

struct Asset {
  std::string file;          // absolute path on disk
  std::string content_type;
  uint64_t size = 0;
  std::string etag;          // quoted; from size and modification time
  bool immutable = false;    // content-hashed name under /assets/: cache for a year
};

class StaticSite {
 public:
  // Indexes every regular file under `dir` (symbolic links are skipped). Error::not_found if
  // `dir` has no index.html; Error::invalid if it holds more than `max_files` files.
  static Result<StaticSite> load(const std::string& dir, std::size_t max_files = 20000);

  // The asset for a URL path ("/assets/index-3f2a.js"), or nullptr.
  const Asset* find(std::string_view url_path) const;
  const Asset& index() const { return assets_.at("/index.html"); }
  std::size_t size() const { return assets_.size(); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, Asset, std::less<>> assets_;
};

// The MIME type for a file name by its extension; application/octet-stream if unknown.
std::string_view content_type_for(std::string_view name);

// True for paths owned by an API (/v1/..., /api/..., /audio/..., /images/..., /rest/...) or
// naming a file (the last segment has an extension): an unknown one is a 404, not the app.
bool is_api_or_file_path(std::string_view path);

}  // namespace segue::api::web
