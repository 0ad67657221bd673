#include "events/event_log.h"


#include "common/log.h"

namespace segue::events {

Event to_event(const UserId& user, const PlaybackEvent& e) {
  Event out;
  out.type = e.type;
  out.user = user;
  out.timestamp_ms = e.timestamp_ms;
  Playback p;
  p.track = e.track;
  p.position_ms = e.position_ms;
  // Older clients may send "skip" on a track_start; it means nothing there.
  p.skip = e.type != EventType::kTrackStart && (e.skip || e.type == EventType::kSkip);
  p.reason = e.reason;
  p.context_uri = e.context_uri;
  out.payload = std::move(p);
  return out;
}

Status validate(const PlaybackEvent& e, std::chrono::system_clock::time_point now) {
  // The legacy struct has no user: check it with a placeholder one.
  Event ev = to_event(UserId(std::string(kIdLength, '0')), e);
  if (!is_playback(e.type)) return Error::invalid("type: expected track_start, track_end or skip");
  return validate(ev, now);
}

bool counts_as_play(const PlaybackEvent& e) {
  return counts_as_play(to_event(UserId(), e));
}

namespace {

Result<std::unique_ptr<store::Database>> open_derived(const EventLogOptions& o, const std::string& consumer) {
  SEGUE_ASSIGN_OR_RETURN(auto db, o.derived_databases(consumer));
  SEGUE_TRY(db->migrate("events_derived", derived_migrations()));
  return db;
}

}  // namespace

EventLog::EventLog(store::Database& db, EventLogOptions options)
    : db_(db),
      options_(std::move(options)),
      log_(db),
      stream_(options_.stream ? options_.stream.get() : &log_),
      popularity_(options_.lookup),
      top_items_(options_.lookup),
      runner_(db, *stream_, options_.runner) {
  std::vector<Consumer*> all{&history_, &popularity_, &top_items_};
  all.insert(all.end(), options_.extra_consumers.begin(), options_.extra_consumers.end());
  for (Consumer* c : all) {
    store::Database* own = nullptr;
    if (options_.derived_databases && open_status_.ok()) {
      auto d = open_derived(options_, c->name());
      if (d.ok()) own = (derived_[c->name()] = std::move(*d)).get();
      else open_status_ = d.error();
    }
    if (!c->migration_module().empty() && open_status_.ok()) {
      if (Status st = (own ? *own : db_).migrate(c->migration_module(), c->migrations()); !st.ok())
        open_status_ = Error{st.error().code, c->name() + ": " + st.error().message};
    }
    runner_.add(*c, own);
  }
  stream_->set_append_listener([this](int64_t) { runner_.notify(); });
  if (!open_status_.ok()) {
    status_ = open_status_;
    log::error("events: cannot open the derived databases", {{"error", status_.error().message}});
    return;
  }
  status_ = runner_.start(options_.start_threads);
  if (!status_.ok()) log::error("events: the consumers did not start", {{"error", status_.error().message}});
}

store::Database& EventLog::derived_db(const std::string& consumer) {
  auto it = derived_.find(consumer);
  return it == derived_.end() ? db_ : *it->second;
}

Result<std::unique_ptr<EventLog>> EventLog::open(store::Database& db, EventLogOptions options) {
  auto log = std::make_unique<EventLog>(db, std::move(options));
  if (!log->status().ok()) return log->status().error();
  return log;
}

EventLog::~EventLog() { runner_.stop(); }

Status EventLog::status() const { return status_; }

Result<OffsetRange> EventLog::append(const std::vector<Event>& events) {
  const auto now = std::chrono::system_clock::now();
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (Status s = validate(events[i], now); !s.ok())
      return Error::invalid("events[" + std::to_string(i) + "]." + s.error().message);
  }
  return stream_->append(events);
}

Status EventLog::append(const UserId& user, const std::vector<PlaybackEvent>& events) {
  std::vector<Event> batch;
  batch.reserve(events.size());
  for (const auto& e : events) batch.push_back(to_event(user, e));
  auto r = append(batch);
  if (!r.ok()) return r.error();
  return {};
}

void EventLog::settle(const std::string& consumer) {
  // Nodes of a cluster append to one stream (a PostgreSQL table or a Redis stream): this
  // process's head may not have heard of an append another node acknowledged, so it asks the
  // storage first. A client then reads what it wrote, whichever node wrote and reads.
  if (options_.stream || db_.engine() == "postgres") {
    if (auto st = stream_->load_head(); !st.ok())
      log::warn("events: cannot read the stream's head", {{"error", st.error().message}});
  }
  if (!runner_.wait_for(consumer, stream_->head(), options_.read_your_writes))
    log::debug("events: read before the consumer caught up", {{"consumer", consumer}});
}

Result<PlaysPage> EventLog::recently_played(const UserId& user, int limit, std::optional<int64_t> before_ms,
                                            std::optional<int64_t> after_ms) {
  settle(HistoryConsumer::kName);
  return HistoryConsumer::recently_played(derived_db(HistoryConsumer::kName), user, limit, before_ms, after_ms);
}

Result<TopPage> EventLog::top_tracks(const UserId& user, TimeRange range, int limit, int offset) {
  settle(TopItemsConsumer::kName);
  return TopItemsConsumer::top(derived_db(TopItemsConsumer::kName), user, ItemKind::kTrack, range, limit, offset, wall_clock_ms());
}

Result<TopPage> EventLog::top_artists(const UserId& user, TimeRange range, int limit, int offset) {
  settle(TopItemsConsumer::kName);
  return TopItemsConsumer::top(derived_db(TopItemsConsumer::kName), user, ItemKind::kArtist, range, limit, offset, wall_clock_ms());
}

Result<std::vector<Event>> EventLog::export_user(const UserId& user) { return stream_->user_events(user); }

Status EventLog::delete_history(const UserId& user) { return runner_.delete_user(user); }

void EventLog::register_metrics(MetricsRegistry& metrics) const {
  metrics.gauge_fn("segue_events_head_offset", "Offset of the newest event in the log",
                   [this] { return static_cast<double>(head()); });
  for (const auto& cs : consumers()) {
    const std::string name = cs.name;
    auto find = [this, name]() -> std::optional<ConsumerStatus> {
      for (auto& c : consumers())
        if (c.name == name) return c;
      return std::nullopt;
    };
    metrics.gauge_fn("segue_events_" + name + "_lag", "Events the " + name + " consumer has yet to apply",
                     [find] { auto c = find(); return c ? static_cast<double>(c->lag) : 0.0; });
    metrics.gauge_fn("segue_events_" + name + "_events_per_second", "Events per second the " + name + " consumer applies",
                     [find] { auto c = find(); return c ? c->events_per_second : 0.0; });
    metrics.gauge_fn("segue_events_" + name + "_applied", "Events the " + name + " consumer applied since start",
                     [find] { auto c = find(); return c ? static_cast<double>(c->applied) : 0.0; });
  }
}

}  // namespace segue::events
