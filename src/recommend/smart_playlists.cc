#include "recommend/smart_playlists.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstring>

#include "common/crypto.h"
#include "common/log.h"
#include "common/strings.h"

namespace segue::recommend {

namespace json = boost::json;

SmartPlaylists::SmartPlaylists(Sources sources) : src_(std::move(sources)) {}

SmartPlaylists::~SmartPlaylists() { stop(); }

void SmartPlaylists::set_features(FeatureLookup fn) {
  std::lock_guard l(features_mu_);
  features_ = std::move(fn);
}

int64_t SmartPlaylists::now() const {
  if (src_.now_ms) return src_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<smart::Rules> SmartPlaylists::checked_rules(const json::value& doc, std::string* canonical) {
  SEGUE_ASSIGN_OR_RETURN(auto parsed, smart::parse_rules(doc));
  smart::Rules r = std::move(parsed.rules);
  // A random order keeps one seed for the playlist's life, so refreshes do not reshuffle it.
  if (!r.has_seed && r.sort.size() == 1 && r.sort[0].field == smart::Field::kRandom) {
    const std::string b = crypto::random_bytes(4);
    uint32_t s = 0;
    std::memcpy(&s, b.data(), sizeof s);
    r.seed = s;
    r.has_seed = true;
  }
  *canonical = json::serialize(smart::to_json(r));
  return r;
}

Result<std::vector<smart::TrackFacts>> SmartPlaylists::catalog_facts() {
  auto snap = src_.catalog->snapshot();
  FeatureLookup features;
  {
    std::lock_guard l(features_mu_);
    features = features_;
  }
  auto names = [&](const std::vector<ArtistId>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids)
      if (const auto* a = snap->artist(id)) out.push_back(strings::ascii_lower(a->name));
    return out;
  };
  std::vector<smart::TrackFacts> out;
  out.reserve(snap->tracks().size());
  for (const auto& t : snap->tracks()) {
    smart::TrackFacts f;
    f.id = t.id;
    f.title = strings::ascii_lower(t.title);
    f.artists = names(t.artist_ids);
    f.duration_s = static_cast<double>(t.duration_ms) / 1000.0;
    const auto* album = snap->album(t.album_id);
    if (album) {
      f.album = strings::ascii_lower(album->name);
      f.album_artists = names(album->artist_ids);
      f.year = album->year;
      f.added_ms = album->added_at_ms;
    }
    for (const auto& g : t.genres.empty() && album ? album->genres : t.genres) f.genres.push_back(strings::ascii_lower(g));
    if (features) f.audio = features(t.id);
    out.push_back(std::move(f));
  }
  return out;
}

Result<smart::UserFacts> SmartPlaylists::user_facts(const UserId& user) {
  smart::UserFacts facts;
  if (src_.plays_db) SEGUE_TRY(src_.plays_db->read([&](store::Connection& c) { return add_event_plays(c, user, facts); }));
  SEGUE_TRY(src_.db->read([&](store::Connection& c) { return add_imported_plays(c, user, facts); }));
  if (src_.library) {
    constexpr int kPage = 1000;
    for (int offset = 0;; offset += kPage) {
      SEGUE_ASSIGN_OR_RETURN(auto page, src_.library->list(user, user::ItemKind::kTrack, kPage, offset));
      for (auto& item : page.items) facts.saved.insert(std::move(item.id));
      if (page.items.size() < static_cast<std::size_t>(kPage)) break;
    }
  }
  return facts;
}

Result<bool> SmartPlaylists::refresh_row(const StoredSmart& row, const std::vector<smart::TrackFacts>& tracks,
                                         const smart::UserFacts& facts) {
  SEGUE_ASSIGN_OR_RETURN(auto parsed, smart::parse_rules_text(row.rules));
  const auto ids = smart::select(parsed.rules, tracks, facts, now());
  std::vector<std::string> uris;
  uris.reserve(ids.size());
  std::string joined;
  for (const auto& id : ids) {
    uris.push_back("spotify:track:" + id.str());
    joined += uris.back();
    joined += '\n';
  }
  auto current = src_.playlists->items(row.playlist, row.owner);
  if (!current.ok() && current.error().code == ErrorCode::kNotFound) {
    // The playlist is gone (or no longer the owner's to read): its rules go with it.
    SEGUE_TRY(src_.db->write([&](store::Connection& c) { return delete_smart(c, row.playlist); }));
    return false;
  }
  if (!current.ok()) return current.error();
  bool same = current->size() == uris.size();
  for (std::size_t i = 0; same && i < uris.size(); ++i) same = (*current)[i].uri == uris[i];
  if (!same) SEGUE_TRY(src_.playlists->replace(row.playlist, row.owner, uris));
  const std::string hash = crypto::hex_encode(crypto::sha256(joined)).substr(0, 32);
  SEGUE_TRY(src_.db->write([&](store::Connection& c) { return mark_refreshed(c, row.playlist, now(), hash); }));
  (same ? unchanged_ : changed_).fetch_add(1);
  return !same;
}

Result<bool> SmartPlaylists::refresh(const PlaylistId& id) {
  std::lock_guard l(refresh_mu_);
  std::optional<StoredSmart> row;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(row, load_smart(c, id));
    return {};
  }));
  if (!row) return Error::not_found("not a smart playlist");
  SEGUE_ASSIGN_OR_RETURN(auto tracks, catalog_facts());
  SEGUE_ASSIGN_OR_RETURN(auto facts, user_facts(row->owner));
  auto r = refresh_row(*row, tracks, facts);
  if (!r.ok()) failed_.fetch_add(1);
  return r;
}

Status SmartPlaylists::refresh_all() {
  std::lock_guard l(refresh_mu_);
  std::vector<StoredSmart> rows;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(rows, list_smart(c));
    return {};
  }));
  if (rows.empty()) return {};
  SEGUE_ASSIGN_OR_RETURN(auto tracks, catalog_facts());
  std::optional<UserId> owner;
  smart::UserFacts facts;
  Status first_error;
  for (const auto& row : rows) {  // ordered by owner: each owner's listening read once
    if (!owner || *owner != row.owner) {
      auto f = user_facts(row.owner);
      if (!f.ok()) return f.error();
      facts = std::move(f).value();
      owner = row.owner;
    }
    auto r = refresh_row(row, tracks, facts);
    if (!r.ok()) {
      failed_.fetch_add(1);
      log::warn("smart playlist: refresh failed", {{"playlist", row.playlist.str()}, {"error", r.error().message}});
      if (first_error.ok()) first_error = r.error();
    }
  }
  return first_error;
}

Result<SmartPlaylists::View> SmartPlaylists::view(const PlaylistId& id, const UserId& viewer) {
  View v;
  SEGUE_ASSIGN_OR_RETURN(v.playlist, src_.playlists->get(id, viewer));
  std::optional<StoredSmart> row;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(row, load_smart(c, id));
    return {};
  }));
  if (row) {
    boost::system::error_code ec;
    auto parsed = json::parse(row->rules, ec);
    if (ec || !parsed.is_object()) return Error::corruption("smart playlist " + id.str() + ": stored rules are not JSON");
    v.rules = parsed.as_object();
    v.refreshed_at_ms = row->refreshed_at_ms;
  }
  return v;
}

Result<SmartPlaylists::View> SmartPlaylists::create(const UserId& owner, std::string_view name,
                                                    std::string_view description, bool is_public,
                                                    const json::value& rules) {
  std::string canonical;
  SEGUE_TRY(checked_rules(rules, &canonical));
  SEGUE_ASSIGN_OR_RETURN(auto info, src_.playlists->create(owner, name, description, is_public, false));
  SEGUE_TRY(src_.db->write([&](store::Connection& c) { return put_smart(c, info.id, owner, canonical); }));
  SEGUE_TRY(refresh(info.id));
  return view(info.id, owner);
}

Result<SmartPlaylists::View> SmartPlaylists::import_nsp(const UserId& owner, std::string_view text,
                                                        const std::optional<std::string>& name, bool is_public) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Error::invalid("rules: the .nsp file is not valid JSON: " + ec.message());
  SEGUE_ASSIGN_OR_RETURN(auto parsed, smart::parse_rules(doc));
  std::string title = name.value_or(parsed.name);
  if (title.empty()) return Error::invalid("name: required (?name= or the file's \"name\")");
  // The file's name and comment are the playlist's; the rules document keeps only the rules.
  if (doc.is_object()) {
    doc.as_object().erase("name");
    doc.as_object().erase("comment");
    doc.as_object().erase("public");
  }
  return create(owner, title, parsed.comment, is_public, doc);
}

Result<SmartPlaylists::View> SmartPlaylists::rules(const PlaylistId& id, const UserId& viewer) {
  return view(id, viewer);
}

Result<SmartPlaylists::View> SmartPlaylists::set_rules(const PlaylistId& id, const UserId& user,
                                                       const json::value& rules) {
  SEGUE_ASSIGN_OR_RETURN(auto info, src_.playlists->get(id, user));
  if (info.owner != user) return Error::permission_denied("Only the owner may change a smart playlist's rules");
  std::string canonical;
  SEGUE_TRY(checked_rules(rules, &canonical));
  SEGUE_TRY(src_.db->write([&](store::Connection& c) { return put_smart(c, id, user, canonical); }));
  SEGUE_TRY(refresh(id));
  return view(id, user);
}

Result<std::vector<SmartPlaylists::View>> SmartPlaylists::list(const UserId& owner) {
  std::vector<StoredSmart> rows;
  SEGUE_TRY(src_.db->read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(rows, list_smart_of(c, owner));
    return {};
  }));
  std::vector<View> out;
  for (const auto& row : rows) {
    auto v = view(row.playlist, owner);
    if (!v.ok() && v.error().code == ErrorCode::kNotFound) continue;  // gone; the next refresh drops its row
    if (!v.ok()) return v.error();
    out.push_back(std::move(v).value());
  }
  std::stable_sort(out.begin(), out.end(), [](const View& a, const View& b) {
    return a.playlist.created_at_ms > b.playlist.created_at_ms;
  });
  return out;
}

Status SmartPlaylists::remove_rules(const PlaylistId& id, const UserId& user) {
  SEGUE_ASSIGN_OR_RETURN(auto info, src_.playlists->get(id, user));
  if (info.owner != user) return Error::permission_denied("Only the owner may delete a smart playlist's rules");
  bool removed = false;
  SEGUE_TRY(src_.db->write([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto row, load_smart(c, id));
    removed = row.has_value();
    if (!removed) return {};
    return delete_smart(c, id);
  }));
  if (!removed) return Error::not_found("not a smart playlist");
  return {};
}

void SmartPlaylists::start(bus::EventBus& bus, std::chrono::milliseconds interval) {
  stop();  // a second start (leadership regained) replaces the first
  {
    std::lock_guard l(mu_);
    stop_ = false;
    dirty_ = true;  // catch up at once: the catalog or plays may have changed while stopped
    interval_ = interval;
  }
  // Inline and cheap: only marks a refresh due; the thread does the work.
  subscription_ = bus.subscribe("smart-playlists", bus::only<bus::CatalogSnapshotPublished>([this](const bus::CatalogSnapshotPublished&) {
    {
      std::lock_guard l(mu_);
      dirty_ = true;
    }
    cv_.notify_all();
  }));
  thread_ = std::thread([this] { loop(); });
}

void SmartPlaylists::stop() {
  subscription_ = {};
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SmartPlaylists::loop() {
  std::unique_lock l(mu_);
  while (!stop_) {
    cv_.wait_for(l, interval_, [&] { return stop_ || dirty_; });
    if (stop_) break;
    dirty_ = false;
    l.unlock();
    if (auto st = refresh_all(); !st.ok())
      log::warn("smart playlists: refresh failed", {{"error", st.error().message}});
    l.lock();
  }
}

void SmartPlaylists::register_metrics(MetricsRegistry& metrics) const {
  const std::string help = "Smart-playlist refreshes since start, by whether the items changed";
  metrics.gauge_fn("segue_smart_playlists_refreshes", help, {{"result", "changed"}},
                   [this] { return static_cast<double>(changed_.load()); });
  metrics.gauge_fn("segue_smart_playlists_refreshes", help, {{"result", "unchanged"}},
                   [this] { return static_cast<double>(unchanged_.load()); });
  metrics.gauge_fn("segue_smart_playlists_refreshes", help, {{"result", "failed"}},
                   [this] { return static_cast<double>(failed_.load()); });
}

}  // namespace segue::recommend
