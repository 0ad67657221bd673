#include "catalog/tag_reader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "catalog/tests/test_util.h"

namespace segue::catalog {
namespace {

using audio::Format;
using testing::make_tagged_file;
using testing::TempDir;

struct FormatCase {
  Format fmt;
  const char* codec;
  const char* mime;
  bool lossless;
};

class TagMappingTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(TagMappingTest, WrittenTagsReadBackIntoTheModel) {
  const FormatCase c = GetParam();
  TempDir dir;
  TagWrite w;
  w.properties = {
      {"TITLE", {"Señales de Humo"}},
      {"ARTIST", {"Marlow Vance", "Nadia Oré"}},
      {"ALBUM", {"Glass Orchard"}},
      {"ALBUMARTIST", {"Nadia Oré"}},
      {"TRACKNUMBER", {"3/12"}},
      {"DISCNUMBER", {"2/2"}},
      {"DATE", {"2021-05-14"}},
      {"GENRE", {"Electronic", "Ambient"}},
      {"COMPILATION", {"1"}},
      {"MUSICBRAINZ_TRACKID", {"a1b2c3d4-0000-4000-8000-000000000001"}},
      {"MUSICBRAINZ_ALBUMID", {"a1b2c3d4-0000-4000-8000-000000000002"}},
      {"MUSICBRAINZ_ARTISTID", {"a1b2c3d4-0000-4000-8000-000000000003"}},
      {"REPLAYGAIN_TRACK_GAIN", {"-6.50 dB"}},
      {"REPLAYGAIN_TRACK_PEAK", {"0.988"}},
      {"REPLAYGAIN_ALBUM_GAIN", {"-7.25 dB"}},
      {"ISRC", {"QZABC2100001"}},
  };
  w.cover_jpeg = testing::small_jpeg(200, 40, 40);
  const auto path = dir.path() / ("song." + std::string(audio::extension(c.fmt)));
  make_tagged_file(path, c.fmt, w, 1.5);

  auto t = read_tags(path.string());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->title, "Señales de Humo");
  EXPECT_EQ(t->artists, (std::vector<std::string>{"Marlow Vance", "Nadia Oré"}));
  EXPECT_EQ(t->album, "Glass Orchard");
  EXPECT_EQ(t->album_artists, std::vector<std::string>{"Nadia Oré"});
  EXPECT_EQ(t->track_number, 3);
  EXPECT_EQ(t->track_total, 12);
  EXPECT_EQ(t->disc_number, 2);
  EXPECT_EQ(t->disc_total, 2);
  EXPECT_EQ(t->date, "2021-05-14");
  EXPECT_EQ(t->genres, (std::vector<std::string>{"Electronic", "Ambient"}));
  EXPECT_TRUE(t->compilation);
  EXPECT_EQ(t->musicbrainz_track_id, "a1b2c3d4-0000-4000-8000-000000000001");
  EXPECT_EQ(t->musicbrainz_album_id, "a1b2c3d4-0000-4000-8000-000000000002");
  EXPECT_EQ(t->musicbrainz_artist_ids,
            std::vector<std::string>{"a1b2c3d4-0000-4000-8000-000000000003"});
  ASSERT_TRUE(t->replay_gain.track_gain_db.has_value());
  EXPECT_DOUBLE_EQ(*t->replay_gain.track_gain_db, -6.5);
  EXPECT_NEAR(t->replay_gain.track_peak.value_or(0), 0.988, 1e-9);
  EXPECT_DOUBLE_EQ(t->replay_gain.album_gain_db.value_or(0), -7.25);
  EXPECT_EQ(t->isrc, "QZABC2100001");
  EXPECT_TRUE(t->has_embedded_art);
  EXPECT_EQ(t->codec, c.codec);
  EXPECT_EQ(t->mime_type, c.mime);
  EXPECT_EQ(t->lossless, c.lossless);
  EXPECT_NEAR(static_cast<double>(t->duration_ms), 1500, 120);
  EXPECT_EQ(t->channels, 2);
  EXPECT_FALSE(t->title_from_filename);

  auto pic = read_embedded_picture(path.string(), 1 << 20);
  ASSERT_TRUE(pic.ok()) << pic.error().message;
  EXPECT_EQ(*pic, w.cover_jpeg);
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, TagMappingTest,
    ::testing::Values(FormatCase{Format::kMp3, "mp3", "audio/mpeg", false},
                      FormatCase{Format::kFlac, "flac", "audio/flac", true},
                      FormatCase{Format::kOgg, "vorbis", "audio/ogg", false},
                      FormatCase{Format::kOpus, "opus", "audio/ogg; codecs=opus", false},
                      FormatCase{Format::kM4a, "aac", "audio/mp4", false},
                      FormatCase{Format::kWav, "wav", "audio/wav", true}),
    [](const auto& info) { return std::string(audio::extension(info.param.fmt)); });

TEST(TagReaderTest, UntaggedFileFallsBackToFileAndFolderNames) {
  TempDir dir;
  const auto path = dir.path() / "Some Artist" / "Some Album" / "03 - The Title.ogg";
  make_tagged_file(path, Format::kOgg, {}, 0.5);
  auto t = read_tags(path.string());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->title, "The Title");
  EXPECT_EQ(t->track_number, 3);
  EXPECT_EQ(t->album, "Some Album");
  EXPECT_EQ(t->artists, std::vector<std::string>{"Some Artist"});
  EXPECT_TRUE(t->title_from_filename);
  EXPECT_TRUE(t->album_from_folder);
  EXPECT_TRUE(t->artist_from_folder);
  EXPECT_FALSE(t->has_embedded_art);
}

TEST(TagReaderTest, FilenameFallbackForms) {
  auto fb = [](const std::string& path) {
    TagInfo t;
    apply_filename_fallbacks(path, t);
    return t;
  };
  EXPECT_EQ(fb("/m/A/B/07. Intro.mp3").title, "Intro");
  EXPECT_EQ(fb("/m/A/B/07. Intro.mp3").track_number, 7);
  EXPECT_EQ(fb("/m/A/B/1-04 Reprise.flac").disc_number, 1);
  EXPECT_EQ(fb("/m/A/B/1-04 Reprise.flac").track_number, 4);
  EXPECT_EQ(fb("/m/A/B/1-04 Reprise.flac").title, "Reprise");
  EXPECT_EQ(fb("/m/A/B/Plain Name.ogg").track_number, 0);
  EXPECT_EQ(fb("/m/A/B/Plain Name.ogg").title, "Plain Name");
  EXPECT_EQ(fb("/m/A/B/1999.ogg").title, "1999");
}

TEST(TagReaderTest, ParsesNumberPairsGainsAndDates) {
  EXPECT_EQ(parse_number_pair("3/12"), std::make_pair(3, 12));
  EXPECT_EQ(parse_number_pair(" 7 "), std::make_pair(7, 0));
  EXPECT_EQ(parse_number_pair("x/y"), std::make_pair(0, 0));
  EXPECT_EQ(parse_gain("-6.5 dB"), -6.5);
  EXPECT_EQ(parse_gain("+0.30dB"), 0.3);
  EXPECT_FALSE(parse_gain("loud").has_value());
  EXPECT_EQ(normalize_date("2007"), "2007");
  EXPECT_EQ(normalize_date("2007-05-03T10:00:00"), "2007-05-03");
  EXPECT_EQ(normalize_date("2007/05"), "2007-05");
  EXPECT_EQ(normalize_date("May 2007"), "");
}

TEST(TagReaderTest, HostileFilesAreErrorsWithReasons) {
  TempDir dir;
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir.path() / name, std::ios::binary) << bytes;
    return (dir.path() / name).string();
  };
  std::string random;
  uint32_t s = 99;
  for (int i = 0; i < 50000; ++i) {
    s = s * 1664525 + 1013904223;
    random.push_back(static_cast<char>(s >> 24));
  }
  for (const char* ext : {".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav"}) {
    auto r = read_tags(write(std::string("random") + ext, random));
    EXPECT_FALSE(r.ok()) << ext;
  }
  auto empty = read_tags(write("empty.mp3", ""));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "empty file");
  auto missing = read_tags((dir.path() / "missing.mp3").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto directory = read_tags(dir.str());
  EXPECT_FALSE(directory.ok());
}

TEST(TagReaderTest, TruncatedFilesAreErrorsNotCrashes) {
  TempDir dir;
  for (Format f : {Format::kMp3, Format::kFlac, Format::kOgg, Format::kOpus, Format::kM4a,
                   Format::kWav}) {
    const auto path = dir.path() / ("full." + std::string(audio::extension(f)));
    make_tagged_file(path, f, {}, 1.0);
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    for (std::size_t cut : {std::size_t{10}, std::size_t{100}, bytes.size() / 2}) {
      const auto cut_path = dir.path() / ("cut" + std::to_string(cut) + "." + std::string(audio::extension(f)));
      std::ofstream(cut_path, std::ios::binary) << bytes.substr(0, cut);
      auto r = read_tags(cut_path.string());  // may succeed for a half file; must not crash
      if (cut <= 100) {
        EXPECT_FALSE(r.ok()) << cut_path;
      }
    }
  }
}

}  // namespace
}  // namespace segue::catalog

namespace segue::catalog {
namespace {

// TagLib 1.13 computes an Ogg file's length as last granule minus the first audio page's
// granule, which undercounts when that first page holds many packets. The demo tune for seed
// 384 encodes so (TagLib says 1012 ms for 1500 ms of audio); found as a rare failure of the
// tag-mapping test, whose seed comes from a per-process path. The granule positions are right.
TEST(TagReaderTest, OggDurationComesFromGranulePositions) {
  TempDir dir;
  for (Format fmt : {Format::kOgg, Format::kOpus}) {
    const auto path = dir.path() / ("seed-384." + std::string(audio::extension(fmt)));
    ASSERT_TRUE(audio::encode_pcm_file(path.string(), fmt, audio::render_demo_tune(384, 1.5), 128).ok());
    auto t = read_tags(path.string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_NEAR(static_cast<double>(t->duration_ms), 1500, 30) << path;
  }
}

}  // namespace
}  // namespace segue::catalog
