// Matching imported entries to catalog tracks: by URI, by path, then by artist and title.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/strings.h"
#include "playlist/io.h"

namespace segue::playlist {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDurationToleranceMs = 3000;

// ASCII folding of U+00C0..U+00FF ("" for × and ÷, which are punctuation).
constexpr const char* kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};
// U+0100..U+017F (Latin Extended-A), one letter each; '1' is "ij", '2' is "oe".
constexpr std::string_view kLatinExtA =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii11jjkkkllllllllllnnnnnnnnnoooooo22rrrrrr"
    "ssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(kLatinExtA.size() == 128);

// Decodes one UTF-8 code point at s[i] (valid UTF-8 assumed; invalid bytes yield U+FFFD).
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + static_cast<std::size_t>(n) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += static_cast<std::size_t>(n);
  return cp;
}

// Letters and digits lowercased and accent-folded; everything else a single space; "&" is
// "and". Non-Latin letters are kept as they are.
std::string fold_words(std::string_view s) {
  std::string out;
  auto space = [&] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    char32_t cp = next_code_point(s, i);
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        out += static_cast<char>(c - 'A' + 'a');
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out += c;
      } else if (c == '&') {
        space();
        out += "and ";
      } else if (c == '\'') {
        // "Don't" = "Dont"
      } else {
        space();
      }
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      const char* f = kLatin1[cp - 0xC0];
      if (*f) out += f; else space();
    } else if (cp >= 0x100 && cp <= 0x17F) {
      char c = kLatinExtA[cp - 0x100];
      if (c == '1') out += "ij"; else if (c == '2') out += "oe"; else out += c;
    } else if (cp >= 0x300 && cp <= 0x36F) {
      // combining accents (decomposed input): dropped
    } else if (cp == 0x2019 || cp == 0x2018 || cp == 0x02BC) {
      // typographic apostrophes, as '
    } else if ((cp >= 0x80 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x206F) ||
               (cp >= 0x3000 && cp <= 0x303F) || cp == 0xFFFD) {
      space();  // Latin-1 punctuation, general punctuation, CJK punctuation
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Removes "(feat. X)" / "[ft. X]" groups and a trailing " feat. X", on the raw text.
std::string strip_featuring(std::string_view s) {
  std::string lower = strings::ascii_lower(s);
  std::string out(s);
  auto is_feat_at = [&](std::size_t p) {
    for (std::string_view w : {"feat.", "feat ", "ft.", "ft ", "featuring "})
      if (lower.compare(p, w.size(), w) == 0) return true;
    return false;
  };
  // Bracketed groups.
  for (std::size_t p = 0; p < lower.size(); ++p) {
    char open = lower[p];
    if (open != '(' && open != '[') continue;
    std::size_t q = p + 1;
    while (q < lower.size() && lower[q] == ' ') ++q;
    if (!is_feat_at(q)) continue;
    char close = open == '(' ? ')' : ']';
    std::size_t e = lower.find(close, q);
    if (e == std::string::npos) e = lower.size() - 1;
    lower.erase(p, e - p + 1);
    out.erase(p, e - p + 1);
    --p;
  }
  // A bare " feat. X" to the end.
  for (std::size_t p = 1; p < lower.size(); ++p) {
    if (lower[p - 1] == ' ' && is_feat_at(p)) {
      out.erase(p - 1);
      break;
    }
  }
  return out;
}

std::string drop_the(std::string s) {
  if (s.rfind("the ", 0) == 0 && s.size() > 4) s.erase(0, 4);
  if (s.size() > 4 && s.compare(s.size() - 4, 4, " the") == 0) s.erase(s.size() - 4);  // "Beatles, The"
  return s;
}

std::string normalise_path(std::string p) {
  std::replace(p.begin(), p.end(), '\\', '/');
  fs::path n = fs::path(p).lexically_normal();
  std::string s = n.generic_string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::vector<std::string> path_components(std::string_view p) {
  std::vector<std::string> parts;
  for (auto& part : strings::split(p, '/'))
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
  return parts;
}

struct Candidate {
  const catalog::Track* track;
  std::string folded_album;
};

class Matcher {
 public:
  Matcher(const catalog::Snapshot& snap, const std::vector<std::string>& roots,
          std::string_view playlist_dir)
      : snap_(snap) {
    for (const auto& r : roots)
      if (!r.empty()) roots_.push_back(normalise_path(r));
    if (!playlist_dir.empty()) playlist_dir_ = normalise_path(std::string(playlist_dir));
    for (const auto& f : snap.files()) {
      if (!snap.track(f.track_id)) continue;
      by_path_.emplace(normalise_path(f.path), &f);
      by_relative_.emplace(normalise_path(f.relative_path), &f);
      by_relative_lower_[strings::ascii_lower(normalise_path(f.relative_path))].push_back(&f);
    }
    for (const auto& t : snap.tracks()) {
      std::string title = fold_for_match(t.title, false);
      if (title.empty()) continue;
      const catalog::Album* album = snap.album(t.album_id);
      std::string album_key = album ? fold_for_match(album->name, false) : "";
      std::unordered_set<std::string> keys;
      std::string joined;
      for (const auto& aid : t.artist_ids) {
        const catalog::Artist* a = snap.artist(aid);
        if (!a) continue;
        keys.insert(fold_for_match(a->name, true));
        if (!joined.empty()) joined += ", ";
        joined += a->name;
      }
      keys.insert(fold_for_match(joined, true));
      for (const auto& k : keys)
        if (!k.empty()) by_artist_title_[k + '\x1f' + title].push_back({&t, album_key});
      by_title_[title].push_back({&t, album_key});
    }
  }

  // The track for one entry, or the reason there is none; `how` is set for fuzzy matches.
  const catalog::Track* match(const ImportEntry& e, std::string& how, std::string& reason) const {
    for (const std::string* u : {&e.uri, &e.location}) {
      if (auto id = parse_uri(*u, "track")) {
        if (const auto* t = snap_.track(TrackId(*id))) return t;
      }
    }
    // A path suffix of the file name alone is weak: artist and title decide first then.
    const catalog::AudioFile* by_name = nullptr;
    std::string name_how;
    if (!e.location.empty()) {
      std::size_t components = 0;
      if (const auto* f = match_path(e.location, name_how, components)) {
        if (components != 1) {
          how = std::move(name_how);
          return snap_.track(f->track_id);
        }
        by_name = f;
      }
    }
    if (!e.title.empty()) {
      bool ambiguous = false;
      if (const auto* t = match_artist_title(e, how, reason, ambiguous)) return t;
      if (ambiguous && !by_name) return nullptr;
    }
    if (by_name) {
      how = std::move(name_how);
      return snap_.track(by_name->track_id);
    }
    if (e.location.empty() && e.uri.empty() && e.title.empty())
      reason = "the entry has no path, URI or title";
    else
      reason = "no track with this path or artist and title";
    return nullptr;
  }

 private:
  const catalog::AudioFile* lookup_absolute(const std::string& p) const {
    auto it = by_path_.find(p);
    return it == by_path_.end() ? nullptr : it->second;
  }

  // `components`: 0 for a whole-path match, else the length of the matching suffix.
  const catalog::AudioFile* match_path(const std::string& location, std::string& how,
                                       std::size_t& components) const {
    auto path = location_to_path(location);
    if (!path || path->empty()) return nullptr;
    bool absolute = (*path)[0] == '/';
    if (absolute) {
      if (const auto* f = lookup_absolute(*path)) return f;
    } else {
      if (!playlist_dir_.empty())
        if (const auto* f = lookup_absolute(normalise_path(playlist_dir_ + "/" + *path))) return f;
      for (const auto& root : roots_)
        if (const auto* f = lookup_absolute(normalise_path(root + "/" + *path))) return f;
      if (auto it = by_relative_.find(*path); it != by_relative_.end()) return it->second;
    }
    // The longest trailing run of components that is a unique catalog relative path, ASCII
    // case-insensitive: "C:\Users\me\Music\Artist\Album\01.mp3" finds "Artist/Album/01.mp3".
    auto parts = path_components(*path);
    std::size_t first = 0;
    while (first < parts.size() && parts[first] == "..") ++first;  // never part of a suffix
    for (std::size_t start = first; start < parts.size(); ++start) {
      std::string suffix;
      for (std::size_t k = start; k < parts.size(); ++k) {
        if (parts[k] == "..") {
          suffix.clear();
          break;
        }
        if (!suffix.empty()) suffix += '/';
        suffix += parts[k];
      }
      if (suffix.empty()) continue;
      auto it = by_relative_lower_.find(strings::ascii_lower(suffix));
      if (it == by_relative_lower_.end()) continue;
      if (it->second.size() == 1) {
        how = "path ending \"" + suffix + "\"";
        components = parts.size() - start;
        return it->second.front();
      }
      return nullptr;  // several files end like this: let artist and title decide
    }
    return nullptr;
  }

  static std::string describe(const catalog::Snapshot& snap, const catalog::Track& t) {
    std::string s = "\"" + t.title + "\"";
    std::string artists;
    for (const auto& aid : t.artist_ids)
      if (const auto* a = snap.artist(aid)) artists += (artists.empty() ? "" : ", ") + a->name;
    if (!artists.empty()) s += " by " + artists;
    if (const auto* al = snap.album(t.album_id)) s += " on \"" + al->name + "\"";
    s += " (segue:track:" + t.id.str() + ")";
    return s;
  }

  static std::vector<Candidate> within_duration(const std::vector<Candidate>& cs, int64_t ms) {
    std::vector<Candidate> out;
    for (const auto& c : cs)
      if (std::llabs(c.track->duration_ms - ms) <= kDurationToleranceMs) out.push_back(c);
    return out;
  }

  static std::vector<Candidate> same_album(const std::vector<Candidate>& cs, const std::string& album) {
    std::vector<Candidate> out;
    for (const auto& c : cs)
      if (c.folded_album == album) out.push_back(c);
    return out;
  }

  // The distinct candidates (one track may be indexed under several artist keys).
  static std::vector<Candidate> dedupe(std::vector<Candidate> cs) {
    std::vector<Candidate> out;
    std::unordered_set<const catalog::Track*> seen;
    for (auto& c : cs)
      if (seen.insert(c.track).second) out.push_back(std::move(c));
    return out;
  }

  const catalog::Track* match_artist_title(const ImportEntry& e, std::string& how,
                                           std::string& reason, bool& ambiguous) const {
    std::string title = fold_for_match(e.title, false);
    if (title.empty()) return nullptr;
    std::string album = fold_for_match(e.album, false);
    std::vector<Candidate> cs;
    if (!e.artist.empty()) {
      std::string artist = fold_for_match(e.artist, true);
      if (auto it = by_artist_title_.find(artist + '\x1f' + title); it != by_artist_title_.end())
        cs = it->second;
      if (cs.empty()) {
        // "A, B" / "A & B" / "A; B" / "A / B": try each named artist.
        std::string raw = e.artist;
        for (char& c : raw)
          if (c == ',' || c == ';' || c == '/' || c == '&') c = '\x1f';
        for (const auto& part : strings::split(raw, '\x1f')) {
          std::string a = fold_for_match(part, true);
          if (a.empty()) continue;
          if (auto it = by_artist_title_.find(a + '\x1f' + title); it != by_artist_title_.end())
            cs.insert(cs.end(), it->second.begin(), it->second.end());
        }
      }
      cs = dedupe(std::move(cs));
      if (cs.empty()) return nullptr;
    } else {
      // Without an artist the title alone is too weak: require the duration.
      if (!e.duration_ms) return nullptr;
      auto it = by_title_.find(title);
      if (it == by_title_.end()) return nullptr;
      cs = within_duration(dedupe(it->second), *e.duration_ms);
      if (cs.size() == 1) {
        how = "title and duration";
        return cs.front().track;
      }
      if (cs.empty()) return nullptr;
    }

    std::vector<Candidate> narrowed = cs;
    std::string basis = e.artist.empty() ? "title and duration" : "artist and title";
    if (e.duration_ms && narrowed.size() > 1) {
      auto d = within_duration(narrowed, *e.duration_ms);
      if (!d.empty()) {
        narrowed = std::move(d);
        basis = "artist, title and duration";
      }
    }
    if (!album.empty() && narrowed.size() > 1) {
      auto a = same_album(narrowed, album);
      if (!a.empty()) {
        narrowed = std::move(a);
        basis += " and album";
      }
    }
    if (narrowed.size() == 1) {
      const catalog::Track* t = narrowed.front().track;
      how = basis;
      if (e.duration_ms && basis.find("duration") == std::string::npos && !e.artist.empty()) {
        int64_t diff = std::llabs(t->duration_ms - *e.duration_ms);
        if (diff > kDurationToleranceMs)
          how += " (duration differs by " + std::to_string((diff + 500) / 1000) + " s)";
        else
          how = "artist, title and duration";
      }
      return t;
    }
    ambiguous = true;
    reason = "several tracks match: ";
    std::size_t shown = std::min<std::size_t>(narrowed.size(), 5);
    for (std::size_t i = 0; i < shown; ++i) {
      if (i) reason += "; ";
      reason += describe(snap_, *narrowed[i].track);
    }
    if (narrowed.size() > shown) reason += "; and " + std::to_string(narrowed.size() - shown) + " more";
    return nullptr;
  }

  const catalog::Snapshot& snap_;
  std::vector<std::string> roots_;
  std::string playlist_dir_;
  std::unordered_map<std::string, const catalog::AudioFile*> by_path_;
  std::unordered_map<std::string, const catalog::AudioFile*> by_relative_;
  std::unordered_map<std::string, std::vector<const catalog::AudioFile*>> by_relative_lower_;
  std::unordered_map<std::string, std::vector<Candidate>> by_artist_title_;
  std::unordered_map<std::string, std::vector<Candidate>> by_title_;
};

}  // namespace

std::string fold_for_match(std::string_view s, bool is_artist) {
  std::string words = fold_words(strip_featuring(s));
  return is_artist ? drop_the(std::move(words)) : words;
}

std::optional<std::string> location_to_path(std::string_view location) {
  std::string_view loc = strings::trim(location);
  if (loc.empty()) return std::string();
  std::size_t colon = loc.find(':');
  bool has_scheme = colon != std::string_view::npos && colon > 1 &&
                    std::all_of(loc.begin(), loc.begin() + static_cast<long>(colon), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
                             c == '.';
                    });
  std::string path;
  if (has_scheme) {
    if (strings::ascii_lower(loc.substr(0, colon)) != "file") return std::nullopt;
    std::string_view rest = loc.substr(colon + 1);
    if (rest.substr(0, 2) == "//") {
      rest.remove_prefix(2);
      std::size_t slash = rest.find('/');
      std::string_view host = rest.substr(0, slash);
      if (!host.empty() && strings::ascii_lower(host) != "localhost") return std::nullopt;  // another machine
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    }
    // "file:///C:/Music/x.mp3": a Windows drive after the slash.
    if (rest.size() >= 3 && rest[0] == '/' && std::isalpha(static_cast<unsigned char>(rest[1])) &&
        rest[2] == ':')
      rest.remove_prefix(1);
    auto decoded = strings::percent_decode(rest, false, true);
    if (!decoded || !strings::is_valid_utf8(*decoded)) return std::nullopt;
    path = std::move(*decoded);
  } else {
    if (loc.find('\0') != std::string_view::npos) return std::nullopt;
    path = std::string(loc);
  }
  if (path.empty()) return path;
  return normalise_path(std::move(path));
}

MatchResult match_entries(const catalog::Snapshot& snapshot,
                          const std::vector<std::string>& library_roots,
                          std::string_view playlist_dir, const std::vector<ImportEntry>& entries) {
  Matcher m(snapshot, library_roots, playlist_dir);
  MatchResult out;
  out.matched_in_order.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string how, reason;
    const catalog::Track* t = m.match(entries[i], how, reason);
    if (!t) {
      out.unmatched.push_back({i, entries[i], std::move(reason)});
      continue;
    }
    out.matched_in_order.push_back(t->id);
    if (!how.empty()) out.matched_how.push_back({i, t->id, std::move(how)});
  }
  return out;
}

}  // namespace segue::playlist
