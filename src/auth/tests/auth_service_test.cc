#include "auth/auth_service.h"
#include "store/testing.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "auth/pkce.h"
#include "bus/local_bus.h"
#include "common/crypto.h"

namespace segue::auth {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr char kAppRedirect[] = "https://app.example/callback";
constexpr char kNativeRedirect[] = "com.example.player:/oauth";

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("segue-auth-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = store::testing::open((dir_ / "segue.db").string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    now_ = TimePoint(std::chrono::seconds(1'700'000'000));
    AuthOptions o = options();
    o.events = &bus_;
    auto svc = AuthService::open(*db_, o, [this] { return now_.load(); });
    ASSERT_TRUE(svc.ok()) << svc.error().message;
    auth_ = std::move(svc).value();

    auto alice = auth_->create_user("alice", "correct horse", false, Tier::kPremium);
    ASSERT_TRUE(alice.ok()) << alice.error().message;
    alice_ = *alice;
    auto app = auth_->register_client("Web App", {kAppRedirect}, false);
    ASSERT_TRUE(app.ok()) << app.error().message;
    app_ = app->client;
    app_secret_ = *app->secret;
    auto native = auth_->register_client("Native Player", {kNativeRedirect}, true);
    ASSERT_TRUE(native.ok()) << native.error().message;
    native_ = native->client;
  }
  void TearDown() override {
    auth_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  static AuthOptions options() {
    AuthOptions o;
    o.password = PasswordParams{1, 256, 1};  // cheap: these tests are not about Argon2's cost
    return o;
  }
  void advance(std::chrono::seconds d) { now_ = now_.load() + d; }

  // The authorization step of a public client with PKCE, up to the code.
  std::string native_code(const std::string& scope = "streaming user-read-private") {
    auto req = auth_->validate_authorize_request(native_.id.str(), kNativeRedirect, "code", scope,
                                                 s256_challenge(kVerifier), "S256", "xyz");
    EXPECT_TRUE(req.ok()) << (req.ok() ? "" : req.failure().description);
    if (!req.ok()) return "";
    auto code = auth_->issue_code(*req, alice_.id);
    EXPECT_TRUE(code.ok()) << code.error().message;
    return code.ok() ? *code : "";
  }
  TokenSet native_tokens(const std::string& scope = "streaming user-read-private") {
    auto t = auth_->exchange_code(native_.id.str(), "", native_code(scope), kNativeRedirect,
                                  kVerifier);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.failure().description);
    return t.ok() ? *t : TokenSet{};
  }
  // The authorization step of the confidential client without PKCE.
  std::string app_code() {
    auto req = auth_->validate_authorize_request(app_.id.str(), kAppRedirect, "code",
                                                 "user-library-read", "", "", "s");
    EXPECT_TRUE(req.ok()) << (req.ok() ? "" : req.failure().description);
    if (!req.ok()) return "";
    auto code = auth_->issue_code(*req, alice_.id);
    EXPECT_TRUE(code.ok());
    return code.ok() ? *code : "";
  }
  OAuthResult<AuthorizeRequest> authorize_app(const std::string& redirect) {
    return auth_->validate_authorize_request(app_.id.str(), redirect, "code", "", "", "", "");
  }
  bool token_valid(const std::string& access_token) {
    return auth_->validate_access_token(access_token).ok();
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::atomic<TimePoint> now_;
  bus::LocalBus bus_;  // where auth_ announces revocations
  std::unique_ptr<AuthService> auth_;
  User alice_;
  Client app_;
  std::string app_secret_;
  Client native_;
};

#define EXPECT_OAUTH_ERROR(result, code)                                        \
  do {                                                                          \
    const auto& r_ = (result);                                                  \
    ASSERT_FALSE(r_.ok());                                                      \
    EXPECT_EQ(r_.failure().error, (code))                                       \
        << r_.failure().name() << ": " << r_.failure().description;              \
  } while (0)

// ---- Options ----

TEST_F(AuthServiceTest, OpenRefusesCodesLivingLongerThanTenMinutes) {
  AuthOptions o = options();
  o.code_ttl = 601s;
  auto svc = AuthService::open(*db_, o);
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(AuthServiceTest, OpenIsIdempotentOnAMigratedDatabase) {
  auto again = AuthService::open(*db_, options());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE((*again)->get_user_by_name("alice").ok());
}

// ---- Users ----

// Display names are answered from memory: every user at open, each user created or renamed
// here at once, and a user another process created once this one has read it.
TEST_F(AuthServiceTest, DisplayNamesComeFromTheDirectory) {
  EXPECT_EQ(auth_->display_name(alice_.id), std::optional<std::string>("alice"));
  ASSERT_TRUE(auth_->set_display_name("alice", "Alice Liddell").ok());
  EXPECT_EQ(auth_->display_name(alice_.id), std::optional<std::string>("Alice Liddell"));

  // Another process (the CLI, another node) on the same database.
  auto other = AuthService::open(*db_, options(), [this] { return now_.load(); });
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ((*other)->display_name(alice_.id), std::optional<std::string>("Alice Liddell"));
  auto bob = (*other)->create_user("bob", "battery staple", false, Tier::kFree);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ((*other)->display_name(bob->id), std::optional<std::string>("bob"));
  EXPECT_EQ(auth_->display_name(bob->id), std::nullopt);  // not seen here yet: the caller reads it
  ASSERT_TRUE(auth_->get_user(bob->id).ok());
  EXPECT_EQ(auth_->display_name(bob->id), std::optional<std::string>("bob"));
  EXPECT_EQ(auth_->display_name(UserId("0000000000000000000000")), std::nullopt);
}

TEST_F(AuthServiceTest, CreatedUserHasBase62IdAndGivenTier) {
  EXPECT_TRUE(is_base62_id(alice_.id.str()));
  EXPECT_EQ(alice_.name, "alice");
  EXPECT_EQ(alice_.display_name, "alice");
  EXPECT_EQ(alice_.tier, Tier::kPremium);
  EXPECT_FALSE(alice_.admin);
}

TEST_F(AuthServiceTest, PasswordIsStoredAsArgon2id) {
  std::string stored;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
    return c.query("SELECT password_hash FROM users WHERE id = ?", {alice_.id.str()},
                   [&](const store::Row& r) { stored = r.text(0); });
  }).ok());
  EXPECT_TRUE(stored.starts_with("$argon2id$")) << stored;
  EXPECT_EQ(stored.find("correct horse"), std::string::npos);
}

TEST_F(AuthServiceTest, AUserCreatedWithoutLoginCannotSignInUntilGivenAPassword) {
  auto u = auth_->create_user_without_login("grandpa", Tier::kFree);
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->tier, Tier::kFree);
  for (const char* pw : {"", "!no-login", "correct horse", "anything at all"}) {
    auto v = auth_->verify_password("grandpa", pw);
    ASSERT_FALSE(v.ok()) << pw;
    EXPECT_EQ(v.error().code, ErrorCode::kUnauthenticated) << pw;
  }
  EXPECT_EQ(auth_->create_user_without_login("Alice", Tier::kFree).error().code, ErrorCode::kConflict);
  EXPECT_EQ(auth_->create_user_without_login("bad name!", Tier::kFree).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(auth_->set_password("grandpa", "a new password").ok());
  EXPECT_TRUE(auth_->verify_password("grandpa", "a new password").ok());
}

TEST_F(AuthServiceTest, RightPasswordVerifies) {
  auto u = auth_->verify_password("alice", "correct horse");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->id, alice_.id);
}

TEST_F(AuthServiceTest, NamesMatchIgnoringCaseAtLogin) {
  EXPECT_TRUE(auth_->verify_password("ALICE", "correct horse").ok());
}

TEST_F(AuthServiceTest, WrongPasswordAndUnknownUserFailTheSameWay) {
  auto wrong = auth_->verify_password("alice", "wrong horse");
  auto unknown = auth_->verify_password("mallory", "correct horse");
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(unknown.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(AuthServiceTest, UnknownUserTakesAboutAsLongAsAWrongPassword) {
  AuthOptions o = options();
  o.password = PasswordParams{2, 8 * 1024, 1};  // slow enough to dwarf the database lookup
  auto svc = AuthService::open(*db_, o, [this] { return now_.load(); });
  ASSERT_TRUE(svc.ok());
  ASSERT_TRUE((*svc)->create_user("carol", "correct horse", false, Tier::kFree).ok());
  auto fastest = [&](const char* name) {
    auto best = std::chrono::steady_clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      auto start = std::chrono::steady_clock::now();
      EXPECT_FALSE((*svc)->verify_password(name, "wrong horse").ok());
      best = std::min(best, std::chrono::steady_clock::now() - start);
    }
    return best;
  };
  (void)fastest("nobody");  // the dummy hash is computed on first use
  const auto known = fastest("carol");
  const auto unknown = fastest("nobody");
  EXPECT_GT(unknown * 10, known * 4) << "unknown " << unknown.count() << " known " << known.count();
}

TEST_F(AuthServiceTest, LoginRehashesAPasswordHashedWithOldParameters) {
  AuthOptions o = options();
  o.password = PasswordParams{2, 512, 1};
  auto svc = AuthService::open(*db_, o, [this] { return now_.load(); });
  ASSERT_TRUE(svc.ok());
  ASSERT_TRUE((*svc)->verify_password("alice", "correct horse").ok());
  std::string stored;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
    return c.query("SELECT password_hash FROM users WHERE id = ?", {alice_.id.str()},
                   [&](const store::Row& r) { stored = r.text(0); });
  }).ok());
  EXPECT_TRUE(stored.starts_with("$argon2id$v=19$m=512,t=2,p=1$")) << stored;
  EXPECT_TRUE((*svc)->verify_password("alice", "correct horse").ok());
}

TEST_F(AuthServiceTest, DuplicateUserNameIsConflictIgnoringCase) {
  auto again = auth_->create_user("alice", "another password", false, Tier::kFree);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  auto upper = auth_->create_user("Alice", "another password", false, Tier::kFree);
  ASSERT_FALSE(upper.ok());
  EXPECT_EQ(upper.error().code, ErrorCode::kConflict);
}

TEST_F(AuthServiceTest, BadUserNamesAreInvalid) {
  for (std::string name : {std::string(""), std::string(65, 'a'), std::string("bob smith"),
                           std::string("bob/x"), std::string("b\xc3\xb6"), std::string("bob@x")}) {
    auto u = auth_->create_user(name, "long enough", false, Tier::kFree);
    ASSERT_FALSE(u.ok()) << name;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument) << name;
  }
  EXPECT_TRUE(auth_->create_user(std::string(64, 'b'), "long enough", false, Tier::kFree).ok());
  EXPECT_TRUE(auth_->create_user("b.o_b-1", "long enough", false, Tier::kFree).ok());
}

TEST_F(AuthServiceTest, ShortPasswordIsInvalid) {
  auto u = auth_->create_user("bob", "1234567", false, Tier::kFree);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(auth_->create_user("bob", "12345678", false, Tier::kFree).ok());
}

TEST_F(AuthServiceTest, SetPasswordReplacesTheOldOne) {
  ASSERT_TRUE(auth_->set_password("alice", "battery staple").ok());
  EXPECT_FALSE(auth_->verify_password("alice", "correct horse").ok());
  EXPECT_TRUE(auth_->verify_password("alice", "battery staple").ok());
  EXPECT_EQ(auth_->set_password("nobody", "battery staple").error().code, ErrorCode::kNotFound);
}

TEST_F(AuthServiceTest, ListAndLookUpUsers) {
  ASSERT_TRUE(auth_->create_user("bob", "long enough", true, Tier::kFree).ok());
  auto all = auth_->list_users();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alice");
  EXPECT_EQ((*all)[1].name, "bob");
  EXPECT_TRUE((*all)[1].admin);
  auto by_id = auth_->get_user(alice_.id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "alice");
  EXPECT_EQ(auth_->get_user(UserId("0000000000000000000000")).error().code, ErrorCode::kNotFound);
}

// ---- Clients ----

TEST_F(AuthServiceTest, ConfidentialClientGetsHexIdAndSecretStoredHashed) {
  EXPECT_EQ(app_.id.str().size(), 32u);
  EXPECT_EQ(app_.id.str().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(app_secret_.size(), 32u);
  std::string stored;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
    return c.query("SELECT secret_hash FROM oauth_clients WHERE client_id = ?", {app_.id.str()},
                   [&](const store::Row& r) { stored = r.text(0); });
  }).ok());
  EXPECT_NE(stored, app_secret_);
  EXPECT_EQ(stored, crypto::hex_encode(crypto::sha256(app_secret_)));
}

TEST_F(AuthServiceTest, PublicClientGetsNoSecret) {
  auto c = auth_->register_client("Another", {"myapp://cb"}, true);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->secret.has_value());
  EXPECT_TRUE(c->client.is_public);
}

TEST_F(AuthServiceTest, HttpRedirectToNonLoopbackHostIsRejectedAtRegistration) {
  auto c = auth_->register_client("Bad", {"http://app.example/callback"}, false);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(auth_->register_client("Dev", {"http://127.0.0.1:8888/callback"}, false).ok());
}

TEST_F(AuthServiceTest, RedirectWithFragmentIsRejectedAtRegistration) {
  EXPECT_FALSE(auth_->register_client("Bad", {"https://app.example/cb#x"}, false).ok());
}

TEST_F(AuthServiceTest, AuthenticateClientChecksTheSecret) {
  EXPECT_TRUE(auth_->authenticate_client(app_.id.str(), app_secret_).ok());
  auto wrong = auth_->authenticate_client(app_.id.str(), "0123456789abcdef0123456789abcdef");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(auth_->authenticate_client(app_.id.str(), "").ok());
  EXPECT_FALSE(auth_->authenticate_client(native_.id.str(), "").ok());
  EXPECT_FALSE(auth_->authenticate_client("ffffffffffffffffffffffffffffffff", app_secret_).ok());
}

TEST_F(AuthServiceTest, GetClientReturnsRedirects) {
  auto c = auth_->get_client(app_.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "Web App");
  ASSERT_EQ(c->redirect_uris.size(), 1u);
  EXPECT_EQ(c->redirect_uris[0], kAppRedirect);
  EXPECT_FALSE(c->is_public);
}

// ---- Authorization requests ----

TEST_F(AuthServiceTest, AuthorizeRequestWithRegisteredRedirectIsAccepted) {
  auto r = auth_->validate_authorize_request(app_.id.str(), kAppRedirect, "code",
                                             "streaming user-read-email", "", "", "st4te");
  ASSERT_TRUE(r.ok()) << r.failure().description;
  EXPECT_EQ(r->client_id, app_.id);
  EXPECT_EQ(r->client_name, "Web App");
  EXPECT_EQ(r->state, "st4te");
  EXPECT_TRUE(r->scopes.contains(Scope::kStreaming));
  EXPECT_FALSE(r->code_challenge.has_value());
}

TEST_F(AuthServiceTest, RedirectUriMustMatchExactly) {
  for (std::string uri : {"https://app.example/callback/", "https://app.example:443/callback",
                          "https://app.example:8443/callback", "https://app.example/Callback",
                          "https://APP.example/callback", "https://app.example/callback?x=1",
                          "http://app.example/callback", ""}) {
    auto r = authorize_app(uri);
    EXPECT_OAUTH_ERROR(r, OAuthError::kInvalidRequest);
    EXPECT_FALSE(r.failure().may_redirect) << uri;
  }
}

TEST_F(AuthServiceTest, UnknownClientIsNotRedirected) {
  auto r = auth_->validate_authorize_request("ffffffffffffffffffffffffffffffff", kAppRedirect,
                                             "code", "", "", "", "");
  EXPECT_OAUTH_ERROR(r, OAuthError::kInvalidClient);
  EXPECT_FALSE(r.failure().may_redirect);
}

TEST_F(AuthServiceTest, OnlyResponseTypeCodeIsSupported) {
  auto r = auth_->validate_authorize_request(app_.id.str(), kAppRedirect, "token", "", "", "", "");
  EXPECT_OAUTH_ERROR(r, OAuthError::kUnsupportedResponseType);
  EXPECT_TRUE(r.failure().may_redirect);
}

TEST_F(AuthServiceTest, UnknownScopeIsInvalidScopeAndRedirected) {
  auto r = auth_->validate_authorize_request(app_.id.str(), kAppRedirect, "code",
                                             "streaming user-everything", "", "", "");
  EXPECT_OAUTH_ERROR(r, OAuthError::kInvalidScope);
  EXPECT_TRUE(r.failure().may_redirect);
}

TEST_F(AuthServiceTest, PublicClientWithoutPkceIsRefused) {
  auto r = auth_->validate_authorize_request(native_.id.str(), kNativeRedirect, "code", "", "",
                                             "", "");
  EXPECT_OAUTH_ERROR(r, OAuthError::kInvalidRequest);
  EXPECT_TRUE(r.failure().may_redirect);
}

TEST_F(AuthServiceTest, PlainPkceIsRefused) {
  auto plain = auth_->validate_authorize_request(native_.id.str(), kNativeRedirect, "code", "",
                                                 kVerifier, "plain", "");
  EXPECT_OAUTH_ERROR(plain, OAuthError::kInvalidRequest);
  // Without a method RFC 7636 means plain: refused as well.
  auto none = auth_->validate_authorize_request(native_.id.str(), kNativeRedirect, "code", "",
                                                s256_challenge(kVerifier), "", "");
  EXPECT_OAUTH_ERROR(none, OAuthError::kInvalidRequest);
}

TEST_F(AuthServiceTest, MalformedChallengeIsRefused) {
  auto r = auth_->validate_authorize_request(native_.id.str(), kNativeRedirect, "code", "",
                                             "short", "S256", "");
  EXPECT_OAUTH_ERROR(r, OAuthError::kInvalidRequest);
}

TEST_F(AuthServiceTest, IssueCodeRechecksTheRedirectUri) {
  auto req = authorize_app(kAppRedirect);
  ASSERT_TRUE(req.ok());
  AuthorizeRequest tampered = *req;
  tampered.redirect_uri = "https://evil.example/callback";
  auto code = auth_->issue_code(tampered, alice_.id);
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(AuthServiceTest, CodesAreStoredHashed) {
  const std::string code = app_code();
  int64_t clear = -1;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int("SELECT COUNT(*) FROM oauth_codes WHERE "
                                               "code_hash = ?", {code}));
    clear = n.value_or(-1);
    return {};
  }).ok());
  EXPECT_EQ(clear, 0);
}

// ---- Code exchange ----

TEST_F(AuthServiceTest, ExchangeIssuesBearerTokensForTheUser) {
  auto t = auth_->exchange_code(app_.id.str(), app_secret_, app_code(), kAppRedirect, "");
  ASSERT_TRUE(t.ok()) << t.failure().description;
  EXPECT_EQ(t->token_type, "Bearer");
  EXPECT_EQ(t->expires_in, 3600s);
  EXPECT_TRUE(t->refresh_token.has_value());
  EXPECT_EQ(t->scope, "user-library-read");
  auto p = auth_->validate_access_token(t->access_token);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->user, alice_.id);
  EXPECT_EQ(p->client, app_.id);
  EXPECT_TRUE(p->scopes.contains(Scope::kUserLibraryRead));
  EXPECT_FALSE(p->scopes.contains(Scope::kStreaming));
}

TEST_F(AuthServiceTest, PublicClientExchangesWithTheRightVerifier) {
  TokenSet t = native_tokens();
  EXPECT_FALSE(t.access_token.empty());
  EXPECT_EQ(t.scope, "streaming user-read-private");
}

TEST_F(AuthServiceTest, WrongVerifierIsInvalidGrant) {
  std::string other(kVerifier);
  other[5] = 'x';
  EXPECT_OAUTH_ERROR(
      auth_->exchange_code(native_.id.str(), "", native_code(), kNativeRedirect, other),
      OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, MissingVerifierIsInvalidGrant) {
  EXPECT_OAUTH_ERROR(
      auth_->exchange_code(native_.id.str(), "", native_code(), kNativeRedirect, ""),
      OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, VerifierForACodeWithoutChallengeIsInvalidGrant) {
  EXPECT_OAUTH_ERROR(
      auth_->exchange_code(app_.id.str(), app_secret_, app_code(), kAppRedirect, kVerifier),
      OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, ConfidentialClientChallengeIsEnforcedAtExchange) {
  auto req = auth_->validate_authorize_request(app_.id.str(), kAppRedirect, "code", "",
                                               s256_challenge(kVerifier), "S256", "");
  ASSERT_TRUE(req.ok());
  auto code = auth_->issue_code(*req, alice_.id);
  ASSERT_TRUE(code.ok());
  EXPECT_OAUTH_ERROR(auth_->exchange_code(app_.id.str(), app_secret_, *code, kAppRedirect, ""),
                     OAuthError::kInvalidGrant);
  EXPECT_TRUE(
      auth_->exchange_code(app_.id.str(), app_secret_, *code, kAppRedirect, kVerifier).ok());
}

TEST_F(AuthServiceTest, RedirectUriAtExchangeMustEqualTheAuthorizeOne) {
  const std::string code = app_code();
  EXPECT_OAUTH_ERROR(auth_->exchange_code(app_.id.str(), app_secret_, code,
                                          "https://app.example/callback/", ""),
                     OAuthError::kInvalidGrant);
  EXPECT_OAUTH_ERROR(auth_->exchange_code(app_.id.str(), app_secret_, code, "", ""),
                     OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, CodeReuseIsInvalidGrantAndRevokesTheFirstTokens) {
  const std::string code = native_code();
  auto first = auth_->exchange_code(native_.id.str(), "", code, kNativeRedirect, kVerifier);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(token_valid(first->access_token));  // now cached as well
  auto second = auth_->exchange_code(native_.id.str(), "", code, kNativeRedirect, kVerifier);
  EXPECT_OAUTH_ERROR(second, OAuthError::kInvalidGrant);
  EXPECT_FALSE(token_valid(first->access_token));
  EXPECT_OAUTH_ERROR(auth_->refresh(native_.id.str(), "", *first->refresh_token, ""),
                     OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, CodeExpiresAfterTenMinutes) {
  const std::string code = native_code();
  advance(601s);
  EXPECT_OAUTH_ERROR(
      auth_->exchange_code(native_.id.str(), "", code, kNativeRedirect, kVerifier),
      OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, CodeIsStillValidJustBeforeExpiry) {
  const std::string code = native_code();
  advance(599s);
  EXPECT_TRUE(auth_->exchange_code(native_.id.str(), "", code, kNativeRedirect, kVerifier).ok());
}

TEST_F(AuthServiceTest, CodeOfAnotherClientIsInvalidGrant) {
  auto other = auth_->register_client("Other", {kNativeRedirect}, true);
  ASSERT_TRUE(other.ok());
  const std::string code = native_code();
  EXPECT_OAUTH_ERROR(auth_->exchange_code(other->client.id.str(), "", code, kNativeRedirect,
                                          kVerifier),
                     OAuthError::kInvalidGrant);
  // The rightful client can still use it.
  EXPECT_TRUE(auth_->exchange_code(native_.id.str(), "", code, kNativeRedirect, kVerifier).ok());
}

TEST_F(AuthServiceTest, UnknownCodeIsInvalidGrant) {
  EXPECT_OAUTH_ERROR(auth_->exchange_code(native_.id.str(), "",
                                          "segue_ac_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                          kNativeRedirect, kVerifier),
                     OAuthError::kInvalidGrant);
  EXPECT_OAUTH_ERROR(
      auth_->exchange_code(native_.id.str(), "", "garbage", kNativeRedirect, kVerifier),
      OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, WrongClientSecretIsInvalidClient) {
  const std::string code = app_code();
  EXPECT_OAUTH_ERROR(auth_->exchange_code(app_.id.str(), "0123456789abcdef0123456789abcdef",
                                          code, kAppRedirect, ""),
                     OAuthError::kInvalidClient);
  EXPECT_OAUTH_ERROR(auth_->exchange_code(app_.id.str(), "", code, kAppRedirect, ""),
                     OAuthError::kInvalidClient);
}

TEST_F(AuthServiceTest, PublicClientSendingASecretIsInvalidClient) {
  EXPECT_OAUTH_ERROR(auth_->exchange_code(native_.id.str(), "some-secret", native_code(),
                                          kNativeRedirect, kVerifier),
                     OAuthError::kInvalidClient);
}

// ---- Refresh ----

TEST_F(AuthServiceTest, RefreshRotatesAndTheOldTokenCannotBeUsedAgain) {
  TokenSet first = native_tokens();
  auto second = auth_->refresh(native_.id.str(), "", *first.refresh_token, "");
  ASSERT_TRUE(second.ok()) << second.failure().description;
  ASSERT_TRUE(second->refresh_token.has_value());
  EXPECT_NE(*second->refresh_token, *first.refresh_token);
  EXPECT_NE(second->access_token, first.access_token);
  EXPECT_EQ(second->scope, first.scope);
  EXPECT_TRUE(token_valid(second->access_token));
  EXPECT_OAUTH_ERROR(auth_->refresh(native_.id.str(), "", *first.refresh_token, ""),
                     OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, ReusedRefreshTokenRevokesTheWholeFamily) {
  TokenSet first = native_tokens();
  auto second = auth_->refresh(native_.id.str(), "", *first.refresh_token, "");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(token_valid(second->access_token));  // cached
  EXPECT_OAUTH_ERROR(auth_->refresh(native_.id.str(), "", *first.refresh_token, ""),
                     OAuthError::kInvalidGrant);
  EXPECT_FALSE(token_valid(second->access_token));
  EXPECT_FALSE(token_valid(first.access_token));
  EXPECT_OAUTH_ERROR(auth_->refresh(native_.id.str(), "", *second->refresh_token, ""),
                     OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, RefreshTokenBelongsToOneClient) {
  auto other = auth_->register_client("Other", {kNativeRedirect}, true);
  ASSERT_TRUE(other.ok());
  TokenSet t = native_tokens();
  EXPECT_OAUTH_ERROR(auth_->refresh(other->client.id.str(), "", *t.refresh_token, ""),
                     OAuthError::kInvalidGrant);
  EXPECT_TRUE(auth_->refresh(native_.id.str(), "", *t.refresh_token, "").ok());
}

TEST_F(AuthServiceTest, RefreshMayNarrowButNotWidenScope) {
  TokenSet t = native_tokens("streaming user-read-private");
  EXPECT_OAUTH_ERROR(
      auth_->refresh(native_.id.str(), "", *t.refresh_token, "streaming user-library-read"),
      OAuthError::kInvalidScope);
  auto narrow = auth_->refresh(native_.id.str(), "", *t.refresh_token, "streaming");
  ASSERT_TRUE(narrow.ok()) << narrow.failure().description;
  EXPECT_EQ(narrow->scope, "streaming");
  auto p = auth_->validate_access_token(narrow->access_token);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->scopes.contains(Scope::kUserReadPrivate));
  // The rotated refresh token keeps the full grant.
  auto full = auth_->refresh(native_.id.str(), "", *narrow->refresh_token, "");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->scope, "streaming user-read-private");
}

TEST_F(AuthServiceTest, RefreshTokenExpires) {
  TokenSet t = native_tokens();
  advance(options().refresh_ttl);
  EXPECT_OAUTH_ERROR(auth_->refresh(native_.id.str(), "", *t.refresh_token, ""),
                     OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, AccessTokenIsNotARefreshToken) {
  TokenSet t = native_tokens();
  EXPECT_OAUTH_ERROR(auth_->refresh(native_.id.str(), "", t.access_token, ""),
                     OAuthError::kInvalidGrant);
}

// ---- Client credentials ----

TEST_F(AuthServiceTest, ClientCredentialsGivesAnAppTokenWithoutUser) {
  auto t = auth_->client_credentials(app_.id.str(), app_secret_, "");
  ASSERT_TRUE(t.ok()) << t.failure().description;
  EXPECT_FALSE(t->refresh_token.has_value());
  auto p = auth_->validate_access_token(t->access_token);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->user.has_value());
  EXPECT_FALSE(p->tier.has_value());
  EXPECT_FALSE(p->admin);
  EXPECT_EQ(p->client, app_.id);
}

TEST_F(AuthServiceTest, ClientCredentialsIsRefusedForPublicClients) {
  EXPECT_OAUTH_ERROR(auth_->client_credentials(native_.id.str(), "", ""),
                     OAuthError::kUnauthorizedClient);
}

TEST_F(AuthServiceTest, ClientCredentialsWithWrongSecretIsInvalidClient) {
  EXPECT_OAUTH_ERROR(auth_->client_credentials(app_.id.str(), "nope", ""),
                     OAuthError::kInvalidClient);
  EXPECT_OAUTH_ERROR(auth_->client_credentials("", "", ""), OAuthError::kInvalidClient);
}

TEST_F(AuthServiceTest, ClientCredentialsRejectsUnknownScopes) {
  EXPECT_OAUTH_ERROR(auth_->client_credentials(app_.id.str(), app_secret_, "everything"),
                     OAuthError::kInvalidScope);
}

// ---- Access tokens ----

TEST_F(AuthServiceTest, AccessTokenExpiresAfterItsTtl) {
  TokenSet t = native_tokens();
  advance(3599s);
  EXPECT_TRUE(token_valid(t.access_token));
  advance(1s);
  auto cached = auth_->validate_cached(t.access_token);
  ASSERT_TRUE(cached.has_value());
  EXPECT_FALSE(cached->ok());
  EXPECT_TRUE(cached->error().is(ErrorReason::kExpired));
  auto p = auth_->validate_access_token(t.access_token);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(p.error().is(ErrorReason::kExpired));
}

TEST_F(AuthServiceTest, ExpiredTokenIsRefusedFromTheDatabaseToo) {
  TokenSet t = native_tokens();
  advance(3600s);  // never cached
  EXPECT_FALSE(auth_->validate_cached(t.access_token).has_value());
  auto p = auth_->validate_access_token(t.access_token);
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(p.error().is(ErrorReason::kExpired));  // typed: the guard says "expired" on this
}

TEST_F(AuthServiceTest, TokensAreStoredHashed) {
  TokenSet t = native_tokens();
  int64_t clear = -1;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto n, c.query_int(
        "SELECT COUNT(*) FROM oauth_tokens WHERE token_hash IN (?, ?)",
        {t.access_token, *t.refresh_token}));
    clear = n.value_or(-1);
    return {};
  }).ok());
  EXPECT_EQ(clear, 0);
}

TEST_F(AuthServiceTest, TierAndAdminAreCarriedIntoThePrincipal) {
  ASSERT_TRUE(auth_->create_user("root", "long enough", true, Tier::kFree).ok());
  TokenSet t = native_tokens();
  auto p = auth_->validate_access_token(t.access_token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tier, Tier::kPremium);
  EXPECT_FALSE(p->admin);
  EXPECT_EQ(p->expires_at, now_.load() + 3600s);
}

TEST_F(AuthServiceTest, TierChangeReachesLiveTokensAtOnce) {
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));  // cached with the old tier
  ASSERT_TRUE(auth_->set_tier("alice", Tier::kFree).ok());
  auto after = auth_->validate_access_token(t.access_token);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->tier, Tier::kFree);
}

TEST_F(AuthServiceTest, AdminChangeReachesLiveTokensAtOnce) {
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));
  ASSERT_TRUE(auth_->set_admin("alice", true).ok());
  auto after = auth_->validate_access_token(t.access_token);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->admin);
}

TEST_F(AuthServiceTest, CachedPrincipalIsServedWithoutTheDatabase) {
  TokenSet t = native_tokens();
  EXPECT_FALSE(auth_->validate_cached(t.access_token).has_value());  // unknown to the cache
  ASSERT_TRUE(token_valid(t.access_token));
  auto cached = auth_->validate_cached(t.access_token);
  ASSERT_TRUE(cached.has_value());
  ASSERT_TRUE(cached->ok());
  EXPECT_EQ((*cached)->user, alice_.id);
}

TEST_F(AuthServiceTest, MalformedTokenIsRefusedWithoutTheDatabase) {
  auto r = auth_->validate_cached("not-a-token");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(r->error().reason, ErrorReason::kNone);  // invalid, not expired
}

TEST_F(AuthServiceTest, RevokingSessionsInvalidatesTheCache) {
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));
  ASSERT_TRUE(auth_->validate_cached(t.access_token).has_value());
  ASSERT_TRUE(auth_->revoke_user_sessions(alice_.id).ok());
  auto cached = auth_->validate_cached(t.access_token);
  EXPECT_FALSE(cached.has_value() && cached->ok());
  EXPECT_FALSE(token_valid(t.access_token));
  EXPECT_OAUTH_ERROR(auth_->refresh(native_.id.str(), "", *t.refresh_token, ""),
                     OAuthError::kInvalidGrant);
}

TEST_F(AuthServiceTest, CachedEntriesAreRecheckedAfterTheFreshnessWindow) {
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));
  // Another process revokes behind this service's back.
  ASSERT_TRUE(db_->write([&](store::Connection& c) -> Status {
    SEGUE_TRY(c.exec("UPDATE oauth_grants SET revoked_at = 1"));
    return {};
  }).ok());
  EXPECT_TRUE(token_valid(t.access_token));  // still cached
  advance(options().cache_freshness);
  EXPECT_FALSE(auth_->validate_cached(t.access_token).has_value());
  EXPECT_FALSE(token_valid(t.access_token));
}

TEST_F(AuthServiceTest, RevokeTokenEndpointRevokesRefreshFamily) {
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));
  auto r = auth_->revoke_token(native_.id.str(), "", *t.refresh_token);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_FALSE(token_valid(t.access_token));
}

TEST_F(AuthServiceTest, RevokeTokenIgnoresTokensOfOtherClients) {
  TokenSet t = native_tokens();
  auto r = auth_->revoke_token(app_.id.str(), app_secret_, t.access_token);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_TRUE(token_valid(t.access_token));
}

TEST_F(AuthServiceTest, PurgeDeletesExpiredTokens) {
  TokenSet t = native_tokens();
  advance(options().refresh_ttl + 48h);
  auto n = auth_->purge_expired();
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_GE(*n, 3);  // access, refresh, code, grant
  int64_t left = -1;
  ASSERT_TRUE(db_->read([&](store::Connection& c) -> Status {
    SEGUE_ASSIGN_OR_RETURN(auto v, c.query_int("SELECT COUNT(*) FROM oauth_tokens"));
    left = v.value_or(-1);
    return {};
  }).ok());
  EXPECT_EQ(left, 0);
}

TEST_F(AuthServiceTest, ConcurrentExchangesOfOneCodeYieldOneSuccess) {
  const std::string code = native_code();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      if (auth_->exchange_code(native_.id.str(), "", code, kNativeRedirect, kVerifier).ok()) ++ok;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1);
}

}  // namespace
}  // namespace segue::auth

// ---- First-party client (the web player served by this server) ----

namespace segue::auth {
namespace {

TEST_F(AuthServiceTest, FirstPartyClientRedirectsOnlyToTheServersOwnOrigin) {
  const ClientId web("segue-web");
  ASSERT_TRUE(auth_->ensure_first_party_client(web, "Segue web player", "/callback").ok());
  ASSERT_TRUE(auth_->ensure_first_party_client(web, "Segue web player", "/callback").ok());  // idempotent
  auto c = auth_->get_client(web);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->is_public);
  ASSERT_EQ(c->redirect_uris, std::vector<std::string>{"/callback"});

  const std::string challenge = s256_challenge(kVerifier);
  auto ok = auth_->validate_authorize_request("segue-web", "http://music.home:8080/callback", "code",
                                              "streaming", challenge, "S256", "s",
                                              "http://music.home:8080");
  ASSERT_TRUE(ok.ok()) << ok.failure().description;
  for (std::string uri : {"http://evil.example/callback", "http://music.home:8080/callback/",
                          "http://music.home:8080/callbackx", "http://music.home:8081/callback",
                          "/callback", "http://music.home:8080//callback"}) {
    auto r = auth_->validate_authorize_request("segue-web", uri, "code", "streaming", challenge,
                                               "S256", "s", "http://music.home:8080");
    EXPECT_OAUTH_ERROR(r, OAuthError::kInvalidRequest);
    EXPECT_FALSE(r.failure().may_redirect) << uri;
  }
  // Without an origin (e.g. a caller that does not know it) nothing matches the path.
  EXPECT_FALSE(auth_->validate_authorize_request("segue-web", "http://music.home:8080/callback", "code",
                                                 "streaming", challenge, "S256", "s").ok());

  // The whole flow: the code is bound to the full redirect URI it was issued for.
  auto code = auth_->issue_code(*ok, alice_.id);
  ASSERT_TRUE(code.ok()) << code.error().message;
  auto wrong = auth_->exchange_code("segue-web", "", *code, "http://other:8080/callback", kVerifier);
  EXPECT_FALSE(wrong.ok());
  auto code2 = auth_->issue_code(*ok, alice_.id);
  ASSERT_TRUE(code2.ok());
  auto tokens = auth_->exchange_code("segue-web", "", *code2, "http://music.home:8080/callback", kVerifier);
  ASSERT_TRUE(tokens.ok()) << tokens.failure().description;
  EXPECT_TRUE(tokens->refresh_token.has_value());
}

TEST_F(AuthServiceTest, FirstPartyRedirectMustBeAPath) {
  EXPECT_FALSE(auth_->ensure_first_party_client(ClientId("x"), "X", "https://a.example/cb").ok());
  EXPECT_FALSE(auth_->ensure_first_party_client(ClientId("x"), "X", "//a.example/cb").ok());
  EXPECT_FALSE(auth_->ensure_first_party_client(ClientId("x"), "X", "").ok());
}


TEST_F(AuthServiceTest, RevocationByAnotherProcessIsSeenAtTheNextSync) {
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));
  ASSERT_TRUE(auth_->validate_cached(t.access_token).has_value());
  std::vector<std::string> heard;
  auto sub = bus_.subscribe("test", bus::only<bus::UsersRevoked>([&](const bus::UsersRevoked& e) {
    for (const auto& u : e.users) heard.push_back(u.str());
  }));
  // The CLI: another process with its own connection and its own AuthService.
  {
    auto other_db = store::testing::open((dir_ / "segue.db").string());
    ASSERT_TRUE(other_db.ok());
    auto other = AuthService::open(**other_db, options(), [this] { return now_.load(); });
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->revoke_user_sessions(alice_.id).ok());
  }
  EXPECT_TRUE(token_valid(t.access_token));  // still cached: nothing looked yet
  EXPECT_EQ(auth_->credentials_epoch(alice_.id), 0);
  ASSERT_TRUE(auth_->sync_revocations().ok());
  EXPECT_FALSE(auth_->validate_cached(t.access_token).has_value());
  EXPECT_FALSE(token_valid(t.access_token));
  EXPECT_EQ(auth_->credentials_epoch(alice_.id), 1);
  EXPECT_EQ(heard, std::vector<std::string>{alice_.id.str()});
  // Nothing new: a sync changes nothing and tells nobody.
  ASSERT_TRUE(auth_->sync_revocations().ok());
  EXPECT_EQ(heard.size(), 1u);
}

TEST_F(AuthServiceTest, RevalidatingReadsTheDatabaseWhateverTheCacheSays) {
  // Another node revoked one token (UsersRevoked reached us over the bus before our watcher
  // looked): the cache still vouches for it, a re-check does not, and drops it.
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));
  {
    auto other_db = store::testing::open((dir_ / "segue.db").string());
    ASSERT_TRUE(other_db.ok());
    auto other = AuthService::open(**other_db, options(), [this] { return now_.load(); });
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->revoke_token(native_.id.str(), "", t.access_token).ok());
  }
  EXPECT_TRUE(token_valid(t.access_token));  // cached
  auto p = auth_->revalidate_access_token(t.access_token);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(auth_->validate_cached(t.access_token).has_value());
  EXPECT_FALSE(token_valid(t.access_token));
  // A live token passes and stays cached.
  TokenSet live = native_tokens();
  ASSERT_TRUE(auth_->revalidate_access_token(live.access_token).ok());
  EXPECT_TRUE(auth_->validate_cached(live.access_token).has_value());
}

TEST_F(AuthServiceTest, WatchRevocationsPollsOnItsOwnThread) {
  TokenSet t = native_tokens();
  ASSERT_TRUE(token_valid(t.access_token));
  auth_->watch_revocations(20ms);
  auto other_db = store::testing::open((dir_ / "segue.db").string());
  ASSERT_TRUE(other_db.ok());
  auto other = AuthService::open(**other_db, options(), [this] { return now_.load(); });
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->set_password("alice", "battery staple").ok());
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    std::this_thread::sleep_for(10ms);
    seen = auth_->credentials_epoch(alice_.id) == 1;
  }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(token_valid(t.access_token));  // a password change alone keeps sessions
}

TEST_F(AuthServiceTest, OwnRevocationsBumpTheEpochAndTellListenersAtOnce) {
  int calls = 0;
  auto sub = bus_.subscribe("test", bus::only<bus::UsersRevoked>([&](const bus::UsersRevoked& e) {
    ++calls;
    ASSERT_EQ(e.users.size(), 1u);
    EXPECT_EQ(e.users[0], alice_.id);
  }));
  ASSERT_TRUE(auth_->set_password("alice", "battery staple").ok());
  EXPECT_EQ(auth_->credentials_epoch(alice_.id), 1);
  ASSERT_TRUE(auth_->revoke_user_sessions(alice_.id).ok());
  EXPECT_EQ(auth_->credentials_epoch(alice_.id), 2);
  TokenSet t = native_tokens();
  auto revoked = auth_->revoke_token(native_.id.str(), "", t.access_token);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(auth_->credentials_epoch(alice_.id), 2);  // one token: the epoch stays
  // A fresh service on the same database starts from the stored epochs.
  auto again = AuthService::open(*db_, options(), [this] { return now_.load(); });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->credentials_epoch(alice_.id), 2);
}

}  // namespace
}  // namespace segue::auth
