// Playlist export: M3U8, XSPF and Segue's JSON shape.
#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "common/strings.h"
#include "playlist/io.h"

namespace segue::playlist {
namespace {

namespace fs = std::filesystem;

// What one exported entry says about its track.
struct Row {
  std::string uri;
  std::string title, artists, album;  // artists joined with ", "
  std::vector<std::string> artist_list;
  int64_t duration_ms = 0;  // 0: unknown
  std::string path;         // as exported (absolute or relative); empty: none
  bool known = false;       // the track is in the snapshot
};

std::string one_line(std::string_view s) {
  std::string out = strings::sanitize_utf8(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return out;
}

std::string export_path(const catalog::AudioFile& f, const ExportOptions& opt) {
  if (opt.paths == ExportOptions::Paths::kAbsolute) return f.path;
  if (opt.base_dir.empty()) return f.relative_path;
  fs::path rel = fs::path(f.path).lexically_normal().lexically_relative(
      fs::path(opt.base_dir).lexically_normal());
  // Not under base_dir (or on another root): the library-relative path, never the absolute one.
  if (rel.empty() || rel.is_absolute()) return f.relative_path;
  return rel.generic_string();
}

std::vector<Row> rows(const catalog::Snapshot& snap, const ExportPlaylist& p,
                      const ExportOptions& opt) {
  std::vector<Row> out;
  out.reserve(p.tracks.size());
  for (const auto& id : p.tracks) {
    Row r;
    r.uri = "segue:track:" + id.str();
    if (const catalog::Track* t = snap.track(id)) {
      r.known = true;
      r.title = t->title;
      for (const auto& aid : t->artist_ids)
        if (const auto* a = snap.artist(aid)) {
          r.artists += (r.artists.empty() ? "" : ", ") + a->name;
          r.artist_list.push_back(a->name);
        }
      if (const auto* al = snap.album(t->album_id)) r.album = al->name;
      r.duration_ms = t->duration_ms;
      const catalog::AudioFile* f = nullptr;
      for (const auto& fid : t->file_ids)
        if ((f = snap.file(fid))) break;
      if (f) r.path = export_path(*f, opt);
    }
    out.push_back(std::move(r));
  }
  return out;
}

void xml_escape_to(std::string& out, std::string_view s) {
  std::string clean = strings::sanitize_utf8(s);
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no C0 controls but tab, newline and carriage return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += ' ';
        else
          out += c;
    }
  }
}

// Percent-encodes a path for a URI: unreserved characters and '/' stay.
std::string encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void element(std::string& out, std::string_view indent, std::string_view name, std::string_view text) {
  out += indent;
  out += '<';
  out += name;
  out += '>';
  xml_escape_to(out, text);
  out += "</";
  out += name;
  out += ">\n";
}

}  // namespace

std::string export_m3u8(const catalog::Snapshot& snapshot, const ExportPlaylist& playlist,
                        const ExportOptions& options) {
  std::string out = "#EXTM3U\n";
  if (!playlist.name.empty()) out += "#PLAYLIST:" + one_line(playlist.name) + "\n";
  if (!playlist.description.empty()) out += "#DESCRIPTION:" + one_line(playlist.description) + "\n";
  for (const auto& r : rows(snapshot, playlist, options)) {
    if (r.known) {
      int64_t secs = r.duration_ms > 0 ? (r.duration_ms + 500) / 1000 : -1;
      out += "#EXTINF:" + std::to_string(secs) + ",";
      if (!r.artists.empty()) out += one_line(r.artists) + " - ";
      out += one_line(r.title) + "\n";
      if (!r.album.empty()) out += "#EXTALB:" + one_line(r.album) + "\n";
    }
    // A path M3U cannot hold (a line break in it) or no file: the URI instead.
    bool path_ok = !r.path.empty() && r.path.find_first_of("\r\n") == std::string::npos &&
                   r.path[0] != '#' && strings::is_valid_utf8(r.path);
    out += (path_ok ? r.path : r.uri) + "\n";
  }
  return out;
}

std::string export_xspf(const catalog::Snapshot& snapshot, const ExportPlaylist& playlist,
                        const ExportOptions& options) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n";
  if (!playlist.name.empty()) element(out, "  ", "title", playlist.name);
  if (!playlist.description.empty()) element(out, "  ", "annotation", playlist.description);
  out += "  <trackList>\n";
  for (const auto& r : rows(snapshot, playlist, options)) {
    out += "    <track>\n";
    if (!r.path.empty()) {
      std::string loc = r.path[0] == '/' ? "file://" + encode_path(r.path) : encode_path(r.path);
      element(out, "      ", "location", loc);
    }
    element(out, "      ", "identifier", r.uri);
    if (!r.title.empty()) element(out, "      ", "title", r.title);
    if (!r.artists.empty()) element(out, "      ", "creator", r.artists);
    if (!r.album.empty()) element(out, "      ", "album", r.album);
    if (r.duration_ms > 0) element(out, "      ", "duration", std::to_string(r.duration_ms));
    out += "    </track>\n";
  }
  out += "  </trackList>\n</playlist>\n";
  return out;
}

std::string export_json(const catalog::Snapshot& snapshot, const ExportPlaylist& playlist,
                        const ExportOptions& options) {
  boost::json::object root;
  root["format"] = "segue.playlist";
  root["version"] = 1;
  root["name"] = strings::sanitize_utf8(playlist.name);
  root["description"] = strings::sanitize_utf8(playlist.description);
  boost::json::array tracks;
  for (const auto& r : rows(snapshot, playlist, options)) {
    boost::json::object t;
    t["uri"] = r.uri;
    if (r.known) {
      t["title"] = strings::sanitize_utf8(r.title);
      boost::json::array artists;
      for (const auto& a : r.artist_list) artists.emplace_back(strings::sanitize_utf8(a));
      t["artists"] = std::move(artists);
      t["album"] = strings::sanitize_utf8(r.album);
      t["duration_ms"] = r.duration_ms;
    }
    if (!r.path.empty()) t["path"] = strings::sanitize_utf8(r.path);
    tracks.emplace_back(std::move(t));
  }
  root["tracks"] = std::move(tracks);
  return boost::json::serialize(root) + "\n";
}

std::string export_playlist(Format format, const catalog::Snapshot& snapshot,
                            const ExportPlaylist& playlist, const ExportOptions& options) {
  switch (format) {
    case Format::kM3u8: return export_m3u8(snapshot, playlist, options);
    case Format::kXspf: return export_xspf(snapshot, playlist, options);
    case Format::kJson: return export_json(snapshot, playlist, options);
  }
  return {};
}

}  // namespace segue::playlist
