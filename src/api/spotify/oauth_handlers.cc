// The OAuth 2.0 authorization server's HTTP face: GET/POST /authorize (login and consent page,
// a plain HTML form that works without JavaScript), POST /api/token and POST /api/revoke.
// Errors use the OAuth shape {"error":"invalid_grant","error_description":"..."}.
#include <strings.h>

#include "api/spotify/abuse.h"
#include "api/spotify/handler_util.h"
#include "api/spotify/routes.h"
#include "common/crypto.h"
#include "common/strings.h"
#include "net/router.h"

#include <variant>

namespace segue::api::spotify {
namespace {
namespace json = boost::json;

using Form = std::vector<std::pair<std::string, std::string>>;

std::string form_get(const Form& f, std::string_view key) {
  for (const auto& [k, v] : f)
    if (k == key) return v;
  return {};
}

// The scheme, host and port of an absolute URI ("https://app.example:8443"), empty if none.
std::string uri_origin(std::string_view uri) {
  auto scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return {};
  auto rest = uri.substr(scheme_end + 3);
  auto end = rest.find_first_of("/?#");
  auto origin = uri.substr(0, scheme_end + 3 + (end == std::string_view::npos ? rest.size() : end));
  for (char c : origin)  // the value goes into a header: no separators or spaces
    if (c == ';' || c == ',' || c == ' ' || c == '\'' || static_cast<unsigned char>(c) < 0x21) return {};
  return std::string(origin);
}

// `redirect_to`: the client's redirect URI. Chromium applies form-action to the redirect that
// follows a form submission, so the client's origin is allowed next to our own.
void secure_page_headers(Response& r, std::string_view redirect_to = {}) {
  r.headers.set(http::field::cache_control, "no-store");
  r.headers.set("X-Frame-Options", "DENY");
  std::string target = uri_origin(redirect_to);
  r.headers.set("Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" +
                    (target.empty() ? std::string() : " " + target) + "; frame-ancestors 'none'");
  r.headers.set("Referrer-Policy", "no-referrer");
}

Response oauth_error(unsigned status, const auth::OAuthFailure& f) {
  json::object o;
  o["error"] = f.name();
  o["error_description"] = f.description;
  Response r = json_response(o, status);
  r.headers.set(http::field::cache_control, "no-store");
  return r;
}

unsigned token_status(const auth::OAuthFailure& f) {
  switch (f.error) {
    case auth::OAuthError::kInvalidClient: return 401;
    case auth::OAuthError::kServerError: return 500;
    case auth::OAuthError::kTemporarilyUnavailable: return 503;
    default: return 400;
  }
}

std::string with_query(const std::string& uri, const std::vector<std::pair<std::string, std::string>>& q) {
  std::string out = uri;
  char sep = uri.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : q) {
    if (v.empty() && k == "state") continue;
    out += sep;
    out += strings::url_encode(k) + "=" + strings::url_encode(v);
    sep = '&';
  }
  return out;
}

Response redirect(const std::string& location) {
  Response r = Response::empty(302);
  r.headers.set(http::field::location, location);
  r.headers.set(http::field::cache_control, "no-store");
  return r;
}

// Dark, like the web player; readable without any other resource (the CSP allows none).
const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;"
    "background:#121212;color:#fff;line-height:1.45}"
    "h1{font-size:1.5rem}p,li,small{color:#b3b3b3}strong{color:#fff}"
    "label{display:block;margin:.9rem 0 .3rem;font-weight:600}"
    "input[type=text],input[type=password]{width:100%;padding:.65rem .75rem;font-size:1rem;"
    "box-sizing:border-box;background:#242424;color:#fff;border:1px solid #727272;border-radius:4px}"
    "input:focus,button:focus-visible{outline:2px solid #1db954;outline-offset:2px}"
    "ul{padding-left:1.2rem}.err{color:#f15e6c;font-weight:600}"
    "button{margin:1.2rem .5rem 0 0;padding:.7rem 1.6rem;font-size:1rem;font-weight:700;"
    "border-radius:2rem;border:1px solid #727272;background:transparent;color:#fff;cursor:pointer}"
    "button[value=approve]{background:#1db954;border-color:#1db954;color:#000}"
    "code{color:#fff}";

// The login and consent page. The authorization request's parameters travel as hidden fields.
Response login_page(const auth::AuthorizeRequest& ar, const Form& params, const std::string& error,
                    const std::string& username, unsigned status = 200) {
  std::string html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                     "<title>Log in to Segue</title><style>";
  html += kStyle;
  html += "</style></head><body><main><h1>Log in to Segue</h1>";
  html += "<p><strong>" + strings::html_escape(ar.client_name) + "</strong> wants to use your Segue account";
  if (!ar.scopes.empty()) {
    html += " to:</p><ul>";
    for (const auto& s : strings::split(ar.scopes.to_string(), ' '))
      html += "<li>" + strings::html_escape(s) + "</li>";
    html += "</ul>";
  } else {
    html += ".</p>";
  }
  if (!error.empty()) html += "<p class=\"err\" role=\"alert\">" + strings::html_escape(error) + "</p>";
  html += "<form method=\"post\" action=\"/authorize\">";
  for (const char* k : {"client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
                        "code_challenge_method"}) {
    html += "<input type=\"hidden\" name=\"" + std::string(k) + "\" value=\"" +
            strings::html_escape(form_get(params, k)) + "\">";
  }
  html += "<label for=\"username\">Username</label><input type=\"text\" id=\"username\" name=\"username\" "
          "autocomplete=\"username\" required value=\"" + strings::html_escape(username) + "\">";
  html += "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" "
          "autocomplete=\"current-password\" required>";
  html += "<div><button type=\"submit\" name=\"action\" value=\"approve\">Log in and allow</button> "
          "<button type=\"submit\" name=\"action\" value=\"deny\" formnovalidate>Cancel</button></div>";
  html += "<p><small>You will be sent back to " + strings::html_escape(ar.redirect_uri) + "</small></p>";
  html += "</form></main></body></html>";
  Response r = Response::text(status, std::move(html), "text/html; charset=utf-8");
  secure_page_headers(r, ar.redirect_uri);
  return r;
}

Response error_page(const auth::OAuthFailure& f) {
  std::string html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Segue: "
                     "authorization error</title><style>";
  html += kStyle;
  html += "</style></head><body><main><h1>This login link is not valid</h1><p class=\"err\">" +
          strings::html_escape(f.description) + "</p><p>Error: <code>" + f.name() + "</code></p></main></body></html>";
  Response r = Response::text(400, std::move(html), "text/html; charset=utf-8");
  secure_page_headers(r);
  return r;
}

// The login form refused before any password is checked: too many failures (429) or the
// password pool is full (503). Retry-After says when to try again.
Response login_refused(const auth::AuthorizeRequest& ar, const Form& form, const std::string& username,
                       unsigned status, std::chrono::seconds retry_after) {
  std::string message = status == 429
                            ? "Too many failed attempts. Wait " + std::to_string(retry_after.count()) +
                                  " seconds before trying again."
                            : "The server is busy. Try again in a moment.";
  Response r = login_page(ar, form, message, username, status);
  r.headers.set(http::field::retry_after, std::to_string(retry_after.count()));
  return r;
}

// The later of two throttle decisions.
auth::LoginBackoff::Decision worst(auth::LoginBackoff::Decision a, auth::LoginBackoff::Decision b) {
  if (a.allowed) return b;
  if (b.allowed) return a;
  return a.retry_after >= b.retry_after ? a : b;
}

// May keys `ka` of `a` and `kb` of `b` try? In memory first, so an attempt this node knows to
// be refused costs nothing more; then, for a backoff shared through Redis, the cluster's answer
// on a worker (auth/login_throttle_shared.h).
awaitable<auth::LoginBackoff::Decision> backoff_check(ApiContext& ctx, auth::LoginBackoff& a, const std::string& ka,
                                                      auth::LoginBackoff& b, const std::string& kb) {
  auth::LoginBackoff::Decision d = worst(a.check(ka), b.check(kb));
  if (!d.allowed || (!a.shared() && !b.shared())) co_return d;
  auto shared = co_await ctx.workers.run([&] { return worst(a.check_shared(ka), b.check_shared(kb)); });
  co_return shared;
}

// Records failures or successes (`record`); on a worker when a backoff is shared, so that Redis
// has them before the answer leaves and the client's next attempt, on any node, sees them.
template <typename F>
awaitable<void> backoff_record(ApiContext& ctx, bool shared, F record) {
  if (!shared) {
    record();
    co_return;
  }
  (void)co_await ctx.workers.run([&] {
    record();
    return true;
  });
}

// Validates the authorization request carried in `params` (query for GET, body for POST).
// `origin`: this server's own origin, for first-party clients' path-only redirect URIs.
auth::OAuthResult<auth::AuthorizeRequest> validate(ApiContext& ctx, const Form& p, const std::string& origin) {
  return ctx.auth.validate_authorize_request(form_get(p, "client_id"), form_get(p, "redirect_uri"),
                                             form_get(p, "response_type"), form_get(p, "scope"),
                                             form_get(p, "code_challenge"),
                                             form_get(p, "code_challenge_method"), form_get(p, "state"),
                                             origin);
}

// A Host the operator did not allow (ApiContext::trusted_origin): no login page is served
// under it, so no code can be sent to a redirect URI resolved against it (issue 14).
Response misdirected_page() {
  std::string html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Segue: "
                     "unknown host name</title><style>";
  html += kStyle;
  html += "</style></head><body><main><h1>This server does not answer to this host name</h1><p class=\"err\">"
          "Open it at an address its operator allowed (the <code>public_url</code> or "
          "<code>allowed_hosts</code> settings).</p></main></body></html>";
  Response r = Response::text(421, std::move(html), "text/html; charset=utf-8");
  secure_page_headers(r);
  return r;
}

Response refuse_authorize(const auth::OAuthFailure& f, const Form& p) {
  if (!f.may_redirect) return error_page(f);
  return redirect(with_query(form_get(p, "redirect_uri"), {{"error", f.name()},
                                                           {"error_description", f.description},
                                                           {"state", form_get(p, "state")}}));
}

// Client credentials from HTTP Basic or the form body (RFC 6749 §2.3.1).
bool client_credentials_from(const Request& req, const Form& form, std::string& id, std::string& secret,
                             bool& used_basic) {
  used_basic = false;
  std::string_view h = req.header(http::field::authorization);
  if (h.size() > 6 && strncasecmp(h.data(), "basic ", 6) == 0) {
    auto decoded = crypto::base64_decode(h.substr(6));
    if (!decoded) return false;
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    auto i = strings::form_decode(decoded->substr(0, colon));
    auto s = strings::form_decode(decoded->substr(colon + 1));
    if (!i || !s) return false;
    id = *i;
    secret = *s;
    used_basic = true;
    return true;
  }
  id = form_get(form, "client_id");
  secret = form_get(form, "client_secret");
  return true;
}

// A token-endpoint request (RFC 6749 §2.3.1, §3.2): a form body and the client's credentials
// from HTTP Basic or the form. Either the parsed request or the OAuth error to answer.
struct ClientForm {
  Form form;
  std::string client_id;
  std::string secret;
  bool basic = false;
};
std::variant<ClientForm, Response> read_client_form(const Request& req) {
  std::string_view ct = req.header(http::field::content_type);
  if (ct.substr(0, 33) != "application/x-www-form-urlencoded")
    return oauth_error(400, {auth::OAuthError::kInvalidRequest,
                             "Content-Type must be application/x-www-form-urlencoded"});
  auto parsed = net::parse_query(req.body());
  if (!parsed) return oauth_error(400, {auth::OAuthError::kInvalidRequest, "Malformed form body"});
  ClientForm cf;
  cf.form = std::move(*parsed);
  if (!client_credentials_from(req, cf.form, cf.client_id, cf.secret, cf.basic))
    return oauth_error(401, {auth::OAuthError::kInvalidClient, "Malformed Basic authorization"});
  return cf;
}

}  // namespace

namespace {

awaitable<Response> authorize_page(ApiContext& ctx, Request& req) {
  Form params = req.query;
  auto origin = ctx.trusted_origin(req);
  if (!origin) co_return misdirected_page();
  auto ar = co_await ctx.workers.run([&] { return validate(ctx, params, *origin); });
  if (!ar.ok()) co_return refuse_authorize(ar.failure(), params);
  co_return login_page(*ar, params, "", "");
}

awaitable<Response> authorize_submit(ApiContext& ctx, Request& req) {
  auto parsed = net::parse_query(req.body());
  if (!parsed) co_return Response::text(400, "Malformed form body");
  Form form = std::move(*parsed);
  auto origin = ctx.trusted_origin(req);
  if (!origin) co_return misdirected_page();
  auto ar = co_await ctx.workers.run([&] { return validate(ctx, form, *origin); });
  if (!ar.ok()) co_return refuse_authorize(ar.failure(), form);
  if (form_get(form, "action") == "deny")
    co_return redirect(with_query(ar->redirect_uri, {{"error", "access_denied"},
                                                      {"error_description", "The user declined"},
                                                      {"state", ar->state}}));
  std::string username = form_get(form, "username");
  std::string password = form_get(form, "password");
  auto request = *ar;
  // Guessing backoff, per account and per address, checked before any hashing.
  const std::string account = "login:" + strings::ascii_lower(username.substr(0, 64));  // names are <= 64
  const std::string address = "login:" + address_key(req.remote_ip);
  if (ctx.abuse) {
    auto d = co_await backoff_check(ctx, ctx.abuse->login_accounts, account, ctx.abuse->login_addresses, address);
    if (!d.allowed) co_return login_refused(*ar, form, username, 429, d.retry_after);
  }
  // Argon2 runs on its own bounded pool (or the workers without one), never on a network thread.
  std::optional<Result<auth::User>> verified;
  if (ctx.abuse) {
    verified = co_await ctx.abuse->passwords.try_run([&] { return ctx.auth.verify_password(username, password); });
    if (!verified) co_return login_refused(*ar, form, username, 503, std::chrono::seconds(1));
  } else {
    auto v = co_await ctx.workers.run([&] { return ctx.auth.verify_password(username, password); });
    verified.emplace(std::move(v));
  }
  Result<auth::User> user = std::move(*verified);
  const bool failed = !user.ok() && user.error().code == ErrorCode::kUnauthenticated;
  if (ctx.abuse && (failed || user.ok())) {
    auto& accounts = ctx.abuse->login_accounts;
    auto& addresses = ctx.abuse->login_addresses;
    co_await backoff_record(ctx, accounts.shared() || addresses.shared(), [&] {
      if (failed) {
        accounts.failure(account);
        addresses.failure(address);
      } else {
        accounts.success(account);
      }
    });
  }
  Result<std::string> code = Error::internal("unreachable");
  if (user.ok()) {
    UserId uid = user->id;
    auto issued = co_await ctx.workers.run([&] { return ctx.auth.issue_code(request, uid); });
    code = std::move(issued);
  } else {
    code = user.error();
  }
  if (!code.ok()) {
    if (code.error().code == ErrorCode::kUnauthenticated)
      co_return login_page(*ar, form, "Wrong username or password.", username, 401);
    co_return refuse_authorize(auth::OAuthFailure::from_error(code.error()), form);
  }
  co_return redirect(with_query(ar->redirect_uri, {{"code", *code}, {"state", ar->state}}));
}

awaitable<Response> token(ApiContext& ctx, Request& req) {
  auto read = read_client_form(req);
  if (auto* refused = std::get_if<Response>(&read)) co_return std::move(*refused);
  auto& [form, client_id, secret, basic] = std::get<ClientForm>(read);
  const std::string grant = form_get(form, "grant_type");
  // Backoff after failures, per address and per client id, before any work.
  const std::string address = "token:" + address_key(req.remote_ip);
  const std::string client_key = "client:" + client_id;
  if (ctx.abuse) {
    auto d = co_await backoff_check(ctx, ctx.abuse->token_addresses, address, ctx.abuse->token_clients, client_key);
    if (!d.allowed) {
      Response r = oauth_error(429, {auth::OAuthError::kTemporarilyUnavailable,
                                     "Too many failed requests; retry after " + std::to_string(d.retry_after.count()) + " s"});
      r.headers.set(http::field::retry_after, std::to_string(d.retry_after.count()));
      co_return r;
    }
  }
  auto result = co_await ctx.workers.run([&]() -> auth::OAuthResult<auth::TokenSet> {
    if (grant == "authorization_code")
      return ctx.auth.exchange_code(client_id, secret, form_get(form, "code"), form_get(form, "redirect_uri"),
                                    form_get(form, "code_verifier"));
    if (grant == "refresh_token")
      return ctx.auth.refresh(client_id, secret, form_get(form, "refresh_token"), form_get(form, "scope"));
    if (grant == "client_credentials")
      return ctx.auth.client_credentials(client_id, secret, form_get(form, "scope"));
    if (grant.empty()) return auth::OAuthFailure{auth::OAuthError::kInvalidRequest, "grant_type is required"};
    return auth::OAuthFailure{auth::OAuthError::kUnsupportedGrantType, "unsupported grant_type: " + grant};
  });
  if (!result.ok() && ctx.abuse) {
    const auto e = result.failure().error;
    const bool address_failed = e == auth::OAuthError::kInvalidClient || e == auth::OAuthError::kInvalidGrant;
    const bool client_failed = e == auth::OAuthError::kInvalidClient && !client_id.empty();
    auto& addresses = ctx.abuse->token_addresses;
    auto& clients = ctx.abuse->token_clients;
    if (address_failed || client_failed)
      co_await backoff_record(ctx, addresses.shared() || clients.shared(), [&] {
        if (address_failed) addresses.failure(address);
        if (client_failed) clients.failure(client_key);
      });
  }
  if (!result.ok()) {
    Response r = oauth_error(token_status(result.failure()), result.failure());
    if (result.failure().error == auth::OAuthError::kInvalidClient && basic)
      r.headers.set(http::field::www_authenticate, "Basic realm=\"segue\"");
    co_return r;
  }
  json::object o;
  o["access_token"] = result->access_token;
  o["token_type"] = result->token_type;
  o["expires_in"] = result->expires_in.count();
  if (result->refresh_token) o["refresh_token"] = *result->refresh_token;
  o["scope"] = result->scope;
  Response r = json_response(o);
  r.headers.set(http::field::cache_control, "no-store");
  r.headers.set(http::field::pragma, "no-cache");
  co_return r;
}

awaitable<Response> revoke(ApiContext& ctx, Request& req) {
  auto read = read_client_form(req);
  if (auto* refused = std::get_if<Response>(&read)) co_return std::move(*refused);
  auto& [form, client_id, secret, basic] = std::get<ClientForm>(read);
  std::string token = form_get(form, "token");
  auto r = co_await ctx.workers.run([&] { return ctx.auth.revoke_token(client_id, secret, token); });
  if (!r.ok()) co_return oauth_error(token_status(r.failure()), r.failure());
  co_return Response::empty(200);
}

}  // namespace

void register_oauth_routes(net::Router& router, ApiContext& ctx) {
  add_routes(router, ctx, {
      {http::verb::get, "/authorize", authorize_page},
      {http::verb::post, "/authorize", authorize_submit},
      {http::verb::post, "/api/token", token},
      {http::verb::post, "/api/revoke", revoke},
  });
}

}  // namespace segue::api::spotify
