#include "catalog/demo_library.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>

#include "audio/encoder.h"
#include "audio/image.h"
#include "audio/synth.h"
#include "catalog/tag_writer.h"
#include "common/strings.h"

namespace segue::catalog {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMarker = ".segue-demo-library";

struct DemoTrack {
  const char* title;
  std::vector<std::string> artists;
  int disc;
  int number;
  audio::Format format;
  int bitrate;
};

struct DemoAlbum {
  const char* name;
  const char* album_artist;
  const char* folder_artist;
  const char* date;
  const char* genre;
  bool compilation;
  bool embed_cover;  // else cover.jpg in the folder
  std::array<uint8_t, 3> color;
  char initial;
  int discs;
  std::vector<DemoTrack> tracks;
};

std::vector<DemoAlbum> demo_albums() {
  using audio::Format;
  const std::string marlow = "Marlow Vance", lanterns = "The Copper Lanterns",
                    nadia = "Nadia Oré";
  return {
      {"Harbor Lights", "Marlow Vance", "Marlow Vance", "2019-09-06", "Folk", false, false,
       {38, 84, 124}, 'H', 1,
       {{"Low Tide Letters", {marlow}, 1, 1, Format::kOgg, 160},
        {"Lanterns on the Pier", {marlow}, 1, 2, Format::kOgg, 160},
        {"The Ferryman's Waltz", {marlow}, 1, 3, Format::kOgg, 160}}},
      {"Night Cartography", "The Copper Lanterns", "The Copper Lanterns", "2021-05-14",
       "Indie Rock", false, true, {150, 70, 30}, 'N', 2,
       {{"Compass Rose", {lanterns}, 1, 1, Format::kMp3, 320},
        {"Streetlamp Semaphore", {lanterns}, 1, 2, Format::kMp3, 320},
        {"Northbound Static", {lanterns}, 2, 1, Format::kMp3, 320},
        {"Paper Satellites", {lanterns}, 2, 2, Format::kFlac, 0}}},
      {"Glass Orchard", "Nadia Oré", "Nadia Oré", "2023", "Electronic", false, true,
       {60, 140, 90}, 'G', 1,
       {{"Prism Bloom", {nadia}, 1, 1, Format::kFlac, 0},
        {"Quiet Voltage", {nadia}, 1, 2, Format::kM4a, 256},
        {"Orchard at 3 AM", {nadia}, 1, 3, Format::kFlac, 0}}},
      {"Side Streets: A Collection", "Various Artists", "Various Artists", "2024-03", "Pop",
       true, false, {200, 170, 40}, 'S', 1,
       {{"Corner Café Serenade", {marlow}, 1, 1, Format::kOpus, 128},
        {"Tram Lines", {nadia}, 1, 2, Format::kWav, 0},
        {"Evening Exchange", {marlow, nadia}, 1, 3, Format::kOgg, 160}}},
  };
}

// 5x7 block glyphs for the album initials.
const std::map<char, std::array<const char*, 7>>& glyphs() {
  static const std::map<char, std::array<const char*, 7>> g = {
      {'H', {"X...X", "X...X", "X...X", "XXXXX", "X...X", "X...X", "X...X"}},
      {'N', {"X...X", "XX..X", "X.X.X", "X.X.X", "X..XX", "X...X", "X...X"}},
      {'G', {".XXX.", "X...X", "X....", "X.XXX", "X...X", "X...X", ".XXX."}},
      {'S', {".XXXX", "X....", "X....", ".XXX.", "....X", "....X", "XXXX."}},
  };
  return g;
}

Result<std::string> cover_jpeg(const DemoAlbum& a) {
  constexpr int kSide = 300;
  std::vector<uint8_t> rgb(static_cast<std::size_t>(kSide) * kSide * 3);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      uint8_t* p = &rgb[(static_cast<std::size_t>(y) * kSide + x) * 3];
      const bool stripe = ((x + y) / 25) % 2 == 0;  // diagonal stripes in two shades
      for (int c = 0; c < 3; ++c)
        p[c] = static_cast<uint8_t>(stripe ? a.color[c] : a.color[c] * 3 / 4);
    }
  auto it = glyphs().find(a.initial);
  if (it != glyphs().end()) {
    constexpr int kCell = 30, kLeft = (kSide - 5 * kCell) / 2, kTop = (kSide - 7 * kCell) / 2;
    for (int gy = 0; gy < 7; ++gy)
      for (int gx = 0; gx < 5; ++gx) {
        if (it->second[gy][gx] != 'X') continue;
        for (int y = kTop + gy * kCell + 2; y < kTop + (gy + 1) * kCell - 2; ++y)
          for (int x = kLeft + gx * kCell + 2; x < kLeft + (gx + 1) * kCell - 2; ++x) {
            uint8_t* p = &rgb[(static_cast<std::size_t>(y) * kSide + x) * 3];
            p[0] = p[1] = p[2] = 245;
          }
      }
  }
  return audio::encode_jpeg(rgb, kSide, kSide, 90);
}

// File names keep letters, digits, spaces and a few safe marks.
std::string safe_name(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '/' || c == '\\' || c == ':' || c == '?' || c == '*') ? '_' : c;
  return out;
}

Status write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) return Error::unavailable("cannot write " + path.string());
  return {};
}

}  // namespace

Status write_demo_library(const std::string& dir, const DemoOptions& options) {
  try {
    const fs::path root(dir);
    std::error_code ec;
    if (fs::exists(root / kMarker, ec)) return {};
    fs::create_directories(root, ec);
    if (ec) return Error::unavailable("cannot create " + dir + ": " + ec.message());
    uint32_t seed = 1;
    for (const DemoAlbum& a : demo_albums()) {
      const fs::path folder = root / safe_name(a.folder_artist) / safe_name(a.name);
      fs::create_directories(folder, ec);
      if (ec) return Error::unavailable("cannot create " + folder.string() + ": " + ec.message());
      SEGUE_ASSIGN_OR_RETURN(std::string cover, cover_jpeg(a));
      if (!a.embed_cover) SEGUE_TRY(write_file(folder / "cover.jpg", cover));
      for (const DemoTrack& t : a.tracks) {
        ++seed;
        double seconds = 20 + (seed * 7) % 21;
        if (options.max_track_seconds > 0) seconds = std::min(seconds, options.max_track_seconds);
        std::string number = (t.number < 10 ? "0" : "") + std::to_string(t.number);
        if (a.discs > 1) number = std::to_string(t.disc) + "-" + number;
        const fs::path file =
            folder / (number + " - " + safe_name(t.title) + "." + std::string(audio::extension(t.format)));
        SEGUE_TRY(audio::encode_pcm_file(file.string(), t.format,
                                         audio::render_demo_tune(seed * 7919, seconds),
                                         t.bitrate));
        TagWrite w;
        const int count = static_cast<int>(std::count_if(
            a.tracks.begin(), a.tracks.end(), [&](const DemoTrack& o) { return o.disc == t.disc; }));
        w.properties = {{"TITLE", {t.title}},
                        {"ARTIST", t.artists},
                        {"ALBUM", {a.name}},
                        {"ALBUMARTIST", {a.album_artist}},
                        {"TRACKNUMBER", {std::to_string(t.number) + "/" + std::to_string(count)}},
                        {"DISCNUMBER", {std::to_string(t.disc) + "/" + std::to_string(a.discs)}},
                        {"DATE", {a.date}},
                        {"GENRE", {a.genre}}};
        if (a.compilation) w.properties["COMPILATION"] = {"1"};
        if (a.embed_cover) w.cover_jpeg = cover;
        SEGUE_TRY(write_tags(file.string(), w));
      }
    }
    return write_file(root / kMarker, "segue demo library v1\n");
  } catch (const std::exception& e) {
    return Error::internal(std::string("demo library failed: ") + e.what());
  }
}

namespace {

// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
std::vector<std::string> csv_fields(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  for (auto& f : out) f = strings::sanitize_utf8(strings::trim(f));
  return out;
}

}  // namespace

Status write_catalog_library(const std::string& dir, const std::string& csv_path,
                             const LibraryProgressFn& progress) {
  try {
    std::ifstream in(csv_path);
    if (!in) return Error::not_found("cannot open " + csv_path);
    std::string line;
    if (!std::getline(in, line)) return Error::invalid("empty CSV");
    std::map<std::string, std::size_t> col;
    auto header = csv_fields(line);
    for (std::size_t i = 0; i < header.size(); ++i) col[strings::ascii_lower(header[i])] = i;
    if (!col.count("title") || !col.count("artist"))
      return Error::invalid("CSV needs title and artist columns");
    std::vector<std::vector<std::string>> rows;
    while (std::getline(in, line))
      if (!strings::trim(line).empty()) rows.push_back(csv_fields(line));
    auto field = [&](const std::vector<std::string>& row, const char* name) -> std::string {
      auto it = col.find(name);
      return it != col.end() && it->second < row.size() ? row[it->second] : std::string();
    };

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Error::unavailable("cannot create " + dir + ": " + ec.message());
    const fs::path tmpl = fs::path(dir) / ".template.ogg";
    SEGUE_TRY(audio::encode_pcm_file(tmpl.string(), audio::Format::kOgg,
                                     audio::render_demo_tune(11, 2.0), 96));
    std::map<std::string, int> numbers;  // per album folder
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const auto& row = rows[r];
      const std::string title = field(row, "title");
      if (!title.empty()) {
        std::string artist = field(row, "artist");
        if (artist.empty()) artist = "Unknown Artist";
        std::string album = field(row, "album");
        if (album.empty()) album = title;
        const fs::path folder = fs::path(dir) / safe_name(artist) / safe_name(album);
        fs::create_directories(folder, ec);
        const int n = ++numbers[folder.string()];
        const fs::path file = folder / (std::to_string(n) + " - " + safe_name(title) + ".ogg");
        fs::copy_file(tmpl, file, fs::copy_options::overwrite_existing, ec);
        if (ec) return Error::unavailable("cannot write " + file.string() + ": " + ec.message());
        TagWrite w;
        w.properties = {{"TITLE", {title}},
                        {"ARTIST", {artist}},
                        {"ALBUM", {album}},
                        {"TRACKNUMBER", {std::to_string(n)}}};
        if (auto g = field(row, "genre"); !g.empty()) w.properties["GENRE"] = {g};
        if (auto y = field(row, "year"); !y.empty()) w.properties["DATE"] = {y};
        SEGUE_TRY(write_tags(file.string(), w));
      }
      if (progress) progress(r + 1, rows.size());
    }
    fs::remove(tmpl, ec);
    return {};
  } catch (const std::exception& e) {
    return Error::internal(std::string("catalog library failed: ") + e.what());
  }
}

}  // namespace segue::catalog
