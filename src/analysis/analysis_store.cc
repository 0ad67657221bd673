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

std::optional<audio::AudioAnalysis> summary_from_text(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  auto s = track_analysis_from_json(v);
  if (!s.ok()) return std::nullopt;
  return std::move(s->music);
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
  if (rec.ok && !r.is_null(12)) rec.summary = summary_from_text(r.text(12));
  return rec;
}

// Bumps the module's version; the new value stamps the rows the transaction writes. The row
// stays locked until the transaction ends, so versions are committed in order: a reader that
// sees version V sees every row stamped V or lower.
Result<int64_t> bump_version(store::Connection& c) {
  SEGUE_TRY(c.exec("UPDATE analysis_meta SET version = version + 1 WHERE id = 1"));
  SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT version FROM analysis_meta WHERE id = 1"));
  if (!v) return Error::internal("analysis_meta has no row");
  return *v;
}

// The job of this version of the file is done.
Status finish_job(store::Connection& c, const FileKey& key) {
  SEGUE_TRY(c.exec("DELETE FROM analysis_jobs WHERE file_id = ? AND file_size = ? AND file_mtime_ns = ?",
                   {key.file.str(), key.size, key.mtime_ns}));
  return {};
}

Status write_failure(store::Connection& c, const FileKey& key, const std::string& version, const std::string& error,
                     int64_t now_ms) {
  SEGUE_ASSIGN_OR_RETURN(int64_t seq, bump_version(c));
  SEGUE_TRY(c.exec(
      "INSERT INTO audio_analysis (file_id, track_id, file_size, file_mtime_ns, version, status, error, analyzed_at, "
      "integrated_lufs, true_peak_dbtp, loudness_range_lu, duration_s, change_seq) "
      "VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, NULL, -200, 0, 0, ?) "
      "ON CONFLICT (file_id) DO UPDATE SET track_id = excluded.track_id, file_size = excluded.file_size, "
      "file_mtime_ns = excluded.file_mtime_ns, version = excluded.version, status = 'failed', "
      "error = excluded.error, analyzed_at = excluded.analyzed_at, integrated_lufs = NULL, "
      "true_peak_dbtp = -200, loudness_range_lu = 0, duration_s = 0, loudness_histogram = NULL, "
      "summary = NULL, detail = NULL, fingerprint = NULL, change_seq = excluded.change_seq",
      {key.file.str(), key.track.str(), key.size, key.mtime_ns, version, error, now_ms, seq}));
  return finish_job(c, key);
}

AlbumLoudness read_album(const store::Row& r) {
  AlbumLoudness a;
  a.album = AlbumId(r.text(0));
  if (!r.is_null(1)) a.integrated_lufs = r.f64(1);
  a.true_peak_dbtp = r.f64(2);
  a.tracks_measured = static_cast<int>(r.i64(3));
  return a;
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
  )"},
          // The nodes of a cluster share the work (issue 17): a job per file to analyze, claimed
          // by the node that analyzes it; and a version stamped on every row written, so that
          // every node learns the results others wrote with one small read.
          {2, R"(
    CREATE TABLE analysis_jobs (
      file_id TEXT PRIMARY KEY,
      track_id TEXT NOT NULL,
      path TEXT NOT NULL,
      file_size INTEGER NOT NULL,
      file_mtime_ns INTEGER NOT NULL,
      duration_s REAL NOT NULL,
      queued_at_us INTEGER NOT NULL,
      claimed_by TEXT,
      claimed_at_ms INTEGER,
      claim_expires_at_ms INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX analysis_jobs_by_age ON analysis_jobs (queued_at_us);
    CREATE TABLE analysis_meta (
      id INTEGER PRIMARY KEY,
      version INTEGER NOT NULL
    );
    INSERT INTO analysis_meta (id, version) VALUES (1, 0);
    ALTER TABLE audio_analysis ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX audio_analysis_changes ON audio_analysis (change_seq);
    ALTER TABLE album_loudness ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX album_loudness_changes ON album_loudness (change_seq);
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

Result<audio::AudioAnalysis> AnalysisStore::put(const FileKey& key, const TrackAnalysis& a, int64_t now_ms) {
  std::string summary = json::serialize(to_json(summary_of(a)));
  auto read_back = summary_from_text(summary);
  if (!read_back) return Error::internal("analysis: the summary does not read back");
  std::string detail = deflate_bytes(json::serialize(to_json(a)));
  store::Value fp = a.fingerprint ? store::Value(store::Blob{a.fingerprint->encode()}) : store::Value(nullptr);
  store::Value lufs = a.loudness.integrated_lufs ? store::Value(*a.loudness.integrated_lufs) : store::Value(nullptr);
  SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(int64_t seq, bump_version(c));
    SEGUE_TRY(c.exec(
        "INSERT INTO audio_analysis (file_id, track_id, file_size, file_mtime_ns, version, status, error, analyzed_at, "
        "integrated_lufs, true_peak_dbtp, loudness_range_lu, duration_s, loudness_histogram, summary, detail, fingerprint, "
        "change_seq) VALUES (?, ?, ?, ?, ?, 'ok', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (file_id) DO UPDATE SET track_id = excluded.track_id, file_size = excluded.file_size, "
        "file_mtime_ns = excluded.file_mtime_ns, version = excluded.version, status = 'ok', error = NULL, "
        "analyzed_at = excluded.analyzed_at, integrated_lufs = excluded.integrated_lufs, "
        "true_peak_dbtp = excluded.true_peak_dbtp, loudness_range_lu = excluded.loudness_range_lu, "
        "duration_s = excluded.duration_s, loudness_histogram = excluded.loudness_histogram, "
        "summary = excluded.summary, detail = excluded.detail, fingerprint = excluded.fingerprint, "
        "change_seq = excluded.change_seq",
        {key.file.str(), key.track.str(), key.size, key.mtime_ns, a.version, now_ms, lufs, a.loudness.true_peak_dbtp,
         a.loudness.range_lu, a.duration_s, store::Blob{a.loudness.histogram.encode()}, summary, store::Blob{detail}, fp,
         seq}));
    return finish_job(c, key);
  }));
  return std::move(*read_back);
}

Status AnalysisStore::put_failure(const FileKey& key, std::string_view version, std::string_view error, int64_t now_ms) {
  std::string v(version), e(error.substr(0, 2000));
  return db_.write([&](store::Connection& c) -> Status { return write_failure(c, key, v, e, now_ms); });
}

Status AnalysisStore::post_jobs(const std::vector<AnalysisJob>& jobs, int64_t now_us) {
  constexpr std::size_t kBatch = 250;
  for (std::size_t from = 0; from < jobs.size(); from += kBatch) {
    const std::size_t to = std::min(jobs.size(), from + kBatch);
    SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
      for (std::size_t i = from; i < to; ++i) {
        const AnalysisJob& j = jobs[i];
        // queued_at_us keeps the order they were posted in (the snapshot's file order).
        SEGUE_TRY(c.exec(
            "INSERT INTO analysis_jobs (file_id, track_id, path, file_size, file_mtime_ns, duration_s, queued_at_us, "
            "attempts) VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (file_id) DO UPDATE SET "
            "track_id = excluded.track_id, path = excluded.path, file_size = excluded.file_size, "
            "file_mtime_ns = excluded.file_mtime_ns, duration_s = excluded.duration_s, "
            "queued_at_us = excluded.queued_at_us, claimed_by = NULL, claimed_at_ms = NULL, "
            "claim_expires_at_ms = NULL, attempts = 0 "
            "WHERE analysis_jobs.file_size <> excluded.file_size OR analysis_jobs.file_mtime_ns <> excluded.file_mtime_ns "
            "OR analysis_jobs.track_id <> excluded.track_id OR analysis_jobs.path <> excluded.path",
            {j.key.file.str(), j.key.track.str(), j.path, j.key.size, j.key.mtime_ns, j.duration_s,
             now_us + static_cast<int64_t>(i)}));
      }
      return {};
    }));
  }
  return {};
}

Result<bool> AnalysisStore::claimable(int64_t now_ms) {
  bool any = false;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT file_id FROM analysis_jobs WHERE claimed_by IS NULL OR claim_expires_at_ms < ? LIMIT 1",
                   {now_ms}, [&](const store::Row&) { any = true; });
  }));
  return any;
}

Result<std::optional<AnalysisJob>> AnalysisStore::claim(const std::string& node, std::string_view version,
                                                        int64_t now_ms,
                                                        const std::function<int64_t(const AnalysisJob&)>& lease_ms) {
  const bool postgres = db_.engine() == "postgres";
  // PostgreSQL: rows other nodes' transactions are claiming are skipped, not waited for. SQLite
  // has one writer at a time (BEGIN IMMEDIATE): the select and the update are atomic as they are.
  const std::string pick = std::string(
      "SELECT file_id, track_id, path, file_size, file_mtime_ns, duration_s, attempts FROM analysis_jobs "
      "WHERE claimed_by IS NULL OR claim_expires_at_ms < ? ORDER BY queued_at_us LIMIT 1") +
      (postgres ? " FOR UPDATE SKIP LOCKED" : "");
  const std::string wanted(version);
  for (;;) {
    std::optional<AnalysisJob> got;
    bool settled = false;  // the job needed no run: removed, or stored as failed
    SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
      got.reset();
      settled = false;
      SEGUE_TRY(c.query(pick, {now_ms}, [&](const store::Row& r) {
        AnalysisJob j;
        j.key = {FileId(r.text(0)), TrackId(r.text(1)), r.i64(3), r.i64(4)};
        j.path = r.text(2);
        j.duration_s = r.f64(5);
        j.attempts = static_cast<int>(r.i64(6));
        got = std::move(j);
      }));
      if (!got) return {};
      // Analyzed already (by a node that finished after this one posted the job).
      bool current = false;
      SEGUE_TRY(c.query("SELECT track_id, file_size, file_mtime_ns, version FROM audio_analysis WHERE file_id = ?",
                        {got->key.file.str()}, [&](const store::Row& r) {
                          current = r.text(0) == got->key.track.str() && r.i64(1) == got->key.size &&
                                    r.i64(2) == got->key.mtime_ns && r.text(3) == wanted;
                        }));
      if (current) {
        settled = true;
        SEGUE_TRY(c.exec("DELETE FROM analysis_jobs WHERE file_id = ?", {got->key.file.str()}));
        return {};
      }
      if (got->attempts >= kMaxAttempts) {
        // Every node that claimed it died before finishing: remember it as failed.
        settled = true;
        return write_failure(c, got->key, wanted,
                             "the analysis was claimed " + std::to_string(got->attempts) +
                                 " times and never finished (its workers died)",
                             now_ms);
      }
      ++got->attempts;
      SEGUE_TRY(c.exec("UPDATE analysis_jobs SET claimed_by = ?, claimed_at_ms = ?, claim_expires_at_ms = ?, "
                       "attempts = attempts + 1 WHERE file_id = ?",
                       {node, now_ms, now_ms + lease_ms(*got), got->key.file.str()}));
      return {};
    }));
    if (!got) return std::optional<AnalysisJob>();
    if (!settled) return got;
  }
}

Status AnalysisStore::release(const FileId& file, const std::string& node) {
  return db_.write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("UPDATE analysis_jobs SET claimed_by = NULL, claimed_at_ms = NULL, claim_expires_at_ms = NULL, "
                     "attempts = attempts - 1 WHERE file_id = ? AND claimed_by = ?",
                     {file.str(), node}));
    return {};
  });
}

Result<AnalysisChanges> AnalysisStore::changes_since(std::optional<int64_t> since) {
  AnalysisChanges out;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    out = AnalysisChanges{};
    SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT version FROM analysis_meta WHERE id = 1"));
    out.version = v.value_or(0);
    SEGUE_TRY(c.query("SELECT file_id FROM analysis_jobs LIMIT 1", {},
                      [&](const store::Row&) { out.jobs_waiting = true; }));
    if (since && *since >= out.version) return {};
    const int64_t from = since.value_or(-1);
    SEGUE_TRY(c.query(std::string("SELECT ") + kRecordColumns + " FROM audio_analysis WHERE change_seq > ? ORDER BY file_id",
                      {from}, [&](const store::Row& r) { out.records.push_back(read_record(r)); }));
    return c.query("SELECT album_id, integrated_lufs, true_peak_dbtp, tracks_measured FROM album_loudness "
                   "WHERE change_seq > ?",
                   {from}, [&](const store::Row& r) { out.albums.push_back(read_album(r)); });
  }));
  return out;
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
    SEGUE_ASSIGN_OR_RETURN(int64_t seq, bump_version(c));
    SEGUE_TRY(c.exec("INSERT INTO album_loudness (album_id, integrated_lufs, true_peak_dbtp, tracks_measured, change_seq) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (album_id) DO UPDATE SET integrated_lufs = excluded.integrated_lufs, "
                     "true_peak_dbtp = excluded.true_peak_dbtp, tracks_measured = excluded.tracks_measured, "
                     "change_seq = excluded.change_seq",
                     {album.str(), lufs, out.true_peak_dbtp, static_cast<int64_t>(out.tracks_measured), seq}));
    return {};
  }));
  return out;
}

Result<std::vector<AlbumLoudness>> AnalysisStore::albums() {
  std::vector<AlbumLoudness> out;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT album_id, integrated_lufs, true_peak_dbtp, tracks_measured FROM album_loudness", {},
                   [&](const store::Row& r) { out.push_back(read_album(r)); });
  }));
  return out;
}

Result<int64_t> AnalysisStore::remove_except(const std::vector<FileId>& keep) {
  std::unordered_set<std::string> wanted;
  for (const auto& f : keep) wanted.insert(f.str());
  std::vector<std::string> gone;
  std::vector<std::string> gone_jobs;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.query("SELECT file_id FROM analysis_jobs", {}, [&](const store::Row& r) {
      if (!wanted.count(r.text(0))) gone_jobs.push_back(r.text(0));
    }));
    return c.query("SELECT file_id FROM audio_analysis", {}, [&](const store::Row& r) {
      if (!wanted.count(r.text(0))) gone.push_back(r.text(0));
    });
  }));
  if (gone.empty() && gone_jobs.empty()) return int64_t{0};
  SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
    for (const auto& id : gone) SEGUE_TRY(c.exec("DELETE FROM audio_analysis WHERE file_id = ?", {id}));
    for (const auto& id : gone_jobs) SEGUE_TRY(c.exec("DELETE FROM analysis_jobs WHERE file_id = ?", {id}));
    return {};
  }));
  return static_cast<int64_t>(gone.size());
}

}  // namespace segue::analysis
