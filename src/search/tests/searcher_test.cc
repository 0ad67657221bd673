#include "search/searcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "search/index.h"
#include "search/lexicon.h"

namespace segue::search {
namespace {

Document track(std::string id, std::string name, std::string artist, std::string album, int year = 2000,
               int popularity = 50) {
  Document d;
  d.kind = Kind::kTrack;
  d.id = std::move(id);
  d.name = std::move(name);
  d.artists = {std::move(artist)};
  d.album = std::move(album);
  d.year = year;
  d.popularity = popularity;
  return d;
}

Document artist(std::string id, std::string name, int popularity = 50) {
  Document d;
  d.kind = Kind::kArtist;
  d.id = std::move(id);
  d.name = std::move(name);
  d.popularity = popularity;
  return d;
}

Document album(std::string id, std::string name, std::string artist, int year = 2000) {
  Document d;
  d.kind = Kind::kAlbum;
  d.id = std::move(id);
  d.name = std::move(name);
  d.artists = {std::move(artist)};
  d.year = year;
  return d;
}

class SearcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto idx = SearchIndex::open("");
    ASSERT_TRUE(idx.ok()) << idx.error().message;
    index_ = std::move(idx).value();
    std::vector<Document> docs = {
        track("t1", "Bohemian Rhapsody", "Queen", "A Night at the Opera", 1975, 90),
        track("t2", "Halo", "Beyoncé", "I Am... Sasha Fierce", 2008, 80),
        track("t3", "Back in Black", "AC/DC", "Back in Black", 1980, 85),
        track("t4", "The Sound of Silence", "Simon & Garfunkel", "Sounds of Silence", 1966, 70),
        track("t5", "Yesterday", "The Beatles", "Help!", 1965, 88),
        track("t6", "Yesterday Once More", "Carpenters", "Now & Then", 1973, 60),
        track("t7", "Halo Theme", "Halo Orchestra", "Games", 2001, 10),
        track("t8", "Killer Queen", "Queen", "Sheer Heart Attack", 1974, 75),
        artist("r1", "Queen", 90),
        artist("r2", "Beyoncé", 85),
        artist("r3", "AC/DC", 80),
        artist("r4", "Simon & Garfunkel", 70),
        artist("r5", "The Beatles", 95),
        album("l1", "A Night at the Opera", "Queen", 1975),
        album("l2", "Back in Black", "AC/DC", 1980),
    };
    ASSERT_TRUE(index_->put(docs).ok());
    ASSERT_TRUE(index_->commit().ok());
  }

  // The hits of the strict pass (or, with `relaxed`, of the relaxed pass only).
  std::vector<std::string> ids(const std::string& q, Kind kind, std::size_t limit = 10, bool relaxed = false) {
    SearchRequest req;
    req.q = q;
    req.kinds = {kind};
    req.limit = limit;
    auto r = Searcher(*index_).search(req);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const auto& h : r->pages[static_cast<std::size_t>(kind)].items)
      if (h.relaxed == relaxed) out.push_back(h.id);
    return out;
  }

  std::string top(const std::string& q) {
    SuggestRequest req;
    req.q = q;
    auto r = Searcher(*index_).suggest(req);
    EXPECT_TRUE(r.ok());
    if (!r.ok() || !r->top) return "";
    return std::string(kind_name(r->top->kind)) + ":" + r->top->id;
  }

  std::unique_ptr<SearchIndex> index_;
};

// While typing, text that is not yet a query suggests nothing instead of failing; /v1/search
// still refuses it, and a suggestion request that is itself wrong is still refused.
TEST_F(SearcherTest, SuggestOnHalfTypedTextIsEmptyNotAnError) {
  for (const char* q : {"$", "/", "year:19x", "\"\""}) {
    SuggestRequest req;
    req.q = q;
    auto r = Searcher(*index_).suggest(req);
    ASSERT_TRUE(r.ok()) << q << ": " << r.error().message;
    EXPECT_FALSE(r->top.has_value()) << q;
    for (const auto& items : r->items) EXPECT_TRUE(items.empty()) << q;
    SearchRequest sreq;
    sreq.q = q;
    EXPECT_FALSE(Searcher(*index_).search(sreq).ok()) << q;
  }
  EXPECT_EQ(top("$boh"), "track:t1");  // the next keystroke finds it
  SuggestRequest too_long;
  too_long.q = std::string(501, 'a');
  EXPECT_FALSE(Searcher(*index_).suggest(too_long).ok());
  SuggestRequest bad_limit;
  bad_limit.q = "boh";
  bad_limit.limit = 0;
  EXPECT_FALSE(Searcher(*index_).suggest(bad_limit).ok());
}

// Issue 15: when the strict rules find fewer than a handful, a relaxed pass answers natural
// phrasing, typos in short words and words that match nothing, below the strict hits, and
// says what it understood.
TEST_F(SearcherTest, RelaxedPassAnswersWhatTheStrictRulesCannot) {
  auto first = [&](const std::string& q, Kind kind, std::string* corrected = nullptr) {
    SearchRequest req;
    req.q = q;
    req.kinds = {kind};
    auto r = Searcher(*index_).search(req);
    EXPECT_TRUE(r.ok()) << q;
    if (!r.ok() || r->pages[static_cast<std::size_t>(kind)].items.empty()) return std::string("(none)");
    if (corrected) *corrected = r->corrected.value_or("");
    const Hit& h = r->pages[static_cast<std::size_t>(kind)].items[0];
    EXPECT_TRUE(h.relaxed) << q << ": the strict rules should find nothing";
    return h.id;
  };
  std::string understood;
  // Glue words need not match.
  EXPECT_EQ(first("bohemian rhapsody by queen", Kind::kTrack, &understood), "t1");
  EXPECT_EQ(understood, "bohemian rhapsody queen");
  EXPECT_EQ(first("yesterday de the beatles", Kind::kTrack), "t5");
  EXPECT_TRUE(ids("bohemian rhapsody by queen", Kind::kTrack).empty());  // nothing strict
  // A typo in a word of three letters, two edits in a word of four.
  EXPECT_EQ(first("bak in black", Kind::kTrack, &understood), "t3");
  EXPECT_EQ(understood, "back in black");
  EXPECT_EQ(first("teh beatles", Kind::kArtist), "r5");
  EXPECT_EQ(first("hlla", Kind::kTrack), "t2");  // "halo": a transposition and a substitution
  // A word that matches nothing is left out, and the answer says so.
  EXPECT_EQ(first("killer queen karaoke", Kind::kTrack, &understood), "t8");
  EXPECT_EQ(understood, "killer queen");
  // Every word matches something, but not together: the odd one is left out.
  EXPECT_EQ(first("halo beyonce silence", Kind::kTrack), "t2");
  // Nothing close at all: still empty.
  EXPECT_EQ(first("zzzzqqq", Kind::kTrack), "(none)");
}

TEST_F(SearcherTest, RelaxedHitsRankBelowStrictOnesAndOnlyWhenStrictFindsFew) {
  // "halo" finds two tracks strictly; the relaxed pass may add others, always after them.
  SearchRequest req;
  req.q = "halo";
  req.kinds = {Kind::kTrack};
  auto r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  const auto& items = r->pages[0].items;
  ASSERT_GE(items.size(), 2u);
  EXPECT_FALSE(items[0].relaxed);
  EXPECT_FALSE(items[1].relaxed);
  for (std::size_t i = 1; i < items.size(); ++i) {
    EXPECT_GE(items[i - 1].score, items[i].score);
    if (items[i - 1].relaxed) EXPECT_TRUE(items[i].relaxed) << "a strict hit after a relaxed one";
  }
  // With a handful of strict hits (eight tracks named Halo), no relaxed pass.
  std::vector<Document> more;
  for (int i = 0; i < 6; ++i)
    more.push_back(track("h" + std::to_string(i), "Halo " + std::to_string(i), "Someone", "Halos", 1999, 20));
  ASSERT_TRUE(index_->put(more).ok());
  ASSERT_TRUE(index_->commit().ok());
  auto r2 = Searcher(*index_).search(req);
  ASSERT_TRUE(r2.ok());
  for (const auto& h : r2->pages[0].items) EXPECT_FALSE(h.relaxed) << h.id;
}

// Filters and phrases take the full index (Xapian), which has the same relaxed pass.
TEST_F(SearcherTest, RelaxedPassWithFiltersAndPhrases) {
  auto run = [&](const std::string& q) {
    SearchRequest req;
    req.q = q;
    req.kinds = {Kind::kTrack};
    auto r = Searcher(*index_).search(req);
    EXPECT_TRUE(r.ok()) << q;
    return r.ok() ? *r : SearchResponse{};
  };
  auto r = run("killer queen by year:1970-1979");
  ASSERT_FALSE(r.pages[0].items.empty());
  EXPECT_EQ(r.pages[0].items[0].id, "t8");
  EXPECT_TRUE(r.pages[0].items[0].relaxed);
  r = run("bak in black karaoke year:1980");
  ASSERT_FALSE(r.pages[0].items.empty());
  EXPECT_EQ(r.pages[0].items[0].id, "t3");
  EXPECT_EQ(r.corrected.value_or(""), "back in black year:1980");
  // The filter still holds: nothing from another decade comes back relaxed.
  r = run("killer queen by year:1990-1999");
  EXPECT_TRUE(r.pages[0].items.empty());
  // A phrase with a glue word outside it.
  r = run("\"back in black\" by acdc");
  ASSERT_FALSE(r.pages[0].items.empty());
  EXPECT_EQ(r.pages[0].items[0].id, "t3");
}

TEST_F(SearcherTest, NumbersMatchWrittenAsDigitsOrWords) {
  ASSERT_TRUE(index_->put({artist("n1", "Twenty One Pilots", 80), artist("n2", "21 Savage", 75),
                           track("n3", "7 Rings", "Ariana Grande", "thank u, next", 2019, 90),
                           artist("n4", "Maroon 5", 70)})
                  .ok());
  ASSERT_TRUE(index_->commit().ok());
  EXPECT_EQ(ids("21 pilots", Kind::kArtist), (std::vector<std::string>{"n1"}));
  EXPECT_EQ(ids("twenty one savage", Kind::kArtist), (std::vector<std::string>{"n2"}));
  EXPECT_EQ(ids("seven rings", Kind::kTrack), (std::vector<std::string>{"n3"}));
  EXPECT_EQ(ids("maroon five", Kind::kArtist), (std::vector<std::string>{"n4"}));
  // As typed still works, and a number is not any number.
  EXPECT_EQ(ids("twenty one pilots", Kind::kArtist), (std::vector<std::string>{"n1"}));
  EXPECT_TRUE(ids("22 pilots", Kind::kArtist).empty());
}

TEST_F(SearcherTest, FoldingFindsAccentsPunctuationAndAnd) {
  EXPECT_EQ(ids("beyonce", Kind::kArtist), (std::vector<std::string>{"r2"}));
  EXPECT_EQ(ids("acdc", Kind::kArtist), (std::vector<std::string>{"r3"}));
  EXPECT_EQ(ids("ac dc", Kind::kArtist), (std::vector<std::string>{"r3"}));
  EXPECT_EQ(ids("simon and garfunkel", Kind::kArtist), (std::vector<std::string>{"r4"}));
  EXPECT_EQ(ids("simon & garfunkel", Kind::kArtist), (std::vector<std::string>{"r4"}));
  EXPECT_EQ(ids("beatles", Kind::kArtist), (std::vector<std::string>{"r5"}));
  EXPECT_EQ(ids("the beatles", Kind::kArtist), (std::vector<std::string>{"r5"}));
}

TEST_F(SearcherTest, LastWordIsAPrefix) {
  EXPECT_EQ(ids("bohemian rhap", Kind::kTrack), (std::vector<std::string>{"t1"}));
  EXPECT_EQ(top("bohem"), "track:t1");
  // With a trailing space the last word is complete: "bohem" alone matches nothing.
  EXPECT_TRUE(ids("bohem ", Kind::kTrack).empty());
}

TEST_F(SearcherTest, TyposWithinTheAllowedEdits) {
  EXPECT_EQ(ids("bohemain rhapsody", Kind::kTrack), (std::vector<std::string>{"t1"}));  // transposition
  EXPECT_EQ(ids("beyonse", Kind::kArtist), (std::vector<std::string>{"r2"}));
  EXPECT_EQ(ids("yesterdya", Kind::kTrack).front(), "t5");  // 9 letters: two edits allowed
  // Three-letter words get no tolerance: "hal" is a prefix of halo, "hxlo" (4) one edit.
  EXPECT_FALSE(ids("hxlo", Kind::kTrack).empty());
  EXPECT_TRUE(ids("hxl ", Kind::kTrack).empty());
}

TEST_F(SearcherTest, DidYouMeanWhenAWordWasReplaced) {
  SearchRequest req;
  req.q = "bohemain rhapsody";
  auto r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->corrected.has_value());
  EXPECT_EQ(*r->corrected, "bohemian rhapsody");
  req.q = "bohemian rhapsody";
  r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->corrected.has_value());
}

TEST_F(SearcherTest, ExactBeforePrefixBeforeWords) {
  // "yesterday": the track named exactly so comes before "Yesterday Once More".
  EXPECT_EQ(ids("yesterday", Kind::kTrack), (std::vector<std::string>{"t5", "t6"}));
  // "halo": exact "Halo" (t2) before "Halo Theme" (a prefix match) even though both match.
  EXPECT_EQ(ids("halo", Kind::kTrack).front(), "t2");
  // "queen": artist Queen is an exact name match; tracks by Queen only match by artist.
  EXPECT_EQ(top("queen"), "artist:r1");
  // "killer queen": the track.
  EXPECT_EQ(top("killer queen"), "track:t8");
}

TEST_F(SearcherTest, NameOutweighsAlbumOutweighsArtist) {
  // "back in black" is both a track and an album name; for tracks the name match wins the
  // class, and an album search finds the album.
  EXPECT_EQ(ids("back in black", Kind::kTrack).front(), "t3");
  EXPECT_EQ(ids("back in black", Kind::kAlbum), (std::vector<std::string>{"l2"}));
  // "opera": only in an album name (track t1's album) and the album itself.
  EXPECT_EQ(ids("opera", Kind::kTrack), (std::vector<std::string>{"t1"}));
}

TEST_F(SearcherTest, NameMatchBeforeArtistMatch) {
  // "queen": Killer Queen has the word in its name; Bohemian Rhapsody only by its artist.
  EXPECT_EQ(ids("queen", Kind::kTrack), (std::vector<std::string>{"t8", "t1"}));
}

TEST_F(SearcherTest, PopularityBreaksTies) {
  // Two tracks called "Halo" match equally well: the more popular one first.
  ASSERT_TRUE(index_->put({track("h1", "Halo", "Someone Else", "Other", 2010, 20)}).ok());
  ASSERT_TRUE(index_->commit().ok());
  EXPECT_EQ(ids("halo", Kind::kTrack, 2), (std::vector<std::string>{"t2", "h1"}));
  ASSERT_TRUE(index_->put({track("h1", "Halo", "Someone Else", "Other", 2010, 99)}).ok());
  ASSERT_TRUE(index_->commit().ok());
  EXPECT_EQ(ids("halo", Kind::kTrack, 2), (std::vector<std::string>{"h1", "t2"}));
}

TEST_F(SearcherTest, PersonalBoostReorders) {
  // Two songs called "Halo": the more popular one first, unless the user saved the other.
  ASSERT_TRUE(index_->put({track("h1", "Halo", "Someone Else", "Other", 2010, 99)}).ok());
  ASSERT_TRUE(index_->commit().ok());
  SearchRequest req;
  req.q = "halo";
  req.kinds = {Kind::kTrack};
  auto r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_GE(r->pages[0].items.size(), 2u);
  EXPECT_EQ(r->pages[0].items[0].id, "h1");
  req.boost = [](const std::vector<Hit>& hits) {
    std::vector<double> b;
    for (const auto& h : hits) b.push_back(h.id == "t2" ? 1.0 : 0.0);
    return b;
  };
  r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pages[0].items[0].id, "t2");
  SuggestRequest sr;
  sr.q = "halo";
  sr.boost = req.boost;
  auto s = Searcher(*index_).suggest(sr);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->top.has_value());
  EXPECT_EQ(s->top->id, "t2");
}

// Phrases without positions (layout 7): the index matches the phrase's words, and a hit must
// hold them consecutively, in order, within one field (the name, the album, one artist, a
// playlist's description); never across two fields or two artists.
TEST(SearcherPhrases, WordsConsecutiveWithinOneField) {
  auto idx = SearchIndex::open("");
  ASSERT_TRUE(idx.ok()) << idx.error().message;
  Document two_artists = track("t5", "Get Lucky", "Daft Punk", "Random Access Memories", 2013, 90);
  two_artists.artists.push_back("Pharrell Williams");
  Document playlist;
  playlist.kind = Kind::kPlaylist;
  playlist.id = "p1";
  playlist.name = "Road Trip";
  playlist.artists = {"Nina Blue"};
  playlist.description = "Moon songs for the night drive";
  playlist.members = {"u1"};
  ASSERT_TRUE((*idx)->put({
                             track("t1", "Blue Moon", "Billie Holiday", "Songs", 1952, 10),
                             track("t2", "Moon Blue", "Someone", "Other", 2000, 95),     // reversed
                             track("t3", "Blue Harvest Moon", "Someone", "Other", 2000, 95),  // apart
                             track("t4", "Once in Blue", "Moon River Band", "Other", 2000, 95),  // name + artist
                             two_artists,
                             track("t6", "Sky Blue", "Someone", "Moon Landing", 2000, 95),  // name + album
                             track("t7", "Night Fever", "Bee Gees", "Saturday", 1977, 95),
                             track("t8", "Mouse Pile-Up", "The Mice", "Tales", 2000, 50),
                             track("t9", "Thunderstruck", "AC/DC", "The Razors Edge", 1990, 50),
                             playlist,
                         }).ok());
  ASSERT_TRUE((*idx)->commit().ok());
  auto all_ids = [&](const std::string& q, Kind kind) {
    SearchRequest req;
    req.q = q;
    req.kinds = {kind};
    auto r = Searcher(**idx).search(req);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::string> out;
    if (r.ok())
      for (const auto& h : r->pages[static_cast<std::size_t>(kind)].items) out.push_back(h.id);  // relaxed too
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(all_ids("\"blue moon\"", Kind::kTrack), V{"t1"});
  EXPECT_EQ(all_ids("\"moon blue\"", Kind::kTrack), V{"t2"});
  EXPECT_EQ(all_ids("\"blue harvest moon\"", Kind::kTrack), V{"t3"});
  EXPECT_EQ(all_ids("\"billie holiday\"", Kind::kTrack), V{"t1"});  // an artist
  EXPECT_EQ(all_ids("\"random access\"", Kind::kTrack), V{"t5"});  // an album
  EXPECT_EQ(all_ids("\"pharrell williams\" lucky", Kind::kTrack), V{"t5"});  // the second artist
  EXPECT_TRUE(all_ids("\"blue moon river\"", Kind::kTrack).empty());  // name end + artist start
  EXPECT_TRUE(all_ids("\"blue moon landing\"", Kind::kTrack).empty());  // name end + album start
  EXPECT_TRUE(all_ids("\"lucky daft\"", Kind::kTrack).empty());  // name end + artist start
  EXPECT_TRUE(all_ids("\"punk pharrell\"", Kind::kTrack).empty());  // across two artists
  EXPECT_TRUE(all_ids("\"memories daft\"", Kind::kTrack).empty());  // album end + artist start
  // The word of a one-word field is in no phrase with another field's words (layout 6 matched
  // this: such words had no positions, and Xapian takes a term without positions as anywhere).
  EXPECT_TRUE(all_ids("\"saturday night\"", Kind::kTrack).empty());
  EXPECT_EQ(all_ids("\"night fever\"", Kind::kTrack), V{"t7"});
  // A joined word reads as its pieces too, within its field only.
  EXPECT_EQ(all_ids("\"pile up\"", Kind::kTrack), V{"t8"});
  EXPECT_EQ(all_ids("\"mouse pile up\"", Kind::kTrack), V{"t8"});
  EXPECT_EQ(all_ids("\"mouse pile\"", Kind::kTrack), V{"t8"});
  EXPECT_EQ(all_ids("\"mouse pileup\"", Kind::kTrack), V{"t8"});
  EXPECT_TRUE(all_ids("\"up the\"", Kind::kTrack).empty());  // name end + artist start
  EXPECT_TRUE(all_ids("\"pile mouse\"", Kind::kTrack).empty());
  EXPECT_EQ(all_ids("\"ac dc\"", Kind::kTrack), V{"t9"});
  // A playlist's owner name and description are two fields too.
  EXPECT_EQ(all_ids("\"moon songs\"", Kind::kPlaylist), V{"p1"});
  EXPECT_EQ(all_ids("\"nina blue\"", Kind::kPlaylist), V{"p1"});
  EXPECT_TRUE(all_ids("\"blue moon\"", Kind::kPlaylist).empty());
  EXPECT_TRUE(all_ids("\"trip nina\"", Kind::kPlaylist).empty());
}

// A phrase query's pages and totals count only the hits that hold the phrase, whatever the
// page: 60 tracks with "Blue Moon" and 60 more popular ones with both words apart.
TEST(SearcherPhrases, TotalsAndPagesCountOnlyPhraseHits) {
  auto idx = SearchIndex::open("");
  ASSERT_TRUE(idx.ok()) << idx.error().message;
  std::vector<Document> docs;
  std::set<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    docs.push_back(track("m" + std::to_string(i), "Blue Moon", "Band", "Night", 2000, 1 + i / 2));
    expected.insert("m" + std::to_string(i));
    docs.push_back(track("x" + std::to_string(i), i % 2 ? "Moon Blue" : "Blue Night", i % 2 ? "Band" : "Moon Band",
                         "Night", 2000, 60 + i / 2));
  }
  ASSERT_TRUE((*idx)->put(docs).ok());
  ASSERT_TRUE((*idx)->commit().ok());
  std::set<std::string> seen;
  for (std::size_t offset : {0, 20, 40, 60}) {
    SearchRequest req;
    req.q = "\"blue moon\"";
    req.kinds = {Kind::kTrack};
    req.limit = 20;
    req.offset = offset;
    auto r = Searcher(**idx).search(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& page = r->pages[static_cast<std::size_t>(Kind::kTrack)];
    EXPECT_EQ(page.total, 60u) << "offset " << offset;
    EXPECT_EQ(page.items.size(), offset < 60 ? 20u : 0u) << "offset " << offset;
    for (const auto& h : page.items) {
      EXPECT_TRUE(expected.count(h.id)) << h.id;
      EXPECT_TRUE(seen.insert(h.id).second) << "on two pages: " << h.id;
    }
  }
  EXPECT_EQ(seen, expected);
}

TEST_F(SearcherTest, FieldFiltersAndPhrases) {
  EXPECT_EQ(ids("artist:queen", Kind::kTrack), (std::vector<std::string>{"t1", "t8"}));
  EXPECT_EQ(ids("killer artist:queen", Kind::kTrack), (std::vector<std::string>{"t8"}));
  EXPECT_EQ(ids("album:\"night at the opera\"", Kind::kTrack), (std::vector<std::string>{"t1"}));
  EXPECT_EQ(ids("year:1960-1969", Kind::kTrack), (std::vector<std::string>{"t5", "t4"}));
  EXPECT_EQ(ids("yesterday year:1973", Kind::kTrack), (std::vector<std::string>{"t6"}));
  EXPECT_EQ(ids("\"once more\"", Kind::kTrack), (std::vector<std::string>{"t6"}));
  EXPECT_TRUE(ids("\"more once\"", Kind::kTrack).empty());
  SearchRequest req;
  req.q = "year:abc";
  EXPECT_FALSE(Searcher(*index_).search(req).ok());
  req.q = "   ";
  EXPECT_FALSE(Searcher(*index_).search(req).ok());
}

TEST_F(SearcherTest, PagingAndTotals) {
  SearchRequest req;
  req.q = "queen";
  req.kinds = {Kind::kTrack};
  req.limit = 1;
  auto r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pages[0].total, 2u);
  ASSERT_EQ(r->pages[0].items.size(), 1u);
  EXPECT_EQ(r->pages[0].items[0].id, "t8");
  req.offset = 1;
  r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pages[0].items.size(), 1u);
  EXPECT_EQ(r->pages[0].items[0].id, "t1");
}

TEST_F(SearcherTest, PrivatePlaylistsOnlyForMembers) {
  Document pub;
  pub.kind = Kind::kPlaylist;
  pub.id = "p1";
  pub.name = "Road Trip";
  pub.members = {"alice"};
  Document priv = pub;
  priv.id = "p2";
  priv.name = "Road Trip Secret";
  priv.is_public = false;
  ASSERT_TRUE(index_->put({pub, priv}).ok());
  ASSERT_TRUE(index_->commit().ok());
  SearchRequest req;
  req.q = "road trip";
  req.kinds = {Kind::kPlaylist};
  req.viewer = "bob";
  auto r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pages[3].items.size(), 1u);
  EXPECT_EQ(r->pages[3].items[0].id, "p1");
  req.viewer = "alice";
  r = Searcher(*index_).search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pages[3].items.size(), 2u);
}

// Issue 14: the spelling correction suggested words of other users' private playlist names.
TEST_F(SearcherTest, CorrectionsAndCompletionsNeverRevealOthersPrivatePlaylists) {
  Document priv;
  priv.kind = Kind::kPlaylist;
  priv.id = "p9";
  priv.name = "Zanzibarian Confessions";
  priv.members = {"alice"};
  priv.is_public = false;
  ASSERT_TRUE(index_->put({priv}).ok());
  ASSERT_TRUE(index_->commit().ok());
  Searcher searcher(*index_);
  auto corrected_search = [&](const std::string& q, const std::string& viewer) {
    SearchRequest req;
    req.q = q;
    req.viewer = viewer;
    auto r = searcher.search(req);
    EXPECT_TRUE(r.ok());
    return r.ok() && r->corrected ? *r->corrected : std::string();
  };
  auto corrected_suggest = [&](const std::string& q, const std::string& viewer) {
    SuggestRequest req;
    req.q = q;
    req.viewer = viewer;
    auto r = searcher.suggest(req);
    EXPECT_TRUE(r.ok());
    return r.ok() && r->corrected ? *r->corrected : std::string();
  };
  for (const std::string viewer : {"bob", ""}) {
    // The plain-word path (in memory), the Xapian path (a filter), and both entry points.
    for (const std::string q : {"zanzibarain", "zanzibarain confesions", "zanzibarain year:1900-2100"}) {
      EXPECT_EQ(corrected_search(q, viewer).find("zanzibarian"), std::string::npos) << q << " for '" << viewer << "'";
      EXPECT_EQ(corrected_suggest(q, viewer).find("zanzibarian"), std::string::npos) << q << " for '" << viewer << "'";
    }
    SearchRequest req;
    req.q = "zanzib";
    req.viewer = viewer;
    auto r = searcher.search(req);
    ASSERT_TRUE(r.ok());
    for (const auto& page : r->pages) EXPECT_TRUE(page.items.empty());
  }
  EXPECT_EQ(index_->lexicon()->df("zanzibarian"), 0u);
  // The member still gets corrections and completions from her own private playlist.
  EXPECT_EQ(corrected_search("zanzibarain", "alice"), "zanzibarian");
  EXPECT_EQ(corrected_suggest("zanzibarain", "alice"), "zanzibarian");
  EXPECT_EQ(corrected_search("zanzibarain year:1900-2100", "alice").rfind("zanzibarian", 0), 0u);
  SearchRequest mine;
  mine.q = "zanzib";
  mine.viewer = "alice";
  mine.kinds = {Kind::kPlaylist};
  auto r = searcher.search(mine);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pages[3].items.size(), 1u);
  EXPECT_EQ(r->pages[3].items[0].id, "p9");
  // Made public: everyone's lexicon has it.
  priv.is_public = true;
  ASSERT_TRUE(index_->put({priv}).ok());
  ASSERT_TRUE(index_->commit().ok());
  EXPECT_EQ(corrected_search("zanzibarain", "bob"), "zanzibarian");
}

TEST_F(SearcherTest, UpdatesAndRemovalsAfterCommit) {
  EXPECT_EQ(ids("halo", Kind::kTrack).size(), 2u);
  ASSERT_TRUE(index_->remove({{Kind::kTrack, "t7"}}).ok());
  Document renamed = track("t2", "Crazy in Love", "Beyoncé", "Dangerously in Love", 2003, 80);
  ASSERT_TRUE(index_->put({renamed}).ok());
  // Not visible before commit.
  EXPECT_EQ(ids("halo", Kind::kTrack).size(), 2u);
  ASSERT_TRUE(index_->commit().ok());
  EXPECT_TRUE(ids("halo", Kind::kTrack).empty());
  EXPECT_EQ(ids("crazy in love", Kind::kTrack), (std::vector<std::string>{"t2"}));
  auto sigs = index_->signatures();
  ASSERT_TRUE(sigs.ok());
  EXPECT_EQ(sigs->size(), index_->size());
  EXPECT_EQ(sigs->at("track:t2"), renamed.signature());
  EXPECT_EQ(sigs->count("track:t7"), 0u);
}

TEST_F(SearcherTest, ReadersOnManyThreadsWhileWriting) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        SearchRequest req;
        req.q = "bohemian";
        req.kinds = {Kind::kTrack};
        auto r = Searcher(*index_).search(req);
        if (!r.ok() || r->pages[0].items.empty() || r->pages[0].items[0].id != "t1") {
          ++failures;
          std::lock_guard l(mu);
          if (!r.ok()) errors.push_back(r.error().message);
          else errors.push_back(r->pages[0].items.empty() ? "empty" : r->pages[0].items[0].id);
        }
      }
    });
  }
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(index_->put({track("x" + std::to_string(i), "Filler " + std::to_string(i), "Nobody", "None")}).ok());
    ASSERT_TRUE(index_->commit().ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0) << (errors.empty() ? "" : errors[0]);
}

TEST(SearchIndexTest, ReopensWhatWasCommitted) {
  std::string dir = ::testing::TempDir() + "/segue-search-reopen";
  std::filesystem::remove_all(dir);
  {
    auto idx = SearchIndex::open(dir);
    ASSERT_TRUE(idx.ok());
    ASSERT_TRUE((*idx)->put({track("t1", "Bohemian Rhapsody", "Queen", "Opera")}).ok());
    ASSERT_TRUE((*idx)->commit().ok());
  }
  auto idx = SearchIndex::open(dir);
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ((*idx)->size(), 1u);
  SearchRequest req;
  req.q = "rhapsody";
  auto r = Searcher(**idx).search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pages[0].items.size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace segue::search

namespace segue::search {
namespace {
TEST_F(SearcherTest, NameWrittenAsOneWord) {
  ASSERT_TRUE(index_->put({track("k1", "TiK ToK", "Ke$ha", "Animal", 2009, 70)}).ok());
  ASSERT_TRUE(index_->commit().ok());
  EXPECT_EQ(ids("tiktok", Kind::kTrack), (std::vector<std::string>{"k1"}));
  EXPECT_EQ(ids("tiktok kesha", Kind::kTrack), (std::vector<std::string>{"k1"}));
}
}  // namespace
}  // namespace segue::search
