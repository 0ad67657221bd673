#include "auth/auth_service.h"

#include <algorithm>
#include <exception>
#include <set>

#include "auth/auth_store.h"
#include "auth/pkce.h"
#include "auth/redirect_uri.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/strings.h"

namespace segue::auth {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using store::Connection;

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

const char* const kBadCredentials = "wrong user name or password";

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

struct NewToken {
  std::string token;
  std::string key;
};

// A fresh token of `kind`, stored under its hash.
Result<NewToken> issue_token(Connection& c, std::string_view prefix, std::string_view kind,
                             const std::string& grant_id, const ScopeSet& scopes, int64_t now,
                             std::chrono::seconds ttl) {
  SEGUE_ASSIGN_OR_RETURN(std::string token, new_token(prefix));
  std::string key = secret_hash(token);
  SEGUE_TRY(insert_token(c, key, grant_id, kind, scopes, now, now + ttl.count()));
  return NewToken{std::move(token), std::move(key)};
}

// One user read with `load` (a store lookup); Error::not_found if there is none.
template <typename Load>
Result<User> read_user(store::Database& db, Load load) {
  std::optional<User> out;
  Status s = db.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(out, load(c));
    return {};
  });
  if (!s) return s.error();
  if (!out) return Error::not_found("no such user");
  return *std::move(out);
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
  SEGUE_ASSIGN_OR_RETURN(auto users, service->list_users());
  service->directory_.put_all(users);
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
    SEGUE_ASSIGN_OR_RETURN(revision, load_revision(c));
    changed = revision != known;
    if (!changed) return {};
    // In the same read transaction: the epochs as of that revision.
    SEGUE_ASSIGN_OR_RETURN(epochs, load_credentials_epochs(c));
    return {};
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
  // A revocation announced on the bus (another node's, over Redis, or one this node's watcher
  // saw) wakes the watcher at once, so every node's credentials epochs (stream tokens) and
  // token cache follow within one database read, not one poll interval.
  if (options_.events)
    revoked_sub_ = options_.events->subscribe("auth-revocation-watcher", bus::only<bus::UsersRevoked>([this](const bus::UsersRevoked&) {
      {
        std::lock_guard l(watch_mu_);
        watch_kick_ = true;
      }
      watch_cv_.notify_all();
    }));
  watcher_ = std::thread([this, interval] {
    std::unique_lock lock(watch_mu_);
    for (;;) {
      watch_cv_.wait_for(lock, interval, [&] { return watch_stop_ || watch_kick_; });
      if (watch_stop_) break;
      watch_kick_ = false;
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

Result<User> AuthService::create_user_without_login(std::string_view name, Tier tier) {
  return create_user_with_hash(name, std::string(kNoLogin), false, tier);
}

Result<User> AuthService::create_user(std::string_view name, std::string_view password,
                                      bool admin, Tier tier) {
  SEGUE_TRY(validate_user_name(name));
  SEGUE_TRY(validate_password(password));
  SEGUE_ASSIGN_OR_RETURN(std::string hash, hash_password(password, options_.password));
  return create_user_with_hash(name, std::move(hash), admin, tier);
}

Result<User> AuthService::create_user_with_hash(std::string_view name, std::string hash, bool admin, Tier tier) {
  SEGUE_TRY(validate_user_name(name));
  SEGUE_ASSIGN_OR_RETURN(std::string id, fresh([] { return random_base62_id(); }));
  User u{UserId(id), std::string(name), std::string(name), admin, tier,
         from_unix(unix_seconds(now()))};
  const std::string key = strings::ascii_lower(name);
  Status s = db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(bool taken, user_name_taken(c, key));
    if (taken) return Error::conflict("user name '" + u.name + "' is taken");
    return insert_user(c, u, key, hash);
  });
  if (!s) return s.error();
  directory_.put(u.id, u.display_name);
  return u;
}

Result<User> AuthService::get_user(const UserId& id) {
  auto u = read_user(db_, [&](Connection& c) { return load_user(c, id); });
  if (u.ok()) directory_.put(u->id, u->display_name);
  return u;
}

Result<User> AuthService::get_user_by_name(std::string_view name) {
  const std::string key = strings::ascii_lower(name);
  auto u = read_user(db_, [&](Connection& c) { return load_user_by_name(c, key); });
  if (u.ok()) directory_.put(u->id, u->display_name);
  return u;
}

Result<std::vector<User>> AuthService::list_users() {
  std::vector<User> out;
  Status s = db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(out, load_users(c));
    return {};
  });
  if (!s) return s.error();
  return out;
}

Result<User> AuthService::verify_password(std::string_view name, std::string_view password) {
  std::optional<User> user;
  std::string stored;
  if (validate_user_name(name).ok() && password.size() <= kMaxPasswordBytes) {
    Status s = db_.read([&](Connection& c) -> Status {
      SEGUE_ASSIGN_OR_RETURN(auto login, load_user_login(c, strings::ascii_lower(name)));
      if (login) {
        user = std::move(login->user);
        stored = std::move(login->password_hash);
      }
      return {};
    });
    if (!s) return s.error();
  }
  if (!user) {
    // Spend the time a real verification takes, so timing does not reveal which names exist.
    const std::string& dummy = dummy_password_hash();
    if (!dummy.empty()) (void)password_matches(dummy, password.substr(0, kMaxPasswordBytes));
    return Error::unauthenticated(kBadCredentials);
  }
  if (stored == kNoLogin) {
    // No password yet: refused like a wrong one, after the same work.
    const std::string& dummy = dummy_password_hash();
    if (!dummy.empty()) (void)password_matches(dummy, password.substr(0, kMaxPasswordBytes));
    return Error::unauthenticated(kBadCredentials);
  }
  SEGUE_ASSIGN_OR_RETURN(bool match, password_matches(stored, password));
  if (!match) return Error::unauthenticated(kBadCredentials);
  directory_.put(user->id, user->display_name);

  if (password_needs_rehash(stored, options_.password)) {
    // Best effort: the login succeeds even if the upgrade fails.
    auto rehashed = hash_password(password, options_.password);
    Status s = rehashed.ok() ? Status() : Status(rehashed.error());
    if (s) {
      s = db_.write([&](Connection& c) -> Status {
        return replace_password_hash(c, user->id, stored, *rehashed);
      });
    }
    if (!s)
      log::warn("password rehash failed",
                {{"user", user->id.str()}, {"error", s.error().message}});
  }
  return *std::move(user);
}

Status AuthService::update_user(std::string_view name, const UserUpdate& update,
                                bool invalidate_principals) {
  const std::string key = strings::ascii_lower(name);
  std::vector<std::string> keys;
  int64_t before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    keys.clear();
    SEGUE_ASSIGN_OR_RETURN(int64_t n, update(c, key));
    if (n == 0) return Error::not_found("no such user");
    if (invalidate_principals) {
      SEGUE_TRY(collect_user_access_keys_by_name(c, key, keys));
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
  std::optional<UserId> id;
  int64_t epoch = 0, before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(id, load_user_id(c, key));
    if (!id) return Error::not_found("no such user");
    SEGUE_TRY(set_password_hash(c, *id, hash));
    SEGUE_ASSIGN_OR_RETURN(epoch, bump_credentials_epoch(c, *id));
    SEGUE_ASSIGN_OR_RETURN(before, bump_revision(c));
    return {};
  });
  if (!s) return s;
  epoch_seen(*id, epoch);
  revision_bumped(before);
  notify_revoked({*id});
  return {};
}

Status AuthService::set_tier(std::string_view name, Tier tier) {
  return update_user(
      name, [&](Connection& c, const std::string& key) { return update_user_tier(c, key, tier); },
      true);
}

Status AuthService::set_admin(std::string_view name, bool admin) {
  return update_user(
      name, [&](Connection& c, const std::string& key) { return update_user_admin(c, key, admin); },
      true);
}

Status AuthService::set_display_name(std::string_view name, std::string_view display_name) {
  SEGUE_TRY(validate_label(display_name, kMaxDisplayName, "display name"));
  SEGUE_TRY(update_user(
      name,
      [&](Connection& c, const std::string& key) {
        return update_user_display_name(c, key, display_name);
      },
      false));
  (void)get_user_by_name(name);  // remembers the new name in the directory; the update committed either way
  return {};
}

Status AuthService::revoke_user_sessions(const UserId& user) {
  const int64_t t = unix_seconds(now());
  std::vector<std::string> keys;
  int64_t epoch = 0, before = -1;
  Status s = db_.write([&](Connection& c) -> Status {
    keys.clear();
    SEGUE_ASSIGN_OR_RETURN(bool exists, user_exists(c, user));
    if (!exists) return Error::not_found("no such user");
    SEGUE_TRY(collect_user_access_keys(c, user, keys));
    SEGUE_TRY(revoke_user_grants(c, user, t));
    SEGUE_TRY(delete_unused_codes(c, user));
    SEGUE_ASSIGN_OR_RETURN(epoch, bump_credentials_epoch(c, user));
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
  Status s =
      db_.write([&](Connection& c) -> Status { return insert_client(c, out.client, hash); });
  if (!s) return s.error();
  return out;
}

Status AuthService::ensure_first_party_client(const ClientId& id, std::string_view name,
                                              std::string_view redirect_path) {
  SEGUE_TRY(validate_label(name, kMaxClientName, "client name"));
  if (redirect_path.empty() || redirect_path.front() != '/' || redirect_path.substr(0, 2) == "//")
    return Error::invalid("a first-party redirect must be a path starting with a single '/'");
  return db_.write([&](Connection& c) -> Status {
    return upsert_first_party_client(c, id, name, redirect_path, unix_seconds(now()));
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
    SEGUE_ASSIGN_OR_RETURN(out, load_clients(c));
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
    SEGUE_ASSIGN_OR_RETURN(stored, load_client_secret_hash(c, id));
    return {};
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
    SEGUE_ASSIGN_OR_RETURN(bool exists, user_exists(c, user));
    if (!exists) return Error::not_found("no such user");
    CodeRow row;
    row.client_id = request.client_id.str();
    row.user_id = user.str();
    row.redirect_uri = request.redirect_uri;
    row.scopes = request.scopes;
    row.code_challenge = request.code_challenge;
    row.created_at = t;
    row.expires_at = t + options_.code_ttl.count();
    return insert_code(c, secret_hash(code), row);
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
    SEGUE_ASSIGN_OR_RETURN(std::optional<CodeRow> row, load_code(c, code_key));
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
    if (row->code_challenge) {
      if (code_verifier.empty()) {
        failure = invalid_grant("code_verifier is required");
        return {};
      }
      if (!verify_pkce(code_verifier, *row->code_challenge)) {
        failure = invalid_grant("code_verifier does not match the code_challenge");
        return {};
      }
    } else if (!code_verifier.empty()) {
      failure = invalid_grant("code_verifier sent but the authorization request had no challenge");
      return {};
    }

    SEGUE_ASSIGN_OR_RETURN(std::string grant_id, fresh([] { return random_base62_id(); }));
    const ScopeSet& scopes = row->scopes;
    SEGUE_TRY(insert_grant(c, grant_id, row->client_id, row->user_id, kGrantAuthorizationCode,
                           scopes, t));
    SEGUE_ASSIGN_OR_RETURN(int64_t marked, mark_code_used(c, code_key, grant_id, t));
    if (marked != 1) return Error::internal("authorization code changed during exchange");
    SEGUE_ASSIGN_OR_RETURN(NewToken access, issue_token(c, kAccessPrefix, kTokenAccess, grant_id,
                                                        scopes, t, options_.access_ttl));
    SEGUE_ASSIGN_OR_RETURN(NewToken refresh, issue_token(c, kRefreshPrefix, kTokenRefresh,
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
    SEGUE_ASSIGN_OR_RETURN(std::optional<TokenRow> row, load_token(c, key));
    if (!row || row->kind != kTokenRefresh) {
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
    const ScopeSet& granted = row->grant_scopes;
    if (requested && !granted.contains_all(*requested)) {
      failure = fail(OAuthError::kInvalidScope, "scope exceeds the scope granted");
      return {};
    }
    const ScopeSet access_scopes = requested.value_or(granted);
    SEGUE_ASSIGN_OR_RETURN(int64_t marked, mark_token_used(c, key, t));
    if (marked != 1) return Error::internal("refresh token changed during rotation");
    SEGUE_ASSIGN_OR_RETURN(NewToken access, issue_token(c, kAccessPrefix, kTokenAccess,
                                                        row->grant_id, access_scopes, t,
                                                        options_.access_ttl));
    SEGUE_ASSIGN_OR_RETURN(NewToken next, issue_token(c, kRefreshPrefix, kTokenRefresh,
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
    SEGUE_TRY(insert_grant(c, grant_id, client->id.str(), std::nullopt, kGrantClientCredentials,
                           *scopes, t));
    SEGUE_ASSIGN_OR_RETURN(NewToken access, issue_token(c, kAccessPrefix, kTokenAccess, grant_id,
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
    SEGUE_ASSIGN_OR_RETURN(auto row, load_client_token(c, key, client->id.str()));
    if (!row) return {};
    user_id = row->user_id;
    if (row->kind == kTokenRefresh) {
      SEGUE_TRY(revoke_grant(c, row->grant_id, t, revoked));
    } else {
      SEGUE_ASSIGN_OR_RETURN(int64_t n, revoke_single_token(c, key, t));
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
  return revalidate_access_token(token);
}

Result<Principal> AuthService::revalidate_access_token(std::string_view token) {
  const std::string key = secret_hash(token);
  const uint64_t generation = cache_.generation();  // before the read; see TokenCache
  const TimePoint t = now();
  std::optional<AccessTokenRow> row;
  Status s = db_.read([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(row, load_access_token(c, key));
    return {};
  });
  if (!s) return s.error();
  if (!row || row->revoked || t >= row->principal.expires_at) cache_.erase({key});
  if (!row) return Error::unauthenticated("invalid access token");
  if (row->revoked) return Error::unauthenticated("access token revoked");
  Principal& principal = row->principal;
  if (t >= principal.expires_at) return Error::unauthenticated("access token expired").because(ErrorReason::kExpired);
  const TimePoint fresh_until = std::min(principal.expires_at, t + options_.cache_freshness);
  cache_.insert(key, TokenCache::Entry{principal, fresh_until}, generation);
  return std::move(principal);
}

Result<int64_t> AuthService::purge_expired() {
  const int64_t t = unix_seconds(now());
  int64_t total = 0;
  Status s = db_.write([&](Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(total, delete_expired(c, t - kUsedCodeRetention, t));
    return {};
  });
  if (!s) return s.error();
  return total;
}

}  // namespace segue::auth
