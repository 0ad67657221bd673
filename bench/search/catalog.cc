#include "common/strings.h"
#include "catalog.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace segue::bench_search {

// ---- random numbers -------------------------------------------------------------------------

static uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t Rng::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::size_t Rng::below(std::size_t n) {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
}

// ---- text helpers ---------------------------------------------------------------------------

namespace {

// Base letters of U+00C0..U+017F ("" = keep the character).
const char* latin_base(uint32_t cp) {
  static const char* const kLatin1[64] = {
      "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
      "D", "N", "O", "O", "O", "O", "O", "",  "O", "U", "U", "U", "U", "Y", "TH", "ss",
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
      "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};
  if (cp >= 0xC0 && cp <= 0xFF) return kLatin1[cp - 0xC0];
  struct Range { uint32_t lo, hi; const char* upper; const char* lower; };
  // Latin Extended-A: case pairs; `upper` on even code points for ranges starting even, etc.
  static const Range kExtA[] = {
      {0x100, 0x105, "A", "a"},   {0x106, 0x10D, "C", "c"},   {0x10E, 0x111, "D", "d"},
      {0x112, 0x11B, "E", "e"},   {0x11C, 0x123, "G", "g"},   {0x124, 0x127, "H", "h"},
      {0x128, 0x131, "I", "i"},   {0x132, 0x133, "IJ", "ij"}, {0x134, 0x135, "J", "j"},
      {0x136, 0x137, "K", "k"},   {0x138, 0x138, "k", "k"},   {0x139, 0x142, "L", "l"},
      {0x143, 0x148, "N", "n"},   {0x149, 0x149, "n", "n"},   {0x14A, 0x14B, "N", "n"},
      {0x14C, 0x151, "O", "o"},   {0x152, 0x153, "OE", "oe"}, {0x154, 0x159, "R", "r"},
      {0x15A, 0x161, "S", "s"},   {0x162, 0x167, "T", "t"},   {0x168, 0x173, "U", "u"},
      {0x174, 0x175, "W", "w"},   {0x176, 0x177, "Y", "y"},   {0x178, 0x178, "Y", "Y"},
      {0x179, 0x17E, "Z", "z"},   {0x17F, 0x17F, "s", "s"}};
  for (const auto& r : kExtA) {
    if (cp >= r.lo && cp <= r.hi) return ((cp - r.lo) % 2 == 0) ? r.upper : r.lower;
  }
  return "";
}

// Decodes one UTF-8 code point at s[i]; returns its length (1 for invalid bytes).
std::size_t decode(const std::string& s, std::size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) n = 1;
  if (n == 1) {
    *cp = c;
    return 1;
  }
  uint32_t v = c & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) v = (v << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *cp = v;
  return n;
}

bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string join(const std::vector<std::string>& w, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < std::min(n, w.size()); ++i) {
    if (i) out += ' ';
    out += w[i];
  }
  return out;
}

// "Memories - Dillon Francis Remix" -> base "Memories", suffix " - Dillon Francis Remix".
void split_suffix(const std::string& name, std::string* base, std::string* suffix) {
  std::size_t cut = std::string::npos;
  for (const char* sep : {" - ", " (", " ["}) cut = std::min(cut, name.find(sep));
  if (cut == std::string::npos || cut == 0) {
    *base = name;
    suffix->clear();
  } else {
    *base = name.substr(0, cut);
    *suffix = name.substr(cut);
  }
}

std::string read_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  if (n < 0) throw std::runtime_error("cannot read " + path);
  return out;
}

using strings::parse_csv;  // RFC 4180, common/strings.h

std::string make_id(uint64_t seed, uint64_t ns, uint64_t n) {
  uint64_t x = seed ^ (ns * 0x9E3779B97F4A7C15ULL) ^ (n * 0xD6E8FEB86659FD93ULL);
  unsigned __int128 v = (static_cast<unsigned __int128>(splitmix64(x)) << 64) | splitmix64(x);
  static const char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out(22, '0');
  for (int i = 21; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kAlphabet[static_cast<int>(v % 62)];
    v /= 62;
  }
  return out;
}

int year_of(const std::string& date) {
  if (date.size() >= 4 && std::all_of(date.begin(), date.begin() + 4, ::isdigit)) {
    return std::stoi(date.substr(0, 4));
  }
  return 0;
}

std::string lower_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

std::string strip_accents(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    uint32_t cp;
    std::size_t n = decode(s, i, &cp);
    const char* base = cp >= 0xC0 ? latin_base(cp) : "";
    if (*base) {
      out += base;
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out;
}

std::string plain_key(const std::string& s) {
  std::string a = lower_ascii(strip_accents(s)), out;
  bool space = false;
  for (char c : a) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    } else {
      space = true;
    }
  }
  return out;
}

// ---- the catalog ----------------------------------------------------------------------------

namespace {

struct Pools {
  std::vector<std::string> title_words, album_words, artist_words;
  std::vector<std::size_t> title_lens, album_lens;
  std::vector<std::string> title_suffixes, album_suffixes;
  double title_suffix_rate = 0, album_suffix_rate = 0;
  std::vector<std::string> ascii_words;  // title words of >= 3 ASCII letters (for blends)
  std::vector<int> popularity;
  std::vector<int64_t> durations;
  std::vector<std::string> genres;       // one per real track that has one

  const std::string& pick(Rng& r, const std::vector<std::string>& v) const { return v[r.below(v.size())]; }

  // A new word: the start of one real word and the end of another ("Sheer" + "ton").
  std::string blend(Rng& r) const {
    const std::string& a = pick(r, ascii_words);
    const std::string& b = pick(r, ascii_words);
    return a.substr(0, 2 + r.below(a.size() - 2)) + lower_ascii(b.substr(1 + r.below(b.size() - 2)));
  }

  std::string words(Rng& r, const std::vector<std::string>& pool, std::size_t n) const {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out += ' ';
      out += r.chance(0.05) ? blend(r) : pick(r, pool);
    }
    return out;
  }

  std::string title(Rng& r) const {
    std::size_t n = std::min<std::size_t>(7, title_lens[r.below(title_lens.size())]);
    std::string t = words(r, title_words, std::max<std::size_t>(1, n));
    if (r.chance(title_suffix_rate)) t += pick(r, title_suffixes);
    return t;
  }

  std::string album(Rng& r) const {
    std::size_t n = std::min<std::size_t>(6, album_lens[r.below(album_lens.size())]);
    std::string t = words(r, album_words, std::max<std::size_t>(1, n));
    if (r.chance(album_suffix_rate)) t += pick(r, album_suffixes);
    return t;
  }
};

struct ArtistState {
  std::string name;
  std::string genre;
  int start_year = 0;
  int albums = 0;
  int64_t open_album = -1;  // index into albums
  int remaining = 0;
  int base_popularity = 50;
};

struct AlbumState {
  std::string id;
  std::string name;  // empty until the first track names a single
  uint32_t artist = 0;
  int year = 0;
  std::string genre;
  int popularity = 0;
};

std::string derive_artist_name(Rng& r, const Pools& p, const std::vector<std::string>& real) {
  static const char* const kPrefixes[] = {"DJ", "Lil", "MC", "Young", "Big", "Los", "La", "El", "Die", "Saint"};
  static const char* const kJoins[] = {" & The ", " and the ", " & ", " x "};
  double u = r.uniform();
  const std::string& a = real[r.below(real.size())];
  const std::string& b = real[r.below(real.size())];
  auto wa = split_ws(a), wb = split_ws(b);
  if (u < 0.45 && !wa.empty() && !wb.empty()) {
    // first name(s) of one artist, last word of another: "Ed" + "Bieber"
    std::string first = wa.size() > 1 ? join(wa, wa.size() - 1) : wa[0];
    return first + " " + wb.back();
  }
  if (u < 0.60) return "The " + capitalize(p.pick(r, p.title_words)) + (r.chance(0.5) ? "s" : "");
  if (u < 0.75 && !wb.empty()) return std::string(kPrefixes[r.below(10)]) + " " + wb[r.below(wb.size())];
  if (u < 0.85 && !wb.empty()) return a + kJoins[r.below(4)] + capitalize(p.pick(r, p.title_words));
  std::string w = capitalize(p.blend(r));
  return r.chance(0.5) ? w : w + " " + capitalize(p.blend(r));
}

}  // namespace

Catalog generate_catalog(const std::string& data_dir, std::size_t n_tracks, uint64_t seed) {
  Rng rng(seed);
  auto rows = parse_csv(read_gz(data_dir + "/tracks.csv.gz"));
  auto members = parse_csv(read_gz(data_dir + "/playlist_tracks.csv.gz"));
  if (rows.size() < 2 || members.size() < 2) throw std::runtime_error("empty catalog files");

  auto column = [](const std::vector<std::string>& header, const char* name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw std::runtime_error(std::string("no column ") + name);
    return static_cast<std::size_t>(it - header.begin());
  };
  const auto& h = rows[0];
  std::size_t c_id = column(h, "track_id"), c_name = column(h, "track_name"),
              c_artist = column(h, "track_artist"), c_pop = column(h, "track_popularity"),
              c_album_id = column(h, "track_album_id"), c_album = column(h, "track_album_name"),
              c_date = column(h, "track_album_release_date"), c_dur = column(h, "duration_ms");
  std::size_t m_track = column(members[0], "track_id"), m_genre = column(members[0], "playlist_genre");
  std::unordered_map<std::string, std::string> genre_of;
  for (std::size_t i = 1; i < members.size(); ++i) {
    if (members[i].size() > std::max(m_track, m_genre)) genre_of.emplace(members[i][m_track], members[i][m_genre]);
  }

  Catalog cat;
  Pools pools;
  std::vector<search::Document> tracks;
  std::vector<AlbumState> albums;
  std::vector<ArtistState> artists;
  std::unordered_map<std::string, uint32_t> artist_by_name, album_by_id;
  std::vector<uint32_t> t_artist, t_album;
  std::vector<std::size_t> artist_real_count;
  std::size_t title_with_suffix = 0, album_with_suffix = 0, real_rows = 0;

  // Real rows.
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (row.size() < h.size()) continue;
    const std::string &name = row[c_name], &artist = row[c_artist], &album = row[c_album];
    if (name.empty() || artist.empty() || name == "NA" || artist == "NA") continue;
    ++real_rows;
    std::string genre;
    if (auto g = genre_of.find(row[c_id]); g != genre_of.end()) genre = g->second;
    int pop = std::atoi(row[c_pop].c_str());
    int64_t dur = std::atoll(row[c_dur].c_str());
    int year = year_of(row[c_date]);
    pools.popularity.push_back(pop);
    pools.durations.push_back(dur);
    if (!genre.empty()) pools.genres.push_back(genre);
    std::string base, suffix;
    split_suffix(name, &base, &suffix);
    auto words = split_ws(base);
    if (!words.empty()) {
      pools.title_lens.push_back(words.size());
      for (auto& w : words) {
        if (w.size() >= 3 && is_ascii(w) && std::all_of(w.begin(), w.end(), ::isalpha)) pools.ascii_words.push_back(w);
        pools.title_words.push_back(std::move(w));
      }
    }
    if (!suffix.empty()) {
      ++title_with_suffix;
      pools.title_suffixes.push_back(suffix);
    }
    for (auto& w : split_ws(artist)) pools.artist_words.push_back(std::move(w));
    if (tracks.size() >= n_tracks) continue;  // only the pools from here on

    auto [ait, anew] = artist_by_name.emplace(artist, static_cast<uint32_t>(artists.size()));
    if (anew) {
      ArtistState a;
      a.name = artist;
      a.genre = genre;
      a.start_year = year ? year : 2000;
      artists.push_back(std::move(a));
      artist_real_count.push_back(0);
    }
    ArtistState& as = artists[ait->second];
    if (as.genre.empty()) as.genre = genre;
    if (year) as.start_year = std::min(as.start_year, year);
    ++artist_real_count[ait->second];
    std::string album_id = row[c_album_id];
    auto [bit, bnew] = album_by_id.emplace(album_id, static_cast<uint32_t>(albums.size()));
    if (bnew) {
      AlbumState b;
      b.id = album_id;
      b.name = album.empty() || album == "NA" ? name : album;
      b.artist = ait->second;
      b.year = year;
      b.genre = genre;
      std::string abase, asuffix;
      split_suffix(b.name, &abase, &asuffix);
      albums.push_back(std::move(b));
      auto aw = split_ws(abase);
      if (!aw.empty()) {
        pools.album_lens.push_back(aw.size());
        for (auto& w : aw) pools.album_words.push_back(std::move(w));
      }
      if (!asuffix.empty()) {
        ++album_with_suffix;
        pools.album_suffixes.push_back(asuffix);
      }
    }
    AlbumState& bs = albums[bit->second];
    bs.popularity = std::max(bs.popularity, pop);
    search::Document d;
    d.kind = search::Kind::kTrack;
    d.id = row[c_id];
    d.name = name;
    d.artists = {artist};
    d.album = bs.name;
    if (!genre.empty()) d.genres = {genre};
    d.year = year;
    d.popularity = pop;
    d.duration_ms = dur;
    tracks.push_back(std::move(d));
    t_artist.push_back(ait->second);
    t_album.push_back(bit->second);
  }
  pools.title_suffix_rate = static_cast<double>(title_with_suffix) / static_cast<double>(real_rows);
  pools.album_suffix_rate = static_cast<double>(album_with_suffix) / static_cast<double>(albums.size());
  cat.real_tracks = tracks.size();
  cat.real_albums = albums.size();
  cat.real_artists = artists.size();
  std::vector<std::string> real_artist_names;
  for (const auto& a : artists) real_artist_names.push_back(a.name);

  // Derived artists: about one per 25 synthesised tracks.
  std::size_t extra = n_tracks > tracks.size() ? n_tracks - tracks.size() : 0;
  std::size_t want_artists = artists.size() + extra / 25;
  std::unordered_set<std::string> taken;
  for (const auto& a : artists) taken.insert(plain_key(a.name));
  while (artists.size() < want_artists) {
    std::string name;
    for (int attempt = 0; attempt < 20; ++attempt) {
      name = derive_artist_name(rng, pools, real_artist_names);
      if (!taken.count(plain_key(name))) break;
      name.clear();
    }
    if (name.empty()) continue;
    taken.insert(plain_key(name));
    ArtistState a;
    a.name = std::move(name);
    a.genre = pools.pick(rng, pools.genres);
    double u = rng.uniform();
    a.start_year = 2025 - static_cast<int>(75 * u * u);
    artists.push_back(std::move(a));
  }

  // Zipf-like popularity ranks: shuffle, then give the real artists (most real tracks first)
  // the best of the positions they landed on.
  std::size_t na = artists.size();
  std::vector<uint32_t> order(na);
  for (uint32_t i = 0; i < na; ++i) order[i] = i;
  for (std::size_t i = na; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  std::vector<std::size_t> real_positions;
  for (std::size_t pos = 0; pos < na; ++pos) {
    if (order[pos] < cat.real_artists) real_positions.push_back(pos);
  }
  std::vector<uint32_t> real_sorted(cat.real_artists);
  for (uint32_t i = 0; i < cat.real_artists; ++i) real_sorted[i] = i;
  std::stable_sort(real_sorted.begin(), real_sorted.end(),
                   [&](uint32_t a, uint32_t b) { return artist_real_count[a] > artist_real_count[b]; });
  for (std::size_t k = 0; k < real_positions.size(); ++k) order[real_positions[k]] = real_sorted[k];
  std::vector<double> weight(na), cumulative(na);
  double total = 0;
  for (std::size_t pos = 0; pos < na; ++pos) {
    double w = 1.0 / (static_cast<double>(pos) + 50.0);
    weight[order[pos]] = w;
    total += w;
    cumulative[pos] = total;
    artists[order[pos]].base_popularity =
        std::clamp(static_cast<int>(78 - 12 * std::log10(static_cast<double>(pos) + 1)), 5, 95);
  }

  // Synthesised tracks.
  auto new_album = [&](uint32_t artist) {
    ArtistState& a = artists[artist];
    AlbumState b;
    b.id = make_id(seed, 2, albums.size());
    b.artist = artist;
    b.genre = a.genre;
    b.year = std::min(2025, a.start_year + a.albums * static_cast<int>(1 + rng.below(3)));
    ++a.albums;
    double u = rng.uniform();
    int size = u < 0.25 ? 1 : u < 0.40 ? static_cast<int>(2 + rng.below(5)) : static_cast<int>(7 + rng.below(12));
    if (size > 1) b.name = pools.album(rng);
    a.open_album = static_cast<int64_t>(albums.size());
    a.remaining = size;
    albums.push_back(std::move(b));
  };
  for (std::size_t i = tracks.size(); i < n_tracks; ++i) {
    double x = rng.uniform() * total;
    std::size_t pos = static_cast<std::size_t>(std::lower_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
    uint32_t artist = order[std::min(pos, na - 1)];
    ArtistState& a = artists[artist];
    if (a.remaining == 0) new_album(artist);
    --a.remaining;
    AlbumState& b = albums[static_cast<std::size_t>(a.open_album)];
    search::Document d;
    d.kind = search::Kind::kTrack;
    d.id = make_id(seed, 1, i);
    d.name = pools.title(rng);
    if (b.name.empty()) {  // a single is named after its track
      std::string base, suffix;
      split_suffix(d.name, &base, &suffix);
      b.name = base;
    }
    d.artists = {a.name};
    d.album = b.name;
    d.genres = {b.genre};
    d.year = b.year;
    d.popularity = std::clamp(a.base_popularity - 15 + static_cast<int>(rng.below(26)), 0, 100);
    d.duration_ms = pools.durations[rng.below(pools.durations.size())];
    b.popularity = std::max(b.popularity, d.popularity);
    tracks.push_back(std::move(d));
    t_artist.push_back(artist);
    t_album.push_back(static_cast<uint32_t>(a.open_album));
  }

  // Documents: tracks, albums, artists.
  cat.n_tracks = tracks.size();
  cat.n_albums = albums.size();
  cat.n_artists = artists.size();
  std::vector<int> artist_pop(na, 0);
  for (std::size_t i = 0; i < tracks.size(); ++i) artist_pop[t_artist[i]] = std::max(artist_pop[t_artist[i]], tracks[i].popularity);
  cat.docs = std::move(tracks);
  cat.docs.reserve(cat.n_tracks + cat.n_albums + cat.n_artists);
  uint32_t album_base = static_cast<uint32_t>(cat.n_tracks);
  uint32_t artist_base = static_cast<uint32_t>(cat.n_tracks + cat.n_albums);
  for (auto& b : albums) {
    search::Document d;
    d.kind = search::Kind::kAlbum;
    d.id = b.id;
    d.name = b.name;
    d.artists = {artists[b.artist].name};
    if (!b.genre.empty()) d.genres = {b.genre};
    d.year = b.year;
    d.popularity = b.popularity;
    cat.docs.push_back(std::move(d));
    cat.album_artist.push_back(artist_base + b.artist);
  }
  for (std::size_t k = 0; k < na; ++k) {
    search::Document d;
    d.kind = search::Kind::kArtist;
    d.id = make_id(seed, 3, k);
    d.name = artists[k].name;
    if (!artists[k].genre.empty()) d.genres = {artists[k].genre};
    d.popularity = artist_pop[k] ? artist_pop[k] : artists[k].base_popularity;
    cat.docs.push_back(std::move(d));
  }
  for (auto a : t_artist) cat.track_artist.push_back(artist_base + a);
  for (auto b : t_album) cat.track_album.push_back(album_base + b);
  cat.artist_weight = std::move(weight);

  std::unordered_set<std::string> vocab;
  for (const auto& d : cat.docs) {
    for (auto& w : split_ws(plain_key(d.name))) vocab.insert(std::move(w));
  }
  cat.vocabulary = vocab.size();
  return cat;
}

// ---- typed queries --------------------------------------------------------------------------

namespace {

const char* const kKeyboard[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};

char neighbour(Rng& r, char c) {
  char lc = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int row = 0; row < 3; ++row) {
    const char* p = std::strchr(kKeyboard[row], lc);
    if (!p) continue;
    std::string options;
    int col = static_cast<int>(p - kKeyboard[row]);
    for (int dr = -1; dr <= 1; ++dr) {
      int rr = row + dr;
      if (rr < 0 || rr > 2) continue;
      int len = static_cast<int>(std::strlen(kKeyboard[rr]));
      for (int dc = -1; dc <= 1; ++dc) {
        int cc = col + dc;
        if ((dr || dc) && cc >= 0 && cc < len) options += kKeyboard[rr][cc];
      }
    }
    char o = options[r.below(options.size())];
    return std::isupper(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(o)) : o;
  }
  return c == 'x' ? 'z' : 'x';
}

bool add_typo(Rng& r, std::string* text) {
  auto words = split_ws(*text);
  std::vector<std::size_t> eligible;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w.size() >= 5 && std::all_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
      eligible.push_back(i);
    }
  }
  if (eligible.empty()) return false;
  std::string& w = words[eligible[r.below(eligible.size())]];
  std::size_t i = 1 + r.below(w.size() - 1);  // never the first letter
  if (r.chance(0.5) && i + 1 < w.size() && std::tolower(w[i]) != std::tolower(w[i + 1])) {
    std::swap(w[i], w[i + 1]);
  } else {
    w[i] = neighbour(r, w[i]);
  }
  *text = join(words, words.size());
  return true;
}

// Keystrokes: one per code point typed, skipping prefixes that end in a space.
void add_keystrokes(TypedQuery* q) {
  std::string last;
  for (std::size_t i = 0; i < q->text.size();) {
    uint32_t cp;
    i += decode(q->text, i, &cp);
    std::string prefix = q->text.substr(0, i);
    if (prefix.back() == ' ' || prefix == last) continue;
    q->keystrokes.push_back(prefix);
    last = std::move(prefix);
  }
}

// A typo the strict rules do not forgive: in a word of 3 letters, or a second one in a word
// of 4-5 letters (a neighbouring key or a swap, never the first letter). False if no word fits.
bool add_hard_typo(Rng& r, std::string* text) {
  auto words = split_ws(*text);
  std::vector<std::size_t> eligible;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w.size() >= 3 && w.size() <= 5 &&
        std::all_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
      eligible.push_back(i);
  }
  if (eligible.empty()) return false;
  std::string& w = words[eligible[r.below(eligible.size())]];
  const int edits = w.size() == 3 ? 1 : 2;
  for (int e = 0; e < edits; ++e) {
    std::size_t i = 1 + r.below(w.size() - 1);
    if (r.chance(0.5) && i + 1 < w.size() && std::tolower(w[i]) != std::tolower(w[i + 1])) std::swap(w[i], w[i + 1]);
    else w[i] = neighbour(r, w[i]);
  }
  *text = join(words, words.size());
  return true;
}

}  // namespace

std::vector<TypedQuery> make_natural_queries(const Catalog& cat, std::size_t count, uint64_t seed) {
  Rng rng(seed ^ 0x4e41u);
  static const char* const kExtra[] = {"official", "karaoke", "hq", "mp3"};
  std::vector<TypedQuery> out;
  while (out.size() < count && cat.n_tracks > 0) {
    TypedQuery q;
    q.kind = search::Kind::kTrack;
    q.natural = true;
    std::size_t k = rng.below(cat.n_tracks);
    q.target = static_cast<uint32_t>(k);
    std::string base, suffix;
    split_suffix(cat.docs[k].name, &base, &suffix);
    const std::string& artist = cat.docs[cat.track_artist[k]].name;
    switch (out.size() % 3) {
      case 0:
        q.form = "title by artist";
        q.text = join(split_ws(base), 4) + " by " + artist;
        break;
      case 1:
        q.form = "artist title + unknown word";
        q.text = artist + " " + join(split_ws(base), 4) + " " + kExtra[rng.below(4)];
        break;
      default:
        q.form = "artist title, hard typo";
        q.text = artist + " " + base;
        q.typo = add_hard_typo(rng, &q.text);
        if (!q.typo) continue;
    }
    q.text = join(split_ws(q.text), 7);
    if (plain_key(q.text).empty() || !is_ascii(q.text)) continue;
    add_keystrokes(&q);
    if (q.keystrokes.empty()) continue;
    out.push_back(std::move(q));
  }
  return out;
}

std::vector<TypedQuery> make_queries(const Catalog& cat, std::size_t count, uint64_t seed) {
  Rng rng(seed ^ 0x5157u);
  std::vector<double> cumulative(cat.n_artists);
  double total = 0;
  for (std::size_t k = 0; k < cat.n_artists; ++k) cumulative[k] = (total += cat.artist_weight[k]);
  std::vector<TypedQuery> out;
  while (out.size() < count) {
    TypedQuery q;
    double u = rng.uniform();
    std::string base, suffix;
    if (u < 0.35) {
      q.kind = search::Kind::kArtist;
      std::size_t k = rng.chance(0.5)
          ? static_cast<std::size_t>(std::lower_bound(cumulative.begin(), cumulative.end(), rng.uniform() * total) - cumulative.begin())
          : rng.below(cat.n_artists);
      q.target = static_cast<uint32_t>(cat.artist_begin() + std::min(k, cat.n_artists - 1));
      q.form = "artist";
      q.text = cat.docs[q.target].name;
    } else if (u < 0.60) {
      q.kind = search::Kind::kAlbum;
      std::size_t k = rng.below(cat.n_albums);
      q.target = static_cast<uint32_t>(cat.album_begin() + k);
      split_suffix(cat.docs[q.target].name, &base, &suffix);
      if (rng.chance(0.3)) {
        q.form = "artist album";
        q.text = cat.docs[cat.album_artist[k]].name + " " + base;
      } else {
        q.form = "album";
        q.text = base;
      }
    } else {
      q.kind = search::Kind::kTrack;
      std::size_t k = rng.below(cat.n_tracks);
      q.target = static_cast<uint32_t>(k);
      split_suffix(cat.docs[k].name, &base, &suffix);
      if (rng.chance(0.4)) {
        q.form = "artist title";
        q.text = cat.docs[cat.track_artist[k]].name + " " + base;
      } else {
        q.form = "title";
        q.text = base;
      }
    }
    auto words = split_ws(q.text);
    q.text = join(words, 6);  // nobody types more than six words into a search box
    if (plain_key(q.text).empty()) continue;
    if (!is_ascii(q.text) && rng.chance(0.5)) {
      std::string plain = strip_accents(q.text);
      if (plain != q.text) {
        q.text = plain;
        q.unaccented = true;
      }
    }
    if (rng.chance(0.25)) q.typo = add_typo(rng, &q.text);
    add_keystrokes(&q);
    if (q.keystrokes.empty()) continue;
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace segue::bench_search
