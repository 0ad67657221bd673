// The reference: SQLite FTS5 (Debian's libsqlite3), the way Navidrome searches since it moved
// from LIKE to FTS5: unicode61 with remove_diacritics 2, every typed word a prefix term ANDed
// ("word1"* "word2"*), ORDER BY rank (bm25), one query per kind.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "engine.h"

namespace segue::bench_search {

namespace {

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(sql + ": " + msg);
  }
}

const char* const kTables[3] = {"track_fts", "album_fts", "artist_fts"};

// '"word1"* "word2"*': every whitespace-separated chunk with a letter or digit, quoted (so
// punctuation inside is the tokenizer's business, as for indexed text) and made a prefix.
std::string match_expr(const std::string& typed) {
  std::string out;
  std::size_t i = 0;
  while (i < typed.size()) {
    while (i < typed.size() && typed[i] == ' ') ++i;
    std::size_t j = i;
    bool alnum = false;
    while (j < typed.size() && typed[j] != ' ') {
      unsigned char c = static_cast<unsigned char>(typed[j]);
      alnum = alnum || std::isalnum(c) || c >= 0x80;
      ++j;
    }
    if (j > i && alnum) {
      if (!out.empty()) out += ' ';
      out += '"';
      for (std::size_t k = i; k < j; ++k) {
        if (typed[k] == '"') out += '"';
        out += typed[k];
      }
      out += "\"*";
    }
    i = j;
  }
  return out;
}

class Fts5Session : public Session {
 public:
  explicit Fts5Session(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    check(db_, rc, "open");
    for (int k = 0; k < 3; ++k) {
      std::string sql = std::string("SELECT rowid FROM ") + kTables[k] + " WHERE " + kTables[k] +
                        " MATCH ?1 ORDER BY rank LIMIT 10";
      check(db_, sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_[k], nullptr), "prepare");
    }
  }
  ~Fts5Session() override {
    for (auto* s : stmt_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  bool run(const std::string& typed) override {
    std::string expr = match_expr(typed);
    bool ok = true;
    for (int k = 0; k < 3; ++k) {
      rows_[k].clear();
      if (expr.empty()) continue;
      sqlite3_stmt* s = stmt_[k];
      sqlite3_bind_text(s, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) rows_[k].push_back(static_cast<uint32_t>(sqlite3_column_int64(s, 0) - 1));
      if (rc != SQLITE_DONE) ok = false;
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
    return ok;
  }

  void collect(QueryResult* out) override {
    for (int k = 0; k < 3; ++k) out->docs[k] = rows_[k];
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_[3] = {};
  std::vector<uint32_t> rows_[3];
};

class Fts5Engine : public Engine {
 public:
  Fts5Engine(std::string path, bool prefix) : path_(std::move(path)), prefix_(prefix) {}
  std::string name() const override { return prefix_ ? "fts5" : "fts5-noprefix"; }
  std::unique_ptr<Session> session() override { return std::make_unique<Fts5Session>(path_); }

 private:
  std::string path_;
  bool prefix_;
};

}  // namespace

uint64_t dir_bytes(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return fs::file_size(path, ec);
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

std::unique_ptr<Engine> build_fts5(const Catalog& cat, const std::string& path, bool prefix_index, BuildStats* stats) {
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
  auto t0 = std::chrono::steady_clock::now();
  sqlite3* db = nullptr;
  check(db, sqlite3_open(path.c_str(), &db), "open");
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
  std::string opts = ", content='', tokenize='unicode61 remove_diacritics 2'";
  if (prefix_index) opts += ", prefix='2 3'";
  exec(db, "CREATE VIRTUAL TABLE track_fts USING fts5(title, artist, album" + opts + ")");
  exec(db, "CREATE VIRTUAL TABLE album_fts USING fts5(name, artist" + opts + ")");
  exec(db, "CREATE VIRTUAL TABLE artist_fts USING fts5(name" + opts + ")");
  exec(db, "BEGIN");
  sqlite3_stmt* ins[3];
  check(db, sqlite3_prepare_v2(db, "INSERT INTO track_fts(rowid, title, artist, album) VALUES(?1, ?2, ?3, ?4)", -1, &ins[0], nullptr), "prepare");
  check(db, sqlite3_prepare_v2(db, "INSERT INTO album_fts(rowid, name, artist) VALUES(?1, ?2, ?3)", -1, &ins[1], nullptr), "prepare");
  check(db, sqlite3_prepare_v2(db, "INSERT INTO artist_fts(rowid, name) VALUES(?1, ?2)", -1, &ins[2], nullptr), "prepare");
  for (std::size_t i = 0; i < cat.docs.size(); ++i) {
    const auto& d = cat.docs[i];
    int k = d.kind == search::Kind::kTrack ? 0 : d.kind == search::Kind::kAlbum ? 1 : 2;
    sqlite3_stmt* s = ins[k];
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(i) + 1);
    sqlite3_bind_text(s, 2, d.name.data(), static_cast<int>(d.name.size()), SQLITE_STATIC);
    std::string artists;
    for (const auto& a : d.artists) artists += (artists.empty() ? "" : " ") + a;
    if (k < 2) sqlite3_bind_text(s, 3, artists.data(), static_cast<int>(artists.size()), SQLITE_TRANSIENT);
    if (k == 0) sqlite3_bind_text(s, 4, d.album.data(), static_cast<int>(d.album.size()), SQLITE_STATIC);
    check(db, sqlite3_step(s), "insert");
    sqlite3_reset(s);
  }
  for (auto* s : ins) sqlite3_finalize(s);
  exec(db, "COMMIT");
  auto t1 = std::chrono::steady_clock::now();
  // Merge the segments left by the bulk load into one b-tree per table: FTS5's best query speed.
  for (const char* t : kTables) exec(db, std::string("INSERT INTO ") + t + "(" + t + ") VALUES('optimize')");
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
  auto t2 = std::chrono::steady_clock::now();
  stats->docs = cat.docs.size();
  stats->seconds = std::chrono::duration<double>(t2 - t0).count();
  stats->bytes = dir_bytes(path) + dir_bytes(path + "-wal");
  char note[128];
  std::snprintf(note, sizeof note, "insert_s=%.2f optimize_s=%.2f",
                std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count());
  stats->note = note;
  return std::make_unique<Fts5Engine>(path, prefix_index);
}

}  // namespace segue::bench_search
