#include "analysis/analysis_store.h"

#include <zlib.h>

#include <boost/json.hpp>
#include <unordered_set>

namespace segue::analysis {
using namespace segue::audio;  // the analyzer's result types and helpers
namespace {

namespace json = boost::json;

TrackAnalysis summary_of(const TrackAnalysis& a) {
  TrackAnalysis s;
  s.version = a.version;
  s.duration_s = a.duration_s;
  s.codec = a.codec;
  s.source_sample_rate = a.source_sample_rate;
  s.damaged_packets = a.damaged_packets;
  s.loudness.integrated_lufs = a.loudness.integrated_lufs;
  s.loudness.true_peak_dbtp = a.loudness.true_peak_dbtp;
  s.loudness.range_lu = a.loudness.range_lu;
  s.music = a.music;
  s.music.bars.clear();
  s.music.beats.clear();
  s.music.tatums.clear();
  s.music.sections.clear();
  s.music.segments.clear();
  return s;
}

constexpr const char* kRecordColumns =
    "file_id, track_id, file_size, file_mtime_ns, version, status, error, analyzed_at, integrated_lufs, "
    "true_peak_dbtp, loudness_range_lu, duration_s, summary";

AnalysisRecord read_record(const store::Row& r) {
  AnalysisRecord rec;
  rec.key = {FileId(r.text(0)), TrackId(r.text(1)), r.i64(2), r.i64(3)};
  rec.version = r.text(4);
  rec.ok = r.text(5) == "ok";
  rec.error = r.text(6);
  rec.analyzed_at_ms = r.i64(7);
  if (!r.is_null(8)) rec.integrated_lufs = r.f64(8);
  rec.true_peak_dbtp = r.f64(9);
  rec.range_lu = r.f64(10);
  rec.duration_s = r.f64(11);
  if (rec.ok && !r.is_null(12)) {
    boost::system::error_code ec;
    json::value v = json::parse(r.text(12), ec);
    if (!ec) {
      auto s = track_analysis_from_json(v);
      if (s.ok()) rec.summary = std::move(s->music);
    }
  }
  return rec;
}

}  // namespace

std::vector<store::Migration> analysis_migrations() {
  return {{1, R"(
    CREATE TABLE audio_analysis (
      file_id TEXT PRIMARY KEY,
      track_id TEXT NOT NULL,
      file_size INTEGER NOT NULL,
      file_mtime_ns INTEGER NOT NULL,
      version TEXT NOT NULL,
      status TEXT NOT NULL,
      error TEXT,
      analyzed_at INTEGER NOT NULL,
      integrated_lufs REAL,
      true_peak_dbtp REAL NOT NULL,
      loudness_range_lu REAL NOT NULL,
      duration_s REAL NOT NULL,
      loudness_histogram BLOB,
      summary TEXT,
      detail BLOB,
      fingerprint BLOB
    );
    CREATE INDEX audio_analysis_track ON audio_analysis (track_id);
    CREATE TABLE album_loudness (
      album_id TEXT PRIMARY KEY,
      integrated_lufs REAL,
      true_peak_dbtp REAL NOT NULL,
      tracks_measured INTEGER NOT NULL
    );
  )"}};
}

std::string deflate_bytes(std::string_view in) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  std::string out(size + 8, '\0');
  uint64_t n = in.size();
  for (int b = 0; b < 8; ++b) out[b] = static_cast<char>((n >> (8 * b)) & 0xff);
  compress2(reinterpret_cast<Bytef*>(out.data() + 8), &size, reinterpret_cast<const Bytef*>(in.data()),
            static_cast<uLong>(in.size()), 6);
  out.resize(size + 8);
  return out;
}

Result<std::string> inflate_bytes(std::string_view in, std::size_t max_size) {
  if (in.size() < 8) return Error::invalid("compressed data: truncated");
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= static_cast<uint64_t>(static_cast<unsigned char>(in[b])) << (8 * b);
  if (n > max_size) return Error::invalid("compressed data: too large");
  std::string out(n, '\0');
  uLongf size = static_cast<uLongf>(n);
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(in.data() + 8),
                      static_cast<uLong>(in.size() - 8));
  if (rc != Z_OK || size != n) return Error::invalid("compressed data: corrupt");
  return out;
}

Status AnalysisStore::put(const FileKey& key, const TrackAnalysis& a, int64_t now_ms) {
  std::string summary = json::serialize(to_json(summary_of(a)));
  std::string detail = deflate_bytes(json::serialize(to_json(a)));
  store::Value fp = a.fingerprint ? store::Value(store::Blob{a.fingerprint->encode()}) : store::Value(nullptr);
  store::Value lufs = a.loudness.integrated_lufs ? store::Value(*a.loudness.integrated_lufs) : store::Value(nullptr);
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec(
        "INSERT INTO audio_analysis (file_id, track_id, file_size, file_mtime_ns, version, status, error, analyzed_at, "
        "integrated_lufs, true_peak_dbtp, loudness_range_lu, duration_s, loudness_histogram, summary, detail, fingerprint) "
        "VALUES (?, ?, ?, ?, ?, 'ok', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (file_id) DO UPDATE SET track_id = excluded.track_id, file_size = excluded.file_size, "
        "file_mtime_ns = excluded.file_mtime_ns, version = excluded.version, status = 'ok', error = NULL, "
        "analyzed_at = excluded.analyzed_at, integrated_lufs = excluded.integrated_lufs, "
        "true_peak_dbtp = excluded.true_peak_dbtp, loudness_range_lu = excluded.loudness_range_lu, "
        "duration_s = excluded.duration_s, loudness_histogram = excluded.loudness_histogram, "
        "summary = excluded.summary, detail = excluded.detail, fingerprint = excluded.fingerprint",
        {key.file.str(), key.track.str(), key.size, key.mtime_ns, a.version, now_ms, lufs, a.loudness.true_peak_dbtp,
         a.loudness.range_lu, a.duration_s, store::Blob{a.loudness.histogram.encode()}, summary, store::Blob{detail}, fp}));
    return {};
  });
}

Status AnalysisStore::put_failure(const FileKey& key, std::string_view version, std::string_view error, int64_t now_ms) {
  std::string v(version), e(error.substr(0, 2000));
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec(
        "INSERT INTO audio_analysis (file_id, track_id, file_size, file_mtime_ns, version, status, error, analyzed_at, "
        "integrated_lufs, true_peak_dbtp, loudness_range_lu, duration_s) "
        "VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, NULL, -200, 0, 0) "
        "ON CONFLICT (file_id) DO UPDATE SET track_id = excluded.track_id, file_size = excluded.file_size, "
        "file_mtime_ns = excluded.file_mtime_ns, version = excluded.version, status = 'failed', "
        "error = excluded.error, analyzed_at = excluded.analyzed_at, integrated_lufs = NULL, "
        "true_peak_dbtp = -200, loudness_range_lu = 0, duration_s = 0, loudness_histogram = NULL, "
        "summary = NULL, detail = NULL, fingerprint = NULL",
        {key.file.str(), key.track.str(), key.size, key.mtime_ns, v, e, now_ms}));
    return {};
  });
}

Result<std::vector<AnalysisRecord>> AnalysisStore::records() {
  std::vector<AnalysisRecord> out;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query(std::string("SELECT ") + kRecordColumns + " FROM audio_analysis ORDER BY file_id", {},
                   [&](const store::Row& r) { out.push_back(read_record(r)); });
  }));
  return out;
}

Result<std::optional<AnalysisRecord>> AnalysisStore::record(const FileId& file) {
  std::optional<AnalysisRecord> out;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query(std::string("SELECT ") + kRecordColumns + " FROM audio_analysis WHERE file_id = ?", {file.str()},
                   [&](const store::Row& r) { out = read_record(r); });
  }));
  return out;
}

Result<std::optional<TrackAnalysis>> AnalysisStore::full(const FileId& file) {
  std::optional<std::string> detail;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT detail FROM audio_analysis WHERE file_id = ? AND status = 'ok'", {file.str()},
                   [&](const store::Row& r) { detail = r.blob(0); });
  }));
  if (!detail) return std::optional<TrackAnalysis>();
  SEGUE_ASSIGN_OR_RETURN(std::string text, inflate_bytes(*detail));
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Error::internal("stored analysis is not JSON");
  SEGUE_ASSIGN_OR_RETURN(TrackAnalysis a, track_analysis_from_json(v));
  return std::optional<TrackAnalysis>(std::move(a));
}

Result<std::vector<FingerprintEntry>> AnalysisStore::fingerprints() {
  std::vector<FingerprintEntry> out;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT file_id, duration_s, fingerprint FROM audio_analysis "
                   "WHERE status = 'ok' AND fingerprint IS NOT NULL ORDER BY file_id",
                   {}, [&](const store::Row& r) {
                     auto fp = Fingerprint::decode(r.blob(2));
                     if (fp.ok()) out.push_back({r.text(0), r.f64(1), std::move(*fp)});
                   });
  }));
  return out;
}

Result<AlbumLoudness> AnalysisStore::update_album(const AlbumId& album, const std::vector<FileId>& files) {
  AlbumLoudness out;
  out.album = album;
  LoudnessHistogram merged;
  // One query for the album's files (an album has tens of tracks, not thousands).
  std::string sql = "SELECT loudness_histogram, true_peak_dbtp FROM audio_analysis WHERE status = 'ok' AND file_id IN (";
  std::vector<store::Value> params;
  for (const auto& f : files) {
    sql += params.empty() ? "?" : ", ?";
    params.push_back(f.str());
  }
  sql += ")";
  SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
    // From scratch on every attempt (PostgreSQL runs the callback again after a conflict).
    out = AlbumLoudness{};
    out.album = album;
    merged = LoudnessHistogram{};
    if (!params.empty()) {
      SEGUE_TRY(c.query(sql, params, [&](const store::Row& r) {
        auto h = LoudnessHistogram::decode(r.blob(0));
        if (!h.ok()) return;
        merged.merge(*h);
        out.true_peak_dbtp = std::max(out.true_peak_dbtp, r.f64(1));
        ++out.tracks_measured;
      }));
    }
    out.integrated_lufs = merged.integrated_lufs();
    store::Value lufs = out.integrated_lufs ? store::Value(*out.integrated_lufs) : store::Value(nullptr);
    SEGUE_TRY(c.exec("INSERT INTO album_loudness (album_id, integrated_lufs, true_peak_dbtp, tracks_measured) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT (album_id) DO UPDATE SET integrated_lufs = excluded.integrated_lufs, "
                     "true_peak_dbtp = excluded.true_peak_dbtp, tracks_measured = excluded.tracks_measured",
                     {album.str(), lufs, out.true_peak_dbtp, static_cast<int64_t>(out.tracks_measured)}));
    return {};
  }));
  return out;
}

Result<std::vector<AlbumLoudness>> AnalysisStore::albums() {
  std::vector<AlbumLoudness> out;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT album_id, integrated_lufs, true_peak_dbtp, tracks_measured FROM album_loudness", {},
                   [&](const store::Row& r) {
                     AlbumLoudness a;
                     a.album = AlbumId(r.text(0));
                     if (!r.is_null(1)) a.integrated_lufs = r.f64(1);
                     a.true_peak_dbtp = r.f64(2);
                     a.tracks_measured = static_cast<int>(r.i64(3));
                     out.push_back(a);
                   });
  }));
  return out;
}

Result<int64_t> AnalysisStore::remove_except(const std::vector<FileId>& keep) {
  std::unordered_set<std::string> wanted;
  for (const auto& f : keep) wanted.insert(f.str());
  std::vector<std::string> gone;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT file_id FROM audio_analysis", {}, [&](const store::Row& r) {
      if (!wanted.count(r.text(0))) gone.push_back(r.text(0));
    });
  }));
  if (gone.empty()) return int64_t{0};
  SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
    for (const auto& id : gone) SEGUE_TRY(c.exec("DELETE FROM audio_analysis WHERE file_id = ?", {id}));
    return {};
  }));
  return static_cast<int64_t>(gone.size());
}

}  // namespace segue::analysis
