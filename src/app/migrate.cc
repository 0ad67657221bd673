#include "app/migrate.h"
#include "recommend/listen_store.h"
#include "recommend/home.h"
#include "recommend/smart_store.h"
#include "recommend/made_for_you.h"
#include "recommend/taste.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "analysis/analysis_store.h"
#include "auth/auth_service.h"
#include "catalog/catalog_store.h"
#include "events/log.h"
#include "playlist/service.h"
#include "search/recent.h"
#include "transcode/cache.h"
#include "user/library.h"
#include "user/preferences.h"

namespace segue::app {

std::vector<std::pair<std::string, std::vector<store::Migration>>> all_migrations() {
  return {
      {"auth", auth::auth_migrations()},
      {"events", events::event_migrations()},
      {"user", user::library_migrations()},
      {"playlist", playlist::playlist_migrations()},
      {"user_preferences", user::preferences_migrations()},
      {"search", search::recent_migrations()},
      {"catalog", catalog::catalog_migrations()},
      {"audio_analysis", analysis::analysis_migrations()},
      {"transcode", transcode::TranscodeCache::migrations()},
      {"recommend", recommend::recommend_migrations()},
      {"smart_playlists", recommend::smart_playlist_migrations()},
      {"taste", recommend::taste_migrations()},
      {"home", recommend::home_migrations()},
      {"made_for_you", recommend::made_for_you_migrations()},
  };
}

namespace {

namespace fs = std::filesystem;

std::string ident(const std::string& name) {
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

enum class Kind { kInteger, kReal, kBlob, kText };

Kind kind_of(const std::string& pg_type) {
  if (pg_type == "bigint" || pg_type == "integer" || pg_type == "smallint") return Kind::kInteger;
  if (pg_type == "double precision" || pg_type == "real" || pg_type == "numeric")
    return Kind::kReal;
  if (pg_type == "bytea") return Kind::kBlob;
  return Kind::kText;
}

// One SQLite file of the source.
struct Source {
  std::string label;  // for messages: "segue.db", "events-derived/history.db"
  std::unique_ptr<store::Database> db;
  std::map<std::string, std::vector<std::string>> tables;  // table -> its columns
  std::map<std::string, int64_t> counts;
};

Status load_tables(Source& s) {
  return s.db->read([&](store::Connection& c) -> Status {
    std::vector<std::string> names;
    SEGUE_TRY(
        c.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                "'sqlite\\_%' ESCAPE '\\' "
                "ORDER BY name",
                {}, [&](const store::Row& r) { names.push_back(r.text(0)); }));
    for (const auto& t : names) {
      auto& cols = s.tables[t];
      SEGUE_TRY(c.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", {t},
                        [&](const store::Row& r) { cols.push_back(r.text(0)); }));
      SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT COUNT(*) FROM " + ident(t)));
      s.counts[t] = n.value_or(0);
    }
    return {};
  });
}

// The target's tables with their columns' types, and the tables in an order where every table
// comes after those its foreign keys name.
struct TargetSchema {
  std::map<std::string, std::map<std::string, Kind>> columns;
  std::vector<std::string> order;
};

Result<TargetSchema> read_target_schema(store::Database& db) {
  TargetSchema out;
  std::map<std::string, std::set<std::string>> parents;
  SEGUE_TRY(db.read([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema()",
        {}, [&](const store::Row& r) { out.columns[r.text(0)][r.text(1)] = kind_of(r.text(2)); }));
    return c.query(
        "SELECT child.relname, parent.relname FROM pg_constraint k "
        "JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = "
        "k.confrelid "
        "JOIN pg_namespace n ON n.oid = child.relnamespace "
        "WHERE k.contype = 'f' AND n.nspname = current_schema()",
        {}, [&](const store::Row& r) {
          if (r.text(0) != r.text(1)) parents[r.text(0)].insert(r.text(1));
        });
  }));
  std::set<std::string> placed;
  while (placed.size() < out.columns.size()) {
    bool progress = false;
    for (const auto& [t, cols] : out.columns) {
      if (placed.count(t)) continue;
      const auto& ps = parents[t];
      if (std::all_of(ps.begin(), ps.end(), [&](const std::string& p) {
            return placed.count(p) || !out.columns.count(p);
          })) {
        placed.insert(t);
        out.order.push_back(t);
        progress = true;
      }
    }
    if (!progress) return Error::internal("the target's foreign keys form a cycle");
  }
  return out;
}

// One source table's rows into the target.
struct Job {
  Source* source;
  std::string table;
  bool keep_existing = false;  // rows the target has already win (ON CONFLICT DO NOTHING)
};

}  // namespace

Result<MigrateReport> migrate_to_postgres(const std::string& data_dir,
                                          const std::string& target_url,
                                          const MigrateProgressFn& progress,
                                          int rows_per_transaction) {
  const auto start = std::chrono::steady_clock::now();
  if (!store::is_postgres_url(target_url))
    return Error::invalid("--to: expected a postgresql:// URL, got '" + target_url + "'");
  const std::string main_path = data_dir + "/segue.db";
  std::error_code ec;
  if (!fs::is_regular_file(main_path, ec))
    return Error::not_found("no SQLite database at " + main_path +
                            " (give the data directory of an instance that ran on SQLite)");
  const auto modules = all_migrations();

  // (1) The source, at the current schema.
  std::vector<std::unique_ptr<Source>> sources;
  {
    auto s = std::make_unique<Source>();
    s->label = "segue.db";
    SEGUE_ASSIGN_OR_RETURN(s->db, store::Database::open_sqlite(main_path));
    for (const auto& [module, migrations] : modules) {
      if (Status st = s->db->migrate(module, migrations); !st.ok())
        return Error{st.error().code, "source " + main_path + ": " + st.error().message};
    }
    SEGUE_TRY(load_tables(*s));
    sources.push_back(std::move(s));
  }
  Source& main = *sources.front();
  std::vector<Source*> derived;
  const fs::path derived_dir = fs::path(data_dir) / "events-derived";
  if (fs::is_directory(derived_dir, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(derived_dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".db") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto s = std::make_unique<Source>();
      s->label = "events-derived/" + f.filename().string();
      store::Options o;
      o.readers = 1;
      SEGUE_ASSIGN_OR_RETURN(s->db, store::Database::open_sqlite(f.string(), o));
      if (Status st = s->db->migrate("events_derived", events::derived_migrations()); !st.ok())
        return Error{st.error().code, "source " + f.string() + ": " + st.error().message};
      SEGUE_TRY(load_tables(*s));
      if (s->counts["event_forget"] > 0)
        return Error::conflict("an interrupted listening-history deletion is pending in " +
                               f.string() + "; run `segue events --data " + data_dir +
                               "` once to finish it, then migrate again (nothing was written)");
      derived.push_back(s.get());
      sources.push_back(std::move(s));
    }
  }

  // (2) The target: empty, then at the same schema.
  store::Options target_options;
  target_options.readers = 1;
  target_options.writers = 1;
  SEGUE_ASSIGN_OR_RETURN(auto target, store::Database::open_postgres(target_url, target_options));
  std::vector<std::string> existing;
  SEGUE_TRY(target->read([&](store::Connection& c) -> Status {
    existing.clear();
    return c.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name",
        {}, [&](const store::Row& r) { existing.push_back(r.text(0)); });
  }));
  if (!existing.empty()) {
    std::string some;
    for (std::size_t i = 0; i < existing.size() && i < 5; ++i)
      some += (i ? ", " : "") + existing[i];
    if (existing.size() > 5) some += ", ...";
    return Error::conflict(
        "the target database is not empty (" + std::to_string(existing.size()) +
        " tables: " + some +
        "); migrate copies into an empty database only: "
        "create a new one (CREATE DATABASE name) and give its URL (nothing was written)");
  }
  for (const auto& [module, migrations] : modules) {
    if (Status st = target->migrate(module, migrations); !st.ok())
      return Error{st.error().code, "target: " + st.error().message};
  }
  SEGUE_ASSIGN_OR_RETURN(TargetSchema schema, read_target_schema(*target));

  // (3) What goes where. The consumers' derived state: from their own files when the instance
  // kept it there (their event_consumers rows win over the main file's), else from segue.db.
  std::set<std::string> derived_tables;
  for (Source* d : derived)
    for (const auto& [t, cols] : d->tables)
      if (t != "schema_migrations" && t != "event_forget") derived_tables.insert(t);
  MigrateReport report;
  std::vector<Job> jobs;
  std::set<std::string> copied;
  for (const auto& t : schema.order) {
    if (t == "schema_migrations") continue;
    if (derived_tables.count(t)) {
      for (Source* d : derived)
        if (d->tables.count(t)) jobs.push_back({d, t, false});
      if (t == "event_consumers" && main.tables.count(t)) jobs.push_back({&main, t, true});
    } else if (main.tables.count(t)) {
      jobs.push_back({&main, t, false});
    }
  }
  for (const auto& s : sources)
    for (const auto& [t, cols] : s->tables)
      if (t != "schema_migrations" && t != "event_forget" && !schema.columns.count(t))
        report.skipped.push_back(s->label + ":" + t);
  std::size_t total = 0;
  for (const auto& j : jobs) {
    total += static_cast<std::size_t>(j.source->counts[j.table]);
    copied.insert(j.table);
    for (const auto& col : j.source->tables[j.table])
      if (!schema.columns[j.table].count(col))
        return Error::internal("column " + j.table + "." + col + " of " + j.source->label +
                               " has no counterpart in the target (nothing was copied)");
  }

  // Rows the target's migrations seeded (revision counters, the log's next offset) are replaced
  // by the source's.
  SEGUE_TRY(target->write([&](store::Connection& c) -> Status {
    for (auto it = schema.order.rbegin(); it != schema.order.rend(); ++it)
      if (copied.count(*it)) SEGUE_TRY(c.exec("DELETE FROM " + ident(*it)));
    return {};
  }));

  // Each source file is read in one snapshot, the consumers' files before the main one: should
  // a server still be writing, a consumer's offset never passes the copied log's head (it
  // applies the events in between again on PostgreSQL), and every file is copied consistently.
  std::map<Source*, store::Connection*> conns;
  std::size_t done = 0;
  auto copy_all = [&]() -> Status {
    total = 0;  // the rows of these snapshots
    for (const auto& j : jobs) {
      SEGUE_ASSIGN_OR_RETURN(
          auto n, conns.at(j.source)->query_int("SELECT COUNT(*) FROM " + ident(j.table)));
      total += static_cast<std::size_t>(n.value_or(0));
    }
    if (progress) progress(0, total);
    for (const auto& job : jobs) {
      const auto& cols = job.source->tables[job.table];
      const auto& types = schema.columns[job.table];
      std::vector<Kind> kinds;
      std::string list;
      for (const auto& col : cols) {
        kinds.push_back(types.at(col));
        list += (list.empty() ? "" : ", ") + ident(col);
      }
      const std::size_t ncols = cols.size();
      // Up to ~30,000 parameters per statement (PostgreSQL allows 65,535).
      const std::size_t per_statement = std::max<std::size_t>(
          1, std::min<std::size_t>(1000, 30000 / std::max<std::size_t>(1, ncols)));
      auto insert_sql = [&](std::size_t rows) {
        std::string one = "(";
        for (std::size_t i = 0; i < ncols; ++i) one += i ? ", ?" : "?";
        one += ")";
        std::string sql = "INSERT INTO " + ident(job.table) + " (" + list + ") VALUES ";
        for (std::size_t r = 0; r < rows; ++r) sql += (r ? ", " : "") + one;
        if (job.keep_existing) sql += " ON CONFLICT DO NOTHING";
        return sql;
      };
      const std::string full_sql = insert_sql(per_statement);
      std::vector<store::Value> batch;  // row-major
      std::size_t batch_rows = 0;
      auto flush = [&]() -> Status {
        if (batch_rows == 0) return {};
        SEGUE_TRY(target->write([&](store::Connection& c) -> Status {
          for (std::size_t r = 0; r < batch_rows; r += per_statement) {
            const std::size_t n = std::min(per_statement, batch_rows - r);
            std::vector<store::Value> params(
                batch.begin() + static_cast<std::ptrdiff_t>(r * ncols),
                batch.begin() + static_cast<std::ptrdiff_t>((r + n) * ncols));
            SEGUE_TRY(c.exec(n == per_statement ? full_sql : insert_sql(n), params));
          }
          return {};
        }));
        done += batch_rows;
        if (progress) progress(done, total);
        batch.clear();
        batch_rows = 0;
        return {};
      };
      Status copy_status;
      Status st = [&]() -> Status {
        return conns.at(job.source)
            ->query("SELECT " + list + " FROM " + ident(job.table), {}, [&](const store::Row& r) {
              if (!copy_status.ok()) return;
              for (std::size_t i = 0; i < ncols; ++i) {
                const int col = static_cast<int>(i);
                if (r.is_null(col)) {
                  batch.emplace_back(nullptr);
                  continue;
                }
                switch (kinds[i]) {
                  case Kind::kInteger:
                    batch.emplace_back(r.i64(col));
                    break;
                  case Kind::kReal:
                    batch.emplace_back(r.f64(col));
                    break;
                  case Kind::kBlob:
                    batch.emplace_back(store::Blob{r.blob(col)});
                    break;
                  case Kind::kText:
                    batch.emplace_back(r.text(col));
                    break;
                }
              }
              if (++batch_rows >= static_cast<std::size_t>(rows_per_transaction))
                copy_status = flush();
            });
      }();
      if (st.ok() && copy_status.ok()) copy_status = flush();
      if (!st.ok() || !copy_status.ok()) {
        const Error& e = !st.ok() ? st.error() : copy_status.error();
        return Error{
            e.code,
            "copying " + job.table + " from " + job.source->label + " failed: " + e.message +
                " (the target is partly written: drop and recreate it before trying again)"};
      }
    }
    return {};
  };
  std::vector<Source*> order;  // derived files first, the main file last
  for (Source* d : derived) order.push_back(d);
  order.push_back(&main);
  std::function<Status(std::size_t)> open_snapshots = [&](std::size_t i) -> Status {
    if (i == order.size()) return copy_all();
    return order[i]->db->read([&](store::Connection& c) -> Status {
      // The snapshot starts with the first read.
      SEGUE_TRY(c.query_int("SELECT COUNT(*) FROM sqlite_master"));
      conns[order[i]] = &c;
      return open_snapshots(i + 1);
    });
  };
  SEGUE_TRY(open_snapshots(0));
  report.tables = copied.size();
  report.rows = static_cast<int64_t>(done);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace segue::app
