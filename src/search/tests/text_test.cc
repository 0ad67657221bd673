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
