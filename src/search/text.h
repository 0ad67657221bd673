// Text folding and tokenising for search. Index and query go through the same functions, so
// "Beyoncé", "beyonce" and "BEYONCE" meet on one term, "AC/DC" on "acdc", "&" on "and".
//
// Folding: Unicode NFKD, case folding and removal of combining marks (utf8proc), then every
// character that is not a letter or digit separates words. Within one whitespace-separated
// chunk, the pieces are also joined into one word ("AC/DC" -> "ac", "dc" and "acdc";
// "Jay-Z" -> "jay", "z", "jayz"; "don't" -> "don", "t", "dont"). A lone "&" or "+" is "and".
// Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace segue::search {

// Lower-cased, accent-free text: letters and digits kept, every other run of characters
// replaced by one space, "&" by " and ", trimmed. Invalid UTF-8 bytes are dropped.
std::string fold(std::string_view text);

struct Words {
  // The words a query user would type, in order: for each chunk, its joined form
  // ("acdc" for "AC/DC"; the word itself when the chunk has one piece).
  std::vector<std::string> words;
  // Extra words the index also holds for the text: the pieces of joined chunks
  // ("ac", "dc"), and numbers of 0 to 99 spelled the other way ("21" -> "twenty", "one",
  // "twentyone"; "twenty one" -> "21"; "seven" -> "7"). Empty for most text.
  std::vector<std::string> pieces;
};

// Splits text into folded words (see above). Words longer than 64 bytes are cut.
Words split_words(std::string_view text);

// The key two names are equal under: the folded words joined without spaces, with a leading
// "the" dropped when other words follow ("The Beatles" -> "beatles", "AC/DC" -> "acdc",
// "Simon & Garfunkel" -> "simonandgarfunkel"). Cut to 200 bytes.
std::string name_key(std::string_view text);

// name_key() of words already folded: joined without spaces, a leading "the" dropped when
// other words follow.
std::string words_key(const std::vector<std::string>& words);

// A title without its version suffix: the part before " - " and before a "(" or "[" that is
// not at the start ("Wonderwall - Remastered" -> "Wonderwall", "Rocket Man (I Think It's
// Going To Be A Long, Long Time)" -> "Rocket Man"). The whole text when nothing is left.
std::string_view base_name(std::string_view name);

// Damerau-Levenshtein (optimal string alignment) distance between two folded words,
// capped: returns max_distance + 1 as soon as the distance is known to exceed it.
// With `b_prefix`, the distance between a and the closest prefix of b ("tkio" is 2 edits from
// "tiktok" through "tik").
int edit_distance(std::string_view a, std::string_view b, int max_distance, bool b_prefix = false);

// How many edits a typed word of this length may contain: 0 up to 3 bytes, 1 for 4-7,
// 2 from 8 on. The relaxed pass (when the strict rules find almost nothing) allows more: 1
// for 3 bytes, 2 from 4 on.
int allowed_edits(std::size_t length);
int relaxed_edits(std::size_t length);

// Words that glue a natural query together and need not match in the relaxed pass: "shape of
// you by ed sheeran", "despacito de luis fonsi", "song by adele". Folded words.
bool is_glue_word(std::string_view word);

}  // namespace segue::search
