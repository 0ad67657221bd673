// Who may call each route: one table for every route the server registers (api/spotify and
// the web player's files), next to the route registrations and reviewed against Spotify's
// reference. guard() reads a route's rule from here, so a handler cannot state its own; the
// server refuses to start when a registered route has no rule (check_route_rules), and the
// system test tests/integration/access_control.test.ts tries every rule as the owner, another
// user, a collaborator, a follower, a token without the scope, an app token and no token.
//
// docs/security.md explains the callers and object rules; `segue routes` prints the table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "auth/scopes.h"
#include "common/result.h"
#include "net/http.h"
#include "net/router.h"

namespace segue::api::spotify {

struct ApiContext;

// Who the route serves before any per-object rule.
enum class Caller {
  kAnyone,      // no credential at all (health, the web player's files, catalog art)
  kLogin,       // a person at the login form (username and password; throttled)
  kClient,      // an OAuth client authenticating itself (client id, secret or PKCE)
  kCapability,  // a credential in the URL the server signed (stream token, signed image URL)
  kOperator,    // the operator (loopback, or the metrics token; see README settings)
  kAnyToken,    // any valid bearer token: a user's or an app's (client credentials)
  kUser,        // a bearer token issued to a user (never client credentials)
};

// What the route acts on, checked after the caller and scopes.
enum class ObjectRule {
  kNone,            // shared data (the catalog) or nothing
  kOwn,             // the caller's own data (/v1/me/...): nobody reaches another user's
  kPlaylistRead,    // playlist {id}: visible to the user (owner, collaborator of a collaborative
                    // playlist, or public); a private one also needs playlist-read-private, or
                    // playlist-read-collaborative for a collaborative one
  kPlaylistModify,  // playlist {id}: visible, and playlist-modify-public for a public one,
                    // playlist-modify-private for a private one; the service then decides
                    // whether the user may edit (owner, or collaborator for items)
  kByBody,          // the handler picks the modify scope by the visibility the request asks for
};

// Whose definition the route follows.
enum class Origin {
  kSpotify,  // Spotify's Web API: scopes reviewed against its reference (spotify_scopes)
  kSegue,    // a Segue extension: the scopes are our documented choice (note)
  kServer,   // OAuth, media and system endpoints outside the Web API
};

struct RouteRule {
  net::http::verb method;
  std::string_view pattern;  // as registered: "/v1/playlists/{id}/tracks"
  Caller caller;
  std::vector<auth::Scope> scopes;  // all required
  ObjectRule object = ObjectRule::kNone;
  Origin origin = Origin::kSpotify;
  // The scopes Spotify's reference lists for the endpoint (space-separated, "" for none):
  // the test compares them with Spotify's OpenAPI document, so a review cannot go stale.
  std::string_view spotify_scopes;
  std::string_view note;  // why, where the rule is a choice
};

// A WebSocket topic of /v1/ws ("playlist:<id>", "me") and who may subscribe.
struct TopicRule {
  std::string_view kind;
  std::vector<auth::Scope> scopes;
  ObjectRule object;
  std::string_view note;
};

const std::vector<RouteRule>& route_rules();
const std::vector<TopicRule>& topic_rules();

// The rule of `pattern` for `method` (HEAD reads GET's), or null.
const RouteRule* find_route_rule(net::http::verb method, std::string_view pattern);

// "METHOD pattern" of every route `router` serves that has no rule, and of every rule whose
// route is not served while `require_all` (a server with every feature on); empty when the
// table and the router agree.
std::vector<std::string> check_route_rules(const net::Router& router, bool require_all = false);

// Every topic kind of `kinds` (the /v1/ws topics the server registered) that has no TopicRule.
std::vector<std::string> check_topic_rules(const std::vector<std::string>& kinds);

// On a worker: applies `rule.object` for `p` on the request's target. not_found for an object
// the user may not see, permission_denied (Spotify's "Insufficient client scope") for a
// missing object-dependent scope.
Status check_object_rule(ApiContext& ctx, const auth::Principal& p, const RouteRule& rule,
                         const net::Request& req);

std::string_view caller_name(Caller c);
std::string_view object_rule_name(ObjectRule r);
std::string_view origin_name(Origin o);
// The table as JSON (for `segue routes --json` and the access-control test).
std::string route_rules_json();

}  // namespace segue::api::spotify
