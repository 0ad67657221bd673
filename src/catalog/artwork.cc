#include "catalog/artwork.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "audio/image.h"
#include "catalog/tag_reader.h"
#include "common/ids.h"
#include "common/log.h"

namespace segue::catalog {
namespace fs = std::filesystem;

namespace {

std::optional<int64_t> mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

Result<std::string> read_file_limited(const std::string& path, std::size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::not_found("cover file is gone: " + path);
  if (!S_ISREG(st.st_mode)) return Error::invalid("cover is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) return Error::exhausted("cover file too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::unavailable(std::string("cannot read cover: ") + std::strerror(errno));
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

void write_cache(const std::string& path, const std::string& jpeg) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp." + random_base62_id();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(jpeg.data(), static_cast<std::streamsize>(jpeg.size()));
    if (!out.good()) {
      fs::remove(tmp, ec);
      log::warn("artwork cache write failed", {{"path", path}});
      return;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    log::warn("artwork cache rename failed", {{"path", path}});
  }
}

}  // namespace

Artwork::Artwork(const Catalog& catalog, std::string data_dir)
    : catalog_(catalog), cache_dir_((fs::path(data_dir) / "cache" / "images").string()) {}

std::string Artwork::cache_path(const ImageId& id, int size) const {
  return (fs::path(cache_dir_) / (id.str() + "_" + std::to_string(size) + ".jpg")).string();
}

Result<std::string> Artwork::image_jpeg(const ImageId& id, int size) const {
  if (size != 640 && size != 300 && size != 64)
    return Error::invalid("image size must be 640, 300 or 64");
  if (!is_base62_id(id.str())) return Error::not_found("unknown image");
  auto snap = catalog_.snapshot();
  const Image* image = snap->image(id);
  if (!image) return Error::not_found("unknown image " + id.str());
  try {
    const auto source_mtime = mtime_ns(image->path);
    if (!source_mtime) return Error::not_found("image source is gone");
    const std::string cached = cache_path(id, size);
    if (auto cache_mtime = mtime_ns(cached); cache_mtime && *cache_mtime >= *source_mtime) {
      auto bytes = read_file_limited(cached, kMaxArtworkBytes);
      if (bytes.ok() && !bytes->empty()) return bytes;
    }
    std::string source;
    if (image->source == ImageSource::kEmbedded) {
      SEGUE_ASSIGN_OR_RETURN(source, read_embedded_picture(image->path, kMaxArtworkBytes));
    } else {
      SEGUE_ASSIGN_OR_RETURN(source, read_file_limited(image->path, kMaxArtworkBytes));
    }
    SEGUE_ASSIGN_OR_RETURN(std::string jpeg, audio::resize_image_to_jpeg(source, size));
    write_cache(cached, jpeg);
    return jpeg;
  } catch (const std::exception& e) {
    return Error::internal(std::string("artwork failed: ") + e.what());
  }
}

}  // namespace segue::catalog
