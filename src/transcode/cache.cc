#include "transcode/cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <filesystem>

#include "common/log.h"
#include "common/subprocess.h"

namespace segue::transcode {
namespace {

namespace fs = std::filesystem;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rough speed of a transcode in seconds of audio per second, for Retry-After hints only.
constexpr double kExpectedSpeed = 40.0;

std::chrono::seconds clamp_hint(double seconds) {
  return std::chrono::seconds(static_cast<int64_t>(std::clamp(std::ceil(seconds), 1.0, 30.0)));
}

bool is_encoding_file_name(const std::string& name) {
  auto dot = name.find('.');
  if (dot != kIdLength || !is_base62_id(std::string_view(name).substr(0, dot))) return false;
  return audio::format_from_extension(std::string_view(name).substr(dot + 1)).has_value();
}

}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::kMissing: return "missing";
    case State::kQueued: return "queued";
    case State::kRunning: return "running";
    case State::kReady: return "ready";
    case State::kFailed: return "failed";
  }
  return "?";
}

// ---- the worker protocol ----

std::string report_to_json(const audio::TranscodeReport& r) {
  boost::json::object o;
  o["ok"] = true;
  o["source_codec"] = r.source_codec;
  o["source_seconds"] = r.source_seconds;
  o["seconds"] = r.seconds;
  o["bytes"] = r.bytes;
  o["bitrate_kbps"] = r.bitrate_kbps;
  o["sample_rate"] = r.sample_rate;
  o["channels"] = r.channels;
  return boost::json::serialize(o);
}

std::string error_to_json(const Error& e) {
  boost::json::object o;
  o["ok"] = false;
  o["code"] = error_code_name(e.code);
  o["error"] = e.message;
  return boost::json::serialize(o);
}

Result<audio::TranscodeReport> report_from_json(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object())
    return Error::internal("the transcode worker printed no report").because(ErrorReason::kNoReport);
  const auto& o = v.as_object();
  auto num = [&](const char* k) -> double {
    const auto* x = o.if_contains(k);
    if (!x) return 0;
    if (x->is_double()) return x->as_double();
    if (x->is_int64()) return static_cast<double>(x->as_int64());
    if (x->is_uint64()) return static_cast<double>(x->as_uint64());
    return 0;
  };
  auto str = [&](const char* k) -> std::string {
    const auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  const auto* ok = o.if_contains("ok");
  if (!ok || !ok->is_bool())
    return Error::internal("the transcode worker printed no report").because(ErrorReason::kNoReport);
  if (!ok->as_bool()) {
    std::string code = str("code");
    std::string msg = str("error");
    if (code == error_code_name(ErrorCode::kInvalidArgument)) return Error::invalid(msg);
    if (code == error_code_name(ErrorCode::kNotFound)) return Error::not_found(msg);
    if (code == error_code_name(ErrorCode::kUnavailable)) return Error::unavailable(msg);
    return Error::internal(msg);
  }
  audio::TranscodeReport r;
  r.source_codec = str("source_codec");
  r.source_seconds = num("source_seconds");
  r.seconds = num("seconds");
  r.bytes = static_cast<int64_t>(num("bytes"));
  r.bitrate_kbps = static_cast<int>(num("bitrate_kbps"));
  r.sample_rate = static_cast<int>(num("sample_rate"));
  r.channels = static_cast<int>(num("channels"));
  return r;
}

Runner subprocess_runner(WorkerCommand command) {
  return [command = std::move(command)](const Job& job) -> Result<audio::TranscodeReport> {
    std::vector<std::string> argv = command.argv_prefix;
    argv.push_back(job.in_path);
    argv.push_back(job.out_path);
    argv.emplace_back(audio::codec_name(job.format));
    argv.push_back(std::to_string(job.bitrate_kbps));
    subprocess::Options o;
    const double limit_s = static_cast<double>(command.timeout_base.count()) +
                           std::max(0.0, job.duration_s) * command.timeout_per_audio_second;
    o.timeout = std::chrono::milliseconds(static_cast<int64_t>(limit_s * 1000));
    o.nice = job.background ? command.background_nice : command.nice;
    o.max_address_space = command.max_address_space;
    o.max_output = 64 << 10;
    o.cancel = job.cancel;
    auto started = subprocess::run(argv, o);
    // Not the file's fault (no process could be started): not remembered as a failure.
    if (!started.ok()) return Error::unavailable("cannot run the transcode worker: " + started.error().message);
    auto& outcome = *started;
    // A child that died left at most a .part file, which is not ours to keep.
    auto cleanup = [&] { ::unlink((job.out_path + ".part").c_str()); };
    std::string line = outcome.out.substr(0, outcome.out.find('\n'));
    if (outcome.cancelled) {
      cleanup();
      return Error::unavailable("the transcode was cancelled (the server is stopping)");
    }
    if (outcome.timed_out || outcome.signal != 0) {
      cleanup();
      return Error::internal("the transcode worker " + outcome.describe());
    }
    auto report = report_from_json(line);
    if (!report.ok() && outcome.exit_code == 0) cleanup();
    if (!report.ok() && report.error().is(ErrorReason::kNoReport)) {
      cleanup();
      return Error::internal("the transcode worker " + outcome.describe() + " without a report");
    }
    return report;
  };
}

// ---- the cache ----

FileId TranscodeCache::encoding_id(const FileId& source, audio::Format format, int bitrate_kbps) {
  return FileId(derived_base62_id("transcode", source.str() + ":" + std::string(audio::codec_name(format)) + ":" +
                                                   std::to_string(bitrate_kbps)));
}

std::vector<store::Migration> TranscodeCache::migrations() {
  return {{1, R"(
    CREATE TABLE transcode_files (
      file_id TEXT PRIMARY KEY,
      source_file_id TEXT NOT NULL,
      source_path TEXT NOT NULL,
      source_size INTEGER NOT NULL,
      source_mtime_ns INTEGER NOT NULL,
      format TEXT NOT NULL,
      bitrate_kbps INTEGER NOT NULL,
      state TEXT NOT NULL,
      size INTEGER NOT NULL,
      mtime_ns INTEGER NOT NULL,
      measured_kbps INTEGER NOT NULL,
      error TEXT,
      created_at_ms INTEGER NOT NULL,
      last_used_at_ms INTEGER NOT NULL
    );
    CREATE INDEX transcode_files_by_source ON transcode_files (source_file_id);
  )"},
          // Jobs shared by the nodes of a cluster (issue 17): a row per encoding asked for and not
          // yet made, claimed by the node that makes it.
          {2, R"(
    CREATE TABLE transcode_jobs (
      file_id TEXT PRIMARY KEY,
      source_file_id TEXT NOT NULL,
      source_path TEXT NOT NULL,
      source_size INTEGER NOT NULL,
      source_mtime_ns INTEGER NOT NULL,
      duration_s REAL NOT NULL,
      format TEXT NOT NULL,
      bitrate_kbps INTEGER NOT NULL,
      priority INTEGER NOT NULL,
      queued_at_us INTEGER NOT NULL,
      claimed_by TEXT,
      claimed_at_ms INTEGER,
      claim_expires_at_ms INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX transcode_jobs_by_priority ON transcode_jobs (priority, queued_at_us);
  )"}};
}

TranscodeCache::TranscodeCache(store::Database& db, CacheOptions options)
    : db_(db), options_(std::move(options)), postgres_(db.engine() == "postgres") {}

TranscodeCache::~TranscodeCache() { stop(); }

std::string TranscodeCache::path_for(const FileId& id, audio::Format format) const {
  return options_.dir + "/" + id.str() + "." + std::string(audio::extension(format));
}

Result<std::unique_ptr<TranscodeCache>> TranscodeCache::open(store::Database& db, CacheOptions options) {
  if (options.dir.empty()) return Error::invalid("transcode cache: no directory");
  if (!options.runner) return Error::invalid("transcode cache: no runner");
  if (options.jobs < 1) options.jobs = 1;
  if (options.node_id.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options.node_id = std::string(host) + ":" + std::to_string(::getpid()) + ":" +
                      derived_base62_id("node", std::to_string(wall_ms()) + std::to_string(::getpid())).substr(0, 6);
  }
  SEGUE_TRY(db.migrate("transcode", migrations()));
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Error::unavailable("cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<TranscodeCache> cache(new TranscodeCache(db, std::move(options)));
  SEGUE_TRY(cache->load());
  {
    std::unique_lock lock(cache->mu_);
    cache->evict_locked_out(lock);
  }
  cache->threads_.emplace_back([c = cache.get()] { c->sync_loop(); });
  if (cache->options_.run_jobs)
    for (int i = 0; i < cache->options_.jobs; ++i) cache->threads_.emplace_back([c = cache.get()] { c->job_loop(); });
  return cache;
}

Status TranscodeCache::load() {
  std::vector<Entry> rows;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query(
        "SELECT file_id, source_file_id, source_path, source_size, source_mtime_ns, format, bitrate_kbps, state, "
        "size, mtime_ns, measured_kbps, error, last_used_at_ms FROM transcode_files",
        {}, [&](const store::Row& r) {
          auto fmt = audio::format_from_codec_name(r.text(5));
          if (!fmt) return;
          Entry e;
          e.id = FileId(r.text(0));
          e.source = Source{FileId(r.text(1)), r.text(2), r.i64(3), r.i64(4), 0};
          e.format = *fmt;
          e.bitrate_kbps = static_cast<int>(r.i64(6));
          e.state = r.text(7) == "ready" ? State::kReady : State::kFailed;
          e.size = r.i64(8);
          e.mtime_ns = r.i64(9);
          e.measured_kbps = static_cast<int>(r.i64(10));
          e.error = r.text(11);
          e.last_used_ms = r.i64(12);
          rows.push_back(std::move(e));
        });
  }));
  // Encodings another node is making right now (a live claim): their .part file is not ours.
  std::unordered_set<std::string> in_progress;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    return c.query("SELECT file_id FROM transcode_jobs WHERE claimed_by IS NOT NULL AND claim_expires_at_ms >= ?",
                   {wall_ms()}, [&](const store::Row& r) { in_progress.insert(r.text(0)); });
  }));
  // Files on disk: leftover .part files are a worker killed mid-write; encoding files the
  // table does not list were written by a worker whose parent died before recording them.
  std::unordered_set<std::string> listed;
  std::vector<std::string> gone;
  for (auto& e : rows) {
    if (e.state != State::kReady) continue;
    const std::string path = path_for(e.id, e.format);
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0 || st.st_size != e.size) {
      gone.push_back(e.id.str());
      e.state = State::kMissing;
      continue;
    }
    listed.insert(fs::path(path).filename().string());
  }
  std::error_code ec;
  std::size_t removed = 0;
  for (fs::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool part = name.size() > 5 && name.compare(name.size() - 5, 5, ".part") == 0;
    if (in_progress.count(name.substr(0, std::min(name.size(), kIdLength)))) continue;
    if (part || (is_encoding_file_name(name) && !listed.count(name))) {
      std::error_code rm;
      if (fs::remove(it->path(), rm)) ++removed;
    }
  }
  if (removed) log::info("transcode cache: removed unfinished or unlisted files", {{"files", std::to_string(removed)}});
  if (!gone.empty()) {
    SEGUE_TRY(db_.write([&](store::Connection& c) -> Status {
      for (const auto& id : gone) SEGUE_TRY(c.exec("DELETE FROM transcode_files WHERE file_id = ?", {id}));
      return {};
    }));
  }
  std::lock_guard lock(mu_);
  for (auto& e : rows) {
    if (e.state == State::kMissing) continue;
    FileId id = e.id;
    entries_.emplace(std::move(id), std::move(e));
  }
  return {};
}

bool TranscodeCache::stale(const Entry& e, const Source& s) {
  return e.source.size != s.size || e.source.mtime_ns != s.mtime_ns || e.source.path != s.path;
}

TranscodeCache::Entry& TranscodeCache::entry_for(const Source& source, audio::Format format, int bitrate_kbps) {
  FileId id = encoding_id(source.file, format, bitrate_kbps);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    Entry e;
    e.id = id;
    e.source = source;
    e.format = format;
    e.bitrate_kbps = bitrate_kbps;
    it = entries_.emplace(id, std::move(e)).first;
  } else if (stale(it->second, source) && it->second.state != State::kRunning) {
    // The source changed: what we have (or the failure we remember) is about another file.
    Entry& e = it->second;
    if (e.state == State::kReady || e.state == State::kFailed) e.state = State::kMissing;
    e.source = source;
    e.error.clear();
  }
  if (source.duration_s > 0) it->second.source.duration_s = source.duration_s;
  return it->second;
}

void TranscodeCache::enqueue_locked(Entry& e, bool background) {
  if (e.state == State::kQueued) {
    if (!background && e.background) {
      // Someone is waiting now: move it ahead of the background work.
      background_.erase(std::remove(background_.begin(), background_.end(), e.id), background_.end());
      foreground_.push_back(e.id);
      e.background = false;
      pending_[e.id] = 0;
      cv_.notify_one();
    }
    return;
  }
  if (e.state != State::kMissing) return;
  e.state = State::kQueued;
  e.background = background;
  e.queued_at = std::chrono::steady_clock::now();
  e.queue_seq = ++next_seq_;
  (background ? background_ : foreground_).push_back(e.id);
  auto [it, added] = pending_.emplace(e.id, background ? 1 : 0);
  if (!added && !background) it->second = 0;
  cv_.notify_one();
}

EncodingInfo TranscodeCache::info_locked(const Entry& e) const {
  EncodingInfo i;
  i.id = e.id;
  i.source = e.source.file;
  i.format = e.format;
  i.bitrate_kbps = e.bitrate_kbps;
  i.state = e.state;
  if (e.state == State::kReady) {
    i.path = path_for(e.id, e.format);
    i.size = e.size;
    i.mtime_ns = e.mtime_ns;
    i.measured_kbps = e.measured_kbps;
  }
  if (e.state == State::kFailed) i.error = e.error;
  const double own = e.source.duration_s > 0 ? e.source.duration_s / kExpectedSpeed : 2.0;
  if (e.state == State::kRunning) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - e.started).count();
    i.retry_after = clamp_hint(own - elapsed);
  } else if (e.state == State::kQueued) {
    std::size_t ahead = 0;
    if (!e.background) {
      auto pos = std::find(foreground_.begin(), foreground_.end(), e.id);
      ahead = static_cast<std::size_t>(pos - foreground_.begin());
    } else {
      ahead = foreground_.size() + static_cast<std::size_t>(std::find(background_.begin(), background_.end(), e.id) -
                                                            background_.begin());
    }
    const double per_job = 2.0 / static_cast<double>(options_.jobs);
    i.retry_after = clamp_hint(own + static_cast<double>(ahead) * per_job);
  }
  return i;
}

void TranscodeCache::register_metrics(MetricsRegistry& metrics) const {
  metrics.gauge_fn("segue_transcode_ready_files", "Encodings on disk in the transcode cache",
                   [this] { return static_cast<double>(stats().ready); });
  metrics.gauge_fn("segue_transcode_ready_bytes", "Bytes of encodings on disk in the transcode cache",
                   [this] { return static_cast<double>(stats().ready_bytes); });
  metrics.gauge_fn("segue_transcode_queued", "Transcodes waiting for a worker",
                   [this] { return static_cast<double>(stats().queued); });
  metrics.gauge_fn("segue_transcode_running", "Transcodes running",
                   [this] { return static_cast<double>(stats().running); });
  metrics.gauge_fn("segue_transcode_failed_files", "Encodings that failed (remembered until the source changes)",
                   [this] { return static_cast<double>(stats().failed); });
  metrics.gauge_fn("segue_transcode_completed", "Transcodes finished since start",
                   [this] { return static_cast<double>(stats().completed); });
  metrics.gauge_fn("segue_transcode_evicted", "Encodings evicted since start",
                   [this] { return static_cast<double>(stats().evicted); });
}

EncodingInfo TranscodeCache::request(const Source& source, audio::Format format, int bitrate_kbps) {
  std::lock_guard lock(mu_);
  Entry& e = entry_for(source, format, bitrate_kbps);
  if (!stopping_) enqueue_locked(e, false);
  if (e.state == State::kReady) {
    e.last_used_ms = wall_ms();
    touched_.insert(e.id);
  }
  return info_locked(e);
}

EncodingInfo TranscodeCache::peek(const Source& source, audio::Format format, int bitrate_kbps) const {
  std::lock_guard lock(mu_);
  FileId id = encoding_id(source.file, format, bitrate_kbps);
  auto it = entries_.find(id);
  if (it == entries_.end() || (stale(it->second, source) && it->second.state != State::kRunning)) {
    EncodingInfo i;
    i.id = id;
    i.source = source.file;
    i.format = format;
    i.bitrate_kbps = bitrate_kbps;
    return i;
  }
  return info_locked(it->second);
}

std::optional<EncodingInfo> TranscodeCache::find(const FileId& id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  Entry& e = it->second;
  if (e.state == State::kMissing && !stopping_) enqueue_locked(e, false);
  if (e.state == State::kReady) {
    e.last_used_ms = wall_ms();
    touched_.insert(e.id);
  }
  return info_locked(e);
}

Result<std::optional<EncodingInfo>> TranscodeCache::find_stored(const FileId& id) {
  if (auto known = find(id)) return known;
  struct Stored {
    Source source;
    std::optional<audio::Format> format;
    int bitrate_kbps = 0;
    bool ready = false;
    int64_t size = 0, mtime_ns = 0, last_used = 0;
    int measured = 0;
    std::string error;
  };
  std::optional<Stored> job, made;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    job.reset();
    made.reset();
    SEGUE_TRY(c.query("SELECT source_file_id, source_path, source_size, source_mtime_ns, duration_s, format, bitrate_kbps "
                      "FROM transcode_jobs WHERE file_id = ?",
                      {id.str()}, [&](const store::Row& r) {
                        Stored j;
                        j.source = Source{FileId(r.text(0)), r.text(1), r.i64(2), r.i64(3), r.f64(4)};
                        j.format = audio::format_from_codec_name(r.text(5));
                        j.bitrate_kbps = static_cast<int>(r.i64(6));
                        job = std::move(j);
                      }));
    return c.query("SELECT source_file_id, source_path, source_size, source_mtime_ns, format, bitrate_kbps, state, size, "
                   "mtime_ns, measured_kbps, error, last_used_at_ms FROM transcode_files WHERE file_id = ?",
                   {id.str()}, [&](const store::Row& r) {
                     Stored f;
                     f.source = Source{FileId(r.text(0)), r.text(1), r.i64(2), r.i64(3), 0};
                     f.format = audio::format_from_codec_name(r.text(4));
                     f.bitrate_kbps = static_cast<int>(r.i64(5));
                     f.ready = r.text(6) == "ready";
                     f.size = r.i64(7);
                     f.mtime_ns = r.i64(8);
                     f.measured = static_cast<int>(r.i64(9));
                     f.error = r.text(10);
                     f.last_used = r.i64(11);
                     made = std::move(f);
                   });
  }));
  // A job row means a new encoding is on its way (maybe made again from a changed source):
  // that, not an older result, is what the id names now.
  if (job) made.reset();
  const Stored* row = job ? &*job : made ? &*made : nullptr;
  if (!row || !row->format) return std::optional<EncodingInfo>{};
  bool on_disk = false;
  if (made && made->ready) {
    struct stat st{};
    on_disk = ::stat(path_for(id, *made->format).c_str(), &st) == 0 && st.st_size == made->size;
  }
  std::lock_guard lock(mu_);
  auto [it, added] = entries_.try_emplace(id);
  Entry& e = it->second;
  if (added) {
    e.id = id;
    e.source = row->source;
    e.format = *row->format;
    e.bitrate_kbps = row->bitrate_kbps;
    if (made && made->ready && on_disk) {
      e.state = State::kReady;
      e.size = made->size;
      e.mtime_ns = made->mtime_ns;
      e.measured_kbps = made->measured;
      e.last_used_ms = made->last_used;
    } else if (made && !made->ready) {
      e.state = State::kFailed;
      e.error = made->error;
    }
  }
  // Queued (or being made) elsewhere, or recorded but its file gone: queued here as find()
  // does for an evicted one; the job row is shared, so it is still made once.
  if (e.state == State::kMissing && !stopping_) enqueue_locked(e, false);
  if (e.state == State::kReady) {
    e.last_used_ms = wall_ms();
    touched_.insert(e.id);
  }
  return std::optional<EncodingInfo>{info_locked(e)};
}

namespace {
// An encoding as `transcode_files` records it.
struct Recorded {
  Source source;
  bool ready = false;
  int64_t size = 0, mtime_ns = 0, last_used = 0;
  int measured = 0;
  std::string error;
};

// Reads the columns source_path, source_size, source_mtime_ns, state, size, mtime_ns,
// measured_kbps, error, last_used_at_ms starting at column `at`.
Recorded read_recorded(const store::Row& r, int at) {
  Recorded x;
  x.source.path = r.text(at);
  x.source.size = r.i64(at + 1);
  x.source.mtime_ns = r.i64(at + 2);
  x.ready = r.text(at + 3) == "ready";
  x.size = r.i64(at + 4);
  x.mtime_ns = r.i64(at + 5);
  x.measured = static_cast<int>(r.i64(at + 6));
  x.error = r.text(at + 7);
  x.last_used = r.i64(at + 8);
  return x;
}
}  // namespace

Status TranscodeCache::settle(const FileId& id) {
  Source queued;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.state != State::kQueued) return {};
    queued = it->second.source;
  }
  std::optional<Recorded> made;
  bool job = false;
  SEGUE_TRY(db_.read([&](store::Connection& c) -> Status {
    made.reset();
    SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT COUNT(*) FROM transcode_jobs WHERE file_id = ?", {id.str()}));
    job = n.value_or(0) > 0;
    return c.query("SELECT source_path, source_size, source_mtime_ns, state, size, mtime_ns, measured_kbps, error, "
                   "last_used_at_ms FROM transcode_files WHERE file_id = ?",
                   {id.str()}, [&](const store::Row& r) { made = read_recorded(r, 0); });
  }));
  const bool current = made && made->source.size == queued.size && made->source.mtime_ns == queued.mtime_ns &&
                       made->source.path == queued.path;
  if (current && !job) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.state != State::kQueued || stale(it->second, queued)) return {};
    Entry& e = it->second;
    for (auto* q : {&foreground_, &background_}) q->erase(std::remove(q->begin(), q->end(), e.id), q->end());
    pending_.erase(e.id);
    if (made->ready) {
      e.state = State::kReady;
      e.size = made->size;
      e.mtime_ns = made->mtime_ns;
      e.measured_kbps = made->measured;
      e.last_used_ms = std::max(wall_ms(), made->last_used);
      touched_.insert(e.id);
      e.error.clear();
    } else {
      e.state = State::kFailed;
      e.error = made->error;
    }
    if (running_ == 0 && foreground_.empty() && background_.empty()) idle_cv_.notify_all();
    return {};
  }
  if (!job) post_pending();  // its row (and any other waiting here) before the client asks again
  return {};
}

std::size_t TranscodeCache::encode_ahead(const std::vector<Source>& sources, audio::Format format, int bitrate_kbps) {
  std::lock_guard lock(mu_);
  if (stopping_) return 0;
  std::size_t queued = 0;
  for (const auto& s : sources) {
    Entry& e = entry_for(s, format, bitrate_kbps);
    if (e.state != State::kMissing) continue;
    enqueue_locked(e, true);
    ++queued;
  }
  return queued;
}

CacheStats TranscodeCache::stats() const {
  std::lock_guard lock(mu_);
  CacheStats s;
  for (const auto& [id, e] : entries_) {
    if (e.state == State::kReady) {
      ++s.ready;
      s.ready_bytes += static_cast<uint64_t>(e.size);
    } else if (e.state == State::kFailed) {
      ++s.failed;
    }
  }
  s.queued = foreground_.size() + background_.size();
  s.running = running_;
  s.completed = completed_;
  s.evicted = evicted_;
  return s;
}

void TranscodeCache::wait_idle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return stopping_ || (running_ == 0 && foreground_.empty() && background_.empty()); });
}

void TranscodeCache::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    cancel_ = true;
    for (const auto& q : {&foreground_, &background_})
      for (const auto& id : *q)
        if (auto it = entries_.find(id); it != entries_.end()) it->second.state = State::kMissing;
    foreground_.clear();
    background_.clear();
    pending_.clear();
  }
  cv_.notify_all();
  sync_cv_.notify_all();
  idle_cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  std::unique_lock lock(mu_);
  flush_touches(lock);
}

int64_t TranscodeCache::lease_ms(double duration_s) const {
  const double s = static_cast<double>(options_.claim_lease_base.count()) +
                   std::max(0.0, duration_s) * options_.claim_lease_per_audio_second;
  return static_cast<int64_t>(s * 1000);
}

void TranscodeCache::post_pending() {
  std::lock_guard posting(post_mu_);
  struct Row {
    FileId id;
    Source source;
    std::string codec;
    int kbps;
    int priority;
    uint64_t seq;
  };
  std::vector<Row> rows;
  {
    std::lock_guard lock(mu_);
    if (pending_.empty()) return;
    for (const auto& [id, priority] : pending_) {
      auto it = entries_.find(id);
      // Only what is still waiting here (a job thread of this node may have taken it meanwhile).
      if (it == entries_.end() || it->second.state != State::kQueued) continue;
      const Entry& e = it->second;
      rows.push_back({id, e.source, std::string(audio::codec_name(e.format)), e.bitrate_kbps, priority, e.queue_seq});
    }
    pending_.clear();
  }
  if (rows.empty()) return;
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.seq < b.seq; });
  // In the order they were asked for (queued_at_us breaks ties within a priority).
  int64_t us = wall_ms() * 1000;
  Status st = db_.write([&](store::Connection& c) -> Status {
    int64_t n = 0;
    for (const auto& r : rows) {
      SEGUE_TRY(c.exec(
          "INSERT INTO transcode_jobs (file_id, source_file_id, source_path, source_size, source_mtime_ns, duration_s, "
          "format, bitrate_kbps, priority, queued_at_us, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
          "ON CONFLICT (file_id) DO UPDATE SET priority = CASE WHEN excluded.priority < transcode_jobs.priority "
          "THEN excluded.priority ELSE transcode_jobs.priority END",
          {r.id.str(), r.source.file.str(), r.source.path, r.source.size, r.source.mtime_ns, r.source.duration_s,
           r.codec, static_cast<int64_t>(r.kbps), static_cast<int64_t>(r.priority), us + n++}));
    }
    return {};
  });
  if (!st.ok()) {
    log::warn("transcode cache: cannot queue jobs; trying again", {{"jobs", std::to_string(rows.size())},
                                                                    {"reason", st.error().message}});
    std::lock_guard lock(mu_);
    for (const auto& r : rows) pending_.emplace(r.id, r.priority);
  }
}

std::optional<TranscodeCache::Claimed> TranscodeCache::claim() {
  for (;;) {
    std::optional<Claimed> got;
    // Set when the job needs no run: made already (by another node) or claimed too often.
    struct Known {
      bool ready = false;
      int64_t size = 0, mtime_ns = 0;
      int measured = 0;
      std::string error;
    };
    std::optional<Known> known;
    const int64_t now = wall_ms();
    Status st = db_.write([&](store::Connection& c) -> Status {
      got.reset();
      known.reset();
      // PostgreSQL: rows other nodes' transactions are claiming are skipped, not waited for.
      const std::string sql = std::string(
          "SELECT file_id, source_file_id, source_path, source_size, source_mtime_ns, duration_s, format, "
          "bitrate_kbps, priority, attempts FROM transcode_jobs WHERE claimed_by IS NULL OR claim_expires_at_ms < ? "
          "ORDER BY priority, queued_at_us LIMIT 1") + (postgres_ ? " FOR UPDATE SKIP LOCKED" : "");
      int64_t attempts = 0;
      SEGUE_TRY(c.query(sql, {now}, [&](const store::Row& r) {
        auto fmt = audio::format_from_codec_name(r.text(6));
        Claimed j;
        j.id = FileId(r.text(0));
        j.source = Source{FileId(r.text(1)), r.text(2), r.i64(3), r.i64(4), r.f64(5)};
        j.format = fmt.value_or(audio::Format::kOgg);
        j.bitrate_kbps = static_cast<int>(r.i64(7));
        j.background = r.i64(8) > 0;
        attempts = r.i64(9);
        got = std::move(j);
      }));
      if (!got) return {};
      // Already made from this version of the source (a node that asked had not heard yet).
      SEGUE_TRY(c.query("SELECT state, size, mtime_ns, measured_kbps, error, source_size, source_mtime_ns, source_path "
                        "FROM transcode_files WHERE file_id = ?",
                        {got->id.str()}, [&](const store::Row& r) {
                          if (r.i64(5) != got->source.size || r.i64(6) != got->source.mtime_ns ||
                              r.text(7) != got->source.path)
                            return;
                          known = Known{r.text(0) == "ready", r.i64(1), r.i64(2), static_cast<int>(r.i64(3)), r.text(4)};
                        }));
      if (!known && attempts >= kMaxAttempts) {
        // Every node that claimed it died before finishing: remember it as failed.
        known = Known{false, 0, 0, 0,
                      "the transcode was claimed " + std::to_string(attempts) + " times and never finished (its workers died)"};
        SEGUE_TRY(c.exec(
            "INSERT INTO transcode_files (file_id, source_file_id, source_path, source_size, source_mtime_ns, format, "
            "bitrate_kbps, state, size, mtime_ns, measured_kbps, error, created_at_ms, last_used_at_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'failed', 0, 0, 0, ?, ?, ?) ON CONFLICT (file_id) DO UPDATE SET "
            "state = excluded.state, error = excluded.error, source_size = excluded.source_size, "
            "source_mtime_ns = excluded.source_mtime_ns, source_path = excluded.source_path",
            {got->id.str(), got->source.file.str(), got->source.path, got->source.size, got->source.mtime_ns,
             std::string(audio::codec_name(got->format)), static_cast<int64_t>(got->bitrate_kbps), known->error,
             now, now}));
      }
      if (known) {
        SEGUE_TRY(c.exec("DELETE FROM transcode_jobs WHERE file_id = ?", {got->id.str()}));
        return {};
      }
      SEGUE_TRY(c.exec("UPDATE transcode_jobs SET claimed_by = ?, claimed_at_ms = ?, claim_expires_at_ms = ?, "
                       "attempts = attempts + 1 WHERE file_id = ?",
                       {options_.node_id, now, now + lease_ms(got->source.duration_s), got->id.str()}));
      return {};
    });
    if (!st.ok()) {
      log::warn("transcode cache: cannot claim a job", {{"reason", st.error().message}});
      return std::nullopt;
    }
    if (!got || !known) return got;
    if (!known->ready && known->error.find("never finished") != std::string::npos)
      log::warn("transcode failed", {{"file", got->id.str()}, {"source", got->source.path}, {"reason", known->error}});
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(got->id); it != entries_.end() && it->second.state == State::kQueued &&
                                          !stale(it->second, got->source)) {
      Entry& e = it->second;
      for (auto* q : {&foreground_, &background_}) q->erase(std::remove(q->begin(), q->end(), e.id), q->end());
      e.state = known->ready ? State::kReady : State::kFailed;
      e.size = known->size;
      e.mtime_ns = known->mtime_ns;
      e.measured_kbps = known->measured;
      e.error = known->error;
      if (known->ready) e.last_used_ms = now;
      if (running_ == 0 && foreground_.empty() && background_.empty()) idle_cv_.notify_all();
    }
  }
}

void TranscodeCache::job_loop() {
  std::unique_lock lock(mu_);
  auto last_flush = std::chrono::steady_clock::now();
  // On PostgreSQL other nodes queue jobs too: look for them every sync interval; on SQLite
  // every job comes from this process (and, at start, what an earlier run left queued).
  const auto idle_wait = postgres_ ? options_.sync_interval : std::chrono::milliseconds(60000);
  bool look = true;  // at start: jobs left in the table
  while (true) {
    if (!look)
      cv_.wait_for(lock, idle_wait, [&] { return stopping_ || !foreground_.empty() || !background_.empty(); });
    look = false;
    if (stopping_) return;
    if (std::chrono::steady_clock::now() - last_flush > std::chrono::seconds(60)) {
      flush_touches(lock);
      last_flush = std::chrono::steady_clock::now();
      if (stopping_) return;
    }
    lock.unlock();
    post_pending();
    auto job = claim();
    lock.lock();
    if (stopping_) {
      if (job) {
        lock.unlock();
        (void)db_.write([&](store::Connection& c) -> Status {
          SEGUE_TRY(c.exec("UPDATE transcode_jobs SET claimed_by = NULL, claim_expires_at_ms = NULL, "
                           "attempts = attempts - 1 WHERE file_id = ? AND claimed_by = ?",
                           {job->id.str(), options_.node_id}));
          return {};
        });
      }
      return;
    }
    if (!job) {
      // What is queued here is being made by another node (or the database is away): the sync
      // thread learns the results; look again in a while.
      if (!foreground_.empty() || !background_.empty())
        cv_.wait_for(lock, options_.sync_interval, [&] { return stopping_; });
      continue;
    }
    look = true;  // there may be more
    auto it = entries_.find(job->id);
    if (it == entries_.end()) {
      // Another node's request.
      Entry e;
      e.id = job->id;
      e.source = job->source;
      e.format = job->format;
      e.bitrate_kbps = job->bitrate_kbps;
      it = entries_.emplace(job->id, std::move(e)).first;
    }
    Entry& e = it->second;
    for (auto* q : {&foreground_, &background_}) q->erase(std::remove(q->begin(), q->end(), e.id), q->end());
    // Its old file is being removed (evicted): wait for that, then write it again.
    cv_.wait(lock, [&] { return stopping_ || !entries_.at(job->id).evicting; });
    Entry& ready = entries_.at(job->id);
    if (ready.source.size == 0 && ready.source.path.empty()) ready.source = job->source;
    if (ready.source.duration_s <= 0) ready.source.duration_s = job->source.duration_s;
    ready.background = job->background;
    ready.state = State::kRunning;
    ready.started = std::chrono::steady_clock::now();
    ++running_;
    FileId id = job->id;
    lock.unlock();
    run_job(id);
    lock.lock();
    --running_;
    ++completed_;
    evict_locked_out(lock);
    if (running_ == 0 && foreground_.empty() && background_.empty()) idle_cv_.notify_all();
  }
}

void TranscodeCache::sync_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    sync_cv_.wait_for(lock, options_.sync_interval, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    post_pending();
    if (postgres_) sync_results();
    lock.lock();
  }
}

void TranscodeCache::sync_results() {
  // Encodings queued here for a while: another node may have made them (or given up).
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    const auto before = std::chrono::steady_clock::now() - options_.sync_interval;
    for (const auto* q : {&foreground_, &background_})
      for (const auto& id : *q)
        if (auto it = entries_.find(id); it != entries_.end() && it->second.queued_at <= before) ids.push_back(id.str());
  }
  if (ids.empty()) return;
  std::unordered_map<std::string, Recorded> results;
  std::unordered_set<std::string> jobs;
  for (std::size_t from = 0; from < ids.size(); from += 200) {
    const std::size_t to = std::min(ids.size(), from + 200);
    std::string in;
    std::vector<store::Value> params;
    for (std::size_t i = from; i < to; ++i) {
      in += in.empty() ? "?" : ", ?";
      params.emplace_back(ids[i]);
    }
    Status st = db_.read([&](store::Connection& c) -> Status {
      SEGUE_TRY(c.query("SELECT file_id, source_path, source_size, source_mtime_ns, state, size, mtime_ns, measured_kbps, "
                        "error, last_used_at_ms FROM transcode_files WHERE file_id IN (" + in + ")",
                        params, [&](const store::Row& r) {
                          results[r.text(0)] = read_recorded(r, 1);
                        }));
      return c.query("SELECT file_id FROM transcode_jobs WHERE file_id IN (" + in + ")", params,
                     [&](const store::Row& r) { jobs.insert(r.text(0)); });
    });
    if (!st.ok()) return;  // the database is away: next time
  }
  std::lock_guard lock(mu_);
  for (const auto& sid : ids) {
    auto it = entries_.find(FileId(sid));
    if (it == entries_.end() || it->second.state != State::kQueued) continue;
    Entry& e = it->second;
    auto r = results.find(sid);
    const bool current = r != results.end() && r->second.source.size == e.source.size &&
                         r->second.source.mtime_ns == e.source.mtime_ns && r->second.source.path == e.source.path;
    if (current && !jobs.count(sid)) {
      for (auto* q : {&foreground_, &background_}) q->erase(std::remove(q->begin(), q->end(), e.id), q->end());
      if (r->second.ready) {
        e.state = State::kReady;
        e.size = r->second.size;
        e.mtime_ns = r->second.mtime_ns;
        e.measured_kbps = r->second.measured;
        e.last_used_ms = std::max(e.last_used_ms, r->second.last_used);
        e.error.clear();
      } else {
        e.state = State::kFailed;
        e.error = r->second.error;
      }
    } else if (!jobs.count(sid)) {
      // Neither a result nor a job (a node gave up on it, e.g. it stopped): queue it again.
      pending_.emplace(e.id, e.background ? 1 : 0);
    }
  }
  if (running_ == 0 && foreground_.empty() && background_.empty()) idle_cv_.notify_all();
}

void TranscodeCache::run_job(const FileId& id) {
  Job job;
  Entry snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot = entries_.at(id);
  }
  job.in_path = snapshot.source.path;
  job.out_path = path_for(id, snapshot.format);
  job.format = snapshot.format;
  job.bitrate_kbps = snapshot.bitrate_kbps;
  job.background = snapshot.background;
  job.duration_s = snapshot.source.duration_s;
  job.cancel = &cancel_;
  const auto t0 = std::chrono::steady_clock::now();
  auto report = options_.runner(job);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();

  int64_t size = 0, mtime_ns = 0;
  std::optional<Error> failure;
  if (report.ok()) {
    struct stat st{};
    if (::stat(job.out_path.c_str(), &st) != 0) {
      failure = Error::internal("the transcode worker reported success but wrote no file");
    } else {
      size = st.st_size;
      mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
  } else {
    failure = report.error();
  }
  const int64_t now = wall_ms();
  const std::string codec(audio::codec_name(snapshot.format));
  // A failure that is ours (no disk space, the worker could not start, the server is
  // stopping) is not the file's fault: forget it so the next request tries again. Anything
  // else is remembered.
  const bool transient = failure && failure->code == ErrorCode::kUnavailable;
  if (failure) {
    log::warn("transcode failed", {{"file", id.str()}, {"source", snapshot.source.path}, {"format", codec},
                                   {"kbps", std::to_string(snapshot.bitrate_kbps)}, {"reason", failure->message}});
  } else {
    log::info("transcoded", {{"file", id.str()}, {"format", codec}, {"kbps", std::to_string(snapshot.bitrate_kbps)},
                             {"measured_kbps", std::to_string(report->bitrate_kbps)}, {"ms", std::to_string(ms)}});
  }
  // The result and the end of the job in one transaction: other nodes see the job gone only
  // with its result.
  Status s = db_.write([&](store::Connection& c) -> Status {
    if (!transient) {
      SEGUE_TRY(c.exec(
          "INSERT INTO transcode_files (file_id, source_file_id, source_path, source_size, source_mtime_ns, format, "
          "bitrate_kbps, state, size, mtime_ns, measured_kbps, error, created_at_ms, last_used_at_ms) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (file_id) DO UPDATE SET "
          "source_file_id = excluded.source_file_id, source_path = excluded.source_path, "
          "source_size = excluded.source_size, source_mtime_ns = excluded.source_mtime_ns, state = excluded.state, "
          "size = excluded.size, mtime_ns = excluded.mtime_ns, measured_kbps = excluded.measured_kbps, "
          "error = excluded.error, created_at_ms = excluded.created_at_ms, last_used_at_ms = excluded.last_used_at_ms",
          {id.str(), snapshot.source.file.str(), snapshot.source.path, snapshot.source.size, snapshot.source.mtime_ns,
           codec, static_cast<int64_t>(snapshot.bitrate_kbps), std::string(failure ? "failed" : "ready"), size,
           mtime_ns, static_cast<int64_t>(report.ok() ? report->bitrate_kbps : 0),
           failure ? store::Value(failure->message) : store::Value(nullptr), now, now}));
    }
    SEGUE_TRY(c.exec("DELETE FROM transcode_jobs WHERE file_id = ?", {id.str()}));
    return {};
  });
  if (!s.ok()) log::error("transcode cache: cannot record an encoding", {{"file", id.str()}, {"reason", s.error().message}});
  std::lock_guard lock(mu_);
  Entry& e = entries_.at(id);
  if (failure) {
    e.state = transient ? State::kMissing : State::kFailed;
    e.error = failure->message;
  } else {
    e.state = State::kReady;
    e.size = size;
    e.mtime_ns = mtime_ns;
    e.measured_kbps = report->bitrate_kbps;
    e.error.clear();
    e.last_used_ms = now;
  }
  // The source changed while the job ran: what was made is stale; make it again if asked.
  if (e.source.size != snapshot.source.size || e.source.mtime_ns != snapshot.source.mtime_ns ||
      e.source.path != snapshot.source.path) {
    e.state = State::kMissing;
    enqueue_locked(e, snapshot.background);
  }
}

void TranscodeCache::flush_touches(std::unique_lock<std::mutex>& lock) {
  if (touched_.empty()) return;
  std::vector<std::pair<std::string, int64_t>> rows;
  for (const auto& id : touched_)
    if (auto it = entries_.find(id); it != entries_.end() && it->second.state == State::kReady)
      rows.emplace_back(id.str(), it->second.last_used_ms);
  touched_.clear();
  lock.unlock();
  Status s = db_.write([&](store::Connection& c) -> Status {
    for (const auto& [id, ms] : rows)
      SEGUE_TRY(c.exec("UPDATE transcode_files SET last_used_at_ms = ? WHERE file_id = ?", {ms, id}));
    return {};
  });
  if (!s.ok()) log::warn("transcode cache: cannot record last uses", {{"reason", s.error().message}});
  lock.lock();
}

void TranscodeCache::evict_locked_out(std::unique_lock<std::mutex>& lock) {
  uint64_t total = 0;
  std::vector<Entry*> ready;
  for (auto& [id, e] : entries_) {
    if (e.state != State::kReady) continue;
    total += static_cast<uint64_t>(e.size);
    ready.push_back(&e);
  }
  if (total <= options_.max_bytes) return;
  std::sort(ready.begin(), ready.end(), [](const Entry* a, const Entry* b) {
    return a->last_used_ms != b->last_used_ms ? a->last_used_ms < b->last_used_ms : a->id < b->id;
  });
  const int64_t protect_after = wall_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(options_.keep_recent).count();
  std::vector<std::pair<FileId, std::string>> victims;
  for (Entry* e : ready) {
    if (total <= options_.max_bytes) break;
    if (e->last_used_ms > protect_after) continue;  // possibly being read right now
    total -= static_cast<uint64_t>(e->size);
    e->state = State::kMissing;  // known: a later find() makes it again
    e->evicting = true;
    victims.emplace_back(e->id, path_for(e->id, e->format));
    ++evicted_;
  }
  if (total > options_.max_bytes && victims.empty())
    log::warn("transcode cache over its bound: every encoding was used recently",
              {{"bytes", std::to_string(total)}, {"max_bytes", std::to_string(options_.max_bytes)}});
  if (victims.empty()) return;
  lock.unlock();
  // The row goes first: a crash between the two leaves an unlisted file, removed at start.
  Status s = db_.write([&](store::Connection& c) -> Status {
    for (const auto& v : victims) SEGUE_TRY(c.exec("DELETE FROM transcode_files WHERE file_id = ?", {v.first.str()}));
    return {};
  });
  if (!s.ok()) log::warn("transcode cache: cannot forget evicted encodings", {{"reason", s.error().message}});
  // Unlinking a file a reader still has open is safe on Linux: the reader keeps its bytes.
  for (const auto& v : victims) ::unlink(v.second.c_str());
  lock.lock();
  for (const auto& v : victims) entries_.at(v.first).evicting = false;
  cv_.notify_all();
}

}  // namespace segue::transcode
