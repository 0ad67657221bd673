#include "search/lexicon.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "search/text.h"

namespace segue::search {
namespace {

std::vector<std::string> words_of(const std::vector<Lexicon::Match>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.emplace_back(m.word);
  return out;
}

Lexicon sample() {
  return Lexicon({{"queen", 50}, {"queens", 5}, {"quest", 7}, {"love", 100}, {"lover", 20},
                  {"lovely", 30}, {"live", 60}, {"alive", 3}, {"beyonce", 12}, {"bohemian", 4},
                  {"love", 1}});
}

TEST(Lexicon, DfSumsDuplicates) {
  Lexicon lex = sample();
  EXPECT_EQ(lex.df("love"), 101u);
  EXPECT_EQ(lex.df("nope"), 0u);
  EXPECT_EQ(lex.size(), 10u);
}

TEST(Lexicon, CompleteMostFrequentFirst) {
  Lexicon lex = sample();
  EXPECT_EQ(words_of(lex.complete("lov", 10)), (std::vector<std::string>{"love", "lovely", "lover"}));
  EXPECT_EQ(words_of(lex.complete("lov", 2)), (std::vector<std::string>{"love", "lovely"}));
  EXPECT_TRUE(lex.complete("x", 5).empty());
  EXPECT_EQ(lex.complete("", 100).size(), 10u);
}

TEST(Lexicon, FuzzyWholeWords) {
  Lexicon lex = sample();
  EXPECT_EQ(words_of(lex.fuzzy("qeen", 1, false, 10)), (std::vector<std::string>{"queen"}));
  EXPECT_EQ(words_of(lex.fuzzy("beyocne", 1, false, 10)), (std::vector<std::string>{"beyonce"}));
  // "lvoe": transposition of love (1); live is 2 away.
  EXPECT_EQ(words_of(lex.fuzzy("lvoe", 1, false, 10)), (std::vector<std::string>{"love"}));
  // The word itself is not a fuzzy match of itself.
  auto m = words_of(lex.fuzzy("love", 1, false, 10));
  EXPECT_EQ(std::count(m.begin(), m.end(), "love"), 0);
  EXPECT_NE(std::find(m.begin(), m.end(), "live"), m.end());
  EXPECT_NE(std::find(m.begin(), m.end(), "lover"), m.end());
}

TEST(Lexicon, FuzzyPrefixes) {
  Lexicon lex = sample();
  // "bohemain" as a prefix: 'bohemian' is one transposition away.
  EXPECT_EQ(words_of(lex.fuzzy("bohemain", 1, true, 10)), (std::vector<std::string>{"bohemian"}));
  // "qeue" -> words starting with "queue"? none; with "que" + ... : queen/queens/quest begin
  // with "que", one edit from "qeue" (a missing letter).
  auto m = words_of(lex.fuzzy("qeue", 1, true, 10));
  EXPECT_NE(std::find(m.begin(), m.end(), "queen"), m.end());
}

// The trie walk over sorted words must find exactly what a brute-force scan finds.
TEST(Lexicon, FuzzyAgreesWithBruteForce) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> len(1, 9), letter(0, 5);
  std::vector<Lexicon::Entry> entries;
  std::set<std::string> words;
  for (int i = 0; i < 3000; ++i) {
    std::string w;
    int n = len(rng);
    for (int j = 0; j < n; ++j) w += static_cast<char>('a' + letter(rng));
    if (words.insert(w).second) entries.push_back({w, static_cast<uint32_t>(1 + i % 17)});
  }
  Lexicon lex(entries);
  for (int trial = 0; trial < 200; ++trial) {
    std::string q;
    int n = len(rng);
    for (int j = 0; j < n; ++j) q += static_cast<char>('a' + letter(rng));
    for (int k = 1; k <= 2; ++k) {
      for (bool prefix : {false, true}) {
        std::set<std::string> expect;
        std::map<std::string, int> distance;
        for (const auto& w : words) {
          int d = k + 1;
          if (!prefix) {
            d = edit_distance(q, w, k);
          } else {
            for (std::size_t p = 0; p <= w.size(); ++p) d = std::min(d, edit_distance(q, w.substr(0, p), k));
          }
          if (d >= 1 && d <= k && (k < 2 || w[0] == q[0])) expect.insert(w);
          distance[w] = d;
          if (d == 0) expect.erase(w);
        }
        auto got = lex.fuzzy(q, k, prefix, 1000000);
        std::set<std::string> got_set;
        for (const auto& m : got) {
          got_set.emplace(m.word);
          EXPECT_EQ(m.distance, distance[std::string(m.word)]) << "q=" << q << " w=" << m.word;
        }
        EXPECT_EQ(got_set, expect) << "q=" << q << " k=" << k << " prefix=" << prefix;
        // A small limit is served from the memo: the head of the same order, the
        // same again when asked twice, and a smaller limit takes a shorter head.
        for (int twice = 0; twice < 2; ++twice) {
          auto head = lex.fuzzy(q, k, prefix, 8);
          ASSERT_EQ(head.size(), std::min<std::size_t>(8, got.size()));
          for (std::size_t j = 0; j < head.size(); ++j) {
            EXPECT_EQ(head[j].word, got[j].word);
            EXPECT_EQ(head[j].distance, got[j].distance);
          }
        }
        auto three = lex.fuzzy(q, k, prefix, 3);
        ASSERT_EQ(three.size(), std::min<std::size_t>(3, got.size()));
        for (std::size_t j = 0; j < three.size(); ++j) EXPECT_EQ(three[j].id, got[j].id);
      }
    }
  }
}

}  // namespace
}  // namespace segue::search
