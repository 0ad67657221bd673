#include "analysis/analysis_service.h"

#include <boost/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>

#include "common/log.h"

namespace segue::analysis {
using namespace segue::audio;  // the analyzer's result types and helpers
namespace {

namespace json = boost::json;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Runner in_process_runner() {
  return [](const std::string& path, const std::atomic<bool>&) { return analyze_file(path); };
}

Runner isolated_runner(std::string executable, subprocess::Options options) {
  return [executable = std::move(executable), options](const std::string& path,
                                                      const std::atomic<bool>& cancel) -> Result<TrackAnalysis> {
    subprocess::Options o = options;
    o.cancel = &cancel;
    SEGUE_ASSIGN_OR_RETURN(subprocess::Outcome out, subprocess::run({executable, "worker", "analyze", path}, o));
    if (out.cancelled) return Error::unavailable("cancelled");
    if (!out.succeeded()) {
      std::string why = out.err;
      while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
      if (auto nl = why.rfind('\n'); nl != std::string::npos) why = why.substr(nl + 1);
      std::string message = "analysis worker " + out.describe();
      if (!why.empty() && out.exit_code == 1) message = why;
      return Error::invalid(message);
    }
    boost::system::error_code ec;
    json::value v = json::parse(out.out, ec);
    if (ec) return Error::invalid("analysis worker printed something that is not JSON");
    return track_analysis_from_json(v);
  };
}

Runner persistent_runner(std::string executable, subprocess::Options options, int files_per_child) {
  struct Pool {
    std::mutex mu;
    std::vector<std::unique_ptr<subprocess::LineWorker>> idle;
    std::vector<int> uses;  // parallel to idle
  };
  auto pool = std::make_shared<Pool>();
  return [pool, executable = std::move(executable), options, files_per_child](
             const std::string& path, const std::atomic<bool>& cancel) -> Result<TrackAnalysis> {
    std::unique_ptr<subprocess::LineWorker> worker;
    int uses = 0;
    {
      std::lock_guard l(pool->mu);
      if (!pool->idle.empty()) {
        worker = std::move(pool->idle.back());
        uses = pool->uses.back();
        pool->idle.pop_back();
        pool->uses.pop_back();
      }
    }
    if (!worker || uses >= files_per_child) {
      worker = std::make_unique<subprocess::LineWorker>(
          std::vector<std::string>{executable, "worker", "analyze", "--stdin"}, options);
      uses = 0;
    }
    auto give_back = [&] {
      std::lock_guard l(pool->mu);
      pool->idle.push_back(std::move(worker));
      pool->uses.push_back(uses + 1);
    };
    SEGUE_ASSIGN_OR_RETURN(auto reply, worker->request(json::serialize(json::value(path)), &cancel));
    if (!reply.ok) {
      if (reply.outcome.cancelled) return Error::unavailable("cancelled");
      std::string message = "analysis worker " + reply.outcome.describe();
      give_back();  // it starts a fresh child on its next request
      return Error::invalid(message);
    }
    give_back();
    boost::system::error_code ec;
    json::value v = json::parse(reply.line, ec);
    if (ec || !v.is_object()) return Error::invalid("analysis worker printed something that is not JSON");
    if (const auto* e = v.as_object().if_contains("error")) {
      if (e->is_string()) return Error::invalid(std::string(e->as_string()));
      return Error::invalid("analysis worker: malformed error");
    }
    const auto* a = v.as_object().if_contains("analysis");
    if (!a) return Error::invalid("analysis worker: no analysis in its answer");
    return track_analysis_from_json(*a);
  };
}

int analyze_worker_loop(std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    json::object answer;
    if (ec || !v.is_string()) {
      answer["error"] = "expected a JSON string (a path) per line";
    } else {
      auto a = analyze_file(std::string(v.as_string()));
      if (a.ok()) answer["analysis"] = to_json(*a);
      else answer["error"] = a.error().message;
    }
    out << json::serialize(answer) << '\n';
    out.flush();
    if (!out.good()) return 2;
  }
  return 0;
}

int analyze_worker_main(const std::string& path) {
  auto a = analyze_file(path);
  if (!a.ok()) {
    std::cerr << a.error().message << "\n";
    return 1;
  }
  std::cout << json::serialize(to_json(*a)) << "\n";
  std::cout.flush();
  return std::cout.good() ? 0 : 2;
}

AnalysisService::AnalysisService(store::Database& db, catalog::Catalog& catalog, bus::EventBus& events, Runner runner,
                                 Options options)
    : store_(db), catalog_(catalog), events_(events), runner_(std::move(runner)), options_(std::move(options)) {
  db_ = &db;
  if (options_.node_id.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::random_device rd;
    options_.node_id = std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(rd() % 1000000);
  }
}

AnalysisService::~AnalysisService() {
  subscription_.reset();
  {
    std::lock_guard l(link_->mu);
    link_->service = nullptr;
  }
  {
    std::lock_guard l(mu_);
    stop_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  idle_cv_.notify_all();
  for (auto& t : threads_) t.join();
  if (follower_.joinable()) follower_.join();
}

Status AnalysisService::start() {
  SEGUE_TRY(db_->migrate("audio_analysis", analysis_migrations()));
  SEGUE_ASSIGN_OR_RETURN(auto changes, store_.changes_since(std::nullopt));
  {
    std::lock_guard l(mu_);
    for (auto& r : changes.records) {
      Known k{r.key, r.version, r.ok, r.error, r.integrated_lufs, r.true_peak_dbtp, r.duration_s, std::move(r.summary)};
      known_[r.key.file.str()] = std::move(k);
    }
    for (const auto& a : changes.albums) albums_[a.album.str()] = {a.integrated_lufs, a.true_peak_dbtp};
    seen_version_ = changes.version;
  }
  std::weak_ptr<Link> weak = link_;
  subscription_ = events_.subscribe(
      "audio-analysis", bus::only<bus::CatalogSnapshotPublished>([weak, catalog = &catalog_](const bus::CatalogSnapshotPublished&) {
        if (auto link = weak.lock()) {
          std::lock_guard l(link->mu);
          if (link->service) link->service->on_snapshot(catalog->snapshot());
        }
      }));
  on_snapshot(catalog_.snapshot());
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { work(); });
  follower_ = std::thread([this] { follow_loop(); });
  return {};
}

void AnalysisService::register_metrics(MetricsRegistry& metrics) const {
  metrics.gauge_fn("segue_analysis_files_analyzed", "Files with a current audio analysis",
                   [this] { return static_cast<double>(progress().analyzed); });
  metrics.gauge_fn("segue_analysis_files_failed", "Files whose analysis failed (see the log for why)",
                   [this] { return static_cast<double>(progress().failed); });
  metrics.gauge_fn("segue_analysis_files_queued", "Files waiting for analysis",
                   [this] { return static_cast<double>(progress().queued); });
  metrics.gauge_fn("segue_analysis_audio_seconds", "Seconds of audio analyzed since start",
                   [this] { return progress().audio_seconds_since_start; });
}

bool AnalysisService::current(const Known& k, const catalog::AudioFile& f) const {
  return k.key.size == f.size && k.key.mtime_ns == f.mtime_ns && k.version == kAnalyzerVersion &&
         k.key.track == f.track_id;
}

std::vector<AnalysisJob> AnalysisService::needed_locked() const {
  std::vector<AnalysisJob> out;
  if (!snapshot_) return out;
  for (const auto& f : snapshot_->files()) {
    auto it = known_.find(f.id.str());
    if (it != known_.end() && current(it->second, f)) continue;
    AnalysisJob j;
    j.key = FileKey{f.id, f.track_id, f.size, f.mtime_ns};
    j.path = f.path;
    if (const auto* t = snapshot_->track(f.track_id)) j.duration_s = static_cast<double>(t->duration_ms) / 1000.0;
    out.push_back(std::move(j));
  }
  return out;
}

void AnalysisService::on_snapshot(std::shared_ptr<const catalog::Snapshot> snap) {
  std::vector<FileId> keep;
  {
    std::lock_guard l(mu_);
    snapshot_ = snap;
    ++generation_;
    analyzed_ = failed_ = 0;
    keep.reserve(snap->files().size());
    for (const auto& f : snap->files()) {
      keep.push_back(f.id);
      auto it = known_.find(f.id.str());
      if (it != known_.end() && current(it->second, f)) (it->second.ok ? analyzed_ : failed_)++;
    }
    // Nodes that analyze post what this snapshot needs as jobs (any node may claim them).
    if (options_.workers > 0) {
      to_post_ = needed_locked();
      post_ = !to_post_.empty();
    }
    // Rows of files that left the catalog are dropped from memory now, from the database by
    // the next worker that runs (cleanup_ below).
    std::unordered_set<std::string> present;
    present.reserve(keep.size());
    for (const auto& f : keep) present.insert(f.str());
    for (auto it = known_.begin(); it != known_.end();) {
      if (!present.count(it->first)) {
        it = known_.erase(it);
        cleanup_ = true;
      } else {
        ++it;
      }
    }
    cleanup_keep_ = std::move(keep);
  }
  cv_.notify_all();
  idle_cv_.notify_all();
}

void AnalysisService::work() {
  // Other nodes (or, on SQLite, an earlier process) post jobs and leave claims behind: an idle
  // worker looks every follow interval, with one small read.
  const auto idle_wait = options_.follow_interval;
  bool look = true;  // at start: jobs left in the table
  while (true) {
    std::vector<AnalysisJob> posting;
    std::vector<FileId> cleanup;
    bool do_cleanup = false;
    {
      std::unique_lock l(mu_);
      if (!look) cv_.wait_for(l, idle_wait, [&] { return stop_ || post_ || cleanup_; });
      if (stop_) return;
      look = false;
      if (post_) {
        post_ = false;
        posting = std::move(to_post_);
        to_post_.clear();
      }
      if (cleanup_) {
        cleanup_ = false;
        do_cleanup = true;
        cleanup = cleanup_keep_;
      }
    }
    if (do_cleanup) {
      // Only against the newest catalog: a node still on an older snapshot must not delete the
      // rows and jobs of files another node's scan just added (if it reloads, a new snapshot
      // asks for a cleanup again).
      auto reloaded = catalog_.follow();
      if (reloaded.ok() && !*reloaded) {
        if (auto r = store_.remove_except(cleanup); !r.ok())
          log::warn("analysis: cleanup failed: " + r.error().message);
      }
    }
    if (!posting.empty()) {
      if (Status st = store_.post_jobs(posting, now_ms() * 1000); !st.ok()) {
        log::warn("analysis: cannot queue jobs; trying again", {{"jobs", std::to_string(posting.size())},
                                                                 {"reason", st.error().message}});
        std::unique_lock l(mu_);
        if (!post_) {
          to_post_ = std::move(posting);
          post_ = true;
        }
        cv_.wait_for(l, options_.follow_interval, [&] { return stop_; });
        continue;
      }
    }
    {
      // Claiming is a write transaction: first a cheap read whether anything is free.
      auto any = store_.claimable(now_ms());
      if (!any.ok() || !*any) {
        idle_cv_.notify_all();
        continue;
      }
    }
    auto job = store_.claim(options_.node_id, kAnalyzerVersion, now_ms(), [this](const AnalysisJob& j) {
      return static_cast<int64_t>(static_cast<double>(options_.claim_lease_base.count()) +
                                  std::max(0.0, j.duration_s) * options_.claim_lease_per_audio_second * 1000.0);
    });
    if (!job.ok()) {
      log::warn("analysis: cannot claim a job", {{"reason", job.error().message}});
      idle_cv_.notify_all();
      continue;
    }
    if (!job->has_value()) {
      idle_cv_.notify_all();
      continue;
    }
    look = true;  // there may be more
    {
      std::lock_guard l(mu_);
      if (stop_) {
        (void)store_.release((*job)->key.file, options_.node_id);
        return;
      }
      ++running_;
    }
    process(**job);
    {
      std::lock_guard l(mu_);
      --running_;
    }
    idle_cv_.notify_all();
  }
}

void AnalysisService::follow_loop() {
  std::unique_lock l(mu_);
  while (!stop_) {
    cv_.wait_for(l, options_.follow_interval, [&] { return stop_; });
    if (stop_) return;
    l.unlock();
    if (auto r = follow(); !r.ok()) log::warn("analysis: cannot read other nodes' results", {{"reason", r.error().message}});
    l.lock();
  }
}

void AnalysisService::set_known_locked(Known k) {
  Known& slot = known_[k.key.file.str()];
  count(slot, -1);
  slot = std::move(k);
  count(slot, +1);
  ++generation_;
}

Result<bool> AnalysisService::follow() {
  std::lock_guard following(follow_mu_);
  std::optional<int64_t> since;
  {
    std::lock_guard l(mu_);
    since = seen_version_;
  }
  SEGUE_ASSIGN_OR_RETURN(auto changes, store_.changes_since(since));
  bool changed = false, repost = false;
  {
    std::lock_guard l(mu_);
    if (!seen_version_ || changes.version > *seen_version_) {
      for (auto& r : changes.records) {
        // Rows of files this node's catalog does not have (yet) are kept: its next snapshot
        // may bring them, and on_snapshot() drops what it does not.
        set_known_locked(Known{r.key, r.version, r.ok, r.error, r.integrated_lufs, r.true_peak_dbtp, r.duration_s,
                               std::move(r.summary)});
      }
      for (const auto& a : changes.albums) albums_[a.album.str()] = {a.integrated_lufs, a.true_peak_dbtp};
      if (!changes.albums.empty()) ++generation_;
      seen_version_ = changes.version;
      changed = !changes.records.empty() || !changes.albums.empty();
    }
    // No job left anywhere, yet files of this snapshot have no current result (a job lost to
    // a node on an older snapshot, or a result overwritten by one for an older version of the
    // file): post them again, at most every few seconds.
    const auto now = std::chrono::steady_clock::now();
    if (options_.workers > 0 && !changes.jobs_waiting && !post_ && now - last_repost_ > std::chrono::seconds(5) &&
        snapshot_ && analyzed_ + failed_ < snapshot_->files().size() && running_ == 0) {
      to_post_ = needed_locked();
      if (!to_post_.empty()) {
        post_ = repost = true;
        last_repost_ = now;
      }
    }
  }
  if (changed) idle_cv_.notify_all();
  if (repost) cv_.notify_all();
  return changed;
}

void AnalysisService::process(const AnalysisJob& job) {
  const FileKey& key = job.key;
  const std::string& path = job.path;
  const auto start = std::chrono::steady_clock::now();
  auto result = runner_(path, cancel_);
  if (cancel_) {  // stopping: the file stays unanalyzed, not failed; another node may take it
    (void)store_.release(key.file, options_.node_id);
    return;
  }
  const double busy = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Known k;
  k.key = key;
  k.version = kAnalyzerVersion;
  if (result.ok()) {
    auto stored = store_.put(key, *result, now_ms());
    if (!stored.ok()) {
      log::warn("analysis: could not store " + path + ": " + stored.error().message);
      return;
    }
    k.ok = true;
    k.lufs = result->loudness.integrated_lufs;
    k.peak = result->loudness.true_peak_dbtp;
    k.duration_s = result->duration_s;
    k.summary = std::move(*stored);  // what the other nodes read, not our own doubles
  } else {
    k.error = result.error().message;
    log::warn("analysis: " + path + ": " + k.error);
    if (Status s = store_.put_failure(key, kAnalyzerVersion, k.error, now_ms()); !s.ok()) return;
  }
  {
    std::lock_guard l(mu_);
    audio_seconds_ += k.duration_s;
    busy_seconds_ += busy;
    ++done_;
    set_known_locked(std::move(k));
  }
  refresh_album(key.track);
}

void AnalysisService::refresh_album(const TrackId& track) {
  std::shared_ptr<const catalog::Snapshot> snap;
  {
    std::lock_guard l(mu_);
    snap = snapshot_;
  }
  if (!snap) return;
  const auto* t = snap->track(track);
  if (!t) return;
  std::vector<FileId> files;
  for (const auto* at : snap->album_tracks(t->album_id))
    for (const auto& f : at->file_ids) {
      files.push_back(f);
      break;  // one file per track: copies of a track must not count twice
    }
  auto album = store_.update_album(t->album_id, files);
  if (!album.ok()) return;
  std::lock_guard l(mu_);
  albums_[t->album_id.str()] = {album->integrated_lufs, album->true_peak_dbtp};
  ++generation_;
}

std::optional<TrackSound> AnalysisService::track(const TrackId& id) const {
  std::lock_guard l(mu_);
  if (!snapshot_) return std::nullopt;
  const auto* t = snapshot_->track(id);
  if (!t) return std::nullopt;
  for (const auto& f : t->file_ids) {
    auto it = known_.find(f.str());
    if (it == known_.end() || !it->second.ok || !it->second.summary) continue;
    const Known& k = it->second;
    TrackSound s;
    s.track = id;
    s.file = f;
    s.duration_s = k.duration_s;
    s.integrated_lufs = k.lufs;
    s.true_peak_dbtp = k.peak;
    s.track_gain_db = normalization_gain_db(k.lufs, k.peak);
    if (auto a = albums_.find(t->album_id.str()); a != albums_.end()) {
      s.album_lufs = a->second.first;
      s.album_true_peak_dbtp = a->second.second;
      s.album_gain_db = normalization_gain_db(a->second.first, a->second.second);
    } else {
      s.album_gain_db = s.track_gain_db;
    }
    s.features = *k.summary;
    return s;
  }
  return std::nullopt;
}

void AnalysisService::count(const Known& k, int delta) {
  if (!snapshot_ || k.version.empty()) return;
  const auto* f = snapshot_->file(k.key.file);
  if (!f || !current(k, *f)) return;
  std::size_t& n = k.ok ? analyzed_ : failed_;
  n = delta > 0 ? n + 1 : n - 1;
}

AnalysisProgress AnalysisService::progress() const {
  std::lock_guard l(mu_);
  AnalysisProgress p;
  if (snapshot_) p.files = snapshot_->files().size();
  p.analyzed = analyzed_;
  p.failed = failed_;
  // Every file without a current result is waiting, whichever node will analyze it.
  const std::size_t pending = p.files > analyzed_ + failed_ ? p.files - analyzed_ - failed_ : 0;
  p.queued = pending > running_ ? pending - running_ : 0;
  p.running = running_;
  p.done_since_start = done_;
  p.audio_seconds_since_start = audio_seconds_;
  p.busy_seconds_since_start = busy_seconds_;
  return p;
}

std::vector<std::pair<FileId, std::string>> AnalysisService::failures() const {
  std::lock_guard l(mu_);
  std::vector<std::pair<FileId, std::string>> out;
  for (const auto& [id, k] : known_)
    if (!k.ok) out.push_back({k.key.file, k.error});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first.str() < b.first.str(); });
  return out;
}

void AnalysisService::wait_idle(const std::function<void(const AnalysisProgress&)>& on_progress,
                                std::chrono::milliseconds every) {
  std::unique_lock l(mu_);
  auto pending = [&] { return snapshot_ && analyzed_ + failed_ < snapshot_->files().size(); };
  while (!stop_ && (pending() || running_ > 0 || cleanup_ || post_)) {
    if (options_.workers <= 0) return;
    idle_cv_.wait_for(l, every);
    if (on_progress) {
      l.unlock();
      on_progress(progress());
      l.lock();
    }
  }
}

Result<std::optional<TrackAnalysis>> AnalysisService::full_analysis(const TrackId& id) {
  auto sound = track(id);
  if (!sound) return std::optional<TrackAnalysis>();
  return store_.full(sound->file);
}

Result<std::vector<DuplicateTrackGroup>> AnalysisService::duplicates(double threshold) {
  std::lock_guard computing(duplicates_mu_);
  std::shared_ptr<const catalog::Snapshot> snap;
  uint64_t generation = 0;
  {
    std::lock_guard l(mu_);
    snap = snapshot_;
    generation = generation_;
  }
  if (duplicates_cache_ && duplicates_cache_->generation == generation && duplicates_cache_->snapshot == snap &&
      duplicates_cache_->threshold == threshold)
    return duplicates_cache_->groups;
  SEGUE_ASSIGN_OR_RETURN(auto entries, store_.fingerprints());
  std::vector<DuplicateTrackGroup> out;
  if (!snap) return out;
  // Only files still in the catalog.
  std::erase_if(entries, [&](const FingerprintEntry& e) { return snap->file(FileId(e.key)) == nullptr; });
  for (const auto& g : find_duplicates(entries, threshold)) {
    DuplicateTrackGroup d;
    d.min_similarity = g.min_similarity;
    for (std::size_t i : g.members) {
      const auto* f = snap->file(FileId(entries[i].key));
      d.files.push_back(f->id);
      d.tracks.push_back(f->track_id);
    }
    out.push_back(std::move(d));
  }
  duplicates_cache_ = DuplicatesCache{generation, snap, threshold, out};
  return out;
}

}  // namespace segue::analysis
