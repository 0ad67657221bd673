// Accounts and the OAuth 2.0 authorization server, as domain code: the HTTP handlers of
// /authorize, /api/token and the Web API parse the request, call one method here and map the
// answer (Error or OAuthFailure) to the wire. Nothing here knows about HTTP.
//
// Flows: authorization code with PKCE (S256 only; mandatory for public clients), refresh with
// rotation and reuse detection, client credentials for confidential clients. Tokens are opaque
// random strings stored as SHA-256 hashes; see docs/formats/oauth-tokens.md.
//
// Threads: every method is thread-safe. All methods but validate_cached() block on the
// database (and create_user/verify_password/set_password on Argon2), so call them from a
// worker pool. validate_cached() touches only memory and may run on a network thread.
//
// Parameters named like OAuth request parameters take the raw values received; an empty
// string means the parameter was absent (RFC 6749 §3.1: a parameter without a value is
// treated as omitted).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/oauth_error.h"
#include "auth/password.h"
#include "auth/principal.h"
#include "auth/scopes.h"
#include "auth/token_cache.h"
#include "auth/user.h"
#include "auth/user_directory.h"
#include "bus/event_bus.h"
#include "common/ids.h"
#include "common/result.h"
#include "store/database.h"

namespace segue::auth {

// The source of "now"; tests inject a fake one to expire codes and tokens without sleeping.
using Clock = std::function<std::chrono::system_clock::time_point()>;

struct AuthOptions {
  std::chrono::seconds access_ttl{3600};
  std::chrono::seconds code_ttl{600};  // RFC 6749 §4.1.2 recommends at most 10 minutes
  // Lifetime of each refresh token; every rotation issues a new one with a full lifetime, so
  // a session lives as long as it is used at least this often.
  std::chrono::seconds refresh_ttl{std::chrono::hours(24 * 90)};
  // How long a cached principal is trusted without asking the database. Revocations through
  // this AuthService take effect at once, and those made by another process on the same
  // database (the CLI) as soon as sync_revocations() sees them (watch_revocations() polls);
  // this is only the backstop if nothing polls.
  std::chrono::seconds cache_freshness{60};
  std::size_t cache_capacity = 100'000;
  PasswordParams password;
  // Where revocations are announced (bus::UsersRevoked): on the revoking thread after the
  // commit, or on the watch thread for another process's. Null: announced nowhere.
  bus::EventBus* events = nullptr;
};

struct Client {
  ClientId id;  // 32 lowercase hex characters, like Spotify's
  std::string name;
  std::vector<std::string> redirect_uris;  // matched by exact string equality
  bool is_public = false;  // a native or browser app that cannot keep a secret
  std::chrono::system_clock::time_point created_at;
};

struct RegisteredClient {
  Client client;
  // The client secret (32 hex characters) of a confidential client. Only its hash is stored:
  // this is the one chance to show it. nullopt for public clients.
  std::optional<std::string> secret;
};

// A validated authorization request, to carry through the login and consent pages and then
// pass to issue_code().
struct AuthorizeRequest {
  ClientId client_id;
  std::string client_name;  // for the consent page
  std::string redirect_uri;
  ScopeSet scopes;
  std::optional<std::string> code_challenge;  // S256; nullopt if the client sent none
  std::string state;  // opaque; echo it back on the redirect
  // The origin ("http://host:port") of the server the request reached, against which a
  // first-party client's path-only redirect URI ("/callback") is resolved. Empty: none.
  std::string origin;
};

// The answer of the token endpoint, ready to be written as its JSON body.
struct TokenSet {
  std::string access_token;
  std::string token_type = "Bearer";
  std::chrono::seconds expires_in{0};
  std::optional<std::string> refresh_token;  // none for client_credentials
  std::string scope;  // space-separated scopes of the access token
};

class AuthService {
 public:
  // Applies the "auth" schema migrations to `db` and returns a service over it.
  // Error::invalid if `options` are out of range (a ttl <= 0, code_ttl > 600 s); the
  // migration's error otherwise. `db` must outlive the service. An empty `clock` means
  // std::chrono::system_clock::now.
  static Result<std::unique_ptr<AuthService>> open(store::Database& db, AuthOptions options = {},
                                                   Clock clock = {});

  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;
  ~AuthService();

  // ---- Users ----

  // Creates a user whose display name is `name`. Error::invalid if the name is not 1-64 of
  // [A-Za-z0-9._-] or the password is shorter than 8 characters (or longer than 1024 bytes);
  // Error::conflict if the name is taken (names are unique ignoring ASCII case).
  Result<User> create_user(std::string_view name, std::string_view password, bool admin,
                           Tier tier);
  // A user who cannot sign in until an admin sets a password (`segue user passwd`): for history
  // imported for household members who have no account yet. Same name rules and errors.
  Result<User> create_user_without_login(std::string_view name, Tier tier);
  // The stored hash of such a user: never a valid PHC string, so no password matches it.
  static constexpr std::string_view kNoLogin = "!no-login";
  // The user if `password` is theirs. An unknown name and a wrong password both give
  // Error::unauthenticated with the same message, and take about the same time (a dummy hash
  // is verified for unknown names). Names match ignoring ASCII case. Rehashes the password if
  // it was hashed with other parameters than the current ones.
  Result<User> verify_password(std::string_view name, std::string_view password);
  // All users ordered by name.
  Result<std::vector<User>> list_users();
  // Error::not_found if there is no such user.
  Result<User> get_user(const UserId& id);
  Result<User> get_user_by_name(std::string_view name);
  // The user's display name from memory (user_directory.h), or nullopt for a user this process
  // has not seen (created elsewhere since it started): get_user() then reads it, and remembers.
  // Never blocks on I/O.
  std::optional<std::string> display_name(const UserId& id) const { return directory_.display_name(id); }
  // Replaces the password (same rules as create_user) and bumps the user's credentials epoch,
  // which ends their stream tokens. Does not end existing sessions: call
  // revoke_user_sessions() as well when the old password may be known to someone else.
  Status set_password(std::string_view name, std::string_view password);
  // These take effect on the user's live access tokens at once (their cached principals are
  // dropped).
  Status set_tier(std::string_view name, Tier tier);
  Status set_admin(std::string_view name, bool admin);
  // 1-100 bytes of UTF-8 without control characters; Error::invalid otherwise.
  Status set_display_name(std::string_view name, std::string_view display_name);
  // Revokes every grant (access and refresh tokens) of the user and their unused
  // authorization codes, and bumps their credentials epoch (ending their stream tokens).
  // Error::not_found if there is no such user.
  Status revoke_user_sessions(const UserId& user);

  // ---- Revocation across processes ----
  // Every revocation (sessions, a token, a grant, a password change, a tier or admin change)
  // bumps one revision row in the same transaction. sync_revocations() reads that row (one
  // cheap query); when another process changed it, it drops every cached principal, reloads
  // the credentials epochs and tells the listeners which users' epochs moved.
  Status sync_revocations();
  // Calls sync_revocations() every `interval` on a thread of its own until stop_watching()
  // or destruction.
  void watch_revocations(std::chrono::milliseconds interval);
  void stop_watching();
  // The user's credentials epoch, from memory (network threads may call it). Starts at 0;
  // a password change or revoke_user_sessions() increments it.
  int64_t credentials_epoch(const UserId& user) const;
  // The users whose sessions or tokens were revoked or whose credentials epoch changed are
  // announced as bus::UsersRevoked on AuthOptions::events, so that live connections re-check
  // their tokens.

  // ---- Clients ----

  // Registers an application. `name` is 1-200 bytes of UTF-8. Every redirect URI must pass
  // validate_redirect_uri() (Error::invalid naming the URI otherwise); a public client needs
  // at least one. Confidential clients get a secret.
  Result<RegisteredClient> register_client(std::string_view name,
                                           const std::vector<std::string>& redirect_uris,
                                           bool is_public);
  // Creates or updates a first-party public client with a fixed id (the web player served by
  // this server). Its only redirect URI is a path ("/callback") that matches exactly the
  // server's own origin followed by that path, so the client works under whatever host name
  // users reach the server by, yet never redirects elsewhere.
  Status ensure_first_party_client(const ClientId& id, std::string_view name,
                                   std::string_view redirect_path);
  Result<Client> get_client(const ClientId& id);  // Error::not_found if unknown
  Result<std::vector<Client>> list_clients();      // ordered by name
  // The confidential client `client_id` if `secret` is its secret (constant-time compare).
  // Error::unauthenticated for an unknown client, a public client or a wrong secret.
  Result<Client> authenticate_client(std::string_view client_id, std::string_view secret);

  // ---- Authorization code flow ----

  // Checks the query of GET /authorize. Failures, in this order:
  //  - client_id missing (invalid_request) or unknown (invalid_client): may_redirect=false;
  //  - redirect_uri missing or not exactly equal to a registered one (invalid_request):
  //    may_redirect=false (a registered path-only URI matches `origin` + path exactly);
  //  - then, with may_redirect=true: response_type other than "code"
  //    (unsupported_response_type; invalid_request if missing); an unknown scope
  //    (invalid_scope); a code_challenge_method other than S256, including "plain" and a
  //    challenge without a method (invalid_request); a malformed challenge (invalid_request);
  //    a public client without a challenge (invalid_request).
  OAuthResult<AuthorizeRequest> validate_authorize_request(
      std::string_view client_id, std::string_view redirect_uri, std::string_view response_type,
      std::string_view scope, std::string_view code_challenge,
      std::string_view code_challenge_method, std::string_view state,
      std::string_view origin = {});

  // After `user` logged in and consented: a fresh single-use authorization code for
  // `request`, valid for code_ttl. Rechecks the client and redirect URI (they may have changed
  // since validation): Error::invalid if they no longer match; Error::not_found if the user
  // does not exist.
  Result<std::string> issue_code(const AuthorizeRequest& request, const UserId& user);

  // grant_type=authorization_code. Failures:
  //  - invalid_client: unknown client, confidential client without the right secret, public
  //    client that sent a secret;
  //  - invalid_grant: unknown or expired code, a code of another client, redirect_uri not
  //    equal to the authorization request's, a code_verifier missing, malformed or not
  //    matching the challenge, or a verifier sent for a code issued without a challenge;
  //  - invalid_grant for a code used before: every token issued from it is revoked too
  //    (RFC 6749 §4.1.2).
  // Issues an access token and a refresh token.
  OAuthResult<TokenSet> exchange_code(std::string_view client_id, std::string_view client_secret,
                                      std::string_view code, std::string_view redirect_uri,
                                      std::string_view code_verifier);

  // grant_type=refresh_token, with rotation: returns a new refresh token and retires the one
  // presented. `scope`, if given, must be a subset of the granted scopes and narrows only the
  // new access token (invalid_scope otherwise). Failures: invalid_client as for
  // exchange_code; invalid_grant for an unknown, expired or revoked refresh token or one of
  // another client; invalid_grant for a refresh token already used, which also revokes the
  // whole grant (every access and refresh token descended from the same authorization).
  OAuthResult<TokenSet> refresh(std::string_view client_id, std::string_view client_secret,
                                std::string_view refresh_token, std::string_view scope);

  // grant_type=client_credentials: an access token for the application itself (no user, no
  // refresh token). invalid_client as for exchange_code; unauthorized_client for public
  // clients; invalid_scope for unknown scopes.
  OAuthResult<TokenSet> client_credentials(std::string_view client_id,
                                           std::string_view client_secret,
                                           std::string_view scope);

  // Token revocation (RFC 7009): the client authenticates as at the token endpoint; a refresh
  // token revokes its whole grant, an access token only itself. Unknown tokens and tokens of
  // other clients are ignored (the answer is the same success, as §2.2 requires). Returns
  // whether something was revoked.
  OAuthResult<bool> revoke_token(std::string_view client_id, std::string_view client_secret,
                                 std::string_view token);

  // ---- Access tokens ----

  // The principal of a bearer token, from memory only: a Principal for a cached live token;
  // Error::unauthenticated for a malformed token or a cached one that has expired; nullopt if
  // the cache cannot tell (then call validate_access_token on a worker). Never blocks on I/O.
  std::optional<Result<Principal>> validate_cached(std::string_view token) const;
  // The principal of a bearer token: Error::unauthenticated for unknown, expired or revoked
  // tokens; Error::unavailable etc. if the database fails. Consults the cache first and fills
  // it.
  Result<Principal> validate_access_token(std::string_view token);
  // The same from the database only, whatever the cache holds: a refused token leaves the
  // cache, an accepted one refreshes it. For live connections re-checking their token on
  // UsersRevoked, which may come from another node (bus::RedisBus) before this node's
  // revocation watcher has dropped its cache.
  Result<Principal> revalidate_access_token(std::string_view token);

  // Deletes expired tokens, long-expired codes and grants left without tokens; returns the
  // number of rows deleted. For a periodic maintenance job.
  Result<int64_t> purge_expired();

 private:
  Result<User> create_user_with_hash(std::string_view name, std::string hash, bool admin, Tier tier);
  AuthService(store::Database& db, AuthOptions options, Clock clock);

  std::chrono::system_clock::time_point now() const { return clock_(); }
  const std::string& dummy_password_hash();
  OAuthResult<Client> authenticate_for_token(std::string_view client_id,
                                             std::string_view client_secret);
  // A user update by name key (an auth_store.h function); returns the number of users changed.
  // update_user runs it in a write (Error::not_found if it changed none), and with
  // `invalidate_principals` drops the user's cached principals and bumps the revision.
  using UserUpdate = std::function<Result<int64_t>(store::Connection&, const std::string&)>;
  Status update_user(std::string_view name, const UserUpdate& update, bool invalidate_principals);

  // Revision bookkeeping for a write that bumped the revision from `before`.
  void revision_bumped(int64_t before);
  void epoch_seen(const UserId& user, int64_t epoch);
  void notify_revoked(std::vector<UserId> users);

  store::Database& db_;
  const AuthOptions options_;
  const Clock clock_;
  TokenCache cache_;
  UserDirectory directory_;

  std::mutex revision_mu_;
  int64_t known_revision_ = -1;  // the revision this process's caches reflect
  mutable std::shared_mutex epochs_mu_;
  std::unordered_map<std::string, int64_t> epochs_;  // user id -> credentials epoch (> 0 only)
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool watch_stop_ = false;
  bool watch_kick_ = false;  // another node announced a revocation: poll now
  bus::Subscription revoked_sub_;
  std::thread watcher_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

// The "auth" module's schema, for Database::migrate (AuthService::open applies it).
std::vector<store::Migration> auth_migrations();

}  // namespace segue::auth
