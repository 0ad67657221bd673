#include "app/import_listens.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>

#include "recommend/listen_store.h"

namespace segue::app {

recommend::TrackMatcher matcher_for(const catalog::Snapshot& catalog) {
  std::vector<recommend::TrackMatcher::Candidate> c;
  c.reserve(catalog.tracks().size());
  for (const auto& t : catalog.tracks()) {
    recommend::TrackMatcher::Candidate x;
    x.id = t.id;
    x.title = t.title;
    for (const auto& a : t.artist_ids)
      if (const auto* artist = catalog.artist(a)) x.artists.push_back(artist->name);
    if (const auto* album = catalog.album(t.album_id)) x.album = album->name;
    c.push_back(std::move(x));
  }
  return recommend::TrackMatcher(std::move(c));
}

Result<std::size_t> resolve_unmatched_listens(store::Database& db, const recommend::TrackMatcher& matcher) {
  std::vector<recommend::UnmatchedName> names;
  SEGUE_TRY(db.read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(names, recommend::load_unmatched_names(c, 1'000'000));
    return {};
  }));
  std::vector<std::pair<recommend::UnmatchedName, TrackId>> found;
  for (auto& n : names)
    if (auto t = matcher.match(n.artist, n.title, n.album)) found.emplace_back(std::move(n), *t);
  std::size_t resolved = 0;
  constexpr std::size_t kPerTransaction = 1000;
  for (std::size_t from = 0; from < found.size(); from += kPerTransaction) {
    SEGUE_TRY(db.write([&](store::Connection& c) -> Status {
      std::size_t n = 0;
      for (std::size_t i = from; i < std::min(found.size(), from + kPerTransaction); ++i) {
        SEGUE_ASSIGN_OR_RETURN(int64_t k, recommend::set_listen_track(c, found[i].first, found[i].second));
        n += static_cast<std::size_t>(k);
      }
      resolved += n;
      return {};
    }));
  }
  return resolved;
}

namespace {

// Writes batches on a thread of its own while the caller parses the next one, so the import
// takes about the longer of parsing and the database's work rather than their sum. At most two
// batches wait; the first failure ends the writing and is what push() and finish() return.
class BatchWriter {
 public:
  explicit BatchWriter(store::Database& db) : db_(db), thread_([this] { run(); }) {}
  ~BatchWriter() { (void)finish(); }
  Status push(std::vector<recommend::StoredListen> batch) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < 2 || !failed_.ok(); });
    if (!failed_.ok()) return failed_;
    queue_.push_back(std::move(batch));
    cv_.notify_all();
    return {};
  }
  Status finish() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return failed_;
  }
  std::size_t added() const { return added_; }

 private:
  void run() {
    for (;;) {
      std::vector<recommend::StoredListen> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
        cv_.notify_all();
        if (!failed_.ok()) continue;  // drain what is left without writing it
      }
      int64_t added = 0;
      Status s = db_.write([&](store::Connection& c) -> Status {
        SEGUE_ASSIGN_OR_RETURN(added, recommend::insert_listens(c, batch));
        return {};
      });
      std::lock_guard lock(mu_);
      if (s.ok()) added_ += static_cast<std::size_t>(added);
      else if (failed_.ok()) failed_ = s;
      cv_.notify_all();
    }
  }

  store::Database& db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<recommend::StoredListen>> queue_;
  bool done_ = false;
  Status failed_;
  std::size_t added_ = 0;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace

Result<ImportListensReport> import_listens(store::Database& db, auth::AuthService& auth, const catalog::Snapshot& catalog,
                                           const std::vector<std::string>& files, const ImportListensOptions& options,
                                           const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  ImportListensReport report;
  std::size_t total_bytes = 0;
  for (const auto& f : files) {
    std::error_code ec;
    auto size = std::filesystem::file_size(f, ec);
    if (ec) return Error::not_found("cannot read " + f + ": " + ec.message());
    total_bytes += static_cast<std::size_t>(size);
  }
  auto matcher = matcher_for(catalog);
  // Users by name (nullopt: missing and not to be created), and matches by names: exports
  // repeat the same few thousand tracks many times over.
  std::unordered_map<std::string, std::optional<UserId>> users;
  std::unordered_map<std::string, std::optional<TrackId>> matches;
  std::set<std::string> missing;
  std::vector<recommend::StoredListen> batch;
  constexpr std::size_t kBatch = 20'000;
  Status failed;
  BatchWriter writer(db);
  auto flush = [&]() -> Status {
    if (batch.empty()) return {};
    Status s = writer.push(std::move(batch));
    batch = {};
    batch.reserve(kBatch);
    return s;
  };
  auto user_of = [&](const std::string& name) -> Result<std::optional<UserId>> {
    if (auto it = users.find(name); it != users.end()) return it->second;
    std::optional<UserId> id;
    auto u = auth.get_user_by_name(name);
    if (u.ok()) {
      id = u->id;
    } else if (u.error().code != ErrorCode::kNotFound) {
      return u.error();
    } else if (options.create_users) {
      auto created = auth.create_user_without_login(name, auth::Tier::kFree);
      if (!created) return Error(created.error().code, "creating user '" + name + "': " + created.error().message);
      id = created->id;
      report.users_created.push_back(name);
    } else {
      missing.insert(name);
    }
    users.emplace(name, id);
    return id;
  };
  std::size_t done_bytes = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error::not_found("cannot read " + file);
    auto parsed = recommend::read_listens(
        in,
        [&](recommend::Listen&& l) {
          if (!failed.ok()) return;
          ++report.read;
          const std::string& name = options.user ? *options.user : l.user;
          if (name.empty()) {
            ++report.skipped;
            return;
          }
          auto user = user_of(name);
          if (!user) {
            failed = user.error();
            return;
          }
          if (!*user) {
            ++report.skipped;
            return;
          }
          std::string key = l.artist;
          key += '\x1f';
          key += l.title;
          key += '\x1f';
          key += l.album;
          auto it = matches.find(key);
          if (it == matches.end()) it = matches.emplace(std::move(key), matcher.match(l.artist, l.title, l.album)).first;
          if (it->second) ++report.matched;
          batch.push_back({**user, l.listened_at_ms, std::move(l.artist), std::move(l.album), std::move(l.title),
                           it->second, l.source});
          if (batch.size() >= kBatch)
            if (Status st = flush(); !st.ok()) failed = st;
        },
        [&](std::size_t bytes) {
          if (progress) progress(done_bytes + bytes, total_bytes);
        });
    if (!failed.ok()) return failed.error();
    SEGUE_TRY(flush());
    done_bytes += static_cast<std::size_t>(std::filesystem::file_size(file));
    report.bad += parsed.bad;
    for (auto& e : parsed.first_errors)
      if (report.errors.size() < 20) report.errors.push_back(file + ": " + e);
  }
  SEGUE_TRY(writer.finish());
  report.added = writer.added();
  SEGUE_ASSIGN_OR_RETURN(report.resolved, resolve_unmatched_listens(db, matcher));
  report.users_missing.assign(missing.begin(), missing.end());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace segue::app
