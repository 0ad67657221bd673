// The auth schema and every statement of the auth module. Portable SQL only: TEXT/INTEGER
// columns, times as Unix seconds, booleans as 0/1, secrets only as SHA-256 hex digests. See
// docs/formats/oauth-tokens.md.
#include "auth/auth_store.h"

#include "common/strings.h"

namespace segue::auth {
namespace {

using store::Connection;
using store::Row;
using store::Value;

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

Result<std::optional<User>> load_one_user(Connection& c, std::string_view where_column,
                                          const std::string& value) {
  std::optional<User> out;
  SEGUE_TRY(c.query("SELECT " + std::string(kUserColumns) + " FROM users WHERE " +
                        std::string(where_column) + " = ?",
                    {value}, [&](const Row& r) { out = user_from_row(r); }));
  return out;
}

Result<int64_t> update_user_column(Connection& c, std::string_view set_sql, Value value,
                                   const std::string& name_key) {
  return c.exec("UPDATE users SET " + std::string(set_sql) + " WHERE name_key = ?",
                {std::move(value), name_key});
}

// The hashes of live access tokens of the grants `where` selects.
Status collect_access_keys(Connection& c, std::string_view where,
                           const std::vector<Value>& params, std::vector<std::string>& keys) {
  return c.query(
      "SELECT t.token_hash FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
      "WHERE t.kind = 'access' AND t.revoked_at IS NULL AND " + std::string(where),
      params, [&](const Row& r) { keys.push_back(r.text(0)); });
}

Status insert_redirect(Connection& c, const std::string& client_id, const std::string& uri) {
  SEGUE_TRY(c.exec("INSERT INTO oauth_client_redirects (client_id, redirect_uri) VALUES (?, ?)",
                   {client_id, uri}));
  return {};
}

}  // namespace

std::vector<store::Migration> auth_migrations() {
  return {
      {1, R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  admin INTEGER NOT NULL,
  tier TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE oauth_clients (
  client_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT,
  is_public INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE oauth_client_redirects (
  client_id TEXT NOT NULL REFERENCES oauth_clients (client_id),
  redirect_uri TEXT NOT NULL,
  PRIMARY KEY (client_id, redirect_uri)
);
CREATE TABLE oauth_grants (
  id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients (client_id),
  user_id TEXT REFERENCES users (id),
  kind TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id);
CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients (client_id),
  user_id TEXT NOT NULL REFERENCES users (id),
  redirect_uri TEXT NOT NULL,
  scopes TEXT NOT NULL,
  code_challenge TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  grant_id TEXT REFERENCES oauth_grants (id)
);
CREATE INDEX oauth_codes_user ON oauth_codes (user_id);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);
CREATE TABLE oauth_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES oauth_grants (id),
  kind TEXT NOT NULL,
  scopes TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at)
)sql"},
      // Revocations reach every process on the database at once: a user's credentials epoch
      // (bumped by a password change or "sign out everywhere"; stream tokens carry it) and one
      // revision counter bumped by every revocation, which a server polls cheaply.
      {2, R"sql(
ALTER TABLE users ADD COLUMN credentials_epoch INTEGER NOT NULL DEFAULT 0;
CREATE TABLE auth_revision (
  id INTEGER PRIMARY KEY,
  revision INTEGER NOT NULL
);
INSERT INTO auth_revision (id, revision) VALUES (1, 0)
)sql"},
  };
}

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
std::chrono::system_clock::time_point from_unix(int64_t s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

ScopeSet parse_stored_scopes(std::string_view text) {
  ScopeSet out;
  for (const auto& name : strings::split(text, ' '))
    if (auto s = scope_from_name(name)) out.add(*s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Revision and credentials epochs

Result<int64_t> load_revision(Connection& c) {
  SEGUE_ASSIGN_OR_RETURN(auto r, c.query_int("SELECT revision FROM auth_revision WHERE id = 1"));
  return r.value_or(0);
}

Result<int64_t> bump_revision(Connection& c) {
  SEGUE_ASSIGN_OR_RETURN(int64_t before, load_revision(c));
  SEGUE_TRY(c.exec("UPDATE auth_revision SET revision = revision + 1 WHERE id = 1"));
  return before;
}

Result<int64_t> bump_credentials_epoch(Connection& c, const UserId& user) {
  SEGUE_TRY(c.exec("UPDATE users SET credentials_epoch = credentials_epoch + 1 WHERE id = ?",
                   {user.str()}));
  SEGUE_ASSIGN_OR_RETURN(auto e, c.query_int("SELECT credentials_epoch FROM users WHERE id = ?",
                                             {user.str()}));
  return e.value_or(0);
}

Result<std::vector<std::pair<std::string, int64_t>>> load_credentials_epochs(Connection& c) {
  std::vector<std::pair<std::string, int64_t>> out;
  SEGUE_TRY(c.query("SELECT id, credentials_epoch FROM users WHERE credentials_epoch > 0", {},
                    [&](const Row& row) { out.emplace_back(row.text(0), row.i64(1)); }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Users

Result<bool> user_name_taken(Connection& c, const std::string& name_key) {
  SEGUE_ASSIGN_OR_RETURN(auto taken,
                         c.query_int("SELECT 1 FROM users WHERE name_key = ?", {name_key}));
  return taken.has_value();
}

Result<bool> user_exists(Connection& c, const UserId& user) {
  SEGUE_ASSIGN_OR_RETURN(auto exists,
                         c.query_int("SELECT 1 FROM users WHERE id = ?", {user.str()}));
  return exists.has_value();
}

Status insert_user(Connection& c, const User& u, const std::string& name_key,
                   const std::string& password_hash) {
  SEGUE_TRY(c.exec(
      "INSERT INTO users (id, name, name_key, display_name, password_hash, admin, tier, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {u.id.str(), u.name, name_key, u.display_name, password_hash, int64_t{u.admin ? 1 : 0},
       std::string(tier_name(u.tier)), unix_seconds(u.created_at)}));
  return {};
}

Result<std::optional<User>> load_user(Connection& c, const UserId& id) {
  return load_one_user(c, "id", id.str());
}

Result<std::optional<User>> load_user_by_name(Connection& c, const std::string& name_key) {
  return load_one_user(c, "name_key", name_key);
}

Result<std::optional<UserLogin>> load_user_login(Connection& c, const std::string& name_key) {
  std::optional<UserLogin> out;
  SEGUE_TRY(c.query("SELECT " + std::string(kUserColumns) +
                        ", password_hash FROM users WHERE name_key = ?",
                    {name_key},
                    [&](const Row& r) { out = UserLogin{user_from_row(r), r.text(6)}; }));
  return out;
}

Result<std::vector<User>> load_users(Connection& c) {
  std::vector<User> out;
  SEGUE_TRY(c.query("SELECT " + std::string(kUserColumns) + " FROM users ORDER BY name_key", {},
                    [&](const Row& r) { out.push_back(user_from_row(r)); }));
  return out;
}

Result<std::optional<UserId>> load_user_id(Connection& c, const std::string& name_key) {
  std::optional<UserId> id;
  SEGUE_TRY(c.query("SELECT id FROM users WHERE name_key = ?", {name_key},
                    [&](const Row& r) { id = UserId(r.text(0)); }));
  return id;
}

Status set_password_hash(Connection& c, const UserId& user, const std::string& hash) {
  SEGUE_TRY(c.exec("UPDATE users SET password_hash = ? WHERE id = ?", {hash, user.str()}));
  return {};
}

Status replace_password_hash(Connection& c, const UserId& user, const std::string& old_hash,
                             const std::string& new_hash) {
  SEGUE_TRY(c.exec("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                   {new_hash, user.str(), old_hash}));
  return {};
}

Result<int64_t> update_user_tier(Connection& c, const std::string& name_key, Tier tier) {
  return update_user_column(c, "tier = ?", std::string(tier_name(tier)), name_key);
}

Result<int64_t> update_user_admin(Connection& c, const std::string& name_key, bool admin) {
  return update_user_column(c, "admin = ?", int64_t{admin ? 1 : 0}, name_key);
}

Result<int64_t> update_user_display_name(Connection& c, const std::string& name_key,
                                         std::string_view display_name) {
  return update_user_column(c, "display_name = ?", std::string(display_name), name_key);
}

// ---------------------------------------------------------------------------------------------
// Clients

Result<std::optional<Client>> load_client(Connection& c, const std::string& client_id) {
  std::optional<Client> out;
  SEGUE_TRY(c.query("SELECT client_id, name, is_public, created_at FROM oauth_clients "
                    "WHERE client_id = ?",
                    {client_id}, [&](const Row& r) {
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
                    {client_id}, [&](const Row& r) { out->redirect_uris.push_back(r.text(0)); }));
  return out;
}

Result<std::vector<Client>> load_clients(Connection& c) {
  std::vector<std::string> ids;
  SEGUE_TRY(c.query("SELECT client_id FROM oauth_clients ORDER BY name, client_id", {},
                    [&](const Row& r) { ids.push_back(r.text(0)); }));
  std::vector<Client> out;
  for (const auto& id : ids) {
    SEGUE_ASSIGN_OR_RETURN(auto cl, load_client(c, id));
    if (cl) out.push_back(*std::move(cl));
  }
  return out;
}

Result<std::optional<std::string>> load_client_secret_hash(Connection& c,
                                                           const std::string& client_id) {
  std::optional<std::string> stored;
  SEGUE_TRY(c.query("SELECT secret_hash FROM oauth_clients WHERE client_id = ?", {client_id},
                    [&](const Row& r) { stored = r.opt_text(0); }));
  return stored;
}

Status insert_client(Connection& c, const Client& client,
                     const std::optional<std::string>& secret_hash) {
  SEGUE_TRY(c.exec("INSERT INTO oauth_clients (client_id, name, secret_hash, is_public, "
                   "created_at) VALUES (?, ?, ?, ?, ?)",
                   {client.id.str(), client.name, store::opt(secret_hash),
                    int64_t{client.is_public ? 1 : 0}, unix_seconds(client.created_at)}));
  for (const auto& uri : client.redirect_uris)
    SEGUE_TRY(insert_redirect(c, client.id.str(), uri));
  return {};
}

Status upsert_first_party_client(Connection& c, const ClientId& id, std::string_view name,
                                 std::string_view redirect_uri, int64_t created_at) {
  SEGUE_TRY(c.exec("INSERT INTO oauth_clients (client_id, name, secret_hash, is_public, created_at) "
                   "VALUES (?, ?, NULL, 1, ?) ON CONFLICT (client_id) DO UPDATE SET "
                   "name = excluded.name, secret_hash = NULL, is_public = 1",
                   {id.str(), std::string(name), created_at}));
  SEGUE_TRY(c.exec("DELETE FROM oauth_client_redirects WHERE client_id = ?", {id.str()}));
  return insert_redirect(c, id.str(), std::string(redirect_uri));
}

// ---------------------------------------------------------------------------------------------
// Authorization codes

Status insert_code(Connection& c, const std::string& code_hash, const CodeRow& code) {
  SEGUE_TRY(c.exec(
      "INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, scopes, "
      "code_challenge, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {code_hash, code.client_id, code.user_id, code.redirect_uri, code.scopes.to_string(),
       store::opt(code.code_challenge), code.created_at, code.expires_at}));
  return {};
}

Result<std::optional<CodeRow>> load_code(Connection& c, const std::string& code_hash) {
  std::optional<CodeRow> row;
  SEGUE_TRY(c.query(
      "SELECT client_id, user_id, redirect_uri, scopes, code_challenge, expires_at, used_at, "
      "grant_id FROM oauth_codes WHERE code_hash = ?",
      {code_hash}, [&](const Row& r) {
        CodeRow code;
        code.client_id = r.text(0);
        code.user_id = r.text(1);
        code.redirect_uri = r.text(2);
        code.scopes = parse_stored_scopes(r.text(3));
        code.code_challenge = r.opt_text(4);
        code.expires_at = r.i64(5);
        code.used_at = r.opt_i64(6);
        code.grant_id = r.opt_text(7);
        row = std::move(code);
      }));
  return row;
}

Result<int64_t> mark_code_used(Connection& c, const std::string& code_hash,
                               const std::string& grant_id, int64_t now) {
  return c.exec(
      "UPDATE oauth_codes SET used_at = ?, grant_id = ? WHERE code_hash = ? AND used_at IS NULL",
      {now, grant_id, code_hash});
}

Status delete_unused_codes(Connection& c, const UserId& user) {
  SEGUE_TRY(c.exec("DELETE FROM oauth_codes WHERE user_id = ? AND used_at IS NULL", {user.str()}));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Grants and tokens

Status insert_grant(Connection& c, const std::string& id, const std::string& client_id,
                    const std::optional<std::string>& user_id, std::string_view kind,
                    const ScopeSet& scopes, int64_t created_at) {
  SEGUE_TRY(c.exec(
      "INSERT INTO oauth_grants (id, client_id, user_id, kind, scopes, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {id, client_id, store::opt(user_id), std::string(kind), scopes.to_string(), created_at}));
  return {};
}

Status insert_token(Connection& c, const std::string& token_hash, const std::string& grant_id,
                    std::string_view kind, const ScopeSet& scopes, int64_t issued_at,
                    int64_t expires_at) {
  SEGUE_TRY(c.exec(
      "INSERT INTO oauth_tokens (token_hash, grant_id, kind, scopes, issued_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {token_hash, grant_id, std::string(kind), scopes.to_string(), issued_at, expires_at}));
  return {};
}

Result<std::optional<TokenRow>> load_token(Connection& c, const std::string& token_hash) {
  std::optional<TokenRow> row;
  SEGUE_TRY(c.query(
      "SELECT t.grant_id, t.kind, g.client_id, g.scopes, t.expires_at, t.used_at, "
      "t.revoked_at, g.revoked_at, g.user_id FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
      "WHERE t.token_hash = ?",
      {token_hash}, [&](const Row& r) {
        row = TokenRow{r.text(0),    r.text(1),    r.text(2),    parse_stored_scopes(r.text(3)),
                       r.i64(4),     r.opt_i64(5), r.opt_i64(6), r.opt_i64(7),
                       r.text(8)};
      }));
  return row;
}

Result<std::optional<ClientToken>> load_client_token(Connection& c, const std::string& token_hash,
                                                     const std::string& client_id) {
  std::optional<ClientToken> row;
  SEGUE_TRY(c.query(
      "SELECT t.grant_id, t.kind, g.user_id FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
      "WHERE t.token_hash = ? AND g.client_id = ?",
      {token_hash, client_id},
      [&](const Row& r) { row = ClientToken{r.text(0), r.text(1), r.text(2)}; }));
  return row;
}

Result<std::optional<AccessTokenRow>> load_access_token(Connection& c,
                                                        const std::string& token_hash) {
  std::optional<AccessTokenRow> row;
  SEGUE_TRY(c.query(
      "SELECT t.expires_at, t.revoked_at, t.scopes, g.client_id, g.user_id, g.revoked_at, "
      "u.tier, u.admin FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
      "LEFT JOIN users u ON u.id = g.user_id WHERE t.token_hash = ? AND t.kind = 'access'",
      {token_hash}, [&](const Row& r) {
        AccessTokenRow a;
        Principal& p = a.principal;
        p.expires_at = from_unix(r.i64(0));
        a.revoked = !r.is_null(1) || !r.is_null(5);
        p.scopes = parse_stored_scopes(r.text(2));
        p.client = ClientId(r.text(3));
        if (!r.is_null(4)) {
          p.user = UserId(r.text(4));
          p.tier = tier_from_name(r.text(6)).value_or(Tier::kFree);
          p.admin = r.i64(7) != 0;
        }
        row = std::move(a);
      }));
  return row;
}

Result<int64_t> mark_token_used(Connection& c, const std::string& token_hash, int64_t now) {
  return c.exec("UPDATE oauth_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                {now, token_hash});
}

Result<int64_t> revoke_single_token(Connection& c, const std::string& token_hash, int64_t now) {
  return c.exec(
      "UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
      {now, token_hash});
}

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

Status revoke_user_grants(Connection& c, const UserId& user, int64_t now) {
  SEGUE_TRY(c.exec(
      "UPDATE oauth_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND grant_id IN "
      "(SELECT id FROM oauth_grants WHERE user_id = ?)",
      {now, user.str()}));
  SEGUE_TRY(c.exec(
      "UPDATE oauth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
      {now, user.str()}));
  return {};
}

Status collect_user_access_keys(Connection& c, const UserId& user,
                                std::vector<std::string>& keys) {
  return collect_access_keys(c, "g.user_id = ?", {user.str()}, keys);
}

Status collect_user_access_keys_by_name(Connection& c, const std::string& name_key,
                                        std::vector<std::string>& keys) {
  return collect_access_keys(c, "g.user_id = (SELECT id FROM users WHERE name_key = ?)",
                             {name_key}, keys);
}

Result<int64_t> delete_expired(Connection& c, int64_t code_cutoff, int64_t now) {
  SEGUE_ASSIGN_OR_RETURN(int64_t codes, c.exec(
      "DELETE FROM oauth_codes WHERE expires_at <= ?", {code_cutoff}));
  SEGUE_ASSIGN_OR_RETURN(int64_t tokens,
                         c.exec("DELETE FROM oauth_tokens WHERE expires_at <= ?", {now}));
  SEGUE_ASSIGN_OR_RETURN(int64_t grants, c.exec(
      "DELETE FROM oauth_grants WHERE NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE "
      "t.grant_id = oauth_grants.id) AND NOT EXISTS (SELECT 1 FROM oauth_codes o WHERE "
      "o.grant_id = oauth_grants.id)"));
  return codes + tokens + grants;
}

}  // namespace segue::auth
