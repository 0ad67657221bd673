#include "playback/stream_token.h"

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace segue::playback {
namespace {
using namespace std::chrono;
const auto kNow = system_clock::time_point(seconds(1'800'000'000));
const FileId kFile("0123456789abcdefghijAB");
const UserId kUser("ZYXWVUTSRQponmlkjihgf0");
}  // namespace

TEST(StreamToken, VerifiesForItsFileUntilExpiry) {
  StreamTokenSigner s(std::string(32, 'k'));
  std::string t = s.issue(kFile, kUser, kNow + seconds(3600));
  auto c = s.verify(t, kFile, kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->user, kUser);
  EXPECT_TRUE(s.verify(t, kFile, kNow + seconds(3599)).ok());
  auto expired = s.verify(t, kFile, kNow + seconds(3600));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kPermissionDenied);
}

TEST(StreamToken, RefusesAnotherFile) {
  StreamTokenSigner s(std::string(32, 'k'));
  std::string t = s.issue(kFile, kUser, kNow + seconds(60));
  EXPECT_FALSE(s.verify(t, FileId("1123456789abcdefghijAB"), kNow).ok());
}

TEST(StreamToken, RefusesTamperedPayloadOrSignature) {
  StreamTokenSigner s(std::string(32, 'k'));
  std::string t = s.issue(kFile, kUser, kNow + seconds(60));
  // Extend the expiry in the payload without re-signing.
  auto dot = t.find('.');
  std::string payload = *crypto::base64url_decode(t.substr(0, dot));
  payload.back() = '9';
  std::string forged = crypto::base64url_encode(payload) + t.substr(dot);
  EXPECT_FALSE(s.verify(forged, kFile, kNow).ok());
  std::string flipped = t;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(s.verify(flipped, kFile, kNow).ok());
  EXPECT_FALSE(s.verify("", kFile, kNow).ok());
  EXPECT_FALSE(s.verify("garbage", kFile, kNow).ok());
}

TEST(StreamToken, AnotherKeyDoesNotVerify) {
  StreamTokenSigner a(std::string(32, 'a')), b(std::string(32, 'b'));
  EXPECT_FALSE(b.verify(a.issue(kFile, kUser, kNow + seconds(60)), kFile, kNow).ok());
}

}  // namespace segue::playback

namespace segue::playback {

TEST(StreamToken, EndsWhenTheUsersCredentialsEpochMoves) {
  StreamTokenSigner s(std::string(32, 'k'));
  int64_t epoch = 3;
  s.set_epoch_source([&](const UserId& u) { return u == kUser ? epoch : 0; });
  std::string t = s.issue(kFile, kUser, kNow + seconds(3600));
  auto ok = s.verify(t, kFile, kNow);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->epoch, 3);
  epoch = 4;  // the password changed, or the user was signed out everywhere
  auto revoked = s.verify(t, kFile, kNow);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(revoked.error().message.find("revoked"), std::string::npos);
  // A token issued now carries the new epoch.
  EXPECT_TRUE(s.verify(s.issue(kFile, kUser, kNow + seconds(60)), kFile, kNow).ok());
}

TEST(StreamToken, AVersion1TokenCountsAsEpochZero) {
  const std::string key(32, 'k');
  StreamTokenSigner s(key);
  std::string payload = "v1." + kFile.str() + "." + kUser.str() + ".1800003600";
  std::string v1 = crypto::base64url_encode(payload) + "." + crypto::base64url_encode(crypto::hmac_sha256(key, payload));
  EXPECT_TRUE(s.verify(v1, kFile, kNow).ok());
  s.set_epoch_source([](const UserId&) { return int64_t{1}; });
  EXPECT_FALSE(s.verify(v1, kFile, kNow).ok());
}

}  // namespace segue::playback
