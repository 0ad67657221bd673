#include "playback/edge_token.h"

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace segue::playback {
namespace {
using namespace std::chrono;
const auto kNow = system_clock::time_point(seconds(1'800'000'000));
const FileId kFile("0123456789abcdefghijAB");
const UserId kUser("ZYXWVUTSRQponmlkjihgf0");
const std::string kKey(64, 'a');
}  // namespace

TEST(EdgeToken, HasTheDocumentedFormat) {
  EdgeTokenSigner s(kKey);
  std::string t = s.issue(kFile, kUser, kNow + seconds(60));
  auto dot = t.find('.');
  ASSERT_NE(dot, std::string::npos);
  const std::string payload = "e1." + kFile.str() + "." + kUser.str() + ".1800000060";
  EXPECT_EQ(*crypto::base64url_decode(t.substr(0, dot)), payload);
  EXPECT_EQ(*crypto::base64url_decode(t.substr(dot + 1)), crypto::hmac_sha256(kKey, payload));
  EXPECT_TRUE(EdgeTokenSigner::looks_like_edge_token(t));
}

TEST(EdgeToken, VerifiesForItsFileUntilExpiry) {
  EdgeTokenSigner s(kKey);
  std::string t = s.issue(kFile, kUser, kNow + seconds(3600));
  auto c = s.verify(t, kFile, kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->user, kUser);
  EXPECT_EQ(c->file, kFile);
  EXPECT_TRUE(s.verify(t, kFile, kNow + seconds(3599)).ok());
  auto expired = s.verify(t, kFile, kNow + seconds(3600));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
}

TEST(EdgeToken, RefusesAnotherFileATamperedTokenAndAnotherKey) {
  EdgeTokenSigner s(kKey), other(std::string(64, 'b'));
  std::string t = s.issue(kFile, kUser, kNow + seconds(60));
  auto wrong_file = s.verify(t, FileId("1123456789abcdefghijAB"), kNow);
  ASSERT_FALSE(wrong_file.ok());
  EXPECT_NE(wrong_file.error().message.find("another file"), std::string::npos);
  auto dot = t.find('.');
  std::string payload = *crypto::base64url_decode(t.substr(0, dot));
  payload.back() = '9';  // a later expiry, not re-signed
  EXPECT_FALSE(s.verify(crypto::base64url_encode(payload) + t.substr(dot), kFile, kNow).ok());
  EXPECT_FALSE(other.verify(t, kFile, kNow).ok());
  EXPECT_FALSE(s.verify("garbage", kFile, kNow).ok());
  EXPECT_FALSE(s.verify("", kFile, kNow).ok());
}

TEST(EdgeToken, StreamTokensAndEdgeTokensAreNotInterchangeable) {
  // Same key on both sides: still neither verifies as the other (the version differs).
  EdgeTokenSigner edge(kKey);
  StreamTokenSigner stream(kKey);
  std::string st = stream.issue(kFile, kUser, kNow + seconds(60));
  std::string et = edge.issue(kFile, kUser, kNow + seconds(60));
  EXPECT_FALSE(EdgeTokenSigner::looks_like_edge_token(st));
  EXPECT_FALSE(edge.verify(st, kFile, kNow).ok());
  EXPECT_FALSE(stream.verify(et, kFile, kNow).ok());
}

TEST(EdgeKey, ParsesHexTextAndRefusesTheRest) {
  auto k = parse_edge_key("  " + std::string(64, 'f') + "\n");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, std::string(64, 'f'));
  EXPECT_FALSE(parse_edge_key(std::string(63, 'f')).ok());
  EXPECT_FALSE(parse_edge_key(std::string(64, 'g')).ok());
  EXPECT_FALSE(parse_edge_key("").ok());
}

}  // namespace segue::playback
