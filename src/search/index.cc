#include "search/index.h"

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
};
thread_local std::unordered_map<uint64_t, ReaderSlot> tl_readers;
}  // namespace

Readers::Readers(std::string dir) : dir_(std::move(dir)), instance_(next_instance.fetch_add(1)) {}

Xapian::Database& Readers::get() {
  uint64_t gen = generation_.load(std::memory_order_acquire);
  ReaderSlot& slot = tl_readers[instance_];
  if (!slot.db) {
    slot.db = std::make_unique<Xapian::Database>(dir_);
    slot.generation = gen;
  } else if (slot.generation != gen) {
    slot.db->reopen();
    slot.generation = gen;
  }
  return *slot.db;
}

void Readers::refresh() noexcept {
  auto it = tl_readers.find(instance_);
  if (it == tl_readers.end() || !it->second.db) return;
  try {
    it->second.db->reopen();
  } catch (...) {
    it->second.db.reset();
  }
}

// ---- documents ----

namespace {

void add_field(Xapian::Document& xd, std::string_view text, Xapian::termcount wdf,
               Xapian::termpos& pos, const char* prefix, std::set<std::string>& all) {
  Words w = split_words(text);
  for (const auto& word : w.words) {
    xd.add_posting(word, pos++, wdf);
    xd.add_term(prefix + word);
    all.insert(word);
  }
  for (const auto& piece : w.pieces) {
    xd.add_term(piece, wdf);
    xd.add_term(prefix + piece);
    all.insert(piece);
  }
  pos += 10;  // no phrase spans two values
}

std::string spaced(const std::vector<std::string>& words, std::size_t from = 0) {
  std::string s;
  for (std::size_t i = from; i < words.size(); ++i) {
    if (!s.empty()) s += ' ';
    s += words[i];
  }
  return s;
}

std::string encode_source(const Document& d);

Xapian::Document make_doc(const Document& d) {
  using namespace layout;
  Xapian::Document xd;
  const std::string key = doc_key(d.kind, d.id);
  xd.set_data(key);
  xd.add_boolean_term(kId + key);
  xd.add_boolean_term(std::string(kKind) + kind_letter(static_cast<int>(d.kind)));

  const char* name_prefix = kTitle;
  switch (d.kind) {
    case Kind::kTrack: name_prefix = kTitle; break;
    case Kind::kAlbum: name_prefix = kAlbum; break;
    case Kind::kArtist: name_prefix = kArtist; break;
    case Kind::kPlaylist: name_prefix = kName; break;
  }
  std::set<std::string> all;
  Xapian::termpos pos = 1;
  add_field(xd, d.name, 3, pos, name_prefix, all);
  {
    // Adjacent name words joined ("TiK ToK" -> "tiktok", "Hot N Cold" -> "hotn", "ncold"), so a
    // query that writes a name as one word still finds it.
    std::vector<std::string> nws = split_words(d.name).words;
    for (std::size_t i = 0; i + 1 < nws.size(); ++i) {
      if (nws[i].size() > 12 || nws[i + 1].size() > 12) continue;
      std::string joined = nws[i] + nws[i + 1];
      xd.add_term(joined, 1);
      xd.add_term(name_prefix + joined);
      all.insert(joined);
    }
  }
  if (d.kind == Kind::kTrack && !d.album.empty()) add_field(xd, d.album, 2, pos, kAlbum, all);
  for (const auto& a : d.artists) add_field(xd, a, 1, pos, kArtist, all);
  if (!d.description.empty()) add_field(xd, d.description, 1, pos, kDescription, all);
  for (const auto& g : d.genres) {
    for (const auto& word : split_words(g).words) xd.add_boolean_term(kGenre + word);
    std::string gk = name_key(g);
    if (!gk.empty()) xd.add_boolean_term(kGenre + gk);
  }
  if (d.year > 0) {
    xd.add_boolean_term(kYear + std::to_string(d.year));
    xd.add_value(kYearSlot, Xapian::sortable_serialise(d.year));
  }
  Words nw = split_words(d.name);
  std::size_t first = (nw.words.size() > 1 && nw.words[0] == "the") ? 1 : 0;
  std::string nk = name_key(d.name);
  if (!nk.empty()) xd.add_term(kExact + nk);  // wdf 1: these terms carry weight
  if (first < nw.words.size()) xd.add_term(kBegins + nw.words[first]);
  std::string_view base = base_name(d.name);
  Words bw = split_words(base);
  std::size_t bfirst = (bw.words.size() > 1 && bw.words[0] == "the") ? 1 : 0;
  std::string bk = name_key(base);
  if (!bk.empty() && bk != nk) xd.add_term(kExact + bk);
  xd.add_value(kBaseWords, spaced(bw.words, bfirst));
  if (d.kind == Kind::kPlaylist) {
    if (d.is_public) xd.add_boolean_term(kPublic);
    for (const auto& m : d.members) xd.add_boolean_term(kMember + m);
  }
  xd.add_value(kPopularity, Xapian::sortable_serialise(std::clamp(d.popularity, 0, 100)));
  uint64_t sig = d.signature();
  std::string sig_bytes(8, '\0');
  for (int i = 0; i < 8; ++i) sig_bytes[static_cast<std::size_t>(i)] = static_cast<char>((sig >> (8 * i)) & 0xff);
  xd.add_value(kSignature, sig_bytes);
  xd.add_value(kNameWords, spaced(nw.words, first));
  std::string all_words;
  for (const auto& w : all) {
    if (!all_words.empty()) all_words += ' ';
    all_words += w;
  }
  xd.add_value(kAllWords, all_words);
  xd.add_value(kKey, key);
  xd.add_value(kSource, encode_source(d));
  return xd;
}

// The fields a Document is rebuilt from at open (for the in-memory index): \x1f between
// fields, \x1e between list items; those bytes are removed from the values.
std::string clean(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    if (c == '\x1f' || c == '\x1e') c = ' ';
  return out;
}

std::string encode_source(const Document& d) {
  std::string s = clean(d.name);
  s += '\x1f';
  s += clean(d.album);
  s += '\x1f';
  for (std::size_t i = 0; i < d.artists.size(); ++i) {
    if (i) s += '\x1e';
    s += clean(d.artists[i]);
  }
  s += '\x1f';
  s += std::to_string(d.popularity);
  s += '\x1f';
  s += d.is_public ? '1' : '0';
  s += '\x1f';
  for (std::size_t i = 0; i < d.members.size(); ++i) {
    if (i) s += '\x1e';
    s += clean(d.members[i]);
  }
  if (!d.description.empty()) {
    s += '\x1f';
    s += clean(d.description);
  }
  return s;
}

std::vector<std::string> split_on(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    std::size_t e = s.find(sep, pos);
    out.emplace_back(s.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos));
    if (e == std::string_view::npos) break;
    pos = e + 1;
  }
  return out;
}

bool decode_source(const std::string& key, const std::string& src, Document* d) {
  auto colon = key.find(':');
  if (colon == std::string::npos || !parse_kind(std::string_view(key).substr(0, colon), &d->kind)) return false;
  d->id = key.substr(colon + 1);
  auto f = split_on(src, '\x1f');
  if (f.size() != 6 && f.size() != 7) return false;  // 7: with a playlist description
  d->name = f[0];
  d->album = f[1];
  if (!f[2].empty()) d->artists = split_on(f[2], '\x1e');
  d->popularity = std::atoi(f[3].c_str());
  d->is_public = f[4] == "1";
  if (!f[5].empty()) d->members = split_on(f[5], '\x1e');
  if (f.size() == 7) d->description = f[6];
  return true;
}

uint64_t decode_sig(const std::string& b) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < b.size(); ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(b[i])) << (8 * i);
  return v;
}

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

struct SearchIndex::Impl {
  std::string dir;
  bool temporary = false;
  std::mutex write_mu;
  Xapian::WritableDatabase wdb;
  std::unique_ptr<Readers> readers;
  std::shared_ptr<const Lexicons> lexicons;  // std::atomic_load/store
  // The in-memory index: folded documents by id per kind (writer side, under write_mu), the
  // kinds changed since the last commit, and the published per-kind snapshots.
  std::array<std::unordered_map<std::string, FoldedDoc>, kKindCount> folded;
  std::array<bool, kKindCount> dirty{};
  std::array<std::shared_ptr<const KindIndex>, kKindCount> memory;  // std::atomic_load/store

  void publish_memory() {
    for (int k = 0; k < kKindCount; ++k) {
      if (!dirty[static_cast<std::size_t>(k)] && memory[static_cast<std::size_t>(k)]) continue;
      std::vector<const FoldedDoc*> docs;
      docs.reserve(folded[static_cast<std::size_t>(k)].size());
      for (const auto& [id, f] : folded[static_cast<std::size_t>(k)]) docs.push_back(&f);
      std::atomic_store(&memory[static_cast<std::size_t>(k)], KindIndex::build(static_cast<Kind>(k), docs));
      dirty[static_cast<std::size_t>(k)] = false;
    }
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

Result<std::unique_ptr<SearchIndex>> SearchIndex::open(const std::string& dir) {
  auto impl = std::make_unique<Impl>();
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
    // Bulk loads (a first scan of a large library) flush every 100,000 changed documents
    // rather than Xapian's default 10,000; commit() still flushes everything.
    ::setenv("XAPIAN_FLUSH_THRESHOLD", "100000", 0);
    impl->wdb = Xapian::WritableDatabase(impl->dir, Xapian::DB_CREATE_OR_OPEN);
    if (impl->wdb.get_doccount() > 0 &&
        impl->wdb.get_metadata(layout::kLayoutKey) != layout::kLayoutVersion) {
      impl->wdb.close();
      fs::remove_all(impl->dir);
      fs::create_directories(impl->dir);
      impl->wdb = Xapian::WritableDatabase(impl->dir, Xapian::DB_CREATE_OR_OPEN);
    }
    impl->wdb.set_metadata(layout::kLayoutKey, layout::kLayoutVersion);
    impl->wdb.commit();
    impl->readers = std::make_unique<Readers>(impl->dir);
    std::atomic_store(&impl->lexicons, build_lexicons(impl->wdb));
    {
      // Reload the in-memory index from the documents' source fields.
      auto keys = impl->wdb.valuestream_begin(layout::kKey);
      auto srcs = impl->wdb.valuestream_begin(layout::kSource);
      for (; keys != impl->wdb.valuestream_end(layout::kKey); ++keys) {
        srcs.skip_to(keys.get_docid());
        if (srcs == impl->wdb.valuestream_end(layout::kSource) || srcs.get_docid() != keys.get_docid()) continue;
        Document d;
        if (!decode_source(*keys, *srcs, &d)) continue;
        impl->folded[static_cast<std::size_t>(d.kind)].emplace(d.id, fold_document(d));
      }
      impl->publish_memory();
    }
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
      impl_->wdb.replace_document(layout::kId + doc_key(d.kind, d.id), make_doc(d));
      impl_->folded[static_cast<std::size_t>(d.kind)].insert_or_assign(d.id, fold_document(d));
      impl_->dirty[static_cast<std::size_t>(d.kind)] = true;
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
      impl_->wdb.delete_document(layout::kId + doc_key(kind, id));
      if (impl_->folded[static_cast<std::size_t>(kind)].erase(id)) impl_->dirty[static_cast<std::size_t>(kind)] = true;
    }
  } catch (const Xapian::Error& e) {
    return Error::internal("search: " + e.get_description());
  }
  return {};
}

Status SearchIndex::commit() {
  std::lock_guard lock(impl_->write_mu);
  try {
    {
      std::unique_lock commit_lock(impl_->readers->commit_mutex());
      impl_->wdb.commit();
      impl_->readers->bump();
    }
    std::atomic_store(&impl_->lexicons, build_lexicons(impl_->wdb));
    impl_->publish_memory();
  } catch (const Xapian::Error& e) {
    return Error::internal("search: commit failed: " + e.get_description());
  }
  return {};
}

Result<std::unordered_map<std::string, uint64_t>> SearchIndex::signatures() const {
  std::unordered_map<std::string, uint64_t> out;
  try {
    with_reader(*impl_->readers, [&](Xapian::Database& db) {
      out.clear();
      out.reserve(db.get_doccount());
      auto keys = db.valuestream_begin(layout::kKey);
      auto sigs = db.valuestream_begin(layout::kSignature);
      for (; keys != db.valuestream_end(layout::kKey); ++keys) {
        sigs.skip_to(keys.get_docid());
        uint64_t sig = (sigs != db.valuestream_end(layout::kSignature) && sigs.get_docid() == keys.get_docid())
                           ? decode_sig(*sigs)
                           : 0;
        out.emplace(*keys, sig);
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
