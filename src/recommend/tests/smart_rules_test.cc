// Smart-playlist rules: every operator parsed and evaluated on hand-made tracks, Navidrome's
// .nsp examples, sort (fields, directions, missing values, random with a seed), limit, and bad
// input refused with a message that names what is wrong.
#include "recommend/smart_rules.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>

namespace segue::recommend::smart {
namespace {

constexpr int64_t kDay = 86'400'000;
// 2024-06-15 12:00 UTC.
constexpr int64_t kNow = 1718452800000;

Rules rules(std::string_view text) {
  auto p = parse_rules_text(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() ? p->rules : Rules{};
}

std::string error_of(std::string_view text) {
  auto p = parse_rules_text(text);
  EXPECT_FALSE(p.ok()) << text;
  return p.ok() ? "" : p.error().message;
}

AudioValues audio(double tempo, double energy, int key = 0, int mode = 1) {
  AudioValues a;
  a.v.fill(0.5);
  a.v[0] = tempo;
  a.v[1] = energy;
  a.v[9] = key;
  a.v[10] = mode;
  return a;
}

class SmartRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // t0: an old rock song, played a lot, recently; saved.
    tracks_.push_back({TrackId("t0"), "blue sky", "the album", {"ash harbor"}, {"ash harbor"}, {"rock"}, 1985, 200,
                       kNow - 400 * kDay, audio(128, 0.9)});
    // t1: a jazz piece, never played, added last week; no analysis.
    tracks_.push_back({TrackId("t1"), "night walk", "quiet hours", {"ember quartet", "guest"}, {"ember quartet"},
                       {"jazz", "soul"}, 2020, 420, kNow - 7 * kDay, std::nullopt});
    // t2: electronic, unknown year, played once long ago.
    tracks_.push_back({TrackId("t2"), "pulse", "delta", {"delta pulse"}, {"various artists"}, {"electronic"},
                       std::nullopt, 180, kNow - 100 * kDay, audio(174, 0.95, 5, 0)});
    // t3: a 1990s folk song, played 3 times, 10 days ago.
    tracks_.push_back({TrackId("t3"), "blue river", "birch lane", {"birch lane"}, {"birch lane"}, {"folk"}, 1994,
                       240, kNow - 30 * kDay, audio(92, 0.3, 7, 1)});
    user_.plays["t0"] = {12, kNow - 2 * kDay};
    user_.plays["t2"] = {1, kNow - 200 * kDay};
    user_.plays["t3"] = {3, kNow - 10 * kDay};
    user_.saved.insert("t0");
    user_.saved.insert("t3");
  }
  // The ids the rules select, in order.
  std::vector<std::string> pick(std::string_view text) {
    std::vector<std::string> out;
    for (const auto& id : select(rules(text), tracks_, user_, kNow)) out.push_back(id.str());
    return out;
  }
  using V = std::vector<std::string>;
  std::vector<TrackFacts> tracks_;
  UserFacts user_;
};

TEST_F(SmartRulesTest, TextOperatorsAreCaseInsensitiveAndSeeEveryValueOfAList) {
  EXPECT_EQ(pick(R"({"all":[{"is":{"title":"Blue Sky"}}]})"), (V{"t0"}));
  EXPECT_EQ(pick(R"({"all":[{"isNot":{"title":"blue sky"}}]})"), (V{"t1", "t2", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"contains":{"title":"BLUE"}}]})"), (V{"t0", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"notContains":{"title":"blue"}}]})"), (V{"t1", "t2"}));
  EXPECT_EQ(pick(R"({"all":[{"startsWith":{"album":"the"}}]})"), (V{"t0"}));
  EXPECT_EQ(pick(R"({"all":[{"endsWith":{"album":"lane"}}]})"), (V{"t3"}));
  // A second artist, a second genre: lists match on any value, negations on none.
  EXPECT_EQ(pick(R"({"all":[{"is":{"artist":"guest"}}]})"), (V{"t1"}));
  EXPECT_EQ(pick(R"({"all":[{"is":{"genre":"soul"}}]})"), (V{"t1"}));
  EXPECT_EQ(pick(R"({"all":[{"isNot":{"genre":"soul"}}]})"), (V{"t0", "t2", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"is":{"albumartist":"various artists"}}]})"), (V{"t2"}));
  EXPECT_EQ(pick(R"({"all":[{"is":{"albumArtist":"Birch Lane"}}]})"), (V{"t3"}));
}

TEST_F(SmartRulesTest, NumberOperatorsAndMissingValues) {
  EXPECT_EQ(pick(R"({"all":[{"is":{"year":1994}}]})"), (V{"t3"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"year":1990}}]})"), (V{"t1", "t3"}));  // t2 has no year
  EXPECT_EQ(pick(R"({"all":[{"lt":{"year":"1990"}}]})"), (V{"t0"}));      // a number as a string
  EXPECT_EQ(pick(R"({"all":[{"inTheRange":{"year":[1990,1999]}}]})"), (V{"t3"}));
  EXPECT_EQ(pick(R"({"all":[{"isNot":{"year":1994}}]})"), (V{"t0", "t1", "t2"}));  // missing passes a negation
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":300}}]})"), (V{"t1"}));
  // Play counts: never played is 0, not missing.
  EXPECT_EQ(pick(R"({"all":[{"gt":{"playcount":2}}]})"), (V{"t0", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"is":{"playCount":0}}]})"), (V{"t1"}));
  // Audio features: t1 has none, so it meets no positive condition on them.
  EXPECT_EQ(pick(R"({"all":[{"inTheRange":{"tempo":[120,180]}}]})"), (V{"t0", "t2"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"bpm":170}}]})"), (V{"t2"}));
  EXPECT_EQ(pick(R"({"all":[{"lt":{"energy":0.5}}]})"), (V{"t3"}));
  EXPECT_EQ(pick(R"({"all":[{"is":{"mode":0}}]})"), (V{"t2"}));
  EXPECT_EQ(pick(R"({"all":[{"is":{"key":7}}]})"), (V{"t3"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"danceability":0.4}}]})"), (V{"t0", "t2", "t3"}));
}

TEST_F(SmartRulesTest, DateOperators) {
  // Added: t0 400 days ago, t1 7, t2 100, t3 30.
  EXPECT_EQ(pick(R"({"all":[{"inTheLast":{"dateadded":30}}]})"), (V{"t1", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"notInTheLast":{"dateAdded":30}}]})"), (V{"t0", "t2"}));
  EXPECT_EQ(pick(R"({"all":[{"before":{"dateadded":"2024-01-01"}}]})"), (V{"t0"}));
  EXPECT_EQ(pick(R"({"all":[{"after":{"dateadded":"2024-06-01"}}]})"), (V{"t1"}));
  EXPECT_EQ(pick(R"({"all":[{"inTheRange":{"dateadded":["2024-03-01","2024-04-30"]}}]})"), (V{"t2"}));
  // Last played: t0 2 days ago, t2 200, t3 10; t1 never (so it is "not in the last" anything).
  EXPECT_EQ(pick(R"({"all":[{"inTheLast":{"lastPlayed":14}}]})"), (V{"t0", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"notInTheLast":{"lastplayed":14}}]})"), (V{"t1", "t2"}));
  // The day named by "after" is not after itself; "before" excludes the day.
  EXPECT_EQ(pick(R"({"all":[{"after":{"lastplayed":"2024-06-12"}}]})"), (V{"t0"}));
  EXPECT_EQ(pick(R"({"all":[{"after":{"lastplayed":"2024-06-13"}}]})"), (V{}));
  EXPECT_EQ(pick(R"({"all":[{"before":{"lastplayed":"2024-06-13"}}]})"), (V{"t2", "t3"}));
}

TEST_F(SmartRulesTest, SavedAndGroups) {
  EXPECT_EQ(pick(R"({"all":[{"is":{"saved":true}}]})"), (V{"t0", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"is":{"loved":false}}]})"), (V{"t1", "t2"}));
  EXPECT_EQ(pick(R"({"all":[{"isNot":{"starred":true}}]})"), (V{"t1", "t2"}));
  EXPECT_EQ(pick(R"({"any":[{"is":{"genre":"jazz"}},{"is":{"genre":"folk"}}]})"), (V{"t1", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"any":[{"is":{"genre":"jazz"}},{"is":{"genre":"folk"}}]},{"is":{"saved":true}}]})"),
            (V{"t3"}));
  EXPECT_EQ(pick(R"({"any":[{"all":[{"gt":{"year":2000}},{"contains":{"title":"night"}}]},{"gt":{"playcount":10}}]})"),
            (V{"t0", "t1"}));
}

TEST_F(SmartRulesTest, SortOrderLimitAndMissingValuesLast) {
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"sort":"year"})"), (V{"t0", "t3", "t1", "t2"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"sort":"year","order":"desc"})"), (V{"t1", "t3", "t0", "t2"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"sort":"-year"})"), (V{"t1", "t3", "t0", "t2"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"sort":"-playcount","limit":2})"), (V{"t0", "t3"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"sort":"title"})"), (V{"t3", "t0", "t1", "t2"}));
  // Ties broken by the next key, then by catalog order.
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"sort":"saved,-duration"})"), (V{"t1", "t2", "t3", "t0"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"sort":"-lastplayed"})"), (V{"t0", "t3", "t2", "t1"}));
  EXPECT_EQ(pick(R"({"all":[{"gt":{"duration":0}}],"limit":3})"), (V{"t0", "t1", "t2"}));
}

TEST_F(SmartRulesTest, RandomOrderIsStableForASeedAndDiffersAcrossSeeds) {
  // Many tracks, so that two seeds giving the same order would be a real coincidence.
  std::vector<TrackFacts> many;
  for (int i = 0; i < 50; ++i) many.push_back({TrackId("x" + std::to_string(i)), "song", "", {}, {}, {}, 2000, 100, 1, {}});
  auto order = [&](uint64_t seed) {
    Rules r = rules(R"({"all":[{"gt":{"duration":1}}],"sort":"random"})");
    r.seed = seed;
    r.has_seed = true;
    return select(r, many, user_, kNow);
  };
  EXPECT_EQ(order(7), order(7));
  EXPECT_NE(order(7), order(8));
  auto a = order(7);
  std::vector<TrackId> in_catalog_order;
  for (const auto& t : many) in_catalog_order.push_back(t.id);
  EXPECT_NE(a, in_catalog_order);
  std::sort(a.begin(), a.end());
  std::sort(in_catalog_order.begin(), in_catalog_order.end());
  EXPECT_EQ(a, in_catalog_order);  // a permutation: nothing lost or repeated
}

TEST(SmartRules, NavidromeExamplesParse) {
  auto recent = parse_rules_text(R"({"name":"Recently Played","comment":"Recently played tracks",
      "all":[{"inTheLast":{"lastPlayed":30}}],"sort":"lastPlayed","order":"desc","limit":100})");
  ASSERT_TRUE(recent.ok()) << recent.error().message;
  EXPECT_EQ(recent->name, "Recently Played");
  EXPECT_EQ(recent->comment, "Recently played tracks");
  EXPECT_EQ(recent->rules.limit, 100u);
  ASSERT_EQ(recent->rules.sort.size(), 1u);
  EXPECT_EQ(recent->rules.sort[0].field, Field::kLastPlayed);
  EXPECT_TRUE(recent->rules.sort[0].desc);
  auto eighties = parse_rules_text(R"({"all":[{"any":[{"is":{"loved":true}},{"gt":{"playCount":3}}]},
      {"inTheRange":{"year":[1981,1990]}}],"sort":"year","order":"desc","limit":25})");
  ASSERT_TRUE(eighties.ok()) << eighties.error().message;
  ASSERT_EQ(eighties->rules.root.children.size(), 2u);
  EXPECT_TRUE(eighties->rules.root.children[0].is_group);
  EXPECT_TRUE(eighties->rules.root.children[0].any);
  EXPECT_EQ(eighties->rules.root.children[0].children[0].condition.field, Field::kSaved);
  auto random = parse_rules_text(R"({"all":[{"gt":{"playCount":-1}}],"sort":"random"})");
  ASSERT_TRUE(random.ok());
  EXPECT_EQ(random->rules.sort[0].field, Field::kRandom);
  auto multi = parse_rules_text(R"({"all":[{"inTheRange":{"year":[2000,2009]}}],"sort":"-year,-playcount,title"})");
  ASSERT_TRUE(multi.ok());
  ASSERT_EQ(multi->rules.sort.size(), 3u);
  EXPECT_TRUE(multi->rules.sort[0].desc);
  EXPECT_TRUE(multi->rules.sort[1].desc);
  EXPECT_FALSE(multi->rules.sort[2].desc);
}

TEST(SmartRules, CanonicalJsonRoundTrips) {
  const char* text = R"({"any":[{"all":[{"inTheRange":{"dateAdded":["2024-01-01","2024-02-01"]}},{"is":{"loved":true}}]},
      {"contains":{"Title":"Blue Moon"}},{"inTheLast":{"lastplayed":7}},{"inTheRange":{"bpm":[100,140]}},{"gt":{"energy":0.25}}],
      "sort":"-bpm,title","limit":40,"seed":9})";
  auto a = parse_rules_text(text);
  ASSERT_TRUE(a.ok()) << a.error().message;
  const std::string canonical = boost::json::serialize(to_json(a->rules));
  EXPECT_EQ(canonical,
            R"({"any":[{"all":[{"inTheRange":{"dateadded":["2024-01-01","2024-02-01"]}},{"is":{"saved":true}}]},)"
            R"({"contains":{"title":"Blue Moon"}},{"inTheLast":{"lastplayed":7}},{"inTheRange":{"tempo":[100,140]}},{"gt":{"energy":2.5E-1}}],)"
            R"("sort":"-tempo,title","limit":40,"seed":9})");
  auto b = parse_rules_text(canonical);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(boost::json::serialize(to_json(b->rules)), canonical);
}

TEST(SmartRules, BadInputNamesTheProblem) {
  EXPECT_NE(error_of(R"({"all":[{"is":{"rating":5}}]})").find("unknown field 'rating'"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"equals":{"year":5}}]})").find("unknown operator 'equals'"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"inPlaylist":{"id":"x"}}]})").find("not supported"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"gt":{"title":"a"}}]})").find("gt does not apply to title"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"contains":{"year":1990}}]})").find("contains does not apply to year"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":"soon"}}]})").find("is year: expected a number"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"title":5}}]})").find("is title: expected a string"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"saved":"yes"}}]})").find("expected true or false"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"before":{"dateadded":"2024-02-30"}}]})").find("YYYY-MM-DD"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"inTheLast":{"lastplayed":0}}]})").find("days above 0"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"inTheRange":{"year":[2000]}}]})").find("expected [from, to]"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"inTheRange":{"year":[2000,1990]}}]})").find("start is above its end"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1,"title":"a"}}]})").find("one field"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[]})").find("empty group"), std::string::npos);
  EXPECT_NE(error_of(R"({"sort":"year"})").find("missing all or any"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1}}],"any":[{"is":{"year":1}}]})").find("not both"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1}}],"sort":"rating"})").find("sort: unknown field 'rating'"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1}}],"sort":"random,title"})").find("random cannot be combined"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1}}],"limit":-1})").find("limit"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1}}],"limit":10001})").find("limit"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1}}],"order":"up","sort":"year"})").find("order"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":[{"is":{"year":1}}],"limitPercent":10})").find("unknown key 'limitPercent'"), std::string::npos);
  EXPECT_NE(error_of(R"([1,2])").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"all":)").find("not valid JSON"), std::string::npos);
  // Too deep, too many.
  std::string deep = R"({"is":{"year":1}})";
  for (int i = 0; i < kMaxDepth + 1; ++i) deep = R"({"all":[)" + deep + "]}";
  EXPECT_NE(error_of(deep).find("nested deeper"), std::string::npos);
  std::string many = R"({"any":[)";
  for (std::size_t i = 0; i <= kMaxConditions; ++i) many += std::string(i ? "," : "") + R"({"is":{"year":1}})";
  EXPECT_NE(error_of(many + "]}").find("more than 200 conditions"), std::string::npos);
}

}  // namespace
}  // namespace segue::recommend::smart
