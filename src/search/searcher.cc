#include "search/searcher.h"

#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <string_view>
#include <unordered_map>

#include "search/lexicon.h"
#include "search/memory_index.h"
#include "search/query.h"
#include "search/readers.h"
#include "search/text.h"

namespace segue::search {
namespace {

constexpr std::size_t kCompletions = 20;  // completions of the last word
constexpr std::size_t kFuzzy = 6;         // close words per typed word
constexpr std::size_t kFuzzyRetry = 40;   // ... in the relaxed pass
constexpr double kExactWeight = 1.0;
constexpr double kPrefixWeight = 0.9;
constexpr double kFuzzyWeight[] = {1.0, 0.6, 0.4};
constexpr std::size_t kMaxQueryBytes = 500;
constexpr std::size_t kMemoryPages = 50;  // /v1/search results served from memory (offset + limit)
constexpr std::size_t kHandful = 5;  // fewer strict hits than this: the relaxed pass runs too
// Time the relaxed pass may take over all kinds, as you type and for /v1/search.
constexpr std::chrono::microseconds kRelaxedTypingBudget{2500};
constexpr std::chrono::microseconds kRelaxedSearchBudget{25000};
constexpr Xapian::doccount kContextDocs = 200;  // documents read for context completions

// Ranking weights (docs/search.md).
constexpr double kClassWeight = 10.0;
constexpr double kCorrectedClassWeight = 3.0;
constexpr double kRelevanceWeight = 1.0;
constexpr double kPopularityWeight = 1.5;
constexpr double kCoverageWeight = 1.0;
constexpr double kFullNameWeight = 0.2;
constexpr double kPersonalWeight = 0.8;
constexpr double kKindBias[kKindCount] = {0.03, 0.02, 0.05, 0.0};  // track, album, artist, playlist

struct Plan {
  ParsedQuery pq;
  std::vector<std::string> typed;      // folded words as typed (free and phrase)
  std::vector<std::string> corrected;  // with corrections applied
  bool has_correction = false;
  Xapian::Query match;    // what must match (text and filters, without the kind)
  Xapian::Query boost;    // ranking-only terms
  bool has_text = false;
  // Phrases of two words or more: `match` holds their words, and a hit must hold each of them
  // consecutively within one field (PhraseDecider; the index has no positions, layout 7).
  std::vector<std::vector<std::string>> phrases;
};

// Keeps the documents whose record holds every phrase of the plan (layout::has_phrases). As a
// match decider it runs before a document counts, so totals and pages only see accepted ones.
class PhraseDecider : public Xapian::MatchDecider {
 public:
  explicit PhraseDecider(const std::vector<std::vector<std::string>>& phrases) : phrases_(phrases) {}
  bool operator()(const Xapian::Document& doc) const override {
    return layout::has_phrases(doc.get_data(), phrases_);
  }

 private:
  const std::vector<std::vector<std::string>>& phrases_;
};

Xapian::Query scaled(const std::string& term, double w) {
  Xapian::Query t(term);
  return w == 1.0 ? t : Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, t, w);
}

Xapian::Query any_of(std::vector<Xapian::Query> qs) {
  if (qs.empty()) return Xapian::Query::MatchNothing;
  if (qs.size() == 1) return qs[0];
  return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
}

Xapian::Query all_of(std::vector<Xapian::Query> qs) {
  if (qs.empty()) return Xapian::Query::MatchAll;
  if (qs.size() == 1) return qs[0];
  return Xapian::Query(Xapian::Query::OP_AND, qs.begin(), qs.end());
}

// Completions of `prefix` among the words of the best documents matching `context` (the
// other words of the query): "someone you lo" completes to "loved" even when "loved" is not
// among the most frequent "lo" words of the whole index.
// Only documents `viewer` may see take part: the completions must not reveal other users'
// private playlists.
Xapian::Query visible_to(const std::string& viewer) {
  std::vector<Xapian::Query> vis;
  for (Kind k : {Kind::kTrack, Kind::kAlbum, Kind::kArtist})
    vis.emplace_back(std::string(layout::kKind) + layout::kind_letter(static_cast<int>(k)));
  vis.emplace_back(layout::kPublic);
  if (!viewer.empty()) vis.emplace_back(layout::kMember + viewer);
  return Xapian::Query(Xapian::Query::OP_OR, vis.begin(), vis.end());
}

std::vector<std::string> context_completions(Xapian::Database& db, const Xapian::Query& context,
                                             const std::string& prefix, std::size_t limit,
                                             const std::string& viewer) {
  Xapian::Enquire enquire(db);
  enquire.set_query(Xapian::Query(Xapian::Query::OP_FILTER, context, visible_to(viewer)));
  Xapian::MSet mset = enquire.get_mset(0, kContextDocs);
  std::unordered_map<std::string, int> counts;
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    layout::StoredHit stored;
    if (!layout::read_stored(it.get_document().get_data(), &stored)) continue;
    const std::string& all = stored.all_words;
    std::size_t pos = 0;
    while (pos < all.size()) {
      std::size_t end = all.find(' ', pos);
      if (end == std::string::npos) end = all.size();
      std::string_view w(all.data() + pos, end - pos);
      if (w.size() > prefix.size() && w.starts_with(prefix)) ++counts[std::string(w)];
      pos = end + 1;
    }
  }
  std::vector<std::pair<std::string, int>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size() && i < limit; ++i) out.push_back(std::move(v[i].first));
  return out;
}

// With `relaxed` (the relaxed pass, docs/search.md): every word may have typos (one in words of
// 3 letters, two from 4 on), glue words only count toward the ranking, and a word with no
// close word at all is left out (its slot in `corrected` is empty).
Plan make_plan(ParsedQuery pq, const LexiconView& lex, Xapian::Database& db, bool relaxed,
               const std::string& viewer) {
  const bool force_fuzzy = relaxed;
  Plan plan;
  plan.pq = std::move(pq);
  const auto& terms = plan.pq.terms;
  std::vector<Xapian::Query> must;
  std::vector<std::vector<std::string>> phrases(static_cast<std::size_t>(plan.pq.phrase_count));
  std::vector<std::string> first_word_terms;
  std::vector<Xapian::Query> glue;

  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto& t = terms[i];
    plan.typed.push_back(t.word);
    plan.corrected.push_back(t.word);
    if (t.in_phrase) {
      phrases[static_cast<std::size_t>(t.phrase)].push_back(t.word);
      if (i == 0) first_word_terms.push_back(t.word);
      continue;
    }
    const bool last = i + 1 == terms.size() && plan.pq.last_is_prefix;
    std::vector<Xapian::Query> alts;
    uint64_t good_df = 0;
    if (uint32_t df = lex.df(t.word)) {
      alts.push_back(scaled(t.word, kExactWeight));
      good_df += df;
      if (i == 0) first_word_terms.push_back(t.word);
    }
    if (last) {
      std::set<std::string, std::less<>> completed;
      for (const auto& m : lex.complete(t.word, kCompletions)) {
        if (m.word == t.word) continue;
        alts.push_back(scaled(std::string(m.word), kPrefixWeight));
        completed.emplace(m.word);
        good_df += m.df;
        if (i == 0) first_word_terms.emplace_back(m.word);
      }
      if (!must.empty()) {
        for (auto& w : context_completions(db, all_of(must), t.word, kCompletions, viewer)) {
          if (completed.count(w)) continue;
          good_df += lex.df(w);
          alts.push_back(scaled(w, kPrefixWeight));
        }
      }
    }
    int k = relaxed ? relaxed_edits(t.word.size()) : allowed_edits(t.word.size());
    if (k > 0) {
      auto close = lex.fuzzy(t.word, k, last, force_fuzzy ? kFuzzyRetry : kFuzzy);
      uint32_t best = 0;
      for (const auto& m : close) best = std::max(best, m.df);
      // Typo tolerance when the word as typed matches nothing, or matches far fewer documents
      // than a close word does (a rare misspelling that happens to be indexed).
      if (!close.empty() && (alts.empty() || good_df * 20 < best || force_fuzzy)) {
        if (alts.empty() || (force_fuzzy && close.front().df > good_df)) {
          plan.corrected.back() = std::string(close.front().word);
          plan.has_correction = true;
        }
        for (const auto& m : close) {
          alts.push_back(scaled(std::string(m.word), kFuzzyWeight[std::min(m.distance, 2)]));
          if (i == 0) first_word_terms.emplace_back(m.word);
        }
      }
    }
    if (relaxed && alts.empty()) {  // matches nothing even with typos: left out
      plan.corrected.back().clear();
      plan.has_correction = true;
      continue;
    }
    if (relaxed && terms.size() > 1 && is_glue_word(t.word)) {  // counts only where present
      glue.push_back(any_of(std::move(alts)));
      continue;
    }
    must.push_back(any_of(std::move(alts)));
  }
  if (must.empty() && !glue.empty()) must.swap(glue);  // only glue words: they are the query
  for (auto& words : phrases) {
    std::vector<Xapian::Query> ts;
    for (const auto& w : words) ts.emplace_back(w);
    if (ts.size() == 1) {
      must.push_back(ts[0]);
      continue;
    }
    // The words, weighted as OP_PHRASE weighted them (the sum of its words'); the order is
    // checked on the hits' records.
    must.emplace_back(Xapian::Query::OP_AND, ts.begin(), ts.end());
    plan.phrases.push_back(words);
  }
  plan.has_text = !must.empty();

  std::vector<Xapian::Query> filters;
  for (const auto& f : plan.pq.filters) {
    std::vector<Xapian::Query> fs;
    for (const auto& w : f.words) fs.emplace_back(std::string(1, f.field) + w);
    filters.push_back(all_of(std::move(fs)));
  }
  if (plan.pq.years)
    filters.emplace_back(Xapian::Query::OP_VALUE_RANGE, layout::kYearSlot,
                         Xapian::sortable_serialise(plan.pq.years->first),
                         Xapian::sortable_serialise(plan.pq.years->second));
  Xapian::Query text = all_of(std::move(must));
  plan.match = filters.empty() ? text : Xapian::Query(Xapian::Query::OP_FILTER, text, all_of(std::move(filters)));

  std::vector<Xapian::Query> boosts;
  std::vector<std::string> key_words = plan.typed;
  if (key_words.size() > 1 && key_words[0] == "the") key_words.erase(key_words.begin());
  std::string key;
  for (const auto& w : key_words) key += w;
  if (!key.empty()) boosts.push_back(scaled(layout::kExact + key, 20.0));
  for (const auto& w : first_word_terms) {
    if (w == "the" && terms.size() > 1) continue;
    boosts.push_back(scaled(layout::kBegins + w, 2.0));
  }
  for (auto& g : glue) boosts.push_back(std::move(g));
  auto* pop = new Xapian::ValueWeightPostingSource(layout::kPopularity);
  boosts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(pop->release()), 0.02);
  plan.boost = any_of(std::move(boosts));
  return plan;
}

// ---- classifying a hit ----

std::string joined(const std::vector<std::string>& words) {
  std::vector<std::string> w = words;
  if (w.size() > 1 && w[0] == "the") w.erase(w.begin());
  std::string s;
  for (const auto& x : w) s += x;
  return s;
}

std::string spaced(const std::vector<std::string>& words) {
  std::vector<std::string> w = words;
  if (w.size() > 1 && w[0] == "the") w.erase(w.begin());
  std::string s;
  for (const auto& x : w) {
    if (!s.empty()) s += ' ';
    s += x;
  }
  return s;
}

struct QueryShape {
  std::string key;     // joined
  std::string spaced;  // spaced
  std::vector<std::string> words;
  bool last_prefix = false;
};

QueryShape shape_of(std::vector<std::string> words, bool last_prefix) {
  std::erase_if(words, [](const std::string& w) { return w.empty(); });  // left out (relaxed pass)
  return QueryShape{joined(words), spaced(words), words, last_prefix};
}

MatchClass classify(const QueryShape& q, std::string_view name_spaced, std::string_view all_words) {
  if (q.key.empty()) return MatchClass::kWords;
  std::string name_key;
  name_key.reserve(name_spaced.size());
  for (char c : name_spaced)
    if (c != ' ') name_key += c;
  if (name_key == q.key) return MatchClass::kExact;
  if (q.last_prefix ? name_key.starts_with(q.key)
                    : (name_spaced.starts_with(q.spaced) &&
                       (name_spaced.size() == q.spaced.size() || name_spaced[q.spaced.size()] == ' ')))
    return MatchClass::kPrefix;
  std::string hay = " ";
  hay += all_words;
  hay += ' ';
  for (std::size_t i = 0; i < q.words.size(); ++i) {
    std::string needle = " " + q.words[i];
    bool prefix = q.last_prefix && i + 1 == q.words.size();
    if (!prefix) needle += ' ';
    if (hay.find(needle) == std::string::npos) return MatchClass::kFuzzy;
  }
  return MatchClass::kWords;
}

// The share of the name's words that the query's words cover (the last one as a prefix):
// "perfect" covers all of "Perfect" but half of "Perfect Duet".
double coverage(const QueryShape& q, std::string_view name_spaced) {
  std::size_t words = 0, covered = 0, pos = 0;
  while (pos <= name_spaced.size() && !name_spaced.empty()) {
    std::size_t end = name_spaced.find(' ', pos);
    if (end == std::string_view::npos) end = name_spaced.size();
    std::string_view w = name_spaced.substr(pos, end - pos);
    ++words;
    for (std::size_t i = 0; i < q.words.size(); ++i) {
      bool prefix = q.last_prefix && i + 1 == q.words.size();
      if (prefix ? w.starts_with(q.words[i]) : w == q.words[i]) {
        ++covered;
        break;
      }
    }
    pos = end + 1;
  }
  return words ? static_cast<double>(covered) / static_cast<double>(words) : 0.0;
}

struct Candidate {
  Hit hit;
  double weight = 0;
  double coverage = 0;
  bool full_name = false;  // an exact match of the whole name, version suffix included
  double popularity = 0;  // 0..1
  int corrected_class = -1;
};

constexpr std::size_t kPhraseChecked = 1050;  // phrase candidates checked at least (offset + limit)
constexpr double kRelaxedOffset = 40.0;  // relaxed-pass hits score below every strict hit

struct Gathered {
  std::array<std::vector<Candidate>, kKindCount> cands;
  std::array<std::size_t, kKindCount> totals{};
};

// `totals`: the answer shows totals (search, not suggestions), worth checking more phrase hits.
Gathered gather(Xapian::Database& db, const Plan& plan, const std::vector<Kind>& kinds,
                std::size_t window, const std::string& viewer, bool totals) {
  Gathered g;
  Xapian::Enquire enquire(db);
  QueryShape typed = shape_of(plan.typed, plan.pq.last_is_prefix);
  QueryShape fixed = shape_of(plan.corrected, plan.pq.last_is_prefix);
  PhraseDecider phrases(plan.phrases);
  const Xapian::MatchDecider* decider = plan.phrases.empty() ? nullptr : &phrases;
  // With a decider, Xapian estimates the total from the share of the documents it looked at
  // that were accepted; looking at up to kPhraseChecked candidates makes it exact for phrases
  // that far (every reachable page: offsets stop at 1000). Suggestions show no totals.
  const auto check = static_cast<Xapian::doccount>(decider && totals ? std::max(window, kPhraseChecked) : 0);
  for (Kind kind : kinds) {
    Xapian::Query filter(std::string(layout::kKind) + layout::kind_letter(static_cast<int>(kind)));
    if (kind == Kind::kPlaylist) {
      std::vector<Xapian::Query> vis{Xapian::Query(layout::kPublic)};
      if (!viewer.empty()) vis.emplace_back(layout::kMember + viewer);
      filter = Xapian::Query(Xapian::Query::OP_FILTER, filter, any_of(std::move(vis)));
    }
    Xapian::Query q(Xapian::Query::OP_FILTER, plan.match, filter);
    q = Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, plan.boost);
    enquire.set_query(q);
    Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(window), check, nullptr, decider);
    auto& out = g.cands[static_cast<std::size_t>(kind)];
    g.totals[static_cast<std::size_t>(kind)] = mset.get_matches_estimated();
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      Xapian::Document doc = it.get_document();
      Candidate c;
      layout::StoredHit stored;
      if (!layout::read_stored(doc.get_data(), &stored)) continue;
      c.hit.kind = stored.kind;
      c.hit.id = std::move(stored.id);
      c.weight = it.get_weight();
      c.popularity = stored.popularity;
      const std::string& name = stored.name_words;
      const std::string& base = stored.base_words;
      const std::string& all = stored.all_words;
      // The better of the full name and the name without its version suffix.
      MatchClass full = classify(typed, name, all);
      c.hit.match = std::max(full, classify(typed, base, all));
      c.full_name = full == MatchClass::kExact;
      c.coverage = coverage(plan.has_correction ? fixed : typed, base.empty() ? name : base);
      if (plan.has_correction && c.hit.match == MatchClass::kFuzzy)
        c.corrected_class = static_cast<int>(std::max(classify(fixed, name, all), classify(fixed, base, all)));
      out.push_back(std::move(c));
    }
  }
  return g;
}

void score(Gathered& g, const PersonalBoost& boost) {
  double max_w = 0;
  for (auto& v : g.cands)
    for (auto& c : v) max_w = std::max(max_w, c.weight);
  std::vector<Hit> all;
  for (auto& v : g.cands)
    for (auto& c : v) all.push_back(c.hit);
  std::vector<double> personal;
  if (boost && !all.empty()) personal = boost(all);
  std::size_t n = 0;
  for (auto& v : g.cands) {
    for (auto& c : v) {
      double s = kClassWeight * static_cast<int>(c.hit.match);
      if (c.corrected_class >= 0) s += kCorrectedClassWeight * c.corrected_class / 3.0;
      s += kRelevanceWeight * (max_w > 0 ? c.weight / max_w : 0);
      s += kPopularityWeight * c.popularity;
      if (c.hit.match != MatchClass::kExact) s += kCoverageWeight * c.coverage;
      if (c.full_name) s += kFullNameWeight;
      if (n < personal.size()) s += kPersonalWeight * std::clamp(personal[n], 0.0, 1.0);
      if (c.hit.relaxed) s -= kRelaxedOffset;
      c.hit.score = s;
      ++n;
    }
    std::stable_sort(v.begin(), v.end(), [](const Candidate& a, const Candidate& b) { return a.hit.score > b.hit.score; });
  }
}

std::optional<std::string> correction_text(const Plan& plan) {
  if (!plan.has_correction) return std::nullopt;
  std::string s;
  for (const auto& w : plan.corrected) {
    if (w.empty()) continue;  // left out by the relaxed pass
    if (!s.empty()) s += ' ';
    s += w;
  }
  if (!plan.pq.filter_text.empty()) {
    if (!s.empty()) s += ' ';
    s += plan.pq.filter_text;
  }
  return s;
}

struct Outcome {
  Plan plan;
  Gathered gathered;
};

// Plans and runs the query strictly; when that finds fewer than kHandful hits, runs the relaxed
// pass too and adds its hits (marked relaxed, scored below the strict ones). The relaxed pass's
// reading becomes the answer's "did you mean" only when the strict pass found nothing.
Outcome run(Xapian::Database& db, const ParsedQuery& pq, const LexiconView& lex, const std::vector<Kind>& kinds,
            std::size_t window, const std::string& viewer, bool totals) {
  Outcome out{make_plan(pq, lex, db, false, viewer), {}};
  out.gathered = gather(db, out.plan, kinds, window, viewer, totals);
  std::size_t found = 0;
  for (const auto& v : out.gathered.cands) found += v.size();
  if (found >= kHandful || !out.plan.has_text) return out;
  Plan relaxed = make_plan(pq, lex, db, true, viewer);
  if (!relaxed.has_text) return out;
  Gathered g = gather(db, relaxed, kinds, window, viewer, totals);
  for (std::size_t k = 0; k < kKindCount; ++k) {
    auto& mine = out.gathered.cands[k];
    std::set<std::string> seen;
    for (const auto& c : mine) seen.insert(c.hit.id);
    for (auto& c : g.cands[k]) {
      if (seen.count(c.hit.id)) continue;
      c.hit.relaxed = true;
      mine.push_back(std::move(c));
    }
    out.gathered.totals[k] = std::max(out.gathered.totals[k], g.totals[k]);
  }
  if (found == 0) {
    out.plan.corrected = std::move(relaxed.corrected);
    out.plan.has_correction = relaxed.has_correction || relaxed.corrected != relaxed.typed;
  }
  return out;
}

Result<Outcome> plan_and_run(const SearchIndex& index, const std::string& q, const std::vector<Kind>& kinds,
                             std::size_t window, const std::string& viewer, bool totals) {
  if (q.size() > kMaxQueryBytes) return Error::invalid("the query is longer than 500 bytes");
  auto parsed = parse_query(q);
  if (!parsed.ok()) return parsed.error();
  auto lex = index.lexicon();
  auto own = index.private_lexicon(viewer);
  const LexiconView view(*lex, own.get());
  try {
    return with_reader(index.readers(), [&](Xapian::Database& db) {
      return run(db, *parsed, view, kinds, window, viewer, totals);
    });
  } catch (const Xapian::Error& e) {
    return Error::internal("search: " + e.get_description());
  }
}

}  // namespace

namespace {

struct MemoryResult {
  std::array<std::vector<Hit>, kKindCount> items;  // best first, at most `limit` per kind
  std::array<std::size_t, kKindCount> totals{};
  std::optional<Hit> top;
  std::optional<std::string> corrected;
};

bool plain_words(const ParsedQuery& pq) {
  return pq.filters.empty() && !pq.years && pq.phrase_count == 0 && !pq.terms.empty();
}

// One pass of plain words over the in-memory indexes (memory_index.h): every hit of the
// requested kinds, best first, with each kind's total.
struct Pass {
  std::vector<Hit> hits;
  std::array<std::size_t, kKindCount> totals{};
  std::optional<std::string> corrected;
};

// The strict pass: every word must match, typos only in words long enough and rare enough as
// typed (a word common as typed is taken as typed).
Pass strict_pass(const SearchIndex& index, const ParsedQuery& pq, const std::vector<Kind>& kinds, std::size_t limit,
                 const std::string& viewer) {
  Pass pass;
  auto shared = index.lexicon();
  auto own = index.private_lexicon(viewer);
  const LexiconView lex(*shared, own.get());
  const std::size_t n = pq.terms.size();
  std::vector<std::string> typed, fixed;
  bool corrected = false;
  std::vector<QueryWord> words;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& w = pq.terms[i].word;
    bool last = i + 1 == n && pq.last_is_prefix;
    typed.push_back(w);
    fixed.push_back(w);
    words.push_back(QueryWord{w, last, false});
    int k = allowed_edits(w.size());
    if (k == 0) continue;
    if (last && lex.completes(w)) continue;  // some indexed word starts with it (one binary search)
    uint32_t df = lex.df(w);
    if (df > 0) continue;  // as typed it exists: no "did you mean"
    auto close = lex.fuzzy(w, k, last, 1);
    if (!close.empty()) {
      fixed.back() = std::string(close.front().word);
      corrected = true;
    }
  }
  const std::string key = words_key(typed);
  const std::string ckey = corrected ? words_key(fixed) : std::string();
  for (Kind kind : kinds) {
    auto k = static_cast<std::size_t>(kind);
    auto found = index.memory(kind)->query(words, key, ckey, pq.last_is_prefix, limit + 8, viewer, &pass.totals[k]);
    for (auto& m : found) pass.hits.push_back(Hit{kind, std::move(m.id), static_cast<MatchClass>(m.match), m.score});
  }
  if (corrected && !pass.hits.empty()) {
    std::string text;
    for (const auto& w : fixed) text += (text.empty() ? "" : " ") + w;
    pass.corrected = text;
  }
  return pass;
}

// The relaxed pass (docs/search.md), run when the strict one finds fewer than a handful: glue
// words optional, more typos (one in words of 3 letters, two from 4 on) in every word, words
// that match nothing dropped with a penalty; its hits score below every strict hit.
Pass relaxed_pass(const SearchIndex& index, const ParsedQuery& pq, const std::vector<Kind>& kinds, std::size_t limit,
                  const std::string& viewer, bool typing, bool light) {
  Pass pass;
  const std::size_t n = pq.terms.size();
  std::vector<QueryWord> words;
  std::vector<std::string> typed;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& w = pq.terms[i].word;
    typed.push_back(w);
    QueryWord qw;
    qw.word = w;
    qw.prefix = i + 1 == n && pq.last_is_prefix;
    qw.force_fuzzy = true;
    qw.optional = n > 1 && is_glue_word(w);
    qw.edits = relaxed_edits(w.size());
    qw.typing = typing;
    words.push_back(std::move(qw));
  }
  const std::string key = words_key(typed);
  std::array<std::vector<std::string>, kKindCount> understood;
  // The pass's time budget, shared out between the kinds still to ask: as you type, a keystroke
  // must stay within a few milliseconds even when every word is a typo of common words.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point end = Clock::now() + (typing ? kRelaxedTypingBudget : kRelaxedSearchBudget);
  std::size_t left = kinds.size();
  for (Kind kind : kinds) {
    auto k = static_cast<std::size_t>(kind);
    Relaxed r;
    r.light = light;
    const Clock::time_point now = Clock::now();
    r.deadline = now + (end > now ? (end - now) / static_cast<int>(left) : Clock::duration::zero());
    --left;
    auto found = index.memory(kind)->query(words, key, "", pq.last_is_prefix, limit + 8, viewer, &pass.totals[k], &r);
    for (auto& m : found) pass.hits.push_back(Hit{kind, std::move(m.id), static_cast<MatchClass>(m.match), m.score, true});
    understood[k] = std::move(r.understood);
  }
  if (!pass.hits.empty()) {
    auto best = std::max_element(pass.hits.begin(), pass.hits.end(),
                                 [](const Hit& a, const Hit& b) { return a.score < b.score; });
    const auto& u = understood[static_cast<std::size_t>(best->kind)];
    if (!u.empty() && u != typed) {
      std::string text;
      for (const auto& w : u) text += (text.empty() ? "" : " ") + w;
      pass.corrected = text;
    }
  }
  return pass;
}

// Plain words on the in-memory indexes: the strict pass, then the relaxed one when the strict
// pass found fewer than kHandful hits over the kinds asked for. The personal boost applies to
// both; the best `limit` hits of each kind go to the result. False when nothing matched.
// `typing`: search as you type (suggest), where the relaxed pass takes a last word that starts
// some word as typed (its close words would cost a lexicon walk at every keystroke).
bool memory_search(const SearchIndex& index, const ParsedQuery& pq, const std::vector<Kind>& kinds, std::size_t limit,
                   const std::string& viewer, const PersonalBoost& boost, bool typing, MemoryResult* result) {
  Pass pass = strict_pass(index, pq, kinds, limit, viewer);
  if (pass.hits.size() < kHandful) {
    Pass relaxed = relaxed_pass(index, pq, kinds, limit, viewer, typing, !pass.hits.empty());
    std::set<std::pair<Kind, std::string_view>> seen;
    for (const auto& h : pass.hits) seen.emplace(h.kind, h.id);
    // What the relaxed pass understood is the answer's reading only when it is the answer.
    if (pass.hits.empty()) pass.corrected = std::move(relaxed.corrected);
    std::vector<Hit> extra;
    for (auto& h : relaxed.hits)
      if (!seen.count({h.kind, h.id})) extra.push_back(std::move(h));
    for (auto& h : extra) pass.hits.push_back(std::move(h));
    for (std::size_t k = 0; k < kKindCount; ++k) pass.totals[k] = std::max(pass.totals[k], relaxed.totals[k]);
  }
  if (pass.hits.empty()) return false;
  auto& hits = pass.hits;
  if (boost) {
    auto b = boost(hits);
    for (std::size_t i = 0; i < hits.size() && i < b.size(); ++i)
      hits[i].score += kPersonalWeight * std::clamp(b[i], 0.0, 1.0);
  }
  std::stable_sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.score > b.score; });
  double best = -1e9;
  for (auto& h : hits) {
    auto k = static_cast<std::size_t>(h.kind);
    if (result->items[k].size() >= limit) continue;
    if (h.score + kKindBias[k] > best) {
      best = h.score + kKindBias[k];
      result->top = h;
    }
    result->items[k].push_back(std::move(h));
  }
  result->totals = pass.totals;
  result->corrected = std::move(pass.corrected);
  return true;
}

}  // namespace

Searcher::Searcher(const SearchIndex& index) : index_(index) {}

Result<SearchResponse> Searcher::search(const SearchRequest& req) const {
  if (req.limit == 0 || req.limit > 50) return Error::invalid("limit must be between 1 and 50");
  if (req.offset > 1000) return Error::invalid("offset must be at most 1000");
  std::vector<Kind> kinds = req.kinds;
  if (kinds.empty()) kinds = {Kind::kTrack, Kind::kAlbum, Kind::kArtist, Kind::kPlaylist};
  // The first pages of plain-word queries come from the in-memory indexes too.
  if (req.offset + req.limit <= kMemoryPages && req.q.size() <= kMaxQueryBytes) {
    auto parsed = parse_query(req.q);
    if (!parsed.ok()) return parsed.error();
    if (plain_words(*parsed)) {
      MemoryResult m;
      SearchResponse resp;
      if (memory_search(index_, *parsed, kinds, req.offset + req.limit, req.viewer, req.boost, false, &m)) {
        for (Kind kind : kinds) {
          auto k = static_cast<std::size_t>(kind);
          auto& items = m.items[k];
          resp.pages[k].total = m.totals[k];
          for (std::size_t i = req.offset; i < items.size(); ++i) resp.pages[k].items.push_back(std::move(items[i]));
        }
        resp.corrected = std::move(m.corrected);
      }
      return resp;
    }
  }
  std::size_t window = std::max<std::size_t>(50, req.offset + req.limit);
  auto outcome = plan_and_run(index_, req.q, kinds, window, req.viewer, true);
  if (!outcome.ok()) return outcome.error();
  Gathered& g = outcome->gathered;
  const Plan* plan = &outcome->plan;
  score(g, req.boost);
  SearchResponse resp;
  for (Kind kind : kinds) {
    auto k = static_cast<std::size_t>(kind);
    auto& page = resp.pages[k];
    page.total = g.totals[k];
    for (std::size_t i = req.offset; i < g.cands[k].size() && page.items.size() < req.limit; ++i)
      page.items.push_back(g.cands[k][i].hit);
  }
  resp.corrected = correction_text(*plan);
  return resp;
}

Result<SuggestResponse> Searcher::suggest(const SuggestRequest& req) const {
  if (req.limit == 0 || req.limit > 20) return Error::invalid("limit must be between 1 and 20");
  if (req.q.size() > kMaxQueryBytes) return Error::invalid("the query is longer than 500 bytes");
  auto parsed = parse_query(req.q);
  // Half-typed text is not yet a query ("$" of "$uicideboy$", "year:19" of "year:1999"):
  // nothing to suggest, rather than an error flashing up at that keystroke.
  if (!parsed.ok()) return SuggestResponse{};
  // Filters, years and phrases need the full index; plain words (what people type into a
  // search box) take the in-memory path.
  if (!plain_words(*parsed)) return suggest_xapian(req);
  MemoryResult m;
  SuggestResponse resp;
  if (memory_search(index_, *parsed, {Kind::kTrack, Kind::kAlbum, Kind::kArtist, Kind::kPlaylist}, req.limit,
                    req.viewer, req.boost, true, &m)) {
    resp.items = std::move(m.items);
    resp.top = std::move(m.top);
    resp.corrected = std::move(m.corrected);
  }
  return resp;
}

Result<SuggestResponse> Searcher::suggest_xapian(const SuggestRequest& req) const {
  std::vector<Kind> kinds = {Kind::kTrack, Kind::kAlbum, Kind::kArtist, Kind::kPlaylist};
  std::size_t window = std::max<std::size_t>(20, req.limit * 3);
  auto outcome = plan_and_run(index_, req.q, kinds, window, req.viewer, false);
  if (!outcome.ok()) return outcome.error();
  Gathered& g = outcome->gathered;
  const Plan* plan = &outcome->plan;
  score(g, req.boost);
  SuggestResponse resp;
  double best = -1;
  for (Kind kind : kinds) {
    auto k = static_cast<std::size_t>(kind);
    for (std::size_t i = 0; i < g.cands[k].size() && resp.items[k].size() < req.limit; ++i)
      resp.items[k].push_back(g.cands[k][i].hit);
    if (!g.cands[k].empty()) {
      double s = g.cands[k][0].hit.score + kKindBias[k];
      if (s > best) {
        best = s;
        resp.top = g.cands[k][0].hit;
      }
    }
  }
  resp.corrected = correction_text(*plan);
  return resp;
}

}  // namespace segue::search
