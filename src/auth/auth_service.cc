#include "auth/auth_service.h"

#include <algorithm>
#include <exception>
#include <set>

#include "auth/pkce.h"
#include "auth/redirect_uri.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/strings.h"

namespace segue::auth {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using store::Connection;
using store::Row;
using store::Value;

// Token prefixes make Segue secrets recognisable to secret scanners and let malformed tokens
// be refused without a lookup. The random part is 32 bytes in base64url (43 characters).
constexpr std::string_view kAccessPrefix = "segue_at_";
constexpr std::string_view kRefreshPrefix = "segue_rt_";
constexpr std::string_view kCodePrefix = "segue_ac_";
constexpr std::size_t kTokenRandomBytes = 32;
constexpr std::size_t kTokenRandomChars = 43;

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMinPasswordChars = 8;
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr std::size_t kMaxDisplayName = 100;
constexpr std::size_t kMaxClientName = 200;
constexpr std::size_t kMaxState = 2048;
constexpr std::chrono::seconds kMaxCodeTtl{600};
// Used codes are kept this long after they expire so that a late replay still revokes.
constexpr int64_t kUsedCodeRetention = 24 * 3600;

constexpr std::string_view kKindAccess = "access";
constexpr std::string_view kKindRefresh = "refresh";

const char* const kBadCredentials = "wrong user name or password";

int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
TimePoint from_unix(int64_t s) { return TimePoint(std::chrono::seconds(s)); }

// Randomness fails only if OpenSSL's generator does; that must not throw through us.
template <typename F>
Result<std::string> fresh(F make) {
  try {
    return make();
  } catch (const std::exception& e) {
    return Error::internal(std::string("randomness: ") + e.what());
  }
}
Result<std::string> new_token(std::string_view prefix) {
  return fresh([&] { return std::string(prefix) + crypto::random_token(kTokenRandomBytes); });
}

bool is_well_formed(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + kTokenRandomChars || !token.starts_with(prefix))
    return false;
  for (char c : token.substr(prefix.size())) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// What the database stores instead of a token, code or secret.
std::string secret_hash(std::string_view secret) {
  return crypto::hex_encode(crypto::sha256(secret));
}

// Stored scope strings are parsed leniently: a scope removed from a later Segue is dropped
// instead of invalidating every token that held it.
ScopeSet parse_stored_scopes(std::string_view text) {
  ScopeSet out;
  for (const auto& name : strings::split(text, ' '))
    if (auto s = scope_from_name(name)) out.add(*s);
  return out;
}

Status validate_user_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength)
    return Error::invalid("user name must be 1 to 64 characters");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return Error::invalid("user name may only contain A-Z a-z 0-9 . _ -");
  }
  return {};
}

Status validate_password(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) return Error::invalid("password is too long");
  std::size_t chars = 0;  // UTF-8 code points: count bytes that are not continuation bytes
  for (char c : password)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  if (chars < kMinPasswordChars) return Error::invalid("password must be at least 8 characters");
  return {};
}

Status validate_label(std::string_view text, std::size_t max, std::string_view what) {
  if (text.empty() || text.size() > max)
    return Error::invalid(std::string(what) + " must be 1 to " + std::to_string(max) + " bytes");
  if (!strings::is_valid_utf8(text)) return Error::invalid(std::string(what) + " is not UTF-8");
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Error::invalid(std::string(what) + " contains control characters");
  return {};
}

// Exact match against a registered redirect URI; a registered path ("/callback", first-party
// clients only) matches the request's own origin followed by that path, nothing else.
bool redirect_registered(const Client& client, std::string_view uri, std::string_view origin) {
  for (const auto& r : client.redirect_uris) {
    if (!r.empty() && r.front() == '/') {
      if (!origin.empty() && uri.size() == origin.size() + r.size() &&
          uri.substr(0, origin.size()) == origin && uri.substr(origin.size()) == r)
        return true;
    } else if (r == uri) {
      return true;
    }
  }
  return false;
}

OAuthFailure fail(OAuthError e, std::string description, bool may_redirect = false) {
  return {e, std::move(description), may_redirect};
}
OAuthFailure invalid_grant(std::string description) {
  return fail(OAuthError::kInvalidGrant, std::move(description));
}

constexpr std::string_view kUserColumns =
    "id, name, display_name, admin, tier, created_at";

User user_from_row(const Row& r) {
  User u;
  u.id = UserId(r.text(0));
  u.name = r.text(1);
  u.display_name = r.text(2);
  u.admin = r.i64(3) != 0;
  u.tier = tier_from_name(r.text(4)).value_or(Tier::kFree);
  u.created_at = from_unix(r.i64(5));
  return u;
}

Result<std::optional<Client>> load_client(Connection& c, const std::string& id) {
  std::optional<Client> out;
  SEGUE_TRY(c.query("SELECT client_id, name, is_public, created_at FROM oauth_clients "
                    "WHERE client_id = ?",
                    {id}, [&](const Row& r) {
                      Client cl;
                      cl.id = ClientId(r.text(0));
                      cl.name = r.text(1);
                      cl.is_public = r.i64(2) != 0;
                      cl.created_at = from_unix(r.i64(3));
                      out = std::move(cl);
                    }));
  if (!out) return out;
  SEGUE_TRY(c.query("SELECT redirect_uri FROM oauth_client_redirects WHERE client_id = ? "
                    "ORDER BY redirect_uri",
                    {id}, [&](const Row& r) { out->redirect_uris.push_back(r.text(0)); }));
  return out;
}

// The hashes of a grant's live access tokens, so that their cached principals can be dropped.
Status collect_access_keys(Connection& c, std::string_view where, const std::vector<Value>& params,
                           std::vector<std::string>& keys) {
  return c.query(
      "SELECT t.token_hash FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
      "WHERE t.kind = 'access' AND t.revoked_at IS NULL AND " + std::string(where),
      params, [&](const Row& r) { keys.push_back(r.text(0)); });
}

// Revokes a grant and every token of it; appends the revoked access-token hashes to `keys`.
Status revoke_grant(Connection& c, const std::string& grant_id, int64_t now,
                    std::vector<std::string>& keys) {
  SEGUE_TRY(collect_access_keys(c, "t.grant_id = ?", {grant_id}, keys));
  SEGUE_TRY(c.exec("UPDATE oauth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                   {now, grant_id}));
  SEGUE_TRY(c.exec(
      "UPDATE oauth_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
      {now, grant_id}));
  return {};
}

// Bumps the revision row (see sync_revocations) and returns the value it had before.
Result<int64_t> bump_revision(Connection& c) {
  SEGUE_ASSIGN_OR_RETURN(auto before, c.query_int("SELECT revision FROM auth_revision WHERE id = 1"));
  SEGUE_TRY(c.exec("UPDATE auth_revision SET revision = revision + 1 WHERE id = 1"));
  return before.value_or(0);
}

// Bumps a user's credentials epoch and returns the new one.
Result<int64_t> bump_epoch(Connection& c, const std::string& user_id) {
  SEGUE_TRY(c.exec("UPDATE users SET credentials_epoch = credentials_epoch + 1 WHERE id = ?", {user_id}));
  SEGUE_ASSIGN_OR_RETURN(auto e, c.query_int("SELECT credentials_epoch FROM users WHERE id = ?", {user_id}));
  return e.value_or(0);
}

struct NewToken {
  std::string token;
  std::string key;
};

Result<NewToken> insert_token(Connection& c, std::string_view prefix, std::string_view kind,
                              const std::string& grant_id, const ScopeSet& scopes, int64_t now,
                              std::chrono::seconds ttl) {
  SEGUE_ASSIGN_OR_RETURN(std::string token, new_token(prefix));
  std::string key = secret_hash(token);
  SEGUE_TRY(c.exec(
      "INSERT INTO oauth_tokens (token_hash, grant_id, kind, scopes, issued_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {key, grant_id, std::string(kind), scopes.to_string(), now, now + ttl.count()}));
  return NewToken{std::move(token), std::move(key)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Construction

Result<std::unique_ptr<AuthService>> AuthService::open(store::Database& db, AuthOptions options,
                                                       Clock clock) {
  using std::chrono::seconds;
  if (options.access_ttl <= seconds(0) || options.refresh_ttl <= seconds(0) ||
      options.code_ttl <= seconds(0) || options.cache_freshness < seconds(0))
    return Error::invalid("auth: token lifetimes must be positive");
  if (options.code_ttl > kMaxCodeTtl)
    return Error::invalid("auth: authorization codes may live at most 600 s");
  SEGUE_TRY(db.migrate("auth", auth_migrations()));
  if (!clock) clock = [] { return std::chrono::system_clock::now(); };
  std::unique_ptr<AuthService> service(new AuthService(db, std::move(options), std::move(clock)));
  SEGUE_TRY(service->sync_revocations());
  return service;
}

AuthService::~AuthService() { stop_watching(); }

void AuthService::stop_watching() {
  {
    std::lock_guard lock(watch_mu_);
    watch_stop_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

// ---------------------------------------------------------------------------------------------
// Revocation across processes

Status AuthService::sync_revocations() {
  int64_t known;
  {
    std::lock_guard lock(revision_mu_);
    known = known_revision_;
  }
  int64_t revision = 0;
  std::vector<std::pair<std::string, int64_t>> epochs;
  bool changed = false;
  SEGUE_TRY(db_.read([&](Connection& c) -> Status {
    epochs.clear();
    SEGUE_ASSIGN_OR_RETURN(auto r, c.query_int("SELECT revision FROM auth_revision WHERE id = 1"));
    revision = r.value_or(0);
    changed = revision != known;
    if (!changed) return {};
    // In the same read transaction: the epochs as of that revision.
    return c.query("SELECT id, credentials_epoch FROM users WHERE credentials_epoch > 0", {},
                   [&](const Row& row) { epochs.emplace_back(row.text(0), row.i64(1)); });
  }));
  if (!changed) return {};
  // Another process revoked something: no cached principal can be trusted any more.
  cache_.clear();
  std::vector<UserId> moved;
  {
    std::unique_lock lock(epochs_mu_);
    for (auto& [id, e] : epochs) {
      int64_t& mine = epochs_[id];
      if (e > mine) {
        mine = e;
        if (known >= 0) moved.emplace_back(id);  // not at start-up: nobody is listening yet
      }
    }
  }
  {
    std::lock_guard lock(revision_mu_);
    if (known_revision_ == known) known_revision_ = revision;
    else known_revision_ = std::max(known_revision_, revision);
  }
  if (!moved.empty()) {
    log::info("auth: revocations from another process applied", {{"users", std::to_string(moved.size())}});
    notify_revoked(std::move(moved));
  }
  return {};
}

void AuthService::watch_revocations(std::chrono::milliseconds interval) {
  if (watcher_.joinable() || interval.count() <= 0) return;
  watcher_ = std::thread([this, interval] {
    std::unique_lock lock(watch_mu_);
    while (!watch_cv_.wait_for(lock, interval, [&] { return watch_stop_; })) {
      lock.unlock();
      if (Status s = sync_revocations(); !s.ok())
        log::warn("auth: revocation check failed", {{"error", s.error().message}});
      lock.lock();
    }
  });
}

int64_t AuthService::credentials_epoch(const UserId& user) const {
  std::shared_lock lock(epochs_mu_);
  auto it = epochs_.find(user.str());
  return it == epochs_.end() ? 0 : it->second;
}

void AuthService::revision_bumped(int64_t before) {
  // Our own write: if our caches were current before it, they are current after it (this
  // process applied the change itself), so the next poll need not drop the whole cache.
  std::lock_guard lock(revision_mu_);
  if (known_revision_ == before) known_revision_ = before + 1;
}

void AuthService::epoch_seen(const UserId& user, int64_t epoch) {
  std::unique_lock lock(epochs_mu_);
  int64_t& mine = epochs_[user.str()];
  mine = std::max(mine, epoch);
}

void AuthService::notify_revoked(std::vector<UserId> users) {
  if (users.empty()) return;
  std::sort(users.begin(), users.end(), [](const UserId& a, const UserId& b) { return a.str() < b.str(); });
  users.erase(std::unique(users.begin(), users.end()), users.end());
  if (options_.events) options_.events->publish(bus::UsersRevoked{std::move(users)});
}

AuthService::AuthService(store::Database& db, AuthOptions options, Clock clock)
    : db_(db),
      options_(std::move(options)),
      clock_(std::move(clock)),
      cache_(options_.cache_capacity) {}

const std::string& AuthService::dummy_password_hash() {
  std::call_once(dummy_once_, [&] {
    auto h = hash_password("segue-dummy-password", options_.password);
    if (h) dummy_hash_ = std::move(h).value();
  });
  return dummy_hash_;
}

// ---------------------------------------------------------------------------------------------
// Users

Result<User> AuthService::create_user(std::string_view name, std::string_view password,
                                      bool admin, Tier tier) {
  SEGUE_TRY(validate_user_name(name));
  SEGUE_TRY(validate_password(password));
  SEGUE_ASSIGN_OR_RETURN(std::string hash, hash_password(password, options_.password));
  SEGUE_ASSIGN_OR_RETURN(std::string id, fresh([] { return random_base62_id(); }));
  User u{UserId(id), std::string(name), std::string(name), admin, tier,
         from_unix(unix_seconds(now()))};
  const std::string key = strings::ascii_lower(name);
  Status s = db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto taken,
                           c.query_int("SELECT 1 FROM users WHERE name_key = ?", {key}));
    if (taken) return Error::conflict("user name '" + u.name + "' is taken");
    SEGUE_TRY(c.exec(
        "INSERT INTO users (id, name, name_key, display_name, password_hash, admin, tier, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {u.id.str(), u.name, key, u.display_name, hash, int64_t{admin ? 1 : 0},
         std::string(tier_name(tier)), unix_seconds(u.created_at)}));
    return {};
  });
  if (!s) return s.error();
  return u;
}

Result<User> AuthService::find_user(std::string_view where_column, const std::string& value) {
  std::optional<User> out;
  Status s = db_.read([&](Connection& c) -> Status {
    return c.query("SELECT " + std::string(kUserColumns) + " FROM users WHERE " +
                       std::string(where_column) + " = ?",
                   {value}, [&](const Row& r) { out = user_from_row(r); });
  });
  if (!s) return s.error();
  if (!out) return Error::not_found("no such user");
  return *std::move(out);
}

Result<User> AuthService::get_user(const UserId& id) { return find_user("id", id.str()); }

Result<User> AuthService::get_user_by_name(std::string_view name) {
  return find_user("name_key", strings::ascii_lower(name));
}

Result<std::vector<User>> AuthService::list_users() {
  std::vector<User> out;
  Status s = db_.read([&](Connection& c) -> Status {
    return c.query("SELECT " + std::string(kUserColumns) + " FROM users ORDER BY name_key", {},
                   [&](const Row& r) { out.push_back(user_from_row(r)); });
  });
  if (!s) return s.error();
  return out;
}

Result<User> AuthService::verify_password(std::string_view name, std::string_view password) {
  std::optional<User> user;
  std::string stored;
  if (validate_user_name(name).ok() && password.size() <= kMaxPasswordBytes) {
    Status s = db_.read([&](Connection& c) -> Status {
      return c.query("SELECT " + std::string(kUserColumns) +
                         ", password_hash FROM users WHERE name_key = ?",
                     {strings::ascii_lower(name)}, [&](const Row& r) {
                       user = user_from_row(r);
                       stored = r.text(6);
                     });
    });
    if (!s) return s.error();
  }
  if (!user) {
    // Spend the time a real verification takes, so timing does not reveal which names exist.
    const std::string& dummy = dummy_password_hash();
    if (!dummy.empty()) (void)password_matches(dummy, password.substr(0, kMaxPasswordBytes));
    return Error::unauthenticated(kBadCredentials);
  }
  SEGUE_ASSIGN_OR_RETURN(bool match, password_matches(stored, password));
  if (!match) return Error::unauthenticated(kBadCredentials);

  if (password_needs_rehash(stored, options_.password)) {
    // Best effort: the login succeeds even if the upgrade fails.
    auto rehashed = hash_password(password, options_.password);
    Status s = rehashed.ok() ? Status() : Status(rehashed.error());
    if (s) {
      s = db_.write([&](Connection& c) -> Status {
        SEGUE_TRY(c.exec("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                         {*rehashed, user->id.str(), stored}));
        return {};
      });
    }
    if (!s)
      log::warn("password rehash failed",
                {{"user", user->id.str()}, {"error", s.error().message}});
  }
  return *std::move(user);
}

Status AuthService::update_user(std::string_view name, std::string_view set_sql, Value value,
                                bool invalidate_principals) {
  const std::string key = strings::ascii_lower(name);
  std::vector<std::string> keys;
  int64_t before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    keys.clear();
    SEGUE_ASSIGN_OR_RETURN(int64_t n, c.exec("UPDATE users SET " + std::string(set_sql) +
                                                 " WHERE name_key = ?",
                                             {value, key}));
    if (n == 0) return Error::not_found("no such user");
    if (invalidate_principals) {
      SEGUE_TRY(collect_access_keys(
          c, "g.user_id = (SELECT id FROM users WHERE name_key = ?)", {key}, keys));
      SEGUE_ASSIGN_OR_RETURN(before, bump_revision(c));
    }
    return {};
  });
  if (!s) return s;
  if (invalidate_principals) {
    cache_.erase(keys);
    revision_bumped(before);
  }
  return {};
}

Status AuthService::set_password(std::string_view name, std::string_view password) {
  SEGUE_TRY(validate_password(password));
  SEGUE_ASSIGN_OR_RETURN(std::string hash, hash_password(password, options_.password));
  const std::string key = strings::ascii_lower(name);
  std::string id;
  int64_t epoch = 0, before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    id.clear();
    SEGUE_TRY(c.query("SELECT id FROM users WHERE name_key = ?", {key}, [&](const Row& r) { id = r.text(0); }));
    if (id.empty()) return Error::not_found("no such user");
    SEGUE_TRY(c.exec("UPDATE users SET password_hash = ? WHERE id = ?", {hash, id}));
    SEGUE_ASSIGN_OR_RETURN(epoch, bump_epoch(c, id));
    SEGUE_ASSIGN_OR_RETURN(before, bump_revision(c));
    return {};
  });
  if (!s) return s;
  epoch_seen(UserId(id), epoch);
  revision_bumped(before);
  notify_revoked({UserId(id)});
  return {};
}

Status AuthService::set_tier(std::string_view name, Tier tier) {
  return update_user(name, "tier = ?", std::string(tier_name(tier)), true);
}

Status AuthService::set_admin(std::string_view name, bool admin) {
  return update_user(name, "admin = ?", int64_t{admin ? 1 : 0}, true);
}

Status AuthService::set_display_name(std::string_view name, std::string_view display_name) {
  SEGUE_TRY(validate_label(display_name, kMaxDisplayName, "display name"));
  return update_user(name, "display_name = ?", std::string(display_name), false);
}

Status AuthService::revoke_user_sessions(const UserId& user) {
  const int64_t t = unix_seconds(now());
  std::vector<std::string> keys;
  int64_t epoch = 0, before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    keys.clear();
    SEGUE_ASSIGN_OR_RETURN(auto exists,
                           c.query_int("SELECT 1 FROM users WHERE id = ?", {user.str()}));
    if (!exists) return Error::not_found("no such user");
    SEGUE_TRY(collect_access_keys(c, "g.user_id = ?", {user.str()}, keys));
    SEGUE_TRY(c.exec(
        "UPDATE oauth_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND grant_id IN "
        "(SELECT id FROM oauth_grants WHERE user_id = ?)",
        {t, user.str()}));
    SEGUE_TRY(c.exec(
        "UPDATE oauth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        {t, user.str()}));
    SEGUE_TRY(c.exec("DELETE FROM oauth_codes WHERE user_id = ? AND used_at IS NULL",
                     {user.str()}));
    SEGUE_ASSIGN_OR_RETURN(epoch, bump_epoch(c, user.str()));
    SEGUE_ASSIGN_OR_RETURN(before, bump_revision(c));
    return {};
  });
  if (!s) return s;
  cache_.erase(keys);
  epoch_seen(user, epoch);
  revision_bumped(before);
  notify_revoked({user});
  return {};
}

// ---------------------------------------------------------------------------------------------
// Clients

Result<RegisteredClient> AuthService::register_client(std::string_view name,
                                                      const std::vector<std::string>& redirect_uris,
                                                      bool is_public) {
  SEGUE_TRY(validate_label(name, kMaxClientName, "client name"));
  std::set<std::string> uris;
  for (const auto& uri : redirect_uris) {
    Status v = validate_redirect_uri(uri);
    if (!v) return Error::invalid("redirect URI '" + uri.substr(0, 200) + "': " + v.error().message);
    uris.insert(uri);
  }
  if (is_public && uris.empty())
    return Error::invalid("a public client needs at least one redirect URI");

  RegisteredClient out;
  SEGUE_ASSIGN_OR_RETURN(std::string id,
                         fresh([] { return crypto::hex_encode(crypto::random_bytes(16)); }));
  out.client.id = ClientId(id);
  out.client.name = std::string(name);
  out.client.redirect_uris.assign(uris.begin(), uris.end());
  out.client.is_public = is_public;
  out.client.created_at = from_unix(unix_seconds(now()));
  std::optional<std::string> hash;
  if (!is_public) {
    SEGUE_ASSIGN_OR_RETURN(std::string secret,
                           fresh([] { return crypto::hex_encode(crypto::random_bytes(16)); }));
    hash = secret_hash(secret);
    out.secret = std::move(secret);
  }
  Status s = db_.write([&](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO oauth_clients (client_id, name, secret_hash, is_public, "
                     "created_at) VALUES (?, ?, ?, ?, ?)",
                     {id, out.client.name, store::opt(hash), int64_t{is_public ? 1 : 0},
                      unix_seconds(out.client.created_at)}));
    for (const auto& uri : out.client.redirect_uris)
      SEGUE_TRY(c.exec("INSERT INTO oauth_client_redirects (client_id, redirect_uri) VALUES (?, ?)",
                       {id, uri}));
    return {};
  });
  if (!s) return s.error();
  return out;
}

Status AuthService::ensure_first_party_client(const ClientId& id, std::string_view name,
                                              std::string_view redirect_path) {
  SEGUE_TRY(validate_label(name, kMaxClientName, "client name"));
  if (redirect_path.empty() || redirect_path.front() != '/' || redirect_path.substr(0, 2) == "//")
    return Error::invalid("a first-party redirect must be a path starting with a single '/'");
  return db_.write([&](Connection& c) -> Status {
    SEGUE_TRY(c.exec("INSERT INTO oauth_clients (client_id, name, secret_hash, is_public, created_at) "
                     "VALUES (?, ?, NULL, 1, ?) ON CONFLICT (client_id) DO UPDATE SET "
                     "name = excluded.name, secret_hash = NULL, is_public = 1",
                     {id.str(), std::string(name), unix_seconds(now())}));
    SEGUE_TRY(c.exec("DELETE FROM oauth_client_redirects WHERE client_id = ?", {id.str()}));
    SEGUE_TRY(c.exec("INSERT INTO oauth_client_redirects (client_id, redirect_uri) VALUES (?, ?)",
                     {id.str(), std::string(redirect_path)}));
    return {};
  });
}

Result<Client> AuthService::get_client(const ClientId& id) {
  std::optional<Client> out;
  Status s = db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(out, load_client(c, id.str()));
    return {};
  });
  if (!s) return s.error();
  if (!out) return Error::not_found("no such client");
  return *std::move(out);
}

Result<std::vector<Client>> AuthService::list_clients() {
  std::vector<Client> out;
  Status s = db_.read([&](Connection& c) -> Status {
    std::vector<std::string> ids;
    SEGUE_TRY(c.query("SELECT client_id FROM oauth_clients ORDER BY name, client_id", {},
                      [&](const Row& r) { ids.push_back(r.text(0)); }));
    for (const auto& id : ids) {
      SEGUE_ASSIGN_OR_RETURN(auto cl, load_client(c, id));
      if (cl) out.push_back(*std::move(cl));
    }
    return {};
  });
  if (!s) return s.error();
  return out;
}

Result<Client> AuthService::authenticate_client(std::string_view client_id,
                                                std::string_view secret) {
  std::optional<Client> client;
  std::optional<std::string> stored;
  Status s = db_.read([&](Connection& c) -> Status {
    const std::string id(client_id);
    SEGUE_ASSIGN_OR_RETURN(client, load_client(c, id));
    return c.query("SELECT secret_hash FROM oauth_clients WHERE client_id = ?", {id},
                   [&](const Row& r) { stored = r.opt_text(0); });
  });
  if (!s) return s.error();
  // Hash even when there is nothing to compare with, to keep the timing uniform.
  const std::string presented = secret_hash(secret);
  const bool match = stored && !secret.empty() && crypto::constant_time_equal(presented, *stored);
  if (!client || client->is_public || !match)
    return Error::unauthenticated("client authentication failed");
  return *std::move(client);
}

OAuthResult<Client> AuthService::authenticate_for_token(std::string_view client_id,
                                                        std::string_view client_secret) {
  if (client_id.empty()) return fail(OAuthError::kInvalidClient, "client_id is missing");
  auto client = get_client(ClientId(std::string(client_id)));
  if (!client) {
    if (client.error().code == ErrorCode::kNotFound)
      return fail(OAuthError::kInvalidClient, "client authentication failed");
    return OAuthFailure::from_error(client.error());
  }
  if (client->is_public) {
    if (!client_secret.empty())
      return fail(OAuthError::kInvalidClient, "a public client must not send a client secret");
    return *std::move(client);
  }
  auto authed = authenticate_client(client_id, client_secret);
  if (!authed) {
    if (authed.error().code == ErrorCode::kUnauthenticated)
      return fail(OAuthError::kInvalidClient, "client authentication failed");
    return OAuthFailure::from_error(authed.error());
  }
  return *std::move(authed);
}

// ---------------------------------------------------------------------------------------------
// Authorization code flow

OAuthResult<AuthorizeRequest> AuthService::validate_authorize_request(
    std::string_view client_id, std::string_view redirect_uri, std::string_view response_type,
    std::string_view scope, std::string_view code_challenge,
    std::string_view code_challenge_method, std::string_view state, std::string_view origin) {
  if (client_id.empty()) return fail(OAuthError::kInvalidRequest, "client_id is missing");
  auto client = get_client(ClientId(std::string(client_id)));
  if (!client) {
    if (client.error().code == ErrorCode::kNotFound)
      return fail(OAuthError::kInvalidClient, "unknown client_id");
    return OAuthFailure::from_error(client.error());
  }
  if (redirect_uri.empty()) return fail(OAuthError::kInvalidRequest, "redirect_uri is missing");
  if (!redirect_registered(*client, redirect_uri, origin))
    return fail(OAuthError::kInvalidRequest,
                "redirect_uri does not match any registered for this client");

  // From here on the redirect URI is trusted: errors go back to the client.
  constexpr bool kRedirect = true;
  if (response_type.empty())
    return fail(OAuthError::kInvalidRequest, "response_type is missing", kRedirect);
  if (response_type != "code")
    return fail(OAuthError::kUnsupportedResponseType, "only response_type=code is supported",
                kRedirect);
  auto scopes = ScopeSet::parse(scope);
  if (!scopes) return fail(OAuthError::kInvalidScope, scopes.error().message, kRedirect);
  if (state.size() > kMaxState) return fail(OAuthError::kInvalidRequest, "state is too long", kRedirect);

  std::optional<std::string> challenge;
  if (!code_challenge.empty()) {
    if (code_challenge_method != "S256")
      return fail(OAuthError::kInvalidRequest,
                  "code_challenge_method must be S256 (plain is not supported)", kRedirect);
    if (!is_valid_s256_challenge(code_challenge))
      return fail(OAuthError::kInvalidRequest, "code_challenge is malformed", kRedirect);
    challenge = std::string(code_challenge);
  } else if (!code_challenge_method.empty()) {
    return fail(OAuthError::kInvalidRequest, "code_challenge_method without code_challenge",
                kRedirect);
  }
  if (client->is_public && !challenge)
    return fail(OAuthError::kInvalidRequest, "public clients must use PKCE (code_challenge, S256)",
                kRedirect);

  AuthorizeRequest req;
  req.client_id = client->id;
  req.client_name = client->name;
  req.redirect_uri = std::string(redirect_uri);
  req.scopes = *scopes;
  req.code_challenge = std::move(challenge);
  req.state = std::string(state);
  req.origin = std::string(origin);
  return req;
}

Result<std::string> AuthService::issue_code(const AuthorizeRequest& request, const UserId& user) {
  if (request.code_challenge && !is_valid_s256_challenge(*request.code_challenge))
    return Error::invalid("code_challenge is malformed");
  SEGUE_ASSIGN_OR_RETURN(std::string code, new_token(kCodePrefix));
  const int64_t t = unix_seconds(now());
  Status s = db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto client, load_client(c, request.client_id.str()));
    if (!client) return Error::invalid("the client no longer exists");
    if (!redirect_registered(*client, request.redirect_uri, request.origin))
      return Error::invalid("the redirect URI is no longer registered");
    if (client->is_public && !request.code_challenge)
      return Error::invalid("public clients must use PKCE");
    SEGUE_ASSIGN_OR_RETURN(auto exists,
                           c.query_int("SELECT 1 FROM users WHERE id = ?", {user.str()}));
    if (!exists) return Error::not_found("no such user");
    SEGUE_TRY(c.exec(
        "INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, scopes, "
        "code_challenge, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {secret_hash(code), request.client_id.str(), user.str(), request.redirect_uri,
         request.scopes.to_string(), store::opt(request.code_challenge), t,
         t + options_.code_ttl.count()}));
    return {};
  });
  if (!s) return s.error();
  return code;
}

OAuthResult<TokenSet> AuthService::exchange_code(std::string_view client_id,
                                                 std::string_view client_secret,
                                                 std::string_view code,
                                                 std::string_view redirect_uri,
                                                 std::string_view code_verifier) {
  auto client = authenticate_for_token(client_id, client_secret);
  if (!client) return client.failure();
  if (code.empty()) return fail(OAuthError::kInvalidRequest, "code is missing");
  if (!is_well_formed(code, kCodePrefix)) return invalid_grant("invalid authorization code");

  const int64_t t = unix_seconds(now());
  const std::string code_key = secret_hash(code);
  std::optional<OAuthFailure> failure;
  std::vector<std::string> revoked;
  TokenSet out;
  std::string reused_grant, reused_user;
  int64_t before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    failure.reset();
    revoked.clear();
    reused_grant.clear();
    struct CodeRow {
      std::string client_id, user_id, redirect_uri, scopes;
      std::optional<std::string> challenge, grant_id;
      int64_t expires_at = 0;
      std::optional<int64_t> used_at;
    };
    std::optional<CodeRow> row;
    SEGUE_TRY(c.query(
        "SELECT client_id, user_id, redirect_uri, scopes, code_challenge, expires_at, used_at, "
        "grant_id FROM oauth_codes WHERE code_hash = ?",
        {code_key}, [&](const Row& r) {
          row = CodeRow{r.text(0),      r.text(1),      r.text(2), r.text(3),
                        r.opt_text(4),  r.opt_text(7),  r.i64(5),  r.opt_i64(6)};
        }));
    if (!row) {
      failure = invalid_grant("invalid authorization code");
      return {};
    }
    if (row->used_at) {
      // A replayed code means it leaked: whoever redeemed it first may be the attacker.
      if (row->grant_id) {
        SEGUE_TRY(revoke_grant(c, *row->grant_id, t, revoked));
        SEGUE_ASSIGN_OR_RETURN(before, bump_revision(c));
        reused_grant = *row->grant_id;
        reused_user = row->user_id;
      }
      failure = invalid_grant("authorization code was already used; its tokens are revoked");
      return {};
    }
    if (row->client_id != client->id.str()) {
      failure = invalid_grant("authorization code was issued to another client");
      return {};
    }
    if (t >= row->expires_at) {
      failure = invalid_grant("authorization code expired");
      return {};
    }
    if (redirect_uri != row->redirect_uri) {
      failure = invalid_grant("redirect_uri does not match the authorization request");
      return {};
    }
    if (row->challenge) {
      if (code_verifier.empty()) {
        failure = invalid_grant("code_verifier is required");
        return {};
      }
      if (!verify_pkce(code_verifier, *row->challenge)) {
        failure = invalid_grant("code_verifier does not match the code_challenge");
        return {};
      }
    } else if (!code_verifier.empty()) {
      failure = invalid_grant("code_verifier sent but the authorization request had no challenge");
      return {};
    }

    SEGUE_ASSIGN_OR_RETURN(std::string grant_id, fresh([] { return random_base62_id(); }));
    const ScopeSet scopes = parse_stored_scopes(row->scopes);
    SEGUE_TRY(c.exec(
        "INSERT INTO oauth_grants (id, client_id, user_id, kind, scopes, created_at) "
        "VALUES (?, ?, ?, 'authorization_code', ?, ?)",
        {grant_id, row->client_id, row->user_id, scopes.to_string(), t}));
    SEGUE_ASSIGN_OR_RETURN(int64_t marked, c.exec(
        "UPDATE oauth_codes SET used_at = ?, grant_id = ? WHERE code_hash = ? AND used_at IS NULL",
        {t, grant_id, code_key}));
    if (marked != 1) return Error::internal("authorization code changed during exchange");
    SEGUE_ASSIGN_OR_RETURN(NewToken access, insert_token(c, kAccessPrefix, kKindAccess, grant_id,
                                                         scopes, t, options_.access_ttl));
    SEGUE_ASSIGN_OR_RETURN(NewToken refresh, insert_token(c, kRefreshPrefix, kKindRefresh,
                                                          grant_id, scopes, t,
                                                          options_.refresh_ttl));
    out.access_token = std::move(access.token);
    out.expires_in = options_.access_ttl;
    out.refresh_token = std::move(refresh.token);
    out.scope = scopes.to_string();
    return {};
  });
  if (!s) return OAuthFailure::from_error(s.error());
  if (!reused_grant.empty()) {
    cache_.erase(revoked);
    revision_bumped(before);
    notify_revoked({UserId(reused_user)});
    log::warn("oauth: authorization code reused; grant revoked",
              {{"client", client->id.str()}, {"grant", reused_grant}});
  }
  if (failure) return *std::move(failure);
  return out;
}

OAuthResult<TokenSet> AuthService::refresh(std::string_view client_id,
                                           std::string_view client_secret,
                                           std::string_view refresh_token,
                                           std::string_view scope) {
  auto client = authenticate_for_token(client_id, client_secret);
  if (!client) return client.failure();
  if (refresh_token.empty()) return fail(OAuthError::kInvalidRequest, "refresh_token is missing");
  std::optional<ScopeSet> requested;
  if (!scope.empty()) {
    auto parsed = ScopeSet::parse(scope);
    if (!parsed) return fail(OAuthError::kInvalidScope, parsed.error().message);
    requested = *parsed;
  }
  if (!is_well_formed(refresh_token, kRefreshPrefix)) return invalid_grant("invalid refresh token");

  const int64_t t = unix_seconds(now());
  const std::string key = secret_hash(refresh_token);
  std::optional<OAuthFailure> failure;
  std::vector<std::string> revoked;
  std::string reused_grant, reused_user;
  int64_t before = -1;
  TokenSet out;
  Status s = db_.write([&](Connection& c) -> Status {
    failure.reset();
    revoked.clear();
    reused_grant.clear();
    struct TokenRow {
      std::string grant_id, kind, client_id, grant_scopes;
      int64_t expires_at = 0;
      std::optional<int64_t> used_at, revoked_at, grant_revoked_at;
      std::string user_id;
    };
    std::optional<TokenRow> row;
    SEGUE_TRY(c.query(
        "SELECT t.grant_id, t.kind, g.client_id, g.scopes, t.expires_at, t.used_at, "
        "t.revoked_at, g.revoked_at, g.user_id FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
        "WHERE t.token_hash = ?",
        {key}, [&](const Row& r) {
          row = TokenRow{r.text(0), r.text(1), r.text(2), r.text(3),
                         r.i64(4),  r.opt_i64(5), r.opt_i64(6), r.opt_i64(7), r.text(8)};
        }));
    if (!row || row->kind != kKindRefresh) {
      failure = invalid_grant("invalid refresh token");
      return {};
    }
    if (row->client_id != client->id.str()) {
      failure = invalid_grant("refresh token was issued to another client");
      return {};
    }
    if (row->revoked_at || row->grant_revoked_at) {
      failure = invalid_grant("refresh token was revoked");
      return {};
    }
    if (row->used_at) {
      // A retired refresh token came back: either it was stolen or the client is confused.
      // Both end the grant (OAuth 2.0 Security BCP §4.14.2).
      SEGUE_TRY(revoke_grant(c, row->grant_id, t, revoked));
      SEGUE_ASSIGN_OR_RETURN(before, bump_revision(c));
      reused_grant = row->grant_id;
      reused_user = row->user_id;
      failure = invalid_grant("refresh token was already used; the session is revoked");
      return {};
    }
    if (t >= row->expires_at) {
      failure = invalid_grant("refresh token expired");
      return {};
    }
    const ScopeSet granted = parse_stored_scopes(row->grant_scopes);
    if (requested && !granted.contains_all(*requested)) {
      failure = fail(OAuthError::kInvalidScope, "scope exceeds the scope granted");
      return {};
    }
    const ScopeSet access_scopes = requested.value_or(granted);
    SEGUE_ASSIGN_OR_RETURN(int64_t marked, c.exec(
        "UPDATE oauth_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", {t, key}));
    if (marked != 1) return Error::internal("refresh token changed during rotation");
    SEGUE_ASSIGN_OR_RETURN(NewToken access, insert_token(c, kAccessPrefix, kKindAccess,
                                                         row->grant_id, access_scopes, t,
                                                         options_.access_ttl));
    SEGUE_ASSIGN_OR_RETURN(NewToken next, insert_token(c, kRefreshPrefix, kKindRefresh,
                                                       row->grant_id, granted, t,
                                                       options_.refresh_ttl));
    out.access_token = std::move(access.token);
    out.expires_in = options_.access_ttl;
    out.refresh_token = std::move(next.token);
    out.scope = access_scopes.to_string();
    return {};
  });
  if (!s) return OAuthFailure::from_error(s.error());
  if (!reused_grant.empty()) {
    cache_.erase(revoked);
    revision_bumped(before);
    if (!reused_user.empty()) notify_revoked({UserId(reused_user)});
    log::warn("oauth: refresh token reused; grant revoked",
              {{"client", client->id.str()}, {"grant", reused_grant}});
  }
  if (failure) return *std::move(failure);
  return out;
}

OAuthResult<TokenSet> AuthService::client_credentials(std::string_view client_id,
                                                      std::string_view client_secret,
                                                      std::string_view scope) {
  auto client = authenticate_for_token(client_id, client_secret);
  if (!client) return client.failure();
  if (client->is_public)
    return fail(OAuthError::kUnauthorizedClient,
                "public clients may not use the client_credentials grant");
  auto scopes = ScopeSet::parse(scope);
  if (!scopes) return fail(OAuthError::kInvalidScope, scopes.error().message);

  const int64_t t = unix_seconds(now());
  TokenSet out;
  Status s = db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(std::string grant_id, fresh([] { return random_base62_id(); }));
    SEGUE_TRY(c.exec(
        "INSERT INTO oauth_grants (id, client_id, user_id, kind, scopes, created_at) "
        "VALUES (?, ?, NULL, 'client_credentials', ?, ?)",
        {grant_id, client->id.str(), scopes->to_string(), t}));
    SEGUE_ASSIGN_OR_RETURN(NewToken access, insert_token(c, kAccessPrefix, kKindAccess, grant_id,
                                                         *scopes, t, options_.access_ttl));
    out.access_token = std::move(access.token);
    out.expires_in = options_.access_ttl;
    out.scope = scopes->to_string();
    return {};
  });
  if (!s) return OAuthFailure::from_error(s.error());
  return out;
}

OAuthResult<bool> AuthService::revoke_token(std::string_view client_id,
                                            std::string_view client_secret,
                                            std::string_view token) {
  auto client = authenticate_for_token(client_id, client_secret);
  if (!client) return client.failure();
  if (token.empty()) return fail(OAuthError::kInvalidRequest, "token is missing");
  if (!is_well_formed(token, kAccessPrefix) && !is_well_formed(token, kRefreshPrefix))
    return false;
  const int64_t t = unix_seconds(now());
  const std::string key = secret_hash(token);
  std::vector<std::string> revoked;
  bool done = false;
  std::string user_id;
  int64_t before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    revoked.clear();
    done = false;
    std::optional<std::pair<std::string, std::string>> row;  // grant, kind
    SEGUE_TRY(c.query(
        "SELECT t.grant_id, t.kind, g.user_id FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
        "WHERE t.token_hash = ? AND g.client_id = ?",
        {key, client->id.str()}, [&](const Row& r) {
          row = std::make_pair(r.text(0), r.text(1));
          user_id = r.text(2);
        }));
    if (!row) return {};
    if (row->second == kKindRefresh) {
      SEGUE_TRY(revoke_grant(c, row->first, t, revoked));
    } else {
      SEGUE_ASSIGN_OR_RETURN(int64_t n, c.exec(
          "UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
          {t, key}));
      if (n == 0) return {};
      revoked.push_back(key);
    }
    SEGUE_ASSIGN_OR_RETURN(before, bump_revision(c));
    done = true;
    return {};
  });
  if (!s) return OAuthFailure::from_error(s.error());
  cache_.erase(revoked);
  if (done) {
    revision_bumped(before);
    if (!user_id.empty()) notify_revoked({UserId(user_id)});
  }
  return done;
}

// ---------------------------------------------------------------------------------------------
// Access tokens

std::optional<Result<Principal>> AuthService::validate_cached(std::string_view token) const {
  if (!is_well_formed(token, kAccessPrefix))
    return Result<Principal>(Error::unauthenticated("invalid access token"));
  auto entry = cache_.find(secret_hash(token));
  if (!entry) return std::nullopt;
  const TimePoint t = now();
  if (t >= entry->principal.expires_at)
    return Result<Principal>(Error::unauthenticated("access token expired").because(ErrorReason::kExpired));
  if (t >= entry->fresh_until) return std::nullopt;
  return Result<Principal>(std::move(entry->principal));
}

Result<Principal> AuthService::validate_access_token(std::string_view token) {
  if (auto cached = validate_cached(token)) return *std::move(cached);
  const std::string key = secret_hash(token);
  const uint64_t generation = cache_.generation();  // before the read; see TokenCache
  const TimePoint t = now();
  std::optional<Principal> principal;
  bool revoked = false;
  Status s = db_.read([&](Connection& c) -> Status {
    return c.query(
        "SELECT t.expires_at, t.revoked_at, t.scopes, g.client_id, g.user_id, g.revoked_at, "
        "u.tier, u.admin FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
        "LEFT JOIN users u ON u.id = g.user_id WHERE t.token_hash = ? AND t.kind = 'access'",
        {key}, [&](const Row& r) {
          Principal p;
          p.expires_at = from_unix(r.i64(0));
          revoked = !r.is_null(1) || !r.is_null(5);
          p.scopes = parse_stored_scopes(r.text(2));
          p.client = ClientId(r.text(3));
          if (!r.is_null(4)) {
            p.user = UserId(r.text(4));
            p.tier = tier_from_name(r.text(6)).value_or(Tier::kFree);
            p.admin = r.i64(7) != 0;
          }
          principal = std::move(p);
        });
  });
  if (!s) return s.error();
  if (!principal) return Error::unauthenticated("invalid access token");
  if (revoked) return Error::unauthenticated("access token revoked");
  if (t >= principal->expires_at) return Error::unauthenticated("access token expired").because(ErrorReason::kExpired);
  const TimePoint fresh_until = std::min(principal->expires_at, t + options_.cache_freshness);
  cache_.insert(key, TokenCache::Entry{*principal, fresh_until}, generation);
  return *std::move(principal);
}

Result<int64_t> AuthService::purge_expired() {
  const int64_t t = unix_seconds(now());
  int64_t total = 0;
  Status s = db_.write([&](Connection& c) -> Status {
    total = 0;
    SEGUE_ASSIGN_OR_RETURN(int64_t codes, c.exec(
        "DELETE FROM oauth_codes WHERE expires_at <= ?", {t - kUsedCodeRetention}));
    SEGUE_ASSIGN_OR_RETURN(int64_t tokens,
                           c.exec("DELETE FROM oauth_tokens WHERE expires_at <= ?", {t}));
    SEGUE_ASSIGN_OR_RETURN(int64_t grants, c.exec(
        "DELETE FROM oauth_grants WHERE NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE "
        "t.grant_id = oauth_grants.id) AND NOT EXISTS (SELECT 1 FROM oauth_codes o WHERE "
        "o.grant_id = oauth_grants.id)"));
    total = codes + tokens + grants;
    return {};
  });
  if (!s) return s.error();
  return total;
}

}  // namespace segue::auth
