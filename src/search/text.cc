#include "search/text.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>

namespace segue::search {
namespace {

constexpr std::size_t kMaxWord = 64;

// Letters utf8proc does not decompose into a base letter plus a mark.
const char* extra_fold(utf8proc_int32_t c) {
  switch (c) {
    case 0x00F8: return "o";   // ø
    case 0x00E6: return "ae";  // æ
    case 0x0153: return "oe";  // œ
    case 0x0142: return "l";   // ł
    case 0x0111: return "d";   // đ
    case 0x00F0: return "d";   // ð
    case 0x0131: return "i";   // dotless i
    case 0x00FE: return "th";  // þ
    default: return nullptr;
  }
}

// Characters that join the pieces of one word ("AC/DC", "Jay-Z", "don't", "P!nk").
bool is_joiner(utf8proc_int32_t c) {
  switch (c) {
    case '/': case '.': case '\'': case '-': case '!': case '&': case '+': case '*':
    case '$': case '@': case '#': case '_': case '~': case '^':
    case 0x2018: case 0x2019: case 0x2010: case 0x2011: case 0x00B7:
      return true;
    default:
      return false;
  }
}

enum class CharClass { kWord, kJoiner, kBreak };

// Visits the folded form of `text` as a sequence of (class, folded UTF-8 bytes).
template <typename Fn>
void visit_folded(std::string_view text, Fn&& fn) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  std::array<utf8proc_int32_t, 16> buf;
  char out[8];
  while (left > 0) {
    utf8proc_int32_t c = -1;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) {  // invalid byte: dropped
      ++p;
      --left;
      continue;
    }
    p += n;
    left -= n;
    if (c == '&' || c == '+') {
      fn(CharClass::kJoiner, std::string_view("&"));
      continue;
    }
    int last_boundclass = 0;
    utf8proc_ssize_t m = utf8proc_decompose_char(
        c, buf.data(), static_cast<utf8proc_ssize_t>(buf.size()),
        static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                       UTF8PROC_STRIPMARK | UTF8PROC_IGNORE),
        &last_boundclass);
    if (m < 0 || m > static_cast<utf8proc_ssize_t>(buf.size())) {
      fn(CharClass::kBreak, std::string_view());
      continue;
    }
    if (m == 0) continue;  // ignorable (zero-width joiners, soft hyphens...)
    for (utf8proc_ssize_t i = 0; i < m; ++i) {
      utf8proc_int32_t d = buf[static_cast<std::size_t>(i)];
      if (const char* extra = extra_fold(d)) {
        fn(CharClass::kWord, std::string_view(extra));
        continue;
      }
      auto cat = utf8proc_category(d);
      bool word = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                  (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
      if (word) {
        utf8proc_ssize_t len = utf8proc_encode_char(d, reinterpret_cast<utf8proc_uint8_t*>(out));
        fn(CharClass::kWord, std::string_view(out, static_cast<std::size_t>(len)));
      } else if (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) {
        // a mark that survived (not a decomposition): ignore
      } else if (is_joiner(d)) {
        fn(CharClass::kJoiner, std::string_view());
      } else {
        fn(CharClass::kBreak, std::string_view());
      }
    }
  }
}

// Chunks of pieces: a chunk ends at a break; pieces end at joiners.
struct Chunk {
  std::vector<std::string> pieces;
  bool ampersand_only = true;  // the chunk was just "&" or "+"
  bool any = false;
};

std::vector<Chunk> chunks_of(std::string_view text) {
  std::vector<Chunk> chunks;
  Chunk cur;
  std::string piece;
  auto end_piece = [&] {
    if (!piece.empty()) {
      if (piece.size() > kMaxWord) piece.resize(kMaxWord);
      cur.pieces.push_back(std::move(piece));
      piece.clear();
    }
  };
  auto end_chunk = [&] {
    end_piece();
    if (cur.any) chunks.push_back(std::move(cur));
    cur = Chunk{};
  };
  visit_folded(text, [&](CharClass cls, std::string_view bytes) {
    switch (cls) {
      case CharClass::kWord:
        piece.append(bytes);
        cur.any = true;
        cur.ampersand_only = false;
        break;
      case CharClass::kJoiner:
        end_piece();
        if (bytes == "&") cur.any = true;
        else cur.ampersand_only = false;
        break;
      case CharClass::kBreak:
        end_chunk();
        break;
    }
  });
  end_chunk();
  return chunks;
}

// Numbers from 0 to 99 in English words, both ways ("21" <-> "twenty one").
constexpr std::array<std::string_view, 20> kSmall = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kTens = {"", "", "twenty", "thirty", "forty", "fifty",
                                                    "sixty", "seventy", "eighty", "ninety"};

// The value of a number word ("seven" 7, "forty" 40), or -1.
int number_word(std::string_view w) {
  for (std::size_t i = 0; i < kSmall.size(); ++i)
    if (w == kSmall[i]) return static_cast<int>(i);
  for (std::size_t i = 2; i < kTens.size(); ++i)
    if (w == kTens[i]) return static_cast<int>(i * 10);
  return -1;
}

// The value of a word of one or two digits without a leading zero ("7", "21"; not "007"), or -1.
int digits_word(std::string_view w) {
  if (w.empty() || w.size() > 2 || (w.size() == 2 && w[0] == '0')) return -1;
  int v = 0;
  for (char c : w) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The other spelling of the numbers among `words`, appended to `out`: "21" gives "twenty",
// "one" and "twentyone"; "twenty one" gives "21", "seven" gives "7". So "21 pilots" finds
// Twenty One Pilots and "twenty one savage" finds 21 Savage, whichever way the catalog wrote it.
void number_spellings(const std::vector<std::string>& words, std::vector<std::string>* out) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (int v = digits_word(words[i]); v >= 0) {
      if (v < 20) {
        out->emplace_back(kSmall[static_cast<std::size_t>(v)]);
      } else {
        std::string tens(kTens[static_cast<std::size_t>(v / 10)]);
        out->push_back(tens);
        if (v % 10) {
          std::string_view ones = kSmall[static_cast<std::size_t>(v % 10)];
          out->emplace_back(ones);
          out->push_back(tens + std::string(ones));
        }
      }
      continue;
    }
    int v = number_word(words[i]);
    if (v < 0) continue;
    if (v >= 20 && i + 1 < words.size()) {
      int ones = number_word(words[i + 1]);
      if (ones >= 1 && ones <= 9) {
        out->push_back(std::to_string(v + ones));
        ++i;
        continue;
      }
    }
    out->push_back(std::to_string(v));
  }
}

}  // namespace

Words split_words(std::string_view text) {
  Words out;
  for (auto& chunk : chunks_of(text)) {
    if (chunk.pieces.empty()) {
      if (chunk.ampersand_only) out.words.emplace_back("and");
      continue;
    }
    if (chunk.pieces.size() == 1) {
      out.words.push_back(std::move(chunk.pieces[0]));
      continue;
    }
    std::string joined;
    for (const auto& p : chunk.pieces) joined += p;
    if (joined.size() > kMaxWord) joined.resize(kMaxWord);
    out.words.push_back(std::move(joined));
    for (auto& p : chunk.pieces) out.pieces.push_back(std::move(p));
  }
  number_spellings(out.words, &out.pieces);
  return out;
}

std::string fold(std::string_view text) {
  std::string out;
  for (auto& chunk : chunks_of(text)) {
    if (chunk.pieces.empty()) {
      if (!chunk.ampersand_only) continue;
      if (!out.empty()) out += ' ';
      out += "and";
      continue;
    }
    for (const auto& p : chunk.pieces) {
      if (!out.empty()) out += ' ';
      out += p;
    }
  }
  return out;
}

std::string name_key(std::string_view text) { return words_key(split_words(text).words); }

std::string words_key(const std::vector<std::string>& words) {
  std::size_t first = (words.size() > 1 && words[0] == "the") ? 1 : 0;
  std::string key;
  for (std::size_t i = first; i < words.size(); ++i) key += words[i];
  if (key.size() > 200) key.resize(200);
  return key;
}

std::string_view base_name(std::string_view name) {
  std::size_t cut = name.size();
  if (auto dash = name.find(" - "); dash != std::string_view::npos) cut = std::min(cut, dash);
  for (char open : {'(', '['}) {
    auto p = name.find(open, 1);
    if (p != std::string_view::npos) cut = std::min(cut, p);
  }
  std::string_view base = name.substr(0, cut);
  while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) base.remove_suffix(1);
  return fold(base).empty() ? name : base;
}

int edit_distance(std::string_view a, std::string_view b, int max_distance, bool b_prefix) {
  if (b_prefix) {
    // Rows over b: the distance of a to b's first i bytes is the last cell of row i.
    // Words are at most kMaxWord bytes: the rows live on the stack.
    if (a.size() > kMaxWord) a = a.substr(0, kMaxWord);
    const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
    std::array<int, kMaxWord + 1> r0{}, r1{}, r2{};
    int* prev2 = r0.data();
    int* prev = r1.data();
    int* cur = r2.data();
    for (int j = 0; j <= n; ++j) prev[static_cast<std::size_t>(j)] = j;
    int best = n;
    for (int i = 1; i <= m; ++i) {
      cur[0] = i;
      int row_min = cur[0];
      for (int j = 1; j <= n; ++j) {
        auto J = static_cast<std::size_t>(j);
        const char bc = b[static_cast<std::size_t>(i - 1)];
        int v = std::min({prev[J] + 1, cur[J - 1] + 1, prev[J - 1] + (bc == a[J - 1] ? 0 : 1)});
        if (i > 1 && j > 1 && bc == a[J - 2] && b[static_cast<std::size_t>(i - 2)] == a[J - 1])
          v = std::min(v, prev2[J - 2] + 1);
        cur[J] = v;
        row_min = std::min(row_min, v);
      }
      best = std::min(best, cur[static_cast<std::size_t>(n)]);
      if (row_min > max_distance) break;
      int* t = prev2;
      prev2 = prev;
      prev = cur;
      cur = t;
    }
    return std::min(best, max_distance + 1);
  }
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > max_distance) return max_distance + 1;
  if (n == 0 || m == 0) return std::max(n, m);
  std::vector<int> prev2(static_cast<std::size_t>(m) + 1), prev(static_cast<std::size_t>(m) + 1),
      cur(static_cast<std::size_t>(m) + 1);
  for (int j = 0; j <= m; ++j) prev[static_cast<std::size_t>(j)] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      auto J = static_cast<std::size_t>(j);
      int cost = a[static_cast<std::size_t>(i - 1)] == b[J - 1] ? 0 : 1;
      int v = std::min({prev[J] + 1, cur[J - 1] + 1, prev[J - 1] + cost});
      if (i > 1 && j > 1 && a[static_cast<std::size_t>(i - 1)] == b[J - 2] &&
          a[static_cast<std::size_t>(i - 2)] == b[J - 1])
        v = std::min(v, prev2[J - 2] + 1);
      cur[J] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > max_distance) return max_distance + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[static_cast<std::size_t>(m)], max_distance + 1);
}

int allowed_edits(std::size_t length) {
  if (length <= 3) return 0;
  if (length <= 7) return 1;
  return 2;
}

int relaxed_edits(std::size_t length) {
  if (length <= 2) return 0;
  if (length == 3) return 1;
  return 2;
}

bool is_glue_word(std::string_view word) {
  // English, Spanish, Portuguese, French, German and Italian: "by", "from", "featuring" and the
  // articles and prepositions that join a title to an artist, plus what people add to say
  // what they want ("song", "lyrics").
  static constexpr std::string_view kGlue[] = {
      "a", "an", "and", "by", "from", "feat", "ft", "featuring", "of", "the", "with", "song", "songs",
      "track", "lyrics", "de", "del", "la", "el", "los", "las", "y", "e", "con", "do", "da", "dos",
      "par", "le", "les", "du", "des", "et", "von", "der", "die", "das", "und", "mit", "di", "il"};
  for (auto g : kGlue)
    if (word == g) return true;
  return false;
}

}  // namespace segue::search
