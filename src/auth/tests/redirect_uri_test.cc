#include "auth/redirect_uri.h"

#include <gtest/gtest.h>

namespace segue::auth {
namespace {

TEST(RedirectUri, HttpsIsAccepted) {
  EXPECT_TRUE(validate_redirect_uri("https://app.example/callback").ok());
  EXPECT_TRUE(validate_redirect_uri("https://app.example:8443/cb?x=1").ok());
}

TEST(RedirectUri, HttpOnlyForLoopbackHosts) {
  EXPECT_TRUE(validate_redirect_uri("http://127.0.0.1:8888/callback").ok());
  EXPECT_TRUE(validate_redirect_uri("http://[::1]:8888/callback").ok());
  EXPECT_TRUE(validate_redirect_uri("http://localhost/callback").ok());
  EXPECT_FALSE(validate_redirect_uri("http://app.example/callback").ok());
  EXPECT_FALSE(validate_redirect_uri("http://192.168.1.10/callback").ok());
  EXPECT_FALSE(validate_redirect_uri("http://127.0.0.1.evil.example/callback").ok());
  EXPECT_FALSE(validate_redirect_uri("http://localhost.evil.example/callback").ok());
}

TEST(RedirectUri, CustomSchemesForNativeAppsAreAccepted) {
  EXPECT_TRUE(validate_redirect_uri("com.example.app:/oauth").ok());
  EXPECT_TRUE(validate_redirect_uri("myapp://callback").ok());
}

TEST(RedirectUri, FragmentsAreRejected) {
  EXPECT_FALSE(validate_redirect_uri("https://app.example/cb#frag").ok());
  EXPECT_FALSE(validate_redirect_uri("myapp://cb#").ok());
}

TEST(RedirectUri, RelativeOrEmptyIsRejected) {
  EXPECT_FALSE(validate_redirect_uri("").ok());
  EXPECT_FALSE(validate_redirect_uri("/callback").ok());
  EXPECT_FALSE(validate_redirect_uri("app.example/callback").ok());
  EXPECT_FALSE(validate_redirect_uri("myapp:").ok());
  EXPECT_FALSE(validate_redirect_uri("1app://cb").ok());
}

TEST(RedirectUri, DangerousSchemesAreRejected) {
  EXPECT_FALSE(validate_redirect_uri("javascript:alert(1)").ok());
  EXPECT_FALSE(validate_redirect_uri("JavaScript:alert(1)").ok());
  EXPECT_FALSE(validate_redirect_uri("data:text/html,hi").ok());
  EXPECT_FALSE(validate_redirect_uri("file:///etc/passwd").ok());
}

TEST(RedirectUri, UserinfoAndBadHostsAreRejected) {
  EXPECT_FALSE(validate_redirect_uri("https://app.example@evil.example/cb").ok());
  EXPECT_FALSE(validate_redirect_uri("http://localhost@evil.example/cb").ok());
  EXPECT_FALSE(validate_redirect_uri("https:///cb").ok());
  EXPECT_FALSE(validate_redirect_uri("https:app.example").ok());
  EXPECT_FALSE(validate_redirect_uri("https://app.example:/cb").ok());
  EXPECT_FALSE(validate_redirect_uri("https://app.example:80a/cb").ok());
}

TEST(RedirectUri, SpacesAndControlCharactersAreRejected) {
  EXPECT_FALSE(validate_redirect_uri("https://app.example/a b").ok());
  EXPECT_FALSE(validate_redirect_uri("https://app.example/\n").ok());
  EXPECT_FALSE(validate_redirect_uri("https://app.example/\xc3\xa9").ok());
}

}  // namespace
}  // namespace segue::auth
