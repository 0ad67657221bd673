// Fills a Segue data dir with a synthetic catalog of any size for the serving benches of issue 18
// (GET /v1/recommendations and GET /v1/me/home at 1,000,000 tracks), and writes the listening
// history of its users as ListenBrainz lines for `segue import listens --create-users`.
//
// Rows go in through the catalog's and the analysis service's own store functions (the ones the
// scanner and the analysis workers call), so the server loads them as it would a scanned
// library; only the audio files do not exist (the bench serves no audio: run the server without
// the scanner and analysis roles). Seeded and deterministic:
// - artists: tracks / 10, each with 1-2 genres drawn Zipf(1) from --genres names and a
//   popularity rank (Zipf(1) over artists);
// - albums of 10 tracks by one artist, a year 1960-2026 and the artist's genres;
// - audio features for --features-share of the tracks (tempo 60-200 BPM, the 0..1 features,
//   key, mode), near their artist's own centre so artists sound like themselves;
// - users: each likes 1-3 genres and plays artists of them (popular ones more), a few tracks of
//   each, --listens-per-user listens over the last 90 days.
// Also writes LISTENS.jsonl.seeds: 2,000 random "track ID", "artist ID" and "genre NAME" lines
// (popular ones more often) for the bench's seed requests.
// usage: segue_recommend_fill DATA_DIR LISTENS.jsonl [--tracks N] [--genres G] [--users U]
//        [--listens-per-user L] [--features-share F] [--seed S]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "analysis/analysis_store.h"
#include "audio/analyzer.h"
#include "catalog/catalog_store.h"
#include "catalog/scanner.h"
#include "common/ids.h"
#include "store/database.h"

using namespace segue;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Zipf(1) rank in [0, n) by inverse CDF on the harmonic numbers (approximated by log).
int zipf(std::mt19937_64& rng, int n) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double hn = std::log(static_cast<double>(n)) + 0.5772;
  const int r = static_cast<int>(std::exp(unit(rng) * hn - 0.5772));
  return std::clamp(r, 0, n - 1);
}

void fail(const Status& st, const char* what) {
  if (st.ok()) return;
  std::fprintf(stderr, "fill: %s: %s\n", what, st.error().message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR LISTENS.jsonl [--tracks N] [--genres G] [--users U] "
                         "[--listens-per-user L] [--features-share F] [--seed S]\n", argv[0]);
    return 2;
  }
  const std::string data = argv[1], listens_path = argv[2];
  int tracks = 1'000'000, genres = 1'000, users = 5'000, per_user = 200;
  double features_share = 0.9;
  uint64_t seed = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--tracks") tracks = std::stoi(v);
    else if (a == "--genres") genres = std::stoi(v);
    else if (a == "--users") users = std::stoi(v);
    else if (a == "--listens-per-user") per_user = std::stoi(v);
    else if (a == "--features-share") features_share = std::stod(v);
    else if (a == "--seed") seed = std::stoull(v);
    else {
      std::fprintf(stderr, "fill: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  // A bench's data can be rebuilt: commits are not fsynced (synchronous=NORMAL).
  store::Options options;
  options.full_sync = false;
  auto db = store::Database::open(data + "/segue.db", options);
  if (!db.ok()) fail(Status(db.error()), "open");
  fail((*db)->migrate("catalog", catalog::catalog_migrations()), "catalog migrations");
  fail((*db)->migrate("audio_analysis", analysis::analysis_migrations()), "analysis migrations");

  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int artists = std::max(1, tracks / 10);
  const int per_album = 10;
  std::vector<std::string> genre_names(static_cast<std::size_t>(genres));
  for (int g = 0; g < genres; ++g) genre_names[static_cast<std::size_t>(g)] = "genre " + std::to_string(g);

  struct ArtistRow {
    catalog::Artist artist;
    std::vector<int> genres;
    double centre[4];  // tempo, energy, danceability, valence
    std::vector<std::string> titles;  // its tracks, for the listens
  };
  std::vector<ArtistRow> rows(static_cast<std::size_t>(artists));
  // Artist popularity: Zipf over a scattered order, so ids do not follow popularity.
  std::vector<std::vector<int>> artists_of_genre(static_cast<std::size_t>(genres));
  for (int a = 0; a < artists; ++a) {
    auto& r = rows[static_cast<std::size_t>(a)];
    r.artist.name = "Synthetic Artist " + std::to_string(a);
    r.artist.sort_name = r.artist.name;
    r.artist.id = catalog::artist_id_for(r.artist.name);
    const int ng = 1 + (unit(rng) < 0.4 ? 1 : 0);
    for (int k = 0; k < ng; ++k) r.genres.push_back(zipf(rng, genres));
    std::sort(r.genres.begin(), r.genres.end());
    r.genres.erase(std::unique(r.genres.begin(), r.genres.end()), r.genres.end());
    for (int g : r.genres) artists_of_genre[static_cast<std::size_t>(g)].push_back(a);
    r.centre[0] = 60 + 140 * unit(rng);
    for (int k = 1; k < 4; ++k) r.centre[k] = unit(rng);
  }

  auto t0 = Clock::now();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  analysis::AnalysisStore analyses(**db);
  std::normal_distribution<double> jitter(0.0, 1.0);
  int written = 0, analysed = 0;
  // One transaction per 200 albums; analyses one per put() (the workers' path).
  const int albums = (tracks + per_album - 1) / per_album;
  struct Pending {
    catalog::AudioFile file;
    int artist;
  };
  for (int first = 0; first < albums; first += 200) {
    std::vector<Pending> pending;
    fail((*db)->write([&](store::Connection& c) -> Status {
      for (int al = first; al < std::min(albums, first + 200); ++al) {
        const int a = al % artists;
        auto& ar = rows[static_cast<std::size_t>(a)];
        SEGUE_TRY(catalog::upsert_artist(c, ar.artist));
        catalog::Album album;
        album.name = "Synthetic Album " + std::to_string(al);
        album.id = AlbumId(derived_base62_id("album", ar.artist.name + "\n" + album.name));
        album.artist_ids = {ar.artist.id};
        album.year = 1960 + static_cast<int>(unit(rng) * 67);
        album.release_date = std::to_string(*album.year);
        album.release_date_precision = "year";
        for (int g : ar.genres) album.genres.push_back(genre_names[static_cast<std::size_t>(g)]);
        album.added_at_ms = now_ms - static_cast<int64_t>(unit(rng) * 365 * 86400e3);
        const int n = std::min(per_album, tracks - al * per_album);
        album.total_tracks = n;
        SEGUE_TRY(catalog::upsert_album(c, album));
        for (int k = 0; k < n; ++k) {
          catalog::Track t;
          t.title = "Synthetic Song " + std::to_string(al) + "-" + std::to_string(k + 1);
          const std::string rel = ar.artist.name + "/" + album.name + "/" + std::to_string(k + 1) + ".ogg";
          t.id = TrackId(derived_base62_id("track", rel));
          t.artist_ids = {ar.artist.id};
          t.album_id = album.id;
          t.track_number = k + 1;
          t.duration_ms = 120'000 + static_cast<int64_t>(unit(rng) * 240'000);
          t.genres = album.genres;
          catalog::AudioFile f;
          f.id = FileId(derived_base62_id("file", rel));
          f.track_id = t.id;
          f.relative_path = rel;
          f.path = data + "/no-such-library/" + rel;
          f.size = 4'000'000;
          f.mtime_ns = 1;
          f.codec = "vorbis";
          f.container = "ogg";
          f.mime_type = "audio/ogg";
          f.bitrate_kbps = 160;
          f.sample_rate = 44100;
          f.channels = 2;
          t.file_ids = {f.id};
          SEGUE_TRY(catalog::upsert_track(c, t));
          catalog::TagInfo tags;
          tags.title = t.title;
          SEGUE_TRY(catalog::upsert_file(c, f, tags));
          ar.titles.push_back(t.title);
          pending.push_back({f, a});
          ++written;
        }
      }
      return Status{};
    }), "catalog rows");
    for (const auto& p : pending) {
      if (unit(rng) >= features_share) continue;
      const auto& ar = rows[static_cast<std::size_t>(p.artist)];
      audio::TrackAnalysis ta;
      ta.version = audio::kAnalyzerVersion;
      ta.duration_s = 200;
      ta.codec = "vorbis";
      ta.source_sample_rate = 44100;
      ta.loudness.integrated_lufs = -14 + 4 * jitter(rng);
      auto& m = ta.music;
      m.sample_rate = 22050;
      m.duration = 200;
      m.start_of_fade_out = 200;
      m.loudness = -10 + 3 * jitter(rng);
      m.tempo = std::clamp(ar.centre[0] + 8 * jitter(rng), 50.0, 220.0);
      m.tempo_confidence = 0.8;
      m.key = static_cast<int>(unit(rng) * 12);
      m.mode = unit(rng) < 0.6 ? 1 : 0;
      auto f01 = [&](double c) { return std::clamp(c + 0.1 * jitter(rng), 0.0, 1.0); };
      m.energy = f01(ar.centre[1]);
      m.danceability = f01(ar.centre[2]);
      m.valence = f01(ar.centre[3]);
      m.acousticness = f01(1 - ar.centre[1]);
      m.instrumentalness = f01(0.2);
      m.speechiness = f01(0.05);
      m.liveness = f01(0.15);
      analysis::FileKey key{p.file.id, p.file.track_id, p.file.size, p.file.mtime_ns};
      auto put = analyses.put(key, ta, now_ms);
      if (!put.ok()) fail(Status(put.error()), "analysis");
      ++analysed;
    }
    if ((first / 200) % 50 == 0)
      std::fprintf(stderr, "fill: %d/%d tracks (%d analysed), %.0f s\n", written, tracks, analysed, seconds_since(t0));
  }
  fail((*db)->write([](store::Connection& c) { return catalog::bump_catalog_version(c); }), "catalog version");
  std::fprintf(stderr, "fill: %d tracks, %d artists, %d albums, %d analysed in %.1f s\n", written, artists, albums,
               analysed, seconds_since(t0));

  // Listening: each user likes 1-3 genres and plays artists of them, popular ones more.
  std::ofstream out(listens_path);
  const int64_t end_s = now_ms / 1000 - 3600;
  int64_t listens = 0;
  for (int u = 0; u < users; ++u) {
    char name[32];
    std::snprintf(name, sizeof name, "u%05d", u + 1);
    std::vector<int> likes;
    const int nl = 1 + static_cast<int>(unit(rng) * 3);
    for (int k = 0; k < nl; ++k) {
      const int g = zipf(rng, genres);
      if (!artists_of_genre[static_cast<std::size_t>(g)].empty()) likes.push_back(g);
    }
    if (likes.empty()) continue;
    int64_t t = end_s - 90LL * 86400;
    const int64_t step = 90LL * 86400 / std::max(1, per_user);
    for (int l = 0; l < per_user; ++l) {
      const auto& pool = artists_of_genre[static_cast<std::size_t>(likes[static_cast<std::size_t>(unit(rng) * likes.size())])];
      // Popular artists of the genre more (the pool is in id order, popularity scattered).
      const auto& ar = rows[static_cast<std::size_t>(pool[static_cast<std::size_t>(zipf(rng, static_cast<int>(pool.size())))])];
      if (ar.titles.empty()) continue;
      const auto& title = ar.titles[static_cast<std::size_t>(zipf(rng, static_cast<int>(ar.titles.size())))];
      t += step;
      out << "{\"listened_at\":" << t << ",\"user_name\":\"" << name << "\",\"track_metadata\":{\"artist_name\":\""
          << ar.artist.name << "\",\"track_name\":\"" << title << "\"}}\n";
      ++listens;
    }
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "fill: cannot write %s\n", listens_path.c_str());
    return 1;
  }
  std::ofstream seeds(listens_path + ".seeds");
  for (int k = 0; k < 2000; ++k) {
    const auto& ar = rows[static_cast<std::size_t>(static_cast<int64_t>(zipf(rng, artists)) * 7919 % artists)];
    const double r = unit(rng);
    if (r < 0.5 && !ar.titles.empty()) {
      const int al = static_cast<int>(&ar - rows.data());  // its first album is album number `al`
      const int n = std::min(per_album, tracks - al * per_album);
      const int pick = static_cast<int>(unit(rng) * n);
      const std::string rel = ar.artist.name + "/Synthetic Album " + std::to_string(al) + "/" + std::to_string(pick + 1) + ".ogg";
      seeds << "track " << derived_base62_id("track", rel) << "\n";
    } else if (r < 0.85) {
      seeds << "artist " << ar.artist.id.str() << "\n";
    } else {
      seeds << "genre " << genre_names[static_cast<std::size_t>(ar.genres.front())] << "\n";
    }
  }
  seeds.close();
  std::printf("RESULT bench=recommend_fill tracks=%d artists=%d albums=%d analysed=%d users=%d listens=%lld s=%.1f\n",
              written, artists, albums, analysed, users, static_cast<long long>(listens), seconds_since(t0));
  return 0;
}
