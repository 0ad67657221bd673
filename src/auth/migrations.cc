// The auth schema. Portable SQL only: TEXT/INTEGER columns, times as Unix seconds, booleans
// as 0/1, secrets only as SHA-256 hex digests. See docs/formats/oauth-tokens.md.
#include "auth/auth_service.h"

namespace segue::auth {

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

}  // namespace segue::auth
