#include "catalog/tag_reader.h"

#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <taglib/attachedpictureframe.h>
#include <taglib/fileref.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4file.h>
#include <taglib/mp4properties.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/xiphcomment.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "catalog/taglib_util.h"
#include "common/strings.h"

namespace segue::catalog {
namespace {

using detail::to_utf8;

std::vector<std::string> values(const TagLib::PropertyMap& pm, const char* key) {
  std::vector<std::string> out;
  auto it = pm.find(key);
  if (it == pm.end()) return out;
  for (const auto& v : it->second) {
    std::string s(strings::trim(to_utf8(v)));
    if (!s.empty()) out.push_back(std::move(s));
  }
  return out;
}

std::string first(const TagLib::PropertyMap& pm, const char* key) {
  auto v = values(pm, key);
  return v.empty() ? std::string() : v.front();
}

std::optional<std::string> opt_first(const TagLib::PropertyMap& pm, const char* key) {
  std::string s = first(pm, key);
  return s.empty() ? std::nullopt : std::optional<std::string>(std::move(s));
}

bool truthy(std::string_view s) {
  s = strings::trim(s);
  return s == "1" || strings::ascii_lower(s) == "true" || strings::ascii_lower(s) == "yes";
}

// Checks the path before TagLib sees it: TagLib must only open readable regular files
// (a FIFO would block it forever).
Status check_regular_readable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == EACCES) return Error::permission_denied("permission denied");
    if (errno == ELOOP) return Error::invalid("symlink loop");
    return Error::not_found(std::string("cannot stat: ") + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Error::invalid("not a regular file");
  if (st.st_size == 0) return Error::invalid("empty file");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == EACCES || errno == EPERM) return Error::permission_denied("permission denied");
    return Error::unavailable(std::string("cannot open: ") + std::strerror(errno));
  }
  ::close(fd);
  return {};
}

struct CodecInfo {
  const char* codec;
  const char* container;
  const char* mime;
  bool lossless;
};

std::optional<CodecInfo> codec_of(TagLib::File* f) {
  if (dynamic_cast<TagLib::MPEG::File*>(f)) return CodecInfo{"mp3", "mp3", "audio/mpeg", false};
  if (dynamic_cast<TagLib::FLAC::File*>(f)) return CodecInfo{"flac", "flac", "audio/flac", true};
  if (dynamic_cast<TagLib::Ogg::Vorbis::File*>(f))
    return CodecInfo{"vorbis", "ogg", "audio/ogg", false};
  if (dynamic_cast<TagLib::Ogg::Opus::File*>(f))
    return CodecInfo{"opus", "ogg", "audio/ogg; codecs=opus", false};
  if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(f)) {
    auto* props = mp4->audioProperties();
    if (props && props->codec() == TagLib::MP4::Properties::ALAC)
      return CodecInfo{"alac", "mp4", "audio/mp4", true};
    return CodecInfo{"aac", "mp4", "audio/mp4", false};
  }
  if (dynamic_cast<TagLib::RIFF::WAV::File*>(f)) return CodecInfo{"wav", "wav", "audio/wav", true};
  return std::nullopt;
}

bool has_picture(TagLib::File* f) {
  if (auto* mpeg = dynamic_cast<TagLib::MPEG::File*>(f))
    return mpeg->hasID3v2Tag() && !mpeg->ID3v2Tag()->frameListMap()["APIC"].isEmpty();
  if (auto* flac = dynamic_cast<TagLib::FLAC::File*>(f)) {
    if (!flac->pictureList().isEmpty()) return true;
    return flac->hasXiphComment() && !flac->xiphComment()->pictureList().isEmpty();
  }
  if (auto* ogg = dynamic_cast<TagLib::Ogg::Vorbis::File*>(f))
    return ogg->tag() && !ogg->tag()->pictureList().isEmpty();
  if (auto* opus = dynamic_cast<TagLib::Ogg::Opus::File*>(f))
    return opus->tag() && !opus->tag()->pictureList().isEmpty();
  if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(f))
    return mp4->hasMP4Tag() && mp4->tag()->contains("covr") &&
           !mp4->tag()->item("covr").toCoverArtList().isEmpty();
  if (auto* wav = dynamic_cast<TagLib::RIFF::WAV::File*>(f))
    return wav->hasID3v2Tag() && !wav->ID3v2Tag()->frameListMap()["APIC"].isEmpty();
  return false;
}

// Picks the front cover if present, else the first picture.
template <typename List, typename TypeOf, typename DataOf>
std::optional<TagLib::ByteVector> pick_picture(const List& list, TypeOf type_of, DataOf data_of,
                                               int front) {
  std::optional<TagLib::ByteVector> chosen;
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (!chosen) chosen = data_of(*it);
    if (type_of(*it) == front) return data_of(*it);
  }
  return chosen;
}

std::optional<TagLib::ByteVector> id3_picture(TagLib::ID3v2::Tag* tag) {
  if (!tag) return std::nullopt;
  const auto& frames = tag->frameListMap()["APIC"];
  return pick_picture(
      frames,
      [](TagLib::ID3v2::Frame* fr) {
        auto* p = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(fr);
        return p ? static_cast<int>(p->type()) : -1;
      },
      [](TagLib::ID3v2::Frame* fr) {
        auto* p = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(fr);
        return p ? p->picture() : TagLib::ByteVector();
      },
      TagLib::ID3v2::AttachedPictureFrame::FrontCover);
}

std::optional<TagLib::ByteVector> flac_picture(const TagLib::List<TagLib::FLAC::Picture*>& list) {
  return pick_picture(
      list, [](TagLib::FLAC::Picture* p) { return static_cast<int>(p->type()); },
      [](TagLib::FLAC::Picture* p) { return p->data(); }, TagLib::FLAC::Picture::FrontCover);
}

std::optional<TagLib::ByteVector> picture_bytes(TagLib::File* f) {
  if (auto* mpeg = dynamic_cast<TagLib::MPEG::File*>(f))
    return mpeg->hasID3v2Tag() ? id3_picture(mpeg->ID3v2Tag()) : std::nullopt;
  if (auto* flac = dynamic_cast<TagLib::FLAC::File*>(f)) {
    if (auto p = flac_picture(flac->pictureList())) return p;
    return flac->hasXiphComment() ? flac_picture(flac->xiphComment()->pictureList())
                                  : std::nullopt;
  }
  if (auto* ogg = dynamic_cast<TagLib::Ogg::Vorbis::File*>(f))
    return ogg->tag() ? flac_picture(ogg->tag()->pictureList()) : std::nullopt;
  if (auto* opus = dynamic_cast<TagLib::Ogg::Opus::File*>(f))
    return opus->tag() ? flac_picture(opus->tag()->pictureList()) : std::nullopt;
  if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(f)) {
    if (!mp4->hasMP4Tag() || !mp4->tag()->contains("covr")) return std::nullopt;
    auto list = mp4->tag()->item("covr").toCoverArtList();
    if (list.isEmpty()) return std::nullopt;
    return list.front().data();
  }
  if (auto* wav = dynamic_cast<TagLib::RIFF::WAV::File*>(f))
    return wav->hasID3v2Tag() ? id3_picture(wav->ID3v2Tag()) : std::nullopt;
  return std::nullopt;
}

// An iTunes freeform atom ("----:com.apple.iTunes:NAME"), matched case-insensitively.
std::string mp4_freeform(TagLib::File* f, std::string_view name) {
  auto* mp4 = dynamic_cast<TagLib::MP4::File*>(f);
  if (!mp4 || !mp4->hasMP4Tag()) return "";
  const std::string wanted = strings::ascii_lower("----:com.apple.iTunes:" + std::string(name));
  for (const auto& [key, item] : mp4->tag()->itemMap()) {
    if (strings::ascii_lower(to_utf8(key)) != wanted) continue;
    const auto list = item.toStringList();
    if (!list.isEmpty()) return std::string(strings::trim(to_utf8(list.front())));
  }
  return "";
}

bool mp4_explicit(TagLib::File* f) {
  auto* mp4 = dynamic_cast<TagLib::MP4::File*>(f);
  if (!mp4 || !mp4->hasMP4Tag() || !mp4->tag()->contains("rtng")) return false;
  const int r = mp4->tag()->item("rtng").toInt();
  return r == 1 || r == 4;
}

// Opens `path` with TagLib after the file checks; the FileRef owns the TagLib::File.
Result<TagLib::FileRef> open_taglib(const std::string& path) {
  SEGUE_TRY(check_regular_readable(path));
  TagLib::FileRef ref(path.c_str(), true, TagLib::AudioProperties::Average);
  if (ref.isNull() || !ref.file()) return Error::invalid("unsupported or unrecognised file");
  if (!ref.file()->isValid()) return Error::invalid("not a valid audio file (truncated or corrupt)");
  return ref;
}

}  // namespace

std::pair<int, int> parse_number_pair(std::string_view s) {
  s = strings::trim(s);
  auto num = [](std::string_view p) {
    p = strings::trim(p);
    int v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    (void)end;
    return (ec == std::errc() && v > 0 && v < 100000) ? v : 0;
  };
  const auto slash = s.find('/');
  if (slash == std::string_view::npos) return {num(s), 0};
  return {num(s.substr(0, slash)), num(s.substr(slash + 1))};
}

std::optional<double> parse_gain(std::string_view s) {
  s = strings::trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  std::string_view rest = strings::trim(std::string_view(end, static_cast<std::size_t>(s.data() + s.size() - end)));
  if (!rest.empty() && strings::ascii_lower(rest) != "db") return std::nullopt;
  return v;
}

std::string normalize_date(std::string_view s) {
  s = strings::trim(s);
  auto digits = [&](std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return false;
    for (std::size_t i = pos; i < pos + n; ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    return true;
  };
  if (!digits(0, 4)) return "";
  std::string out(s.substr(0, 4));
  if (out == "0000") return "";
  auto sep = [&](std::size_t pos) {
    return pos < s.size() && (s[pos] == '-' || s[pos] == '/' || s[pos] == '.');
  };
  if (sep(4) && digits(5, 2)) {
    const int month = (s[5] - '0') * 10 + (s[6] - '0');
    if (month < 1 || month > 12) return out;
    out += '-';
    out.append(s.substr(5, 2));
    if (sep(7) && digits(8, 2)) {
      const int day = (s[8] - '0') * 10 + (s[9] - '0');
      if (day >= 1 && day <= 31) {
        out += '-';
        out.append(s.substr(8, 2));
      }
    }
  }
  return out;
}

void apply_filename_fallbacks(const std::string& path, TagInfo& info) {
  const std::filesystem::path p(path);
  const std::string stem = strings::sanitize_utf8(p.stem().string());
  if (info.title.empty() || info.track_number == 0) {
    // "03 - Title", "03. Title", "03 Title", "1-03 Title" (disc-track).
    std::string_view rest = stem;
    std::size_t i = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    int number = 0;
    if (i > 0 && i <= 3) {
      std::string_view digits = rest.substr(0, i);
      std::from_chars(digits.data(), digits.data() + digits.size(), number);
      rest.remove_prefix(i);
      if (!rest.empty() && rest.front() == '-' && rest.size() > 1 && rest[1] >= '0' && rest[1] <= '9') {
        // disc-track form
        std::size_t j = 1;
        while (j < rest.size() && rest[j] >= '0' && rest[j] <= '9') ++j;
        if (info.disc_number == 0) info.disc_number = number;
        std::from_chars(rest.data() + 1, rest.data() + j, number);
        rest.remove_prefix(j);
      }
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '-' || rest.front() == '.' ||
                               rest.front() == '_'))
        rest.remove_prefix(1);
    }
    if (rest.empty()) {  // the name is only a number: keep it as the title
      rest = stem;
      number = 0;
    }
    if (info.track_number == 0 && number > 0) info.track_number = number;
    if (info.title.empty()) {
      info.title = std::string(rest);
      info.title_from_filename = true;
    }
  }
  const std::filesystem::path parent = p.parent_path();
  if (info.album.empty()) {
    std::string name = strings::sanitize_utf8(parent.filename().string());
    info.album = name.empty() ? "Unknown Album" : name;
    info.album_from_folder = true;
  }
  if (info.artists.empty()) {
    std::string name = strings::sanitize_utf8(parent.parent_path().filename().string());
    info.artists.push_back(name.empty() ? "Unknown Artist" : name);
    info.artist_from_folder = true;
  }
}

// The duration of an Ogg Vorbis or Opus file from its granule positions: the last page's
// granule (minus Opus's pre-skip) over the sample rate. TagLib 1.13 subtracts the first audio
// page's granule instead, which undercounts when that page covers a long silent opening
// (silence packs many packets into one page). 0 when the pages cannot be read.
int64_t ogg_duration_ms(const std::string& path, bool opus, int sample_rate) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return 0;
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size < 64) return 0;
  auto read_at = [&](std::streamoff pos, std::size_t n) {
    std::string buf(n, '\0');
    f.seekg(pos);
    f.read(buf.data(), static_cast<std::streamsize>(n));
    buf.resize(static_cast<std::size_t>(f.gcount()));
    return buf;
  };
  auto le = [](const std::string& b, std::size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
    return v;
  };
  int64_t pre_skip = 0;
  if (opus) {
    std::string head = read_at(0, 256);
    auto at = head.find("OpusHead");
    if (at == std::string::npos || at + 12 > head.size()) return 0;
    pre_skip = static_cast<int64_t>(le(head, at + 10, 2));
    sample_rate = 48000;  // Opus granules always count 48 kHz samples
  }
  if (sample_rate <= 0) return 0;
  const std::size_t tail_len = static_cast<std::size_t>(std::min<std::streamoff>(size, 2 * 65307));
  std::string tail = read_at(size - static_cast<std::streamoff>(tail_len), tail_len);
  for (auto at = tail.rfind("OggS"); at != std::string::npos && at + 14 <= tail.size();
       at = at == 0 ? std::string::npos : tail.rfind("OggS", at - 1)) {
    if (tail[at + 4] != 0) continue;  // stream structure version
    const auto granule = static_cast<int64_t>(le(tail, at + 6, 8));
    if (granule <= 0) continue;  // -1: no packet ends on this page
    const int64_t samples = granule - pre_skip;
    return samples > 0 ? samples * 1000 / sample_rate : 0;
  }
  return 0;
}

Result<TagInfo> read_tags(const std::string& path) {
  try {
    SEGUE_ASSIGN_OR_RETURN(TagLib::FileRef ref, open_taglib(path));
    TagLib::File* file = ref.file();
    TagLib::AudioProperties* props = file->audioProperties();
    if (!props) return Error::invalid("no audio properties (truncated or corrupt)");
    TagInfo t;
    t.duration_ms = props->lengthInMilliseconds();
    if (t.duration_ms <= 0) return Error::invalid("no audio stream");
    t.bitrate_kbps = props->bitrate();
    t.sample_rate = props->sampleRate();
    t.channels = props->channels();
    auto codec = codec_of(file);
    if (!codec) return Error::invalid("unsupported audio format");
    t.codec = codec->codec;
    if (t.codec == "vorbis" || t.codec == "opus") {
      if (int64_t ms = ogg_duration_ms(path, t.codec == "opus", t.sample_rate); ms > 0) t.duration_ms = ms;
    }
    t.container = codec->container;
    t.mime_type = codec->mime;
    t.lossless = codec->lossless;

    const TagLib::PropertyMap pm = file->properties();
    t.title = first(pm, "TITLE");
    t.artists = values(pm, "ARTISTS");
    if (t.artists.size() < 2) {
      auto plain = values(pm, "ARTIST");
      if (!plain.empty()) t.artists = std::move(plain);
    }
    t.artist_sort_names = values(pm, "ARTISTSORT");
    t.album = first(pm, "ALBUM");
    t.album_artists = values(pm, "ALBUMARTIST");
    std::tie(t.track_number, t.track_total) = parse_number_pair(first(pm, "TRACKNUMBER"));
    std::tie(t.disc_number, t.disc_total) = parse_number_pair(first(pm, "DISCNUMBER"));
    for (const char* k : {"TRACKTOTAL", "TOTALTRACKS"})
      if (t.track_total == 0) t.track_total = parse_number_pair(first(pm, k)).first;
    for (const char* k : {"DISCTOTAL", "TOTALDISCS"})
      if (t.disc_total == 0) t.disc_total = parse_number_pair(first(pm, k)).first;
    t.date = normalize_date(first(pm, "ORIGINALDATE"));
    if (t.date.empty()) t.date = normalize_date(first(pm, "DATE"));
    if (t.date.empty()) t.date = normalize_date(first(pm, "YEAR"));
    t.genres = values(pm, "GENRE");
    t.compilation = truthy(first(pm, "COMPILATION"));
    t.explicit_content = mp4_explicit(file) || first(pm, "ITUNESADVISORY") == "1";
    t.isrc = opt_first(pm, "ISRC");
    t.musicbrainz_track_id = opt_first(pm, "MUSICBRAINZ_TRACKID");
    t.musicbrainz_album_id = opt_first(pm, "MUSICBRAINZ_ALBUMID");
    t.musicbrainz_artist_ids = values(pm, "MUSICBRAINZ_ARTISTID");
    t.musicbrainz_album_artist_ids = values(pm, "MUSICBRAINZ_ALBUMARTISTID");
    auto gain = [&](const char* key) {
      std::string v = first(pm, key);
      if (v.empty()) v = mp4_freeform(file, key);
      return parse_gain(v);
    };
    t.replay_gain.track_gain_db = gain("REPLAYGAIN_TRACK_GAIN");
    t.replay_gain.track_peak = gain("REPLAYGAIN_TRACK_PEAK");
    t.replay_gain.album_gain_db = gain("REPLAYGAIN_ALBUM_GAIN");
    t.replay_gain.album_peak = gain("REPLAYGAIN_ALBUM_PEAK");
    t.has_embedded_art = has_picture(file);
    apply_filename_fallbacks(path, t);
    return t;
  } catch (const std::exception& e) {
    return Error::invalid(std::string("tag reader failed: ") + e.what());
  }
}

Result<std::string> read_embedded_picture(const std::string& path, std::size_t max_bytes) {
  try {
    SEGUE_ASSIGN_OR_RETURN(TagLib::FileRef ref, open_taglib(path));
    auto bytes = picture_bytes(ref.file());
    if (!bytes || bytes->isEmpty()) return Error::not_found("no embedded picture in " + path);
    if (bytes->size() > max_bytes) return Error::exhausted("embedded picture too large");
    return std::string(bytes->data(), bytes->size());
  } catch (const std::exception& e) {
    return Error::invalid(std::string("tag reader failed: ") + e.what());
  }
}

}  // namespace segue::catalog
