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

std::string name_key(std::string_view text) {
  Words w = split_words(text);
  std::size_t first = (w.words.size() > 1 && w.words[0] == "the") ? 1 : 0;
  std::string key;
  for (std::size_t i = first; i < w.words.size(); ++i) key += w.words[i];
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

int edit_distance(std::string_view a, std::string_view b, int max_distance) {
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

}  // namespace segue::search
