#include "auth/pkce.h"

#include <gtest/gtest.h>

#include <string>

namespace segue::auth {
namespace {

// RFC 7636 Appendix B.
constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr char kChallenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

TEST(Pkce, S256MatchesRfc7636Example) {
  EXPECT_EQ(s256_challenge(kVerifier), kChallenge);
  EXPECT_TRUE(verify_pkce(kVerifier, kChallenge));
}

TEST(Pkce, OtherVerifierFails) {
  std::string other = kVerifier;
  other[0] = 'e';
  EXPECT_FALSE(verify_pkce(other, kChallenge));
}

TEST(Pkce, VerifierLengthIs43To128) {
  EXPECT_FALSE(is_valid_code_verifier(std::string(42, 'a')));
  EXPECT_TRUE(is_valid_code_verifier(std::string(43, 'a')));
  EXPECT_TRUE(is_valid_code_verifier(std::string(128, 'a')));
  EXPECT_FALSE(is_valid_code_verifier(std::string(129, 'a')));
}

TEST(Pkce, VerifierUsesOnlyUnreservedCharacters) {
  EXPECT_TRUE(is_valid_code_verifier(std::string(40, 'a') + "-._~"));
  EXPECT_FALSE(is_valid_code_verifier(std::string(42, 'a') + "+"));
  EXPECT_FALSE(is_valid_code_verifier(std::string(42, 'a') + "="));
  EXPECT_FALSE(is_valid_code_verifier(std::string(42, 'a') + " "));
}

TEST(Pkce, VerifierThatIsTheChallengeItselfFails) {
  // "plain" would accept this; S256 must not.
  EXPECT_FALSE(verify_pkce(kChallenge, kChallenge));
}

TEST(Pkce, ChallengeShapeIs43Base64UrlCharacters) {
  EXPECT_TRUE(is_valid_s256_challenge(kChallenge));
  EXPECT_FALSE(is_valid_s256_challenge(std::string(kChallenge) + "A"));
  EXPECT_FALSE(is_valid_s256_challenge(std::string(kChallenge).substr(1)));
  EXPECT_FALSE(is_valid_s256_challenge(std::string(42, 'a') + "="));
}

}  // namespace
}  // namespace segue::auth
