#include "search/index.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <unordered_map>

#include "search/lexicon.h"
#include "search/memory_index.h"
#include "search/readers.h"
#include "search/text.h"

namespace segue::search {

namespace fs = std::filesystem;

char layout::kind_letter(int kind) {
  static constexpr char kLetters[] = {'t', 'l', 'r', 'p'};
  return kLetters[kind & 3];
}

// ---- Readers ----

namespace {
std::atomic<uint64_t> next_instance{1};
struct ReaderSlot {
  std::unique_ptr<Xapian::Database> db;
  uint64_t generation = 0;
  uint64_t epoch = 0;
};
thread_local std::unordered_map<uint64_t, ReaderSlot> tl_readers;
}  // namespace

Readers::Readers(std::string dir) : dir_(std::move(dir)), instance_(next_instance.fetch_add(1)) {}

Xapian::Database& Readers::get() {
  uint64_t gen = generation_.load(std::memory_order_acquire);
  uint64_t epoch = epoch_.load(std::memory_order_acquire);
  ReaderSlot& slot = tl_readers[instance_];
  if (!slot.db || slot.epoch != epoch) {
    slot.db.reset();
    slot.db = std::make_unique<Xapian::Database>(dir_);
    slot.generation = gen;
    slot.epoch = epoch;
  } else if (slot.generation != gen) {
    slot.db->reopen();
    slot.generation = gen;
  }
  return *slot.db;
}

void Readers::refresh() noexcept {
  auto it = tl_readers.find(instance_);
  if (it == tl_readers.end() || !it->second.db) return;
  if (it->second.epoch != epoch_.load(std::memory_order_acquire)) {
    it->second.db.reset();
    return;
  }
  try {
    it->second.db->reopen();
  } catch (...) {
    it->second.db.reset();
  }
}

// ---- documents ----

namespace {

// The stored record (document data): what the in-memory index is rebuilt from at open, what
// the indexer's signature scan reads and what the searcher classifies hits with. Strings are
// a varint length and the bytes (docs/formats/search-index.md).
void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void put_str(std::string* out, std::string_view s) {
  put_varint(out, s.size());
  out->append(s);
}

struct Reader {
  std::string_view in;
  bool ok = true;
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in.empty()) break;
      auto b = static_cast<unsigned char>(in.front());
      in.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  uint8_t byte() {
    if (in.empty()) {
      ok = false;
      return 0;
    }
    auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    return b;
  }
  std::string_view str() {
    uint64_t n = varint();
    if (!ok || n > in.size()) {
      ok = false;
      return {};
    }
    std::string_view s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  }
  uint64_t u64() {
    if (in.size() < 8) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
    in.remove_prefix(8);
    return v;
  }
};

std::string encode_record(const FoldedDoc& f) {
  std::string r;
  r.reserve(32 + f.id.size() + f.name.size() + f.pieces.size() + f.base.size() + f.album.size() + f.artist.size());
  r.push_back(static_cast<char>(f.kind));
  put_str(&r, f.id);
  for (int i = 0; i < 8; ++i) r.push_back(static_cast<char>((f.signature >> (8 * i)) & 0xff));
  r.push_back(static_cast<char>(std::clamp(f.popularity, 0, 100)));
  r.push_back(static_cast<char>(f.is_public ? 1 : 0));
  for (const std::string* s : {&f.name, &f.pieces, &f.base, &f.album, &f.artist}) put_str(&r, *s);
  put_varint(&r, f.members.size());
  for (const auto& m : f.members) put_str(&r, m);
  return r;
}

// The record's head: kind, id and signature (the indexer's scan needs no more).
bool decode_head(Reader& rd, Kind* kind, std::string_view* id, uint64_t* sig) {
  uint8_t k = rd.byte();
  *id = rd.str();
  *sig = rd.u64();
  if (!rd.ok || k >= kKindCount || id->empty()) return false;
  *kind = static_cast<Kind>(k);
  return true;
}

bool decode_record(std::string_view data, FoldedDoc* f) {
  Reader rd{data};
  std::string_view id;
  if (!decode_head(rd, &f->kind, &id, &f->signature)) return false;
  f->id = id;
  f->popularity = rd.byte();
  f->is_public = rd.byte() != 0;
  for (std::string* s : {&f->name, &f->pieces, &f->base, &f->album, &f->artist}) *s = rd.str();
  uint64_t members = rd.varint();
  for (uint64_t i = 0; rd.ok && i < members; ++i) f->members.emplace_back(rd.str());
  if (!rd.ok) return false;
  f->derive();
  return true;
}

std::string without_the(std::string_view spaced) {
  if (spaced.starts_with("the ")) return std::string(spaced.substr(4));
  return std::string(spaced);
}

// Adds a field's words with the field's prefixed term (filters), and its pieces. No positions
// (layout 7): phrases match the words of the phrase and are then checked against the record
// (layout::has_phrases), which keeps each field's words in order.
void add_field(Xapian::Document& xd, const Words& w, Xapian::termcount wdf, const char* prefix) {
  for (const auto& word : w.words) {
    xd.add_term(word, wdf);
    if (prefix) xd.add_term(prefix + word);
  }
  for (const auto& piece : w.pieces) {
    xd.add_term(piece, wdf);
    if (prefix) xd.add_term(prefix + piece);
  }
}

Xapian::Document make_doc(const Document& d, const SplitDoc& s, const FoldedDoc& f) {
  using namespace layout;
  Xapian::Document xd;
  xd.set_data(encode_record(f));
  xd.add_boolean_term(std::string(kKind) + kind_letter(static_cast<int>(d.kind)));

  // Field-prefixed terms serve the track:, album: and artist: filters; playlist names have
  // no filter, so no prefixed copy.
  const char* name_prefix = nullptr;
  switch (d.kind) {
    case Kind::kTrack: name_prefix = kTitle; break;
    case Kind::kAlbum: name_prefix = kAlbum; break;
    case Kind::kArtist: name_prefix = kArtist; break;
    case Kind::kPlaylist: name_prefix = nullptr; break;
  }
  add_field(xd, s.name, 3, name_prefix);
  // Adjacent name words joined ("TiK ToK" -> "tiktok", "Hot N Cold" -> "hotn", "ncold"), so a
  // query that writes a name as one word still finds it.
  std::size_t p = 0;
  while (p < f.joined.size()) {
    std::size_t e = f.joined.find(' ', p);
    if (e == std::string::npos) e = f.joined.size();
    std::string joined = f.joined.substr(p, e - p);
    xd.add_term(joined, 1);
    if (name_prefix) xd.add_term(name_prefix + joined);
    p = e + 1;
  }
  if (d.kind == Kind::kTrack && !s.album.words.empty()) add_field(xd, s.album, 2, kAlbum);
  for (const auto& a : s.artists) add_field(xd, a, 1, kArtist);
  if (!s.description.words.empty()) add_field(xd, s.description, 1, kDescription);
  for (const auto& g : d.genres) {
    for (const auto& word : split_words(g).words) xd.add_boolean_term(kGenre + word);
    std::string gk = name_key(g);
    if (!gk.empty()) xd.add_boolean_term(kGenre + gk);
  }
  if (d.year > 0) xd.add_value(kYearSlot, Xapian::sortable_serialise(d.year));
  const auto& nw = s.name.words;
  std::size_t first = (nw.size() > 1 && nw[0] == "the") ? 1 : 0;
  std::string nk = f.name_key();
  if (!nk.empty()) xd.add_term(kExact + nk);  // wdf 1: these terms carry weight
  if (first < nw.size()) xd.add_term(kBegins + nw[first]);
  std::string bk = f.base_key();
  if (!bk.empty() && bk != nk) xd.add_term(kExact + bk);
  if (d.kind == Kind::kPlaylist) {
    if (d.is_public) xd.add_boolean_term(kPublic);
    for (const auto& m : d.members) xd.add_boolean_term(kMember + m);
  }
  xd.add_value(kPopularity, Xapian::sortable_serialise(std::clamp(d.popularity, 0, 100)));
  return xd;
}

}  // namespace

bool layout::read_stored(const std::string& data, StoredHit* out) {
  FoldedDoc f;
  if (!decode_record(data, &f)) return false;
  out->kind = f.kind;
  out->id = std::move(f.id);
  out->popularity = f.popularity / 100.0;
  out->name_words = without_the(f.name);
  out->base_words = f.base.empty() ? out->name_words : without_the(f.base);
  std::vector<std::string_view> all;
  f.each_word([&](std::string_view w, uint8_t) { all.push_back(w); });
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  out->all_words.clear();
  for (auto w : all) {
    if (!out->all_words.empty()) out->all_words += ' ';
    out->all_words += w;
  }
  return true;
}

namespace {

// Phrase checks on a record (layout::has_phrases). A field is its words in order; a word
// joined from pieces ("acdc" of "AC/DC", "pileup" of "Pile-Up") may also be read as its pieces,
// so "ac dc" and "pile up" find those as they did when pieces matched any position.
struct Slot {
  std::string_view word;
  std::vector<std::string_view> pieces;  // empty unless the word is joined from them
};

std::vector<std::string_view> spaced_words(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The pieces a word is joined from: a run of two or more of `pieces` that spell it.
std::vector<std::string_view> pieces_of(std::string_view word, const std::vector<std::string_view>& pieces) {
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::size_t len = 0, j = i;
    while (j < pieces.size() && len + pieces[j].size() <= word.size() &&
           word.substr(len, pieces[j].size()) == pieces[j]) {
      len += pieces[j].size();
      ++j;
      if (len == word.size()) break;
    }
    if (len == word.size() && j - i >= 2) return {pieces.begin() + static_cast<std::ptrdiff_t>(i), pieces.begin() + static_cast<std::ptrdiff_t>(j)};
  }
  return {};
}

// Whether phrase[i..] continues at slot s (each slot read as its word or as its pieces; the
// phrase may end within a slot's pieces).
bool continues(const std::vector<Slot>& slots, std::size_t s, const std::vector<std::string>& phrase, std::size_t i) {
  if (i == phrase.size()) return true;
  if (s == slots.size()) return false;
  const Slot& slot = slots[s];
  if (slot.word == phrase[i] && continues(slots, s + 1, phrase, i + 1)) return true;
  const auto& p = slot.pieces;
  std::size_t k = 0;
  while (k < p.size() && i + k < phrase.size() && p[k] == phrase[i + k]) ++k;
  if (k == 0) return false;
  if (i + k == phrase.size()) return true;
  return k == p.size() && continues(slots, s + 1, phrase, i + k);
}

// Whether `phrase` (two words or more) is consecutive within the field; it may start within a
// slot's pieces.
bool in_field(const std::vector<Slot>& slots, const std::vector<std::string>& phrase) {
  for (std::size_t s = 0; s < slots.size(); ++s) {
    if (continues(slots, s, phrase, 0)) return true;
    const auto& p = slots[s].pieces;
    for (std::size_t o = 1; o < p.size(); ++o) {
      std::size_t k = 0;
      while (o + k < p.size() && k < phrase.size() && p[o + k] == phrase[k]) ++k;
      if (k == phrase.size() || (o + k == p.size() && continues(slots, s + 1, phrase, k))) return true;
    }
  }
  return false;
}

// The fields of a stored string: fields are one empty word apart (two spaces), and what
// follows two empty words (three spaces) are the pieces of them all (`extra`: more pieces, the
// name's, stored apart).
std::vector<std::vector<Slot>> fields_of(std::string_view s, std::string_view extra = {}) {
  std::vector<std::vector<std::string_view>> fields(1);
  std::vector<std::string_view> pieces = spaced_words(extra);
  int empties = 0;
  for (std::size_t pos = 0; pos <= s.size();) {
    std::size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (end == pos) {
      if (end < s.size()) ++empties;
    } else if (empties >= 2) {  // the pieces
      for (auto w : spaced_words(s.substr(pos))) pieces.push_back(w);
      break;
    } else {
      if (empties == 1 && !fields.back().empty()) fields.emplace_back();
      empties = 0;
      fields.back().push_back(s.substr(pos, end - pos));
    }
    pos = end + 1;
  }
  std::vector<std::vector<Slot>> out;
  for (const auto& f : fields) {
    std::vector<Slot> slots;
    for (auto w : f) slots.push_back(Slot{w, pieces.empty() ? std::vector<std::string_view>() : pieces_of(w, pieces)});
    out.push_back(std::move(slots));
  }
  return out;
}

}  // namespace

bool layout::has_phrases(const std::string& data, const std::vector<std::vector<std::string>>& phrases) {
  Reader rd{data};
  Kind kind;
  std::string_view id;
  uint64_t sig = 0;
  if (!decode_head(rd, &kind, &id, &sig)) return false;
  rd.byte();  // popularity
  rd.byte();  // public
  std::string_view name = rd.str(), pieces = rd.str();
  rd.str();  // base
  std::string_view album = rd.str(), artist = rd.str();
  if (!rd.ok) return false;
  std::vector<std::vector<Slot>> fields = fields_of(name, pieces);  // the name: one field
  for (auto* more : {&album, &artist})
    for (auto& f : fields_of(*more)) fields.push_back(std::move(f));
  for (const auto& phrase : phrases) {
    if (phrase.size() < 2) continue;  // one word: the word itself matched
    bool found = false;
    for (const auto& f : fields) {
      if (in_field(f, phrase)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

namespace {

// The lexicons of one commit: the shared one holds the words of the documents every viewer
// may see (catalog documents and public playlists), with their document frequency among those;
// a private playlist's words are only in the own lexicon of each of its members (issue 14:
// corrections and completions drew on other users' private playlist names).
struct Lexicons {
  std::shared_ptr<const Lexicon> shared;
  std::unordered_map<std::string, std::shared_ptr<const Lexicon>> own;  // by member user id
};

std::shared_ptr<const Lexicons> build_lexicons(const Xapian::Database& db) {
  // Private playlists: kind playlist without the public term.
  const std::string playlist_term = std::string(layout::kKind) + layout::kind_letter(static_cast<int>(Kind::kPlaylist));
  std::unordered_map<std::string, uint32_t> hidden;  // word -> private playlists holding it
  std::unordered_map<std::string, std::vector<Lexicon::Entry>> own;
  {
    auto pub = db.postlist_begin(layout::kPublic);
    const auto pub_end = db.postlist_end(layout::kPublic);
    for (auto it = db.postlist_begin(playlist_term); it != db.postlist_end(playlist_term); ++it) {
      const Xapian::docid d = *it;
      if (pub != pub_end) pub.skip_to(d);
      if (pub != pub_end && *pub == d) continue;
      std::vector<std::string> words, members;
      for (auto t = db.termlist_begin(d); t != db.termlist_end(d); ++t) {
        const std::string term = *t;
        if (term.empty()) continue;
        const unsigned char c = static_cast<unsigned char>(term[0]);
        if (c >= 'A' && c <= 'Z') {
          if (term.rfind(layout::kMember, 0) == 0) members.push_back(term.substr(1));
          continue;
        }
        words.push_back(term);
      }
      for (const auto& w : words) ++hidden[w];
      for (const auto& m : members) {
        auto& entries = own[m];
        for (const auto& w : words) entries.push_back(Lexicon::Entry{w, 1});
      }
    }
  }
  std::vector<Lexicon::Entry> entries;
  auto it = db.allterms_begin();
  auto end = db.allterms_end();
  while (it != end) {
    const std::string& t = *it;
    unsigned char c = static_cast<unsigned char>(t[0]);
    if (c >= 'A' && c <= 'Z') {  // prefixed (field, boolean) terms: skip the whole block
      it.skip_to("a");
      continue;
    }
    auto df = static_cast<uint32_t>(it.get_termfreq());
    if (!hidden.empty()) {
      auto h = hidden.find(t);
      if (h != hidden.end()) df = df > h->second ? df - h->second : 0;
    }
    if (df > 0) entries.push_back(Lexicon::Entry{t, df});
    ++it;
  }
  auto out = std::make_shared<Lexicons>();
  out->shared = std::make_shared<const Lexicon>(std::move(entries));
  for (auto& [user, words] : own) out->own.emplace(user, std::make_shared<const Lexicon>(std::move(words)));
  return out;
}

}  // namespace

// ---- SearchIndex ----

// Hands freed heap pages back to the system after the in-memory index was (re)built from many
// documents: their folded forms were transient, and without this the process keeps their RSS.
static void release_heap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

static constexpr std::size_t kTrimAfter = 10000;  // changed documents at a commit worth a trim
// A commit that put Options::compact_after documents or more, and at least half of those the
// index holds (a first scan, a rebuild after a layout change), compacts the database afterwards:
// Xapian's B-tree blocks are about half full after a bulk load and full after compaction, which
// halves the index on disk for a few percent of the build's time.

// Xapian writes without fsync (DB_NO_SYNC), so the automatic flushes of a bulk load do not
// wait for the disk; commit() makes the result durable by syncing the files itself.
static void sync_dir(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fsync(fd);
    ::close(fd);
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

static constexpr int kWriteFlags = Xapian::DB_CREATE_OR_OPEN | Xapian::DB_NO_SYNC;

struct SearchIndex::Impl {
  std::string dir;
  bool temporary = false;
  SearchIndex::Options options;
  std::mutex write_mu;
  Xapian::WritableDatabase wdb;
  std::unique_ptr<Readers> readers;
  std::shared_ptr<const Lexicons> lexicons;  // std::atomic_load/store
  // The in-memory index: the published per-kind snapshots, and (writer side, under write_mu)
  // the documents put or removed since the last commit, folded; a commit rebuilds a changed
  // kind from its snapshot and these.
  std::array<KindIndex::Changes, kKindCount> pending;
  Xapian::doccount committed_docs = 0;  // documents at the last commit (or open)

  // The Xapian document of a document, 0 if it has none: documents are replaced and deleted by
  // their Xapian id, which the pending changes and the published in-memory index hold (an id
  // term per document was 14 % of the index on disk).
  Xapian::docid docid_of(Kind kind, const std::string& id) const {
    const auto& changes = pending[static_cast<std::size_t>(kind)];
    auto it = changes.find(id);
    if (it != changes.end()) return it->second ? it->second->docid : 0;  // put or removed since the commit
    const auto& published = memory[static_cast<std::size_t>(kind)];
    return published ? published->docid_of(id) : 0;
  }
  std::array<std::shared_ptr<const KindIndex>, kKindCount> memory;  // std::atomic_load/store

  void publish_memory() {
    std::size_t changed = 0;
    for (int k = 0; k < kKindCount; ++k) {
      auto& changes = pending[static_cast<std::size_t>(k)];
      auto& snapshot = memory[static_cast<std::size_t>(k)];
      if (changes.empty() && snapshot) continue;
      changed += changes.size();
      auto old = std::atomic_load(&snapshot);
      std::atomic_store(&snapshot, KindIndex::rebuild(static_cast<Kind>(k), old.get(), changes));
      changes = KindIndex::Changes();
    }
    if (changed >= kTrimAfter) release_heap();
  }

  // The in-memory index of every kind, from the stored records; one kind's documents are
  // held folded at a time.
  void load_memory() {
    for (int k = 0; k < kKindCount; ++k) {
      const std::string term = std::string(layout::kKind) + layout::kind_letter(k);
      std::vector<FoldedDoc> docs;
      docs.reserve(wdb.get_termfreq(term));
      for (auto it = wdb.postlist_begin(term); it != wdb.postlist_end(term); ++it) {
        FoldedDoc f;
        if (decode_record(wdb.get_document(*it, Xapian::DOC_ASSUME_VALID).get_data(), &f)) {
          f.docid = *it;
          docs.push_back(std::move(f));
        } else {
          wdb.delete_document(*it);  // not of this layout: it could never be replaced
        }
      }
      std::vector<const FoldedDoc*> ptrs;
      ptrs.reserve(docs.size());
      for (const auto& f : docs) ptrs.push_back(&f);
      std::atomic_store(&memory[static_cast<std::size_t>(k)], KindIndex::build(static_cast<Kind>(k), ptrs));
    }
    release_heap();
  }

  // Replaces the (committed) database by a compacted copy: written next to it, synced, then
  // swapped in by two renames; readers open the new one afresh. A crash between the renames
  // leaves no index, which the next start rebuilds (it is derived data).
  // A failure leaves the uncompacted database in place (the commit itself already succeeded).
  void compact() {
    const std::string fresh = dir + ".compact", old = dir + ".old";
    std::error_code ec;
    fs::remove_all(fresh, ec);
    fs::remove_all(old, ec);
    try {
      Xapian::Database(dir).compact(fresh, Xapian::DBCOMPACT_NO_RENUMBER);
      sync_dir(fresh);
    } catch (const Xapian::Error&) {
      fs::remove_all(fresh, ec);
      return;
    }
    wdb.close();
    readers->replaced();  // a reader opening or retrying from now on opens afresh
    bool swapped = false;
    fs::rename(dir, old, ec);
    if (!ec) {
      fs::rename(fresh, dir, ec);
      if (!ec) swapped = true;
      else fs::rename(old, dir, ec);  // put the original back
    }
    if (swapped) fs::remove_all(old, ec);
    fs::remove_all(fresh, ec);
    wdb = Xapian::WritableDatabase(dir, kWriteFlags);
    readers->replaced();
  }

  ~Impl() {
    try {
      wdb.close();
    } catch (...) {
    }
    if (temporary) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }
};

SearchIndex::SearchIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SearchIndex::~SearchIndex() = default;

Result<std::unique_ptr<SearchIndex>> SearchIndex::open(const std::string& dir, Options options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    if (dir.empty()) {
      std::string tmpl = (fs::temp_directory_path() / "segue-search-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) return Error::internal("search: cannot create a temporary directory");
      impl->dir = tmpl;
      impl->temporary = true;
    } else {
      impl->dir = dir;
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) return Error::internal("search: cannot create " + dir + ": " + ec.message());
    }
    // Xapian buffers changes in maps of terms and flushes them every N changed documents. At
    // 100,000 (layout 4) a bulk load spent more CPU in those maps' lookups than at 20,000 (100k
    // tracks: 26 vs 22 s), and held twice the memory; commit() still flushes everything.
    ::setenv("XAPIAN_FLUSH_THRESHOLD", "20000", 0);
    impl->wdb = Xapian::WritableDatabase(impl->dir, kWriteFlags);
    if (impl->wdb.get_doccount() > 0 &&
        impl->wdb.get_metadata(layout::kLayoutKey) != layout::kLayoutVersion) {
      impl->wdb.close();
      fs::remove_all(impl->dir);
      fs::create_directories(impl->dir);
      impl->wdb = Xapian::WritableDatabase(impl->dir, kWriteFlags);
    }
    impl->wdb.set_metadata(layout::kLayoutKey, layout::kLayoutVersion);
    impl->wdb.commit();
    sync_dir(impl->dir);
    impl->committed_docs = impl->wdb.get_doccount();
    impl->readers = std::make_unique<Readers>(impl->dir);
    std::atomic_store(&impl->lexicons, build_lexicons(impl->wdb));
    impl->load_memory();
  } catch (const Xapian::Error& e) {
    return Error::internal("search: cannot open the index in " + dir + ": " + e.get_description());
  } catch (const fs::filesystem_error& e) {
    return Error::internal(std::string("search: ") + e.what());
  }
  return std::unique_ptr<SearchIndex>(new SearchIndex(std::move(impl)));
}

Status SearchIndex::put(const std::vector<Document>& docs) {
  for (const auto& d : docs)
    if (d.id.empty()) return Error::invalid("search: a document without an id");
  std::lock_guard lock(impl_->write_mu);
  try {
    for (const auto& d : docs) {
      SplitDoc s = split_document(d);
      FoldedDoc f = fold_document(d, s);
      auto& pending = impl_->pending[static_cast<std::size_t>(d.kind)];
      f.docid = impl_->docid_of(d.kind, d.id);
      if (f.docid) impl_->wdb.replace_document(f.docid, make_doc(d, s, f));
      else f.docid = impl_->wdb.add_document(make_doc(d, s, f));
      pending.insert_or_assign(d.id, std::move(f));
    }
  } catch (const Xapian::Error& e) {
    return Error::internal("search: " + e.get_description());
  }
  return {};
}

Status SearchIndex::remove(const std::vector<std::pair<Kind, std::string>>& keys) {
  std::lock_guard lock(impl_->write_mu);
  try {
    for (const auto& [kind, id] : keys) {
      if (Xapian::docid did = impl_->docid_of(kind, id)) impl_->wdb.delete_document(did);
      impl_->pending[static_cast<std::size_t>(kind)].insert_or_assign(id, std::nullopt);
    }
  } catch (const Xapian::Error& e) {
    return Error::internal("search: " + e.get_description());
  }
  return {};
}

Status SearchIndex::commit() {
  std::lock_guard lock(impl_->write_mu);
  try {
    std::size_t put = 0;
    for (const auto& changes : impl_->pending)
      for (const auto& [id, f] : changes) put += f.has_value();
    {
      std::unique_lock commit_lock(impl_->readers->commit_mutex());
      impl_->wdb.commit();
      sync_dir(impl_->dir);
      impl_->committed_docs = impl_->wdb.get_doccount();
      if (put >= impl_->options.compact_after && put * 2 >= impl_->committed_docs) impl_->compact();
      impl_->readers->bump();
    }
    std::atomic_store(&impl_->lexicons, build_lexicons(impl_->wdb));
    impl_->publish_memory();
  } catch (const Xapian::Error& e) {
    return Error::internal("search: commit failed: " + e.get_description());
  } catch (const fs::filesystem_error& e) {
    return Error::internal(std::string("search: commit failed: ") + e.what());
  }
  return {};
}

Result<std::unordered_map<std::string, uint64_t>> SearchIndex::signatures() const {
  std::unordered_map<std::string, uint64_t> out;
  try {
    with_reader(*impl_->readers, [&](Xapian::Database& db) {
      out.clear();
      out.reserve(db.get_doccount());
      for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
        const std::string data = db.get_document(*it, Xapian::DOC_ASSUME_VALID).get_data();
        Reader rd{data};
        Kind kind;
        std::string_view id;
        uint64_t sig = 0;
        if (decode_head(rd, &kind, &id, &sig)) out.emplace(doc_key(kind, id), sig);
      }
      return 0;
    });
  } catch (const Xapian::Error& e) {
    return Error::internal("search: " + e.get_description());
  }
  return out;
}

std::size_t SearchIndex::size() const {
  try {
    return with_reader(*impl_->readers, [](Xapian::Database& db) { return static_cast<std::size_t>(db.get_doccount()); });
  } catch (const Xapian::Error&) {
    return 0;
  }
}

std::shared_ptr<const Lexicon> SearchIndex::lexicon() const {
  auto set = std::atomic_load(&impl_->lexicons);
  // Aliasing: the lexicon keeps its set alive.
  return std::shared_ptr<const Lexicon>(set, set->shared.get());
}

std::shared_ptr<const Lexicon> SearchIndex::private_lexicon(const std::string& viewer) const {
  if (viewer.empty()) return nullptr;
  auto set = std::atomic_load(&impl_->lexicons);
  auto it = set->own.find(viewer);
  return it == set->own.end() ? nullptr : it->second;
}
std::shared_ptr<const KindIndex> SearchIndex::memory(Kind kind) const {
  return std::atomic_load(&impl_->memory[static_cast<std::size_t>(kind)]);
}
Readers& SearchIndex::readers() const { return *impl_->readers; }

}  // namespace segue::search
