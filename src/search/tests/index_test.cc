// The search index's storage (index.h, docs/formats/search-index.md): what is stored per
// document, what survives a restart, how a commit carries changes into the in-memory index, and
// that an index of an older layout is wiped.
#include "search/index.h"

#include <gtest/gtest.h>
#include <xapian.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "search/memory_index.h"
#include "search/readers.h"
#include "search/searcher.h"

namespace segue::search {
namespace {

namespace fs = std::filesystem;

Document doc(Kind kind, std::string id, std::string name, std::vector<std::string> artists = {},
             std::string album = {}, int year = 0, int popularity = 50) {
  Document d;
  d.kind = kind;
  d.id = std::move(id);
  d.name = std::move(name);
  d.artists = std::move(artists);
  d.album = std::move(album);
  d.year = year;
  d.popularity = popularity;
  d.genres = {"Hip-Hop"};
  return d;
}

std::vector<Document> library() {
  std::vector<Document> v = {
      doc(Kind::kTrack, "t1", "Bohemian Rhapsody - Remastered 2011", {"Queen"}, "A Night at the Opera", 1975, 80),
      doc(Kind::kTrack, "t2", "TiK ToK", {"Ke$ha"}, "Animal", 2009, 70),
      doc(Kind::kTrack, "t3", "Back In Black", {"AC/DC"}, "Back In Black", 1980, 75),
      doc(Kind::kTrack, "t4", "The Less I Know the Better", {"Tame Impala"}, "Currents", 2015, 72),
      doc(Kind::kTrack, "t5", "Don't Stop Me Now (feat. Nobody)", {"Queen", "Nobody"}, "Jazz", 1978, 60),
      doc(Kind::kTrack, "t6", "Beyoncé's Halo", {"Beyoncé"}, "I Am... Sasha Fierce", 2008, 65),
      doc(Kind::kAlbum, "l1", "A Night at the Opera", {"Queen"}, {}, 1975, 55),
      doc(Kind::kAlbum, "l2", "Back In Black", {"AC/DC"}, {}, 1980, 50),
      doc(Kind::kArtist, "r1", "Queen", {}, {}, 0, 90),
      doc(Kind::kArtist, "r2", "AC/DC", {}, {}, 0, 85),
      doc(Kind::kArtist, "r3", "The Beatles", {}, {}, 0, 88),
  };
  Document pub = doc(Kind::kPlaylist, "p1", "Queen Classics");
  pub.artists = {"Ann"};
  pub.members = {"ann"};
  v.push_back(pub);
  Document priv = doc(Kind::kPlaylist, "p2", "Secret Opera Mix");
  priv.is_public = false;
  priv.artists = {"Bob"};
  priv.members = {"bob", "carol"};
  v.push_back(priv);
  return v;
}

// Everything a searcher answers for a set of queries (both paths: plain words on the in-memory
// index, filters and phrases on Xapian), as text to compare.
std::string answers(const SearchIndex& index) {
  Searcher s(index);
  std::string out;
  auto hits = [&](const std::vector<Hit>& v) {
    for (const auto& h : v) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %d/%.4f", static_cast<int>(h.match), h.score);
      out += " " + std::string(kind_name(h.kind)) + ":" + h.id + buf;
    }
  };
  for (std::string q : {"queen", "boh", "bohemian rhapsody", "tiktok", "acdc", "ac", "back in", "less i know",
                        "beyonce", "nigh at the", "opera", "secret", "jazz queen", "bohemain", "artist:queen",
                        "\"back in black\"", "\"tame impala\"", "\"queen\"", "\"opera queen\"",
                        "year:1975-1980 queen", "genre:hip-hop back", "track:tiktok",
                        "album:currents", "the beatles"}) {
    for (std::string viewer : {"", "bob"}) {
      out += "\n[" + q + "|" + viewer + "] search:";
      SearchRequest req;
      req.q = q;
      req.viewer = viewer;
      auto r = s.search(req);
      if (!r.ok()) {
        out += " error " + r.error().message;
      } else {
        for (const auto& p : r->pages) hits(p.items);
        out += " corrected=" + r->corrected.value_or("-");
      }
      out += " suggest:";
      SuggestRequest sreq;
      sreq.q = q;
      sreq.viewer = viewer;
      auto g = s.suggest(sreq);
      if (!g.ok()) {
        out += " error " + g.error().message;
      } else {
        for (const auto& v : g->items) hits(v);
      }
    }
  }
  return out;
}

std::string temp_dir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/segue-index-test-" + name;
  fs::remove_all(dir);
  return dir;
}

TEST(SearchIndexStorage, ReopenedIndexAnswersExactlyAsBeforeClosing) {
  const std::string dir = temp_dir("reopen");
  std::string before;
  std::array<std::size_t, kKindCount> sizes{};
  {
    auto idx = SearchIndex::open(dir);
    ASSERT_TRUE(idx.ok());
    ASSERT_TRUE((*idx)->put(library()).ok());
    ASSERT_TRUE((*idx)->commit().ok());
    before = answers(**idx);
    for (int k = 0; k < kKindCount; ++k) sizes[static_cast<std::size_t>(k)] = (*idx)->memory(static_cast<Kind>(k))->size();
  }
  // The in-memory index is rebuilt from the stored records, without the Documents.
  auto idx = SearchIndex::open(dir);
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ((*idx)->size(), library().size());
  for (int k = 0; k < kKindCount; ++k)
    EXPECT_EQ((*idx)->memory(static_cast<Kind>(k))->size(), sizes[static_cast<std::size_t>(k)]) << k;
  EXPECT_EQ(answers(**idx), before);
  if (std::getenv("SEGUE_SHOW_ANSWERS")) std::printf("%s\n", before.c_str());
  EXPECT_NE(before.find("track:t1"), std::string::npos);
  // Phrases: in one field of several words, a one-word phrase anywhere, never across fields.
  EXPECT_NE(before.find("[\"back in black\"|] search: track:t3"), std::string::npos);
  EXPECT_NE(before.find("[\"tame impala\"|] search: track:t4"), std::string::npos);
  EXPECT_NE(before.find("[\"queen\"|] search: track:t1"), std::string::npos);
  EXPECT_NE(before.find("[\"opera queen\"|] search: corrected"), std::string::npos);
  EXPECT_NE(before.find("[secret|bob] search: playlist:p2"), std::string::npos);  // members see it
  EXPECT_NE(before.find("[secret|] search: corrected"), std::string::npos);        // others do not
  // The indexer's signatures come back from the records too.
  auto sigs = (*idx)->signatures();
  ASSERT_TRUE(sigs.ok());
  ASSERT_EQ(sigs->size(), library().size());
  for (const auto& d : library()) EXPECT_EQ(sigs->at(doc_key(d.kind, d.id)), d.signature()) << d.id;

  // After the restart, documents are replaced and removed in place (by their Xapian id, found
  // through the reloaded in-memory index): no duplicate, nothing stale on either path.
  Document renamed = library()[0];
  renamed.name = "Killer Queen";
  ASSERT_TRUE((*idx)->put({renamed}).ok());
  ASSERT_TRUE((*idx)->remove({{Kind::kTrack, "t2"}}).ok());
  ASSERT_TRUE((*idx)->commit().ok());
  EXPECT_EQ((*idx)->size(), library().size() - 1);
  EXPECT_EQ((*idx)->memory(Kind::kTrack)->size(), 5u);
  Searcher s(**idx);
  SearchRequest req;
  for (std::string q : {"artist:queen bohemian", "bohemian", "tiktok", "year:2009 tiktok"}) {
    req.q = q;
    auto r = s.search(req);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->pages[0].items.empty()) << q;
  }
  for (std::string q : {"artist:queen killer", "killer queen"}) {
    req.q = q;
    auto r = s.search(req);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->pages[0].items.size(), 1u) << q;
    EXPECT_EQ(r->pages[0].items[0].id, "t1");
  }
  fs::remove_all(dir);
}

// A commit rebuilds a changed kind from the published snapshot and the changes: the result is
// what an index built from the final documents answers.
TEST(SearchIndexStorage, CommitCarriesChangesIntoTheInMemoryIndex) {
  auto changed = SearchIndex::open("");
  ASSERT_TRUE(changed.ok());
  std::vector<Document> lib = library();
  ASSERT_TRUE((*changed)->put(lib).ok());
  ASSERT_TRUE((*changed)->commit().ok());
  // Rename one track, remove another and an artist, add a track, make the private playlist public.
  Document renamed = lib[1];
  renamed.name = "Blah Blah Blah";
  Document added = doc(Kind::kTrack, "t9", "Under Pressure", {"Queen", "David Bowie"}, "Hot Space", 1981, 77);
  Document opened = lib.back();
  opened.is_public = true;
  ASSERT_TRUE((*changed)->put({renamed, added, opened}).ok());
  ASSERT_TRUE((*changed)->remove({{Kind::kTrack, "t3"}, {Kind::kArtist, "r3"}, {Kind::kTrack, "nonexistent"}}).ok());
  ASSERT_TRUE((*changed)->commit().ok());

  std::vector<Document> final_docs;
  for (const auto& d : lib) {
    if (d.id == "t3" || d.id == "r3") continue;
    if (d.id == renamed.id) final_docs.push_back(renamed);
    else if (d.id == opened.id) final_docs.push_back(opened);
    else final_docs.push_back(d);
  }
  final_docs.push_back(added);
  auto fresh = SearchIndex::open("");
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->put(final_docs).ok());
  ASSERT_TRUE((*fresh)->commit().ok());

  EXPECT_EQ((*changed)->memory(Kind::kTrack)->size(), 6u);
  EXPECT_EQ((*changed)->memory(Kind::kArtist)->size(), 2u);
  std::string got = answers(**changed);
  EXPECT_EQ(got, answers(**fresh));
  EXPECT_EQ(got.find("track:t3 "), std::string::npos);
  EXPECT_EQ(got.find("[tiktok|] search: track:t2"), std::string::npos);
  Searcher s(**changed);
  SuggestRequest req;
  req.q = "blah bl";
  auto r = s.suggest(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->items[0].size(), 1u);
  EXPECT_EQ(r->items[0][0].id, "t2");
  req.q = "secret";  // public now: everyone sees it
  r = s.suggest(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->items[3].size(), 1u);
  EXPECT_EQ(r->items[3][0].id, "p2");
}

// Into an empty index documents are added without looking up their id; one put twice before
// the first commit is still one document, the later version.
TEST(SearchIndexStorage, FirstLoadPutTwiceKeepsOneDocument) {
  auto idx = SearchIndex::open("");
  ASSERT_TRUE(idx.ok());
  Document v1 = doc(Kind::kTrack, "t1", "First Version", {"Someone"}, "Album");
  Document v2 = v1;
  v2.name = "Second Version";
  ASSERT_TRUE((*idx)->put({v1}).ok());
  ASSERT_TRUE((*idx)->put({v2, doc(Kind::kTrack, "t2", "Other", {"Someone"}, "Album")}).ok());
  ASSERT_TRUE((*idx)->put({v1, v2}).ok());
  ASSERT_TRUE((*idx)->commit().ok());
  EXPECT_EQ((*idx)->size(), 2u);
  Searcher s(**idx);
  SearchRequest req;
  req.q = "artist:someone version";  // Xapian
  auto r = s.search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pages[0].items.size(), 1u);
  req.q = "first";
  r = s.search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->pages[0].items.empty());
  req.q = "\"second version\"";
  r = s.search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pages[0].items.size(), 1u);
  EXPECT_EQ(r->pages[0].items[0].id, "t1");
}

// What each document stores (issue 15, index cost): terms and values a query reads, no more.
TEST(SearchIndexStorage, StoresOnlyWhatQueriesRead) {
  const std::string dir = temp_dir("layout");
  {
    auto idx = SearchIndex::open(dir);
    ASSERT_TRUE(idx.ok());
    ASSERT_TRUE((*idx)->put(library()).ok());
    ASSERT_TRUE((*idx)->commit().ok());
  }
  Xapian::Database db(dir);
  EXPECT_EQ(db.get_metadata(layout::kLayoutKey), layout::kLayoutVersion);
  EXPECT_FALSE(db.has_positions());
  std::size_t docs = 0;
  for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it, ++docs) {
    Xapian::Document d = db.get_document(*it);
    // Popularity (ranking) and year (year: ranges) only; the rest is in the record.
    for (auto v = d.values_begin(); v != d.values_end(); ++v)
      EXPECT_TRUE(v.get_valueno() == layout::kPopularity || v.get_valueno() == layout::kYearSlot) << v.get_valueno();
    layout::StoredHit hit;
    ASSERT_TRUE(layout::read_stored(d.get_data(), &hit));
    for (auto t = d.termlist_begin(); t != d.termlist_end(); ++t) {
      const std::string term = *t;
      const char c = term[0];
      // No year terms (the year slot serves year:), no prefixed playlist names (no filter), no
      // id terms (documents are replaced by their Xapian id).
      EXPECT_NE(c, 'Y') << term;
      EXPECT_NE(c, 'N') << term;
      EXPECT_NE(c, 'Q') << term;
      // No positions (layout 7): phrases are checked against the record.
      EXPECT_EQ(t.positionlist_count(), 0u) << term;
    }
    if (hit.id == "t1") {
      EXPECT_EQ(hit.kind, Kind::kTrack);
      EXPECT_EQ(hit.name_words, "bohemian rhapsody remastered 2011");
      EXPECT_EQ(hit.base_words, "bohemian rhapsody");
      EXPECT_DOUBLE_EQ(hit.popularity, 0.8);
      std::set<std::string> all;
      std::size_t pos = 0;
      while (pos < hit.all_words.size()) {
        auto e = hit.all_words.find(' ', pos);
        if (e == std::string::npos) e = hit.all_words.size();
        all.insert(hit.all_words.substr(pos, e - pos));
        pos = e + 1;
      }
      EXPECT_EQ(all, (std::set<std::string>{"bohemian", "rhapsody", "remastered", "2011", "bohemianrhapsody",
                                            "rhapsodyremastered", "remastered2011", "a", "night", "at", "the",
                                            "opera", "queen"}));
    }
    if (hit.id == "r3") {
      EXPECT_EQ(hit.name_words, "beatles");  // a leading "the" dropped
    }
  }
  EXPECT_EQ(docs, library().size());
  fs::remove_all(dir);
}

// A bulk commit compacts the database (a first scan): readers that had it open before, on this
// thread and on others, answer from the compacted copy, later commits go on from it, and it
// reopens after a restart.
TEST(SearchIndexStorage, BulkCommitCompactsAndReadersFollow) {
  const std::string dir = temp_dir("compact");
  SearchIndex::Options options;
  options.compact_after = 100;
  std::vector<Document> bulk;
  for (int i = 0; i < 400; ++i)
    bulk.push_back(doc(Kind::kTrack, "b" + std::to_string(i), "Filler Song " + std::to_string(i), {"Band " + std::to_string(i % 7)},
                       "Album " + std::to_string(i % 13), 1990 + i % 30, i % 100));
  std::string before_restart;
  {
    auto idx = SearchIndex::open(dir, options);
    ASSERT_TRUE(idx.ok());
    ASSERT_TRUE((*idx)->put(library()).ok());
    ASSERT_TRUE((*idx)->commit().ok());  // 13 documents: no compaction
    Searcher s(**idx);
    SearchRequest req;
    req.q = "artist:queen";  // the Xapian path: this thread's reader is open now
    ASSERT_TRUE(s.search(req).ok());
    std::string other_thread;
    std::thread t([&] { other_thread = answers(**idx); });
    t.join();
    const auto uuid = Xapian::Database(dir).get_uuid();

    ASSERT_TRUE((*idx)->put(bulk).ok());
    ASSERT_TRUE((*idx)->commit().ok());  // 400 of 413: compacted
    EXPECT_NE(Xapian::Database(dir).get_uuid(), uuid);  // a new database (compaction writes one)
    EXPECT_FALSE(fs::exists(dir + ".old"));
    EXPECT_FALSE(fs::exists(dir + ".compact"));
    EXPECT_EQ((*idx)->size(), 413u);
    req.q = "artist:band filler song 399";
    auto r = s.search(req);
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->pages[0].items.empty());
    EXPECT_EQ(r->pages[0].items[0].id, "b399");
    std::thread t2([&] {
      auto again = answers(**idx);
      other_thread = again;
    });
    t2.join();
    EXPECT_NE(other_thread.find("track:t1"), std::string::npos);

    // A small commit after it: no compaction, the change is searchable.
    const auto compacted = Xapian::Database(dir).get_uuid();
    ASSERT_TRUE((*idx)->put({doc(Kind::kTrack, "n1", "Brand New Tune", {"Queen"}, "Later", 2001, 40)}).ok());
    ASSERT_TRUE((*idx)->remove({{Kind::kTrack, "b0"}}).ok());
    ASSERT_TRUE((*idx)->commit().ok());
    EXPECT_EQ(Xapian::Database(dir).get_uuid(), compacted);
    req.q = "year:2001 brand new";
    r = s.search(req);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->pages[0].items.size(), 1u);
    EXPECT_EQ(r->pages[0].items[0].id, "n1");
    before_restart = answers(**idx);
  }
  auto idx = SearchIndex::open(dir, options);
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ((*idx)->size(), 413u);
  EXPECT_EQ(answers(**idx), before_restart);
  fs::remove_all(dir);
}

// Searches running on other threads while bulk commits compact the database never fail: a
// reader that meets the swap retries and opens the compacted copy.
TEST(SearchIndexStorage, SearchesDuringCompactionDoNotFail) {
  const std::string dir = temp_dir("compact-race");
  SearchIndex::Options options;
  options.compact_after = 50;
  auto idx = SearchIndex::open(dir, options);
  ASSERT_TRUE(idx.ok());
  ASSERT_TRUE((*idx)->put(library()).ok());
  ASSERT_TRUE((*idx)->commit().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, searches{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      Searcher s(**idx);
      while (!stop) {
        SearchRequest req;
        req.q = t == 0 ? "artist:queen" : "\"back in black\"";
        auto r = s.search(req);
        ++searches;
        if (!r.ok() || r->pages[0].items.empty()) {
          ++failures;
          std::lock_guard l(mu);
          if (first_error.empty()) first_error = r.ok() ? "no hits for " + req.q : r.error().message;
        }
      }
    });
  }
  std::size_t n = 0;
  for (std::size_t batch : {100, 200, 400, 800, 1600}) {  // each at least half of the index: compacted
    std::vector<Document> docs;
    for (std::size_t i = 0; i < batch; ++i, ++n)
      docs.push_back(doc(Kind::kTrack, "c" + std::to_string(n), "Crowd " + std::to_string(n), {"Crowd Band"}, "Crowds"));
    ASSERT_TRUE((*idx)->put(docs).ok());
    const auto uuid = Xapian::Database(dir).get_uuid();
    ASSERT_TRUE((*idx)->commit().ok());
    EXPECT_NE(Xapian::Database(dir).get_uuid(), uuid);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(failures.load(), 0) << first_error;
  EXPECT_EQ((*idx)->size(), library().size() + n);
  idx = Error::internal("closed");  // closes the index before its directory goes
  fs::remove_all(dir);
}

// An index written by an older layout is wiped at open, so the indexer rebuilds it.
TEST(SearchIndexStorage, OlderLayoutIsWiped) {
  const std::string dir = temp_dir("old-layout");
  {
    Xapian::WritableDatabase db(dir, Xapian::DB_CREATE_OR_OPEN);
    Xapian::Document d;
    d.set_data("track:t1");
    d.add_term("Qtrack:t1");
    d.add_posting("bohemian", 1);
    d.add_value(5, "track:t1");
    db.add_document(d);
    db.set_metadata(layout::kLayoutKey, "4");
    db.commit();
  }
  auto idx = SearchIndex::open(dir);
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ((*idx)->size(), 0u);
  EXPECT_EQ((*idx)->memory(Kind::kTrack)->size(), 0u);
  ASSERT_TRUE((*idx)->put({library()[0]}).ok());
  ASSERT_TRUE((*idx)->commit().ok());
  EXPECT_EQ((*idx)->size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace segue::search
