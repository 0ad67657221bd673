#include "auth/password.h"

#include <gtest/gtest.h>

namespace segue::auth {
namespace {

const PasswordParams kCheap{1, 256, 1};

TEST(Password, HashIsArgon2idPhcStringWithTheGivenParameters) {
  auto h = hash_password("correct horse", kCheap);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_TRUE(h->starts_with("$argon2id$v=19$m=256,t=1,p=1$")) << *h;
}

TEST(Password, DefaultsAreOwaspMinimum) {
  PasswordParams p;
  EXPECT_EQ(p.memory_kib, 19u * 1024);
  EXPECT_EQ(p.iterations, 2u);
  EXPECT_EQ(p.parallelism, 1u);
}

TEST(Password, CorrectPasswordMatches) {
  auto h = hash_password("correct horse", kCheap);
  ASSERT_TRUE(h.ok());
  auto m = password_matches(*h, "correct horse");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(*m);
}

TEST(Password, WrongPasswordDoesNotMatch) {
  auto h = hash_password("correct horse", kCheap);
  ASSERT_TRUE(h.ok());
  auto m = password_matches(*h, "correct horsf");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(*m);
}

TEST(Password, SameSaltIsNeverReused) {
  auto a = hash_password("pw-pw-pw-pw", kCheap);
  auto b = hash_password("pw-pw-pw-pw", kCheap);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(Password, NonArgon2idHashIsCorruption) {
  auto m = password_matches("$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kCorruption);
  EXPECT_FALSE(password_matches("plaintext", "plaintext").ok());
}

TEST(Password, NeedsRehashWhenParametersChange) {
  auto h = hash_password("correct horse", kCheap);
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(password_needs_rehash(*h, kCheap));
  EXPECT_TRUE(password_needs_rehash(*h, PasswordParams{2, 256, 1}));
}

}  // namespace
}  // namespace segue::auth
