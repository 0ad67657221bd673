#include "api/web/static_site.h"

#include <filesystem>
#include <system_error>

namespace segue::api::web {
namespace fs = std::filesystem;

std::string_view content_type_for(std::string_view name) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string_view ext = name.substr(dot + 1);
  struct Entry { std::string_view ext, type; };
  static constexpr Entry kTypes[] = {
      {"html", "text/html; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
      {"json", "application/json"}, {"webmanifest", "application/manifest+json"},
      {"map", "application/json"}, {"svg", "image/svg+xml"}, {"png", "image/png"},
      {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"webp", "image/webp"}, {"ico", "image/x-icon"},
      {"woff2", "font/woff2"}, {"woff", "font/woff"}, {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"}};
  for (const auto& e : kTypes)
    if (e.ext == ext) return e.type;
  return "application/octet-stream";
}

bool is_api_or_file_path(std::string_view path) {
  for (std::string_view prefix : {"/v1/", "/api/", "/audio/", "/images/", "/rest/"})
    if (path.substr(0, prefix.size()) == prefix || path == prefix.substr(0, prefix.size() - 1)) return true;
  auto slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

Result<StaticSite> StaticSite::load(const std::string& dir, std::size_t max_files) {
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec) return Error::not_found("web player directory " + dir + ": " + ec.message());
  if (!fs::is_regular_file(root / "index.html", ec))
    return Error::not_found("web player directory " + dir + " has no index.html (build it with `npm run build` in web/)");
  StaticSite site;
  site.dir_ = root.string();
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Error::unavailable("web player directory " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Error::unavailable("web player directory " + dir + ": " + ec.message());
    const auto& entry = *it;
    if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) continue;
    if (site.assets_.size() >= max_files)
      return Error::invalid("web player directory " + dir + " holds more than " + std::to_string(max_files) + " files");
    fs::path rel = fs::relative(entry.path(), root, ec);
    if (ec) continue;
    std::string url = "/" + rel.generic_string();
    Asset a;
    a.file = entry.path().string();
    a.size = entry.file_size(ec);
    if (ec) continue;
    auto mtime = entry.last_write_time(ec).time_since_epoch().count();
    a.content_type = std::string(content_type_for(url));
    a.etag = "\"" + std::to_string(a.size) + "-" + std::to_string(static_cast<long long>(mtime)) + "\"";
    a.immutable = url.rfind("/assets/", 0) == 0;
    site.assets_.emplace(std::move(url), std::move(a));
  }
  return site;
}

const Asset* StaticSite::find(std::string_view url_path) const {
  auto it = assets_.find(url_path);
  return it == assets_.end() ? nullptr : &it->second;
}

}  // namespace segue::api::web
