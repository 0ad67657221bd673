// The auth module's SQL: the schema migrations (`auth_migrations()`, declared in
// auth_service.h, is defined in auth_store.cc) and every statement AuthService runs, as
// functions over a store::Connection that take and return typed values. Portable SQL only:
// TEXT/INTEGER columns, times as Unix seconds, booleans as 0/1, secrets only as SHA-256 hex
// digests (the callers hash them). See docs/formats/oauth-tokens.md.
//
// Nothing here opens a transaction, validates input or decides an OAuth rule: AuthService does,
// and calls these inside its db.read()/db.write() callbacks, on the thread that called
// read()/write(). They touch only the database and what the caller passes in, so a write
// callback that calls them may run again (PostgreSQL retries a SERIALIZABLE conflict).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/auth_service.h"
#include "auth/principal.h"
#include "auth/scopes.h"
#include "auth/user.h"
#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::auth {

// Stored times are Unix seconds.
int64_t unix_seconds(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_unix(int64_t s);

// oauth_tokens.kind and oauth_grants.kind.
inline constexpr std::string_view kTokenAccess = "access";
inline constexpr std::string_view kTokenRefresh = "refresh";
inline constexpr std::string_view kGrantAuthorizationCode = "authorization_code";
inline constexpr std::string_view kGrantClientCredentials = "client_credentials";

// Stored scope strings are parsed leniently: a scope removed from a later Segue is dropped
// instead of invalidating every token that held it.
ScopeSet parse_stored_scopes(std::string_view text);

// ---- Revision and credentials epochs (see AuthService::sync_revocations) ----

// The revision row's value (0 if the row is missing).
Result<int64_t> load_revision(store::Connection& c);
// Bumps the revision row and returns the value it had before.
Result<int64_t> bump_revision(store::Connection& c);
// Bumps a user's credentials epoch and returns the new one.
Result<int64_t> bump_credentials_epoch(store::Connection& c, const UserId& user);
// Every user whose credentials epoch is above 0, with it.
Result<std::vector<std::pair<std::string, int64_t>>> load_credentials_epochs(store::Connection& c);

// ---- Users ----
// `name_key` is the name in ASCII lower case (users.name_key, unique).

struct UserLogin {
  User user;
  std::string password_hash;
};

Result<bool> user_name_taken(store::Connection& c, const std::string& name_key);
Result<bool> user_exists(store::Connection& c, const UserId& user);
Status insert_user(store::Connection& c, const User& u, const std::string& name_key,
                   const std::string& password_hash);
Result<std::optional<User>> load_user(store::Connection& c, const UserId& id);
Result<std::optional<User>> load_user_by_name(store::Connection& c, const std::string& name_key);
Result<std::optional<UserLogin>> load_user_login(store::Connection& c, const std::string& name_key);
Result<std::vector<User>> load_users(store::Connection& c);  // ordered by name_key
Result<std::optional<UserId>> load_user_id(store::Connection& c, const std::string& name_key);
Status set_password_hash(store::Connection& c, const UserId& user, const std::string& hash);
// Replaces the hash only if it is still `old_hash` (a rehash racing a password change loses).
Status replace_password_hash(store::Connection& c, const UserId& user, const std::string& old_hash,
                             const std::string& new_hash);
// These return the number of users changed (0: no such name).
Result<int64_t> update_user_tier(store::Connection& c, const std::string& name_key, Tier tier);
Result<int64_t> update_user_admin(store::Connection& c, const std::string& name_key, bool admin);
Result<int64_t> update_user_display_name(store::Connection& c, const std::string& name_key,
                                         std::string_view display_name);

// ---- Clients ----

// The client with its redirect URIs (ordered), nullopt if unknown.
Result<std::optional<Client>> load_client(store::Connection& c, const std::string& client_id);
Result<std::vector<Client>> load_clients(store::Connection& c);  // ordered by name, client_id
// The client's secret hash; nullopt for an unknown or public client.
Result<std::optional<std::string>> load_client_secret_hash(store::Connection& c,
                                                           const std::string& client_id);
// Inserts the client and its redirect URIs.
Status insert_client(store::Connection& c, const Client& client,
                     const std::optional<std::string>& secret_hash);
// Inserts or updates a public client and replaces its redirect URIs by `redirect_uri`.
// `created_at` is kept if the client exists.
Status upsert_first_party_client(store::Connection& c, const ClientId& id, std::string_view name,
                                 std::string_view redirect_uri, int64_t created_at);

// ---- Authorization codes ----

struct CodeRow {
  std::string client_id;
  std::string user_id;
  std::string redirect_uri;
  ScopeSet scopes;
  std::optional<std::string> code_challenge;
  int64_t created_at = 0;  // written, not read back
  int64_t expires_at = 0;
  std::optional<int64_t> used_at;       // read, not written (mark_code_used sets it)
  std::optional<std::string> grant_id;  // likewise
};

Status insert_code(store::Connection& c, const std::string& code_hash, const CodeRow& code);
Result<std::optional<CodeRow>> load_code(store::Connection& c, const std::string& code_hash);
// Marks an unused code used by `grant_id`; returns the number of codes changed.
Result<int64_t> mark_code_used(store::Connection& c, const std::string& code_hash,
                               const std::string& grant_id, int64_t now);
// Deletes the user's unused codes.
Status delete_unused_codes(store::Connection& c, const UserId& user);

// ---- Grants and tokens ----

// `user_id` nullopt: a grant to the client itself (client_credentials).
Status insert_grant(store::Connection& c, const std::string& id, const std::string& client_id,
                    const std::optional<std::string>& user_id, std::string_view kind,
                    const ScopeSet& scopes, int64_t created_at);
Status insert_token(store::Connection& c, const std::string& token_hash,
                    const std::string& grant_id, std::string_view kind, const ScopeSet& scopes,
                    int64_t issued_at, int64_t expires_at);

// A token with its grant, as the refresh grant reads it.
struct TokenRow {
  std::string grant_id;
  std::string kind;
  std::string client_id;  // the grant's
  ScopeSet grant_scopes;
  int64_t expires_at = 0;
  std::optional<int64_t> used_at;
  std::optional<int64_t> revoked_at;
  std::optional<int64_t> grant_revoked_at;
  std::string user_id;  // the grant's; empty for client_credentials
};
Result<std::optional<TokenRow>> load_token(store::Connection& c, const std::string& token_hash);

// A token of one client, as revocation reads it.
struct ClientToken {
  std::string grant_id;
  std::string kind;
  std::string user_id;  // the grant's; empty for client_credentials
};
Result<std::optional<ClientToken>> load_client_token(store::Connection& c,
                                                     const std::string& token_hash,
                                                     const std::string& client_id);

// An access token as a bearer presents it: who it stands for (with the user's current tier and
// admin flag) and whether it or its grant was revoked.
struct AccessTokenRow {
  Principal principal;
  bool revoked = false;
};
Result<std::optional<AccessTokenRow>> load_access_token(store::Connection& c,
                                                        const std::string& token_hash);

// Marks an unused token used; returns the number of tokens changed.
Result<int64_t> mark_token_used(store::Connection& c, const std::string& token_hash, int64_t now);
// Revokes one token unless already revoked; returns the number of tokens changed.
Result<int64_t> revoke_single_token(store::Connection& c, const std::string& token_hash,
                                    int64_t now);
// Revokes a grant and every token of it; appends the hashes of the live access tokens it
// revoked to `keys` (so that their cached principals can be dropped).
Status revoke_grant(store::Connection& c, const std::string& grant_id, int64_t now,
                    std::vector<std::string>& keys);
// Revokes every grant of the user and every token of them (codes: delete_unused_codes).
Status revoke_user_grants(store::Connection& c, const UserId& user, int64_t now);
// Append the hashes of the user's live (unrevoked) access tokens to `keys`.
Status collect_user_access_keys(store::Connection& c, const UserId& user,
                                std::vector<std::string>& keys);
Status collect_user_access_keys_by_name(store::Connection& c, const std::string& name_key,
                                        std::vector<std::string>& keys);

// Deletes codes that expired at or before `code_cutoff`, tokens that expired at or before
// `now`, and grants left without tokens or codes; returns the number of rows deleted.
Result<int64_t> delete_expired(store::Connection& c, int64_t code_cutoff, int64_t now);

}  // namespace segue::auth
