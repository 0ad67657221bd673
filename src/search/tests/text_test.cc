#include "search/text.h"

#include <gtest/gtest.h>

namespace segue::search {
namespace {

TEST(Fold, CaseAccentsAndPunctuation) {
  EXPECT_EQ(fold("Beyoncé"), "beyonce");
  EXPECT_EQ(fold("  SIGUR   RÓS "), "sigur ros");
  EXPECT_EQ(fold("Mötley Crüe"), "motley crue");
  EXPECT_EQ(fold("Simon & Garfunkel"), "simon and garfunkel");
  EXPECT_EQ(fold("Ænima, Øresund"), "aenima oresund");
  EXPECT_EQ(fold("Straße"), "strasse");
  EXPECT_EQ(fold("ＡＢＣ"), "abc");  // full-width letters (compatibility decomposition)
}

TEST(Fold, InvalidUtf8IsDroppedNotFatal) {
  std::string bad = "ab\xff\xfe" "cd \xc3";
  EXPECT_EQ(fold(bad), "abcd");
}

TEST(SplitWords, JoinsPiecesOfOneChunk) {
  Words w = split_words("AC/DC - Back in Black");
  ASSERT_EQ(w.words, (std::vector<std::string>{"acdc", "back", "in", "black"}));
  EXPECT_EQ(w.pieces, (std::vector<std::string>{"ac", "dc"}));

  w = split_words("Jay-Z & Kanye West, don't");
  EXPECT_EQ(w.words, (std::vector<std::string>{"jayz", "and", "kanye", "west", "dont"}));
  EXPECT_EQ(w.pieces, (std::vector<std::string>{"jay", "z", "don", "t"}));

  w = split_words("R&B");
  EXPECT_EQ(w.words, (std::vector<std::string>{"rb"}));
}

TEST(NameKey, DropsLeadingTheAndSpacing) {
  EXPECT_EQ(name_key("The Beatles"), "beatles");
  EXPECT_EQ(name_key("the beatles"), name_key("Beatles"));
  EXPECT_EQ(name_key("The"), "the");  // a name that is only "The" keeps it
  EXPECT_EQ(name_key("AC/DC"), name_key("ac dc"));
  EXPECT_EQ(name_key("Simon & Garfunkel"), name_key("simon and garfunkel"));
  EXPECT_NE(name_key("Them"), name_key("The M"));  // "the m" -> "m"
}

TEST(EditDistance, DamerauWithTranspositionsAsOne) {
  EXPECT_EQ(edit_distance("queen", "queen", 2), 0);
  EXPECT_EQ(edit_distance("qeen", "queen", 2), 1);
  EXPECT_EQ(edit_distance("quene", "queen", 2), 1);  // transposition
  EXPECT_EQ(edit_distance("kitten", "sitting", 3), 3);
  EXPECT_EQ(edit_distance("kitten", "sitting", 1), 2);  // capped at max + 1
  EXPECT_EQ(edit_distance("", "abc", 5), 3);
}

TEST(AllowedEdits, ByLength) {
  EXPECT_EQ(allowed_edits(3), 0);
  EXPECT_EQ(allowed_edits(4), 1);
  EXPECT_EQ(allowed_edits(7), 1);
  EXPECT_EQ(allowed_edits(8), 2);
  // The relaxed pass (issue 15).
  EXPECT_EQ(relaxed_edits(2), 0);
  EXPECT_EQ(relaxed_edits(3), 1);
  EXPECT_EQ(relaxed_edits(4), 2);
  EXPECT_EQ(relaxed_edits(12), 2);
}

TEST(EditDistance, ToTheClosestPrefix) {
  EXPECT_EQ(edit_distance("tkio", "tiktok", 2, true), 2);  // "tik"
  EXPECT_EQ(edit_distance("tkio", "tiktok", 2, false), 3);  // the whole word is too far
  EXPECT_EQ(edit_distance("beyo", "beyonce", 2, true), 0);
  EXPECT_EQ(edit_distance("bohemain", "bohemian", 2, true), 1);
  EXPECT_EQ(edit_distance("zzzz", "abc", 2, true), 3);
  EXPECT_EQ(edit_distance("ab", "", 2, true), 2);
}

TEST(SplitWords, NumbersAreIndexedBothWays) {
  EXPECT_EQ(split_words("21 Savage").pieces, (std::vector<std::string>{"twenty", "one", "twentyone"}));
  EXPECT_EQ(split_words("Twenty One Pilots").pieces, (std::vector<std::string>{"21"}));
  EXPECT_EQ(split_words("Maroon 5").pieces, (std::vector<std::string>{"five"}));
  EXPECT_EQ(split_words("Seven Nation Army").pieces, (std::vector<std::string>{"7"}));
  EXPECT_EQ(split_words("Matchbox Twenty").pieces, (std::vector<std::string>{"20"}));
  EXPECT_EQ(split_words("sum 40").pieces, (std::vector<std::string>{"forty"}));
  // Only 0-99 written plainly: no "007", no "1999", no "182" (a year, a code, a band's name).
  EXPECT_TRUE(split_words("007 1999 182").pieces.empty());
  // The words of a query are unchanged: the other spelling is only in the index.
  EXPECT_EQ(split_words("21 pilots").words, (std::vector<std::string>{"21", "pilots"}));
}

TEST(GlueWords, NaturalPhrasingInSeveralLanguages) {
  for (const char* w : {"by", "feat", "ft", "de", "la", "the", "von", "und", "song"}) EXPECT_TRUE(is_glue_word(w)) << w;
  for (const char* w : {"queen", "love", "bye", "dela", ""}) EXPECT_FALSE(is_glue_word(w)) << w;
}

}  // namespace
}  // namespace segue::search

namespace segue::search {
namespace {
TEST(BaseName, DropsVersionSuffixes) {
  EXPECT_EQ(base_name("Wonderwall - Remastered"), "Wonderwall");
  EXPECT_EQ(base_name("Rocket Man (I Think It's Going To Be A Long, Long Time)"), "Rocket Man");
  EXPECT_EQ(base_name("Halo [Live]"), "Halo");
  EXPECT_EQ(base_name("(What's the Story) Morning Glory?"), "(What's the Story) Morning Glory?");
  EXPECT_EQ(base_name("- -"), "- -");
  EXPECT_EQ(base_name("Plain"), "Plain");
}
}  // namespace
}  // namespace segue::search
