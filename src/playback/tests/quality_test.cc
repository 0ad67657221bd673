#include "playback/quality.h"

#include <gtest/gtest.h>

namespace segue::playback {
namespace {
Candidate f(const char* id, const char* fmt, int kbps, bool lossless = false) {
  return Candidate{FileId(id), fmt, kbps, lossless};
}
const std::vector<Candidate> kAll = {f("mp3_320", "mp3", 320), f("ogg_160", "vorbis", 160),
                                     f("ogg_96", "vorbis", 96), f("flac", "flac", 900, true)};
}  // namespace

TEST(Quality, FreeTierGetsAtMost160) {
  auto c = choose_quality(kAll, {Tier::kFree, {}, false});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file.file.str(), "ogg_160");
  EXPECT_TRUE(c->within_cap);
}

TEST(Quality, PremiumGets320AndLosslessOnlyWhenAsked) {
  EXPECT_EQ(choose_quality(kAll, {Tier::kPremium, {}, false})->file.file.str(), "mp3_320");
  EXPECT_EQ(choose_quality(kAll, {Tier::kPremium, {}, true})->file.file.str(), "flac");
  EXPECT_EQ(choose_quality(kAll, {Tier::kFree, {}, true})->file.file.str(), "ogg_160");
}

TEST(Quality, OnlyFormatsTheClientAccepts) {
  EXPECT_EQ(choose_quality(kAll, {Tier::kPremium, {"ogg"}, false})->file.file.str(), "ogg_160");
  auto none = choose_quality(kAll, {Tier::kPremium, {"aac"}, false});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
}

TEST(Quality, WhenNothingFitsTheCapServesSmallestAndSaysSo) {
  auto c = choose_quality({f("mp3_320", "mp3", 320), f("flac", "flac", 900, true)},
                          {Tier::kFree, {}, false});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file.file.str(), "mp3_320");
  EXPECT_FALSE(c->within_cap);
  EXPECT_NE(c->note.find("transcoding"), std::string::npos);
}

TEST(Quality, NoFilesIsNotFound) {
  EXPECT_EQ(choose_quality({}, {}).error().code, ErrorCode::kNotFound);
}

}  // namespace segue::playback
