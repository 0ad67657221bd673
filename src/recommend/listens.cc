#include "recommend/listens.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>

#include "common/strings.h"
#include "playlist/io.h"

namespace segue::recommend {
namespace {

namespace json = boost::json;

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> civil_ms(int64_t y, int mo, int d, int h, int mi, int s) {
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60)
    return std::nullopt;
  return ((days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 24 + h) * 60 + mi) * 60000 +
         int64_t{s} * 1000;
}

std::string key_of(const std::string& artist_key, const std::string& title_key) {
  std::string k = artist_key;
  k += '\x1f';
  k += title_key;
  return k;
}

}  // namespace

Result<Listen> parse_listenbrainz_line(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) return Error::invalid("not JSON: " + ec.message());
  const json::object* o = v.if_object();
  if (!o) return Error::invalid("not a JSON object");
  Listen l;
  const json::value* at = o->if_contains("listened_at");
  if (!at) return Error::invalid("no listened_at");
  if (at->is_int64() && at->as_int64() > 0) {
    l.listened_at_ms = at->as_int64() * 1000;
  } else if (at->is_uint64() && at->as_uint64() < (uint64_t{1} << 40)) {
    l.listened_at_ms = static_cast<int64_t>(at->as_uint64()) * 1000;
  } else if (at->is_double() && at->as_double() > 0 && at->as_double() < 1e11) {
    l.listened_at_ms = static_cast<int64_t>(at->as_double() * 1000);
  } else {
    return Error::invalid("listened_at is not a positive number of seconds");
  }
  if (l.listened_at_ms > int64_t{1} << 50) return Error::invalid("listened_at out of range");
  const json::value* md = o->if_contains("track_metadata");
  if (!md || !md->is_object()) return Error::invalid("no track_metadata object");
  auto text = [&](const json::object& from, std::string_view name) -> std::string {
    const json::value* f = from.if_contains(name);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  l.artist = text(md->as_object(), "artist_name");
  l.title = text(md->as_object(), "track_name");
  l.album = text(md->as_object(), "release_name");
  l.user = text(*o, "user_name");
  l.source = "listenbrainz";
  if (strings::trim(l.artist).empty() || strings::trim(l.title).empty())
    return Error::invalid("track_metadata needs artist_name and track_name");
  if (!strings::is_valid_utf8(l.artist) || !strings::is_valid_utf8(l.title) || !strings::is_valid_utf8(l.album) ||
      !strings::is_valid_utf8(l.user))
    return Error::invalid("names must be UTF-8");
  return l;
}

std::optional<int64_t> parse_listen_time(std::string_view s) {
  s = strings::trim(s);
  if (s.empty()) return std::nullopt;
  if (auto n = to_int(s)) {
    if (*n <= 0) return std::nullopt;
    if (*n > 100'000'000'000LL) return *n < (int64_t{1} << 50) ? std::optional<int64_t>(*n) : std::nullopt;
    return *n * 1000;
  }
  // "DD Mon YYYY HH:MM" (Last.fm)
  static constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                              "jul", "aug", "sep", "oct", "nov", "dec"};
  int d = 0, y = 0, h = 0, mi = 0, sec = 0, mo = 0;
  char mon[4] = {0};
  int consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%d %3s %d %d:%d%n", &d, mon, &y, &h, &mi, &consumed) == 5 &&
      consumed == static_cast<int>(str.size())) {
    std::string m = strings::ascii_lower(mon);
    for (std::size_t i = 0; i < kMonths.size(); ++i)
      if (m == kMonths[i]) mo = static_cast<int>(i) + 1;
    if (mo != 0) return civil_ms(y, mo, d, h, mi, 0);
    mo = 0;  // not a month name: try ISO 8601 below
  }
  // ISO 8601
  char sep = 0;
  consumed = 0;
  int n = std::sscanf(str.c_str(), "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &consumed);
  if (n == 6 && (sep == 'T' || sep == ' ')) {
    std::string_view rest = std::string_view(str).substr(static_cast<std::size_t>(consumed));
    if (rest.size() >= 3 && rest[0] == ':') {
      auto secs = to_int(rest.substr(1, 2));
      if (!secs) return std::nullopt;
      sec = static_cast<int>(*secs);
      rest.remove_prefix(3);
    }
    if (rest == "Z" || rest == "+00:00" || rest.empty()) return civil_ms(y, mo, d, h, mi, sec);
  }
  return std::nullopt;
}

ParseReport read_listens(std::istream& in, const std::function<void(Listen&&)>& on_listen,
                         const std::function<void(std::size_t)>& progress) {
  ParseReport r;
  auto refuse = [&](std::size_t line, const std::string& why) {
    ++r.bad;
    if (r.first_errors.size() < 10) r.first_errors.push_back("line " + std::to_string(line) + ": " + why);
  };
  // Peek at the first non-blank byte.
  char first = 0;
  std::size_t skipped_lines = 0;
  while (in.good()) {
    int c = in.peek();
    if (c == EOF) break;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == static_cast<unsigned char>('\xEF') ||
        c == static_cast<unsigned char>('\xBB') || c == static_cast<unsigned char>('\xBF')) {
      if (in.get() == '\n') ++skipped_lines;
      continue;
    }
    first = static_cast<char>(c);
    break;
  }
  std::size_t bytes = 0, last_progress = 0;
  std::string line;
  std::size_t line_no = skipped_lines;
  if (first == '{') {
    while (std::getline(in, line)) {
      ++line_no;
      bytes += line.size() + 1;
      if (strings::trim(line).empty()) continue;
      ++r.lines;
      auto l = parse_listenbrainz_line(line);
      if (!l) {
        refuse(line_no, l.error().message);
        continue;
      }
      ++r.listens;
      on_listen(std::move(*l));
      if (progress && bytes - last_progress > (1 << 20)) progress(last_progress = bytes);
    }
    if (progress) progress(bytes);
    return r;
  }
  // CSV, read whole (quoted fields may span lines), split by the project's RFC 4180 reader.
  // Errors name the row (the line, unless a quoted field spans lines).
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto rows = strings::parse_csv(text);
  int c_artist = 0, c_album = 1, c_title = 2, c_time = 3;
  bool header_checked = false;
  for (std::size_t row = 0; row < rows.size(); ++row) {
    const auto& f = rows[row];
    line_no = skipped_lines + row + 1;
    if (f.size() == 1 && strings::trim(f[0]).empty()) continue;
    if (!header_checked) {
      header_checked = true;
      int a = -1, al = -1, t = -1, ts = -1;
      for (std::size_t i = 0; i < f.size(); ++i) {
        std::string h = strings::ascii_lower(std::string(strings::trim(f[i])));
        if (h == "artist" || h == "artist_name") a = static_cast<int>(i);
        else if (h == "album" || h == "release_name") al = static_cast<int>(i);
        else if (h == "track" || h == "title" || h == "track_name" || h == "name") t = static_cast<int>(i);
        else if (h == "timestamp" || h == "date" || h == "uts" || h == "utc_time" || h == "listened_at") ts = static_cast<int>(i);
      }
      if (a >= 0 || t >= 0 || ts >= 0) {  // a header row
        if (a < 0 || t < 0 || ts < 0) {
          refuse(line_no, "the header must name artist, track (or title) and timestamp columns");
          return r;
        }
        c_artist = a;
        c_album = al;
        c_title = t;
        c_time = ts;
        continue;
      }
    }
    ++r.lines;
    const int need = std::max({c_artist, c_album, c_title, c_time});
    if (static_cast<int>(f.size()) <= need) {
      refuse(line_no, "expected at least " + std::to_string(need + 1) + " columns");
      continue;
    }
    Listen l;
    l.artist = std::string(strings::trim(f[static_cast<std::size_t>(c_artist)]));
    l.title = std::string(strings::trim(f[static_cast<std::size_t>(c_title)]));
    if (c_album >= 0) l.album = std::string(strings::trim(f[static_cast<std::size_t>(c_album)]));
    auto at = parse_listen_time(f[static_cast<std::size_t>(c_time)]);
    if (l.artist.empty() || l.title.empty()) {
      refuse(line_no, "no artist or track");
      continue;
    }
    if (!at) {
      refuse(line_no, "unreadable timestamp '" + f[static_cast<std::size_t>(c_time)].substr(0, 40) + "'");
      continue;
    }
    if (!strings::is_valid_utf8(l.artist) || !strings::is_valid_utf8(l.title) || !strings::is_valid_utf8(l.album)) {
      refuse(line_no, "names must be UTF-8");
      continue;
    }
    l.listened_at_ms = *at;
    l.source = "lastfm";
    ++r.listens;
    on_listen(std::move(l));
    if (progress && row % 65536 == 0) progress(text.size() * row / rows.size());
  }
  if (progress) progress(text.size());
  return r;
}

TrackMatcher::TrackMatcher(std::vector<Candidate> tracks) : tracks_(std::move(tracks)) {
  std::sort(tracks_.begin(), tracks_.end(), [](const Candidate& a, const Candidate& b) { return a.id.str() < b.id.str(); });
  album_keys_.reserve(tracks_.size());
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    album_keys_.push_back(playlist::fold_for_match(tracks_[i].album, false));
    const std::string title = playlist::fold_for_match(tracks_[i].title, false);
    for (const auto& a : tracks_[i].artists) {
      auto& v = by_key_[key_of(playlist::fold_for_match(a, true), title)];
      if (v.empty() || v.back() != i) v.push_back(i);
    }
  }
}

std::optional<TrackId> TrackMatcher::lookup(const std::string& artist_key, const std::string& title_key,
                                            const std::string& album_key) const {
  auto it = by_key_.find(key_of(artist_key, title_key));
  if (it == by_key_.end()) return std::nullopt;
  if (!album_key.empty())
    for (std::size_t i : it->second)
      if (album_keys_[i] == album_key) return tracks_[i].id;
  return tracks_[it->second.front()].id;
}

std::optional<TrackId> TrackMatcher::match(std::string_view artist, std::string_view title, std::string_view album) const {
  const std::string title_key = playlist::fold_for_match(title, false);
  const std::string album_key = album.empty() ? std::string() : playlist::fold_for_match(album, false);
  if (auto t = lookup(playlist::fold_for_match(artist, true), title_key, album_key)) return t;
  // "A & B", "A, B", "A feat. B", "A x B": the first name alone.
  static constexpr std::array<std::string_view, 6> kSeparators = {" & ", ", ", " feat. ", " feat ", " ft. ", " x "};
  std::size_t cut = artist.size();
  for (auto sep : kSeparators) cut = std::min(cut, artist.find(sep));
  if (cut == artist.size() || cut == 0) return std::nullopt;
  return lookup(playlist::fold_for_match(artist.substr(0, cut), true), title_key, album_key);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace segue::recommend
