// The in-memory index behind search as you type (memory_index.h) against a brute-force scan of
// the same folded documents: every document holding all typed words (the last one completed)
// must come back, and nothing comes back without them unless its name key matches or it was
// found through close words. The vocabulary is dense enough that two-byte prefixes keep their
// own union lists, three- and four-byte prefixes merge hundreds of lists through a heap, and
// longer ones join a few lists: every path of the join runs.
#include "search/memory_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "search/text.h"

namespace segue::search {
namespace {

struct Corpus {
  std::vector<FoldedDoc> docs;
  std::vector<std::string> vocab;
};

Corpus make_corpus(std::size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> letter(0, 4), len(3, 8);
  Corpus c;
  std::set<std::string> seen;
  while (c.vocab.size() < 12000) {
    std::string w;
    int l = len(rng);
    for (int i = 0; i < l; ++i) w += static_cast<char>('k' + letter(rng));  // k..o: no stop words
    if (seen.insert(w).second) c.vocab.push_back(w);
  }
  // Zipf-like: a few words are in many documents, most in one or two.
  auto pick = [&]() -> const std::string& {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return c.vocab[static_cast<std::size_t>(std::pow(u, 3.0) * static_cast<double>(c.vocab.size() - 1))];
  };
  auto phrase = [&](int lo, int hi) {
    std::string s;
    int k = std::uniform_int_distribution<int>(lo, hi)(rng);
    for (int i = 0; i < k; ++i) s += (i ? " " : "") + pick();
    return s;
  };
  for (std::size_t i = 0; i < n; ++i) {
    Document d;
    d.kind = Kind::kTrack;
    d.id = "t" + std::to_string(i);
    d.name = phrase(1, 4);
    d.album = phrase(1, 2);
    d.artists = {phrase(1, 2)};
    d.popularity = std::uniform_int_distribution<int>(0, 100)(rng);
    c.docs.push_back(fold_document(d));
  }
  return c;
}

bool has_word(const FoldedDoc& d, const std::string& q, bool prefix) {
  bool found = false;
  d.each_word([&](std::string_view w, uint8_t) { found = found || (prefix ? w.starts_with(q) : w == q); });
  return found;
}

TEST(MemoryIndex, JoinFindsExactlyTheDocumentsHoldingEveryWord) {
  Corpus c = make_corpus(4000, 7);
  std::vector<const FoldedDoc*> ptrs;
  for (const auto& d : c.docs) ptrs.push_back(&d);
  auto ix = KindIndex::build(Kind::kTrack, ptrs);
  ASSERT_GT(ix->prefix_lists(), 10u);  // the two-byte prefixes have their own lists
  std::map<std::string, const FoldedDoc*> by_id;
  for (const auto& d : c.docs) by_id[d.id] = &d;

  std::mt19937 rng(11);
  std::size_t checked = 0, nonempty = 0, by_prefix_len[9] = {};
  for (int trial = 0; trial < 400; ++trial) {
    // Words taken from one document, so most queries match something; the last one cut short.
    const FoldedDoc& src = c.docs[std::uniform_int_distribution<std::size_t>(0, c.docs.size() - 1)(rng)];
    std::vector<std::string> pool;
    src.each_word([&](std::string_view w, uint8_t) { pool.emplace_back(w); });
    int nw = std::uniform_int_distribution<int>(1, 3)(rng);
    std::vector<QueryWord> words;
    std::string key;
    for (int i = 0; i < nw; ++i) {
      std::string w = pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)];
      bool last = i + 1 == nw;
      if (last) w = w.substr(0, std::uniform_int_distribution<std::size_t>(1, w.size())(rng));
      words.push_back(QueryWord{w, last, false});
      key += (i ? " " : "") + w;
    }
    std::set<std::string> expect;
    for (const auto& d : c.docs) {
      bool all = true;
      for (const auto& qw : words) all = all && has_word(d, qw.word, qw.prefix);
      if (all) expect.insert(d.id);
    }
    std::size_t total = 0;
    auto got = ix->query(words, name_key(key), "", true, c.docs.size(), "", &total);
    std::set<std::string> got_ids;
    for (const auto& h : got) {
      got_ids.insert(h.id);
      const FoldedDoc& d = *by_id.at(h.id);
      bool key_match = d.name_key().compare(0, name_key(key).size(), name_key(key)) == 0 ||
                       d.base_key().compare(0, name_key(key).size(), name_key(key)) == 0;
      if (!expect.count(h.id) && !key_match) {
        EXPECT_EQ(h.match, 0) << "query \"" << key << "\": " << h.id << " holds not every word";
      }
    }
    for (const auto& id : expect) EXPECT_TRUE(got_ids.count(id)) << "query \"" << key << "\" misses " << id;
    EXPECT_GE(total, expect.size());
    ++checked;
    nonempty += !expect.empty();
    ++by_prefix_len[std::min<std::size_t>(8, words.back().word.size())];
  }
  EXPECT_EQ(checked, 400u);
  EXPECT_GT(nonempty, 300u);
  for (std::size_t l = 1; l <= 5; ++l) EXPECT_GT(by_prefix_len[l], 5u) << "prefix length " << l;
}

// With a small limit the index stops early: the hits are still documents holding every word,
// best static rank first among equals, and asking twice gives the same answer.
TEST(MemoryIndex, SmallLimitStopsEarlyWithValidHits) {
  Corpus c = make_corpus(4000, 9);
  std::vector<const FoldedDoc*> ptrs;
  for (const auto& d : c.docs) ptrs.push_back(&d);
  auto ix = KindIndex::build(Kind::kTrack, ptrs);
  std::map<std::string, const FoldedDoc*> by_id;
  for (const auto& d : c.docs) by_id[d.id] = &d;
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    const std::string& a = c.vocab[std::uniform_int_distribution<std::size_t>(0, 40)(rng)];  // common
    const std::string& b = c.vocab[std::uniform_int_distribution<std::size_t>(0, 400)(rng)];
    std::string p = b.substr(0, std::uniform_int_distribution<std::size_t>(2, b.size())(rng));
    std::vector<QueryWord> words = {{a, false, false}, {p, true, false}};
    std::string key = name_key(a + " " + p);
    auto first = ix->query(words, key, "", true, 10, "");
    auto again = ix->query(words, key, "", true, 10, "");
    ASSERT_EQ(first.size(), again.size());
    for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].id, again[i].id);
    EXPECT_LE(first.size(), 10u);
    for (const auto& h : first) {
      const FoldedDoc& d = *by_id.at(h.id);
      bool key_match = d.name_key().compare(0, key.size(), key) == 0 || d.base_key().compare(0, key.size(), key) == 0;
      if (h.match >= 1 && !key_match) {
        EXPECT_TRUE(has_word(d, a, false) && has_word(d, p, true)) << a << " " << p << ": " << h.id;
      }
    }
  }
}

// The relaxed pass (issue 15) leaves out words that no document holds with the others: each
// hit holds all but the words left out, and says so; out of time, it still answers from the
// most selective word rather than coming back empty.
TEST(MemoryIndex, RelaxedPassLeavesWordsOutAndAnswersWhenOutOfTime) {
  Corpus c = make_corpus(4000, 11);
  std::vector<const FoldedDoc*> ptrs;
  for (const auto& d : c.docs) ptrs.push_back(&d);
  auto ix = KindIndex::build(Kind::kTrack, ptrs);
  std::map<std::string, const FoldedDoc*> by_id;
  for (const auto& d : c.docs) by_id[d.id] = &d;
  auto relaxed_words = [](const std::vector<std::string>& ws) {
    std::vector<QueryWord> out;
    for (const auto& w : ws) {
      QueryWord q;
      q.word = w;
      q.force_fuzzy = true;
      q.edits = relaxed_edits(w.size());
      out.push_back(q);
    }
    return out;
  };
  std::mt19937 rng(3);
  int left_out = 0, timed_out = 0;
  for (int trial = 0; trial < 100; ++trial) {
    // Two words of one document and a rare word of another: rarely all three together.
    const FoldedDoc& d = c.docs[std::uniform_int_distribution<std::size_t>(0, c.docs.size() - 1)(rng)];
    std::string a = d.name.substr(0, d.name.find(' '));
    std::string b = d.artist.substr(0, d.artist.find(' '));
    const std::string& z = c.vocab[std::uniform_int_distribution<std::size_t>(8000, c.vocab.size() - 1)(rng)];
    std::vector<std::string> ws = {a, b, z};
    Relaxed r;
    auto hits = ix->query(relaxed_words(ws), name_key(a + " " + b + " " + z), "", false, 10, "", nullptr, &r);
    ASSERT_FALSE(hits.empty()) << a << " " << b << " " << z;
    if (r.dropped) {
      ++left_out;
      EXPECT_LT(r.understood.size(), ws.size());
    }
    // Relaxed hits carry the relaxed offset.
    for (const auto& h : hits) EXPECT_LT(h.score, 0) << "relaxed hits score below every strict one";
    // With the deadline already past, an answer still comes back.
    Relaxed late;
    late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto quick = ix->query(relaxed_words(ws), "", "", false, 10, "", nullptr, &late);
    EXPECT_FALSE(quick.empty()) << a << " " << b << " " << z;
    timed_out += quick.size() < hits.size();
  }
  EXPECT_GT(left_out, 10);  // the case this is about did occur
  std::printf("relaxed: %d of 100 queries left a word out; %d answered shorter when out of time\n", left_out, timed_out);
}

// A commit rebuilds a kind from the published index and the changes (no folded copy of the
// unchanged documents is kept): it must answer exactly as an index built from the final
// documents, through several generations of changes (removed, replaced, added documents).
TEST(MemoryIndex, RebuildFromChangesEqualsBuildFromScratch) {
  Corpus c = make_corpus(6000, 21);  // t0..t5999
  std::mt19937 rng(3);
  std::map<std::string, FoldedDoc> live;
  for (std::size_t i = 0; i < 3000; ++i) live[c.docs[i].id] = c.docs[i];
  std::vector<const FoldedDoc*> ptrs;
  for (const auto& [id, d] : live) ptrs.push_back(&d);
  std::shared_ptr<const KindIndex> ix = KindIndex::build(Kind::kTrack, ptrs);
  std::size_t next = 3000;
  for (int generation = 0; generation < 3; ++generation) {
    KindIndex::Changes changes;
    std::vector<std::string> ids;
    for (const auto& [id, d] : live) ids.push_back(id);
    std::shuffle(ids.begin(), ids.end(), rng);
    for (std::size_t i = 0; i < 200; ++i) changes.insert_or_assign(ids[i], std::nullopt);  // removed
    for (std::size_t i = 200; i < 400; ++i) {  // replaced by another document's words
      FoldedDoc d = c.docs[std::uniform_int_distribution<std::size_t>(0, c.docs.size() - 1)(rng)];
      d.id = ids[i];
      d.popularity = std::uniform_int_distribution<int>(0, 100)(rng);
      changes.insert_or_assign(ids[i], d);
    }
    for (std::size_t i = 0; i < 700 && next < c.docs.size(); ++i, ++next) changes.insert_or_assign(c.docs[next].id, c.docs[next]);
    changes.insert_or_assign("never-indexed", std::nullopt);  // removing an unknown id is harmless
    ix = KindIndex::rebuild(Kind::kTrack, ix.get(), changes);
    for (auto& [id, d] : changes) {
      if (d) live[id] = *d;
      else live.erase(id);
    }
    ptrs.clear();
    for (const auto& [id, d] : live) ptrs.push_back(&d);
    auto fresh = KindIndex::build(Kind::kTrack, ptrs);
    ASSERT_EQ(ix->size(), live.size());
    ASSERT_EQ(fresh->size(), live.size());
    for (uint32_t d = 0; d < ix->size(); ++d) ASSERT_EQ(ix->id(d), fresh->id(d)) << d;  // same rank order
    EXPECT_EQ(ix->prefix_lists(), fresh->prefix_lists());
    for (int trial = 0; trial < 150; ++trial) {
      const FoldedDoc& src = *ptrs[std::uniform_int_distribution<std::size_t>(0, ptrs.size() - 1)(rng)];
      std::vector<std::string> pool;
      src.each_word([&](std::string_view w, uint8_t) { pool.emplace_back(w); });
      std::vector<QueryWord> words;
      std::string key;
      int nw = std::uniform_int_distribution<int>(1, 3)(rng);
      for (int i = 0; i < nw; ++i) {
        std::string w = pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)];
        bool last = i + 1 == nw;
        if (last) w = w.substr(0, std::uniform_int_distribution<std::size_t>(1, w.size())(rng));
        if (trial % 5 == 0 && w.size() > 4) w[2] = 'z';  // a typo: close words
        words.push_back(QueryWord{w, last, false});
        key += (i ? " " : "") + w;
      }
      std::size_t t1 = 0, t2 = 0;
      auto a = ix->query(words, name_key(key), "", true, 20, "", &t1);
      auto b = fresh->query(words, name_key(key), "", true, 20, "", &t2);
      ASSERT_EQ(a.size(), b.size()) << key;
      for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].id, b[i].id) << key;
        EXPECT_EQ(a[i].match, b[i].match) << key;
        EXPECT_DOUBLE_EQ(a[i].score, b[i].score) << key;
      }
      EXPECT_EQ(t1, t2) << key;
    }
  }
}

}  // namespace
}  // namespace segue::search
