#include "common/crypto.h"

#include <gtest/gtest.h>

namespace segue::crypto {

TEST(Crypto, Sha256MatchesKnownVector) {
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacMatchesRfc4231Case2) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Base64RoundTripsAllLengths) {
  std::string data;
  for (int n = 0; n < 40; ++n) {
    EXPECT_EQ(base64url_decode(base64url_encode(data)), data);
    EXPECT_EQ(base64_decode(base64_encode(data)), data);
    data.push_back(static_cast<char>(n * 37));
  }
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Crypto, Base64RejectsForeignCharacters) {
  EXPECT_EQ(base64url_decode("ab+c"), std::nullopt);
  EXPECT_EQ(base64_decode("ab-c"), std::nullopt);
  EXPECT_EQ(base64_decode("a"), std::nullopt);
}

TEST(Crypto, Base64AcceptsOnlyTheCanonicalEncoding) {
  // "-_8" encodes 0xfb 0xff; "-_9" has a non-zero unused bit and would decode to the same
  // bytes if it were accepted.
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_decode("-_9"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9vYg=="), std::string("foob"));
  EXPECT_EQ(base64_decode("Zm9vYh=="), std::nullopt);
  // Every one-character change of a 32-byte MAC's encoding is rejected or decodes differently.
  std::string mac(32, '\x5a');
  std::string enc = base64url_encode(mac);
  for (std::size_t i = 0; i < enc.size(); ++i) {
    std::string t = enc;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    auto d = base64url_decode(t);
    EXPECT_TRUE(!d || *d != mac) << "position " << i;
  }
}

TEST(Crypto, ConstantTimeEqualComparesContent) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Crypto, RandomTokensDiffer) {
  EXPECT_NE(random_token(), random_token());
  EXPECT_EQ(random_token(32).size(), 43u);
}

}  // namespace segue::crypto
