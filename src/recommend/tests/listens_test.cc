#include "recommend/listens.h"

#include <gtest/gtest.h>

#include <sstream>

namespace segue::recommend {
namespace {

TEST(Listens, ListenBrainzLines) {
  auto l = parse_listenbrainz_line(
      R"({"listened_at":1612345678,"user_name":"rob","track_metadata":{"artist_name":"Nadia Oré","track_name":"Été","release_name":"Lumière","additional_info":{}}})");
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->listened_at_ms, 1612345678000);
  EXPECT_EQ(l->user, "rob");
  EXPECT_EQ(l->artist, "Nadia Oré");
  EXPECT_EQ(l->title, "Été");
  EXPECT_EQ(l->album, "Lumière");
  for (const char* bad : {"", "[]", "{", R"({"track_metadata":{"artist_name":"a","track_name":"b"}})",
                          R"({"listened_at":-5,"track_metadata":{"artist_name":"a","track_name":"b"}})",
                          R"({"listened_at":"soon","track_metadata":{"artist_name":"a","track_name":"b"}})",
                          R"({"listened_at":5,"track_metadata":{"artist_name":"a"}})",
                          R"({"listened_at":5,"track_metadata":{"artist_name":" ","track_name":"b"}})",
                          R"({"listened_at":5,"track_metadata":"x"})"})
    EXPECT_FALSE(parse_listenbrainz_line(bad).ok()) << bad;
}

TEST(Listens, Timestamps) {
  EXPECT_EQ(parse_listen_time("1612345678"), 1612345678000);
  EXPECT_EQ(parse_listen_time("1612345678123"), 1612345678123);
  EXPECT_EQ(parse_listen_time("03 Feb 2021 09:41"), 1612345260000);  // 2021-02-03T09:41:00Z
  EXPECT_EQ(parse_listen_time("2021-02-03T09:41:18Z"), 1612345278000);
  EXPECT_EQ(parse_listen_time("2021-02-03 09:41"), 1612345260000);
  EXPECT_EQ(parse_listen_time("1970-01-01T00:00:00Z"), 0);
  for (const char* bad : {"", "0", "-3", "yesterday", "03 Fbr 2021 09:41", "2021-13-03T09:41:00Z",
                          "2021-02-03T09:41:00+02:00", "03 Feb 2021 09:41 extra"})
    EXPECT_FALSE(parse_listen_time(bad).has_value()) << bad;
}

TEST(Listens, ReadsJsonLinesAndCountsBadOnes) {
  std::istringstream in(
      "\n{\"listened_at\":100,\"track_metadata\":{\"artist_name\":\"A\",\"track_name\":\"x\"}}\n"
      "not json\n"
      "{\"listened_at\":200,\"track_metadata\":{\"artist_name\":\"B\",\"track_name\":\"y\"}}\n\n");
  std::vector<Listen> got;
  auto r = read_listens(in, [&](Listen&& l) { got.push_back(std::move(l)); });
  EXPECT_EQ(r.lines, 3u);
  EXPECT_EQ(r.listens, 2u);
  EXPECT_EQ(r.bad, 1u);
  ASSERT_EQ(r.first_errors.size(), 1u);
  EXPECT_NE(r.first_errors[0].find("line 3"), std::string::npos) << r.first_errors[0];
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].artist, "B");
}

TEST(Listens, ReadsLastfmCsvWithAndWithoutAHeader) {
  std::istringstream with("\xEF\xBB\xBFuts,artist,album,track\r\n1612345678,\"Copper, The\",\"An \"\"Album\"\"\",Ember\r\n"
                          "bad,A,B,C\r\n");
  std::vector<Listen> got;
  auto r = read_listens(with, [&](Listen&& l) { got.push_back(std::move(l)); });
  EXPECT_EQ(r.listens, 1u);
  EXPECT_EQ(r.bad, 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].artist, "Copper, The");
  EXPECT_EQ(got[0].album, "An \"Album\"");
  EXPECT_EQ(got[0].title, "Ember");
  EXPECT_EQ(got[0].listened_at_ms, 1612345678000);
  std::istringstream without("Marlow Vance,Harbor Lights,Tide,03 Feb 2021 09:41\nMarlow Vance,,Echo\n");
  got.clear();
  r = read_listens(without, [&](Listen&& l) { got.push_back(std::move(l)); });
  EXPECT_EQ(r.listens, 1u);
  EXPECT_EQ(r.bad, 1u);  // three columns
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].title, "Tide");
  std::istringstream half("artist,title\nA,B\n");
  r = read_listens(half, [&](Listen&&) {});
  EXPECT_EQ(r.listens, 0u);
  EXPECT_EQ(r.bad, 1u);  // a header without a timestamp column
}

TEST(Listens, MatcherFoldsNamesAndPrefersTheAlbum) {
  TrackMatcher m({{TrackId("t3"), {"Marlow Vance"}, "Echo", "Live at Dusk"},
                  {TrackId("t2"), {"Marlow Vance"}, "Echo", "Harbor Lights"},
                  {TrackId("t4"), {"Nadia Oré", "Marlow Vance"}, "Duet", "Mix"},
                  {TrackId("t5"), {"The Copper Lanterns"}, "Ember (feat. Nadia Oré)", "Lanterns"}});
  EXPECT_EQ(m.match("marlow vance", "ECHO"), TrackId("t2"));  // no album: the first by id
  EXPECT_EQ(m.match("Marlow Vance", "Echo", "live at dusk"), TrackId("t3"));
  EXPECT_EQ(m.match("Marlow Vance", "Echo", "Unknown"), TrackId("t2"));
  EXPECT_EQ(m.match("Nadia Ore", "Duet"), TrackId("t4"));
  EXPECT_EQ(m.match("Marlow Vance", "Duet"), TrackId("t4"));
  EXPECT_EQ(m.match("Marlow Vance & Nadia Oré", "Duet"), TrackId("t4"));
  EXPECT_EQ(m.match("Copper Lanterns", "Ember"), TrackId("t5"));
  EXPECT_FALSE(m.match("Marlow Vance", "Tide").has_value());
  EXPECT_FALSE(m.match("Someone", "Echo").has_value());
}

}  // namespace
}  // namespace segue::recommend
