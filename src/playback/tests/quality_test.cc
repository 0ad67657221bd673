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

TEST(Quality, WhenNothingTheClientAcceptsFitsTheCapTheAnswerIsARefusalNamingWhatWould) {
  auto mp3 = choose_quality(kAll, {Tier::kFree, {"mp3"}, false});
  ASSERT_FALSE(mp3.ok());
  EXPECT_EQ(mp3.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(mp3.error().message.find("160 kbps cap"), std::string::npos) << mp3.error().message;
  EXPECT_NE(mp3.error().message.find("formats within the cap: vorbis"), std::string::npos) << mp3.error().message;
}

TEST(Quality, WhenNothingOfTheTrackFitsInAnyFormatTheSmallestIsServedAndSaysSo) {
  // No encodings (transcoding failed for the source): the client's wishes change nothing.
  for (const std::vector<std::string>& formats : {std::vector<std::string>{}, {"flac", "mp3"}}) {
    auto c = choose_quality({f("mp3_320", "mp3", 320), f("flac", "flac", 900, true)}, {Tier::kFree, formats, false});
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->file.file.str(), "mp3_320");
    EXPECT_FALSE(c->within_cap);
    EXPECT_NE(c->note.find("smallest"), std::string::npos);
  }
}

// Issue 14: a free client that accepts only FLAC got the lossless original.
TEST(Quality, AFreeClientAcceptingOnlyLosslessNeverGetsIt) {
  auto c = choose_quality(kAll, {Tier::kFree, {"flac"}, false});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(c.error().message.find("lossless needs Premium"), std::string::npos) << c.error().message;
  EXPECT_FALSE(choose_quality(kAll, {Tier::kFree, {"flac", "wav"}, true}).ok());
  // Premium may have it: accepting only FLAC is asking for lossless.
  auto p = choose_quality(kAll, {Tier::kPremium, {"flac"}, false});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->file.file.str(), "flac");
  EXPECT_TRUE(p->within_cap);
}

TEST(Quality, NoChoiceIsEverOverTheCap) {
  const std::vector<std::vector<std::string>> format_lists = {{}, {"mp3"}, {"flac"}, {"ogg"}, {"vorbis", "flac"},
                                                              {"wav"}, {"flac", "mp3"}};
  for (const auto& formats : format_lists) {
    for (bool lossless : {false, true}) {
      auto c = choose_quality(kAll, {Tier::kFree, formats, lossless});
      if (!c.ok()) continue;
      EXPECT_FALSE(c->file.lossless);
      EXPECT_LE(c->file.bitrate_kbps, 160);
      auto p = choose_quality(kAll, {Tier::kPremium, formats, lossless});
      if (p.ok() && !p->file.lossless) EXPECT_LE(p->file.bitrate_kbps, 320);
    }
  }
}

// An original and the encodings Segue could make of it.
std::vector<Candidate> with_encodings(const Candidate& original) {
  std::vector<Candidate> out = {original};
  for (const auto& e : encodings_for(original))
    out.push_back(Candidate{FileId(e.format + std::to_string(e.bitrate_kbps)), e.format, e.bitrate_kbps, false, true});
  return out;
}

TEST(Quality, TheLadderHasSpotifysVorbisTiersOpusAndAac) {
  std::vector<std::string> got;
  for (const auto& e : encoding_ladder()) got.push_back(e.format + std::to_string(e.bitrate_kbps));
  EXPECT_EQ(got, (std::vector<std::string>{"vorbis96", "vorbis160", "vorbis320", "opus96", "opus160", "aac128", "aac256"}));
}

TEST(Quality, ALossyOriginalIsNotTranscodedUpwards) {
  auto specs = encodings_for(f("mp3", "mp3", 128));
  std::vector<std::string> got;
  for (const auto& e : specs) got.push_back(e.format + std::to_string(e.bitrate_kbps));
  EXPECT_EQ(got, (std::vector<std::string>{"vorbis96", "opus96", "aac128"}));
  EXPECT_EQ(encodings_for(f("flac", "flac", 900, true)).size(), encoding_ladder().size());
}

TEST(Quality, AnOriginalThatFitsIsPreferredToAnyTranscode) {
  auto c = choose_quality(with_encodings(f("mp3_128", "mp3", 128)), {Tier::kPremium, {"opus", "mp3"}, false});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file.file.str(), "mp3_128");
  EXPECT_FALSE(c->file.transcode);
}

TEST(Quality, LosslessOriginalsAreTranscodedToTheTierCap) {
  const auto flac = with_encodings(f("flac", "flac", 900, true));
  auto free = choose_quality(flac, {Tier::kFree, {"vorbis", "aac"}, false});
  ASSERT_TRUE(free.ok());
  EXPECT_EQ(free->file.file.str(), "vorbis160");
  EXPECT_TRUE(free->file.transcode);
  EXPECT_TRUE(free->within_cap);
  auto premium = choose_quality(flac, {Tier::kPremium, {"vorbis", "aac"}, false});
  EXPECT_EQ(premium->file.file.str(), "vorbis320");
  // Premium asking for lossless gets the original.
  EXPECT_EQ(choose_quality(flac, {Tier::kPremium, {"vorbis", "flac"}, true})->file.file.str(), "flac");
}

TEST(Quality, TheClientsMostPreferredFormatWins) {
  const auto flac = with_encodings(f("flac", "flac", 900, true));
  EXPECT_EQ(choose_quality(flac, {Tier::kPremium, {"opus", "vorbis"}, false})->file.file.str(), "opus160");
  // Safari: AAC only (and MP3, which this track lacks).
  EXPECT_EQ(choose_quality(flac, {Tier::kFree, {"aac", "mp3"}, false})->file.file.str(), "aac128");
  EXPECT_EQ(choose_quality(flac, {Tier::kPremium, {"mp4"}, false})->file.file.str(), "aac256");
  // No preference: Vorbis, as Spotify.
  EXPECT_EQ(choose_quality(flac, {Tier::kFree, {}, false})->file.file.str(), "vorbis160");
}

TEST(Quality, AnOriginalOverTheCapIsTranscodedDown) {
  auto c = choose_quality(with_encodings(f("mp3_320", "mp3", 320)), {Tier::kFree, {"mp3", "vorbis"}, false});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->file.file.str(), "vorbis160");
}

TEST(Quality, NoFilesIsNotFound) {
  EXPECT_EQ(choose_quality({}, {}).error().code, ErrorCode::kNotFound);
}

}  // namespace segue::playback
