// Internal to the sequence CRDT (crdt.cc, crdt_codec.cc): the state behind Sequence.
//
// The list is made of *elements*: one per insert op (it carries the entry) and one per move op
// (it points at the entry it moves). Elements are stored in run-length *segments*: a segment is
// a run of elements of one replica with consecutive lamports, where element k > 0 has element
// k - 1 as left origin and all share one right origin (what one replica typing forward makes),
// with one removed flag and values of one byte width packed side by side in an arena. Only the
// first element's left origin and the shared right origin are stored. A segment is split on
// demand (an insert anchored inside it, a remove or a move of part of it); a local run of
// typing extends the segment it continues instead of making a new one. Segments are never
// deleted; their order is kept in an order-statistic B+ tree whose nodes sum the visible
// elements below them, and ids resolve to (segment, offset) through a per-replica ordered index
// of run starts. Remove ops are kept as runs too (consecutive lamports of one replica whose
// entries step by a constant).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "playlist/crdt.h"

namespace segue::playlist::detail {

inline constexpr uint32_t kNone = 0xFFFFFFFFu;
inline constexpr uint32_t kRemoveBit = 0x80000000u;  // index refs: remove runs
inline constexpr uint64_t kMaxLamport = uint64_t{1} << 62;
inline constexpr std::size_t kMaxValue = 255;

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
inline uint64_t hash_id(uint64_t lamport, uint64_t replica) {
  return mix64(lamport * 0x9e3779b97f4a7c15ULL ^ mix64(replica + 0x632be59bd9b4e019ULL));
}

struct OpIdHash {
  std::size_t operator()(const OpId& id) const { return hash_id(id.lamport, id.replica); }
};

// An element id with the replica as its number in the state's replica table; rep == kNone is
// "none" (the start or the end of the list, as an origin).
struct Eid {
  uint32_t rep = kNone;
  uint64_t lam = 0;
  bool none() const { return rep == kNone; }
  friend bool operator==(const Eid&, const Eid&) = default;
};

// A std::vector that grows by an eighth instead of doubling (at most ~12 % spare capacity;
// about 8 copies per element over the whole growth, cheap for these small trivial types).
template <typename T>
class Vec {
 public:
  void push_back(const T& x) {
    if (v_.size() == v_.capacity()) v_.reserve(v_.capacity() + v_.capacity() / 8 + 16);
    v_.push_back(x);
  }
  template <typename... A>
  T& emplace_back(A&&... a) {
    if (v_.size() == v_.capacity()) v_.reserve(v_.capacity() + v_.capacity() / 8 + 16);
    return v_.emplace_back(std::forward<A>(a)...);
  }
  template <typename... A>
  void assign(A&&... a) { v_.assign(std::forward<A>(a)...); }
  void clear() { v_.clear(); }
  T& operator[](std::size_t i) { return v_[i]; }
  const T& operator[](std::size_t i) const { return v_[i]; }
  std::size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  std::size_t capacity() const { return v_.capacity(); }
  void reserve(std::size_t n) { v_.reserve(n); }
  T& back() { return v_.back(); }
  const T* data() const { return v_.data(); }
  void append(const T* p, std::size_t n) {
    if (v_.size() + n > v_.capacity()) v_.reserve(v_.capacity() + v_.capacity() / 8 + n + 16);
    v_.insert(v_.end(), p, p + n);
  }
  auto begin() const { return v_.begin(); }
  auto end() const { return v_.end(); }

 private:
  std::vector<T> v_;
};

// Open-addressing map uint32 -> uint32 (keys != kNone, no erase): the move links.
class U32Map {
 public:
  // kNone when absent.
  uint32_t get(uint32_t k) const {
    if (cells_.empty()) return kNone;
    std::size_t mask = cells_.size() - 1;
    for (std::size_t c = mix64(k) & mask;; c = (c + 1) & mask) {
      if (cells_[c].key == kNone) return kNone;
      if (cells_[c].key == k) return cells_[c].value;
    }
  }
  void put(uint32_t k, uint32_t v) {
    if (!cells_.empty()) {
      std::size_t mask = cells_.size() - 1;
      for (std::size_t c = mix64(k) & mask; cells_[c].key != kNone; c = (c + 1) & mask)
        if (cells_[c].key == k) {
          cells_[c].value = v;
          return;
        }
    }
    if ((count_ + 1) * 10 > cells_.size() * 7) grow();
    place(k, v);
    ++count_;
  }
  std::size_t memory_bytes() const { return cells_.capacity() * sizeof(Cell); }

 private:
  struct Cell {
    uint32_t key = kNone;
    uint32_t value = kNone;
  };
  void place(uint32_t k, uint32_t v) {
    std::size_t mask = cells_.size() - 1;
    std::size_t c = mix64(k) & mask;
    while (cells_[c].key != kNone) c = (c + 1) & mask;
    cells_[c] = Cell{k, v};
  }
  void grow() {
    std::vector<Cell> old;
    old.swap(cells_);
    cells_.assign(old.empty() ? 16 : old.size() * 2, Cell{});
    for (const Cell& c : old)
      if (c.key != kNone) place(c.key, c.value);
  }
  std::vector<Cell> cells_;
  std::size_t count_ = 0;
};

// A run of elements (see the top of this file). 48 bytes.
struct Seg {
  uint64_t lam = 0;        // the first element's lamport; element k has lam + k
  uint64_t left_lam = 0;   // the first element's left origin (left_rep == kNone: the start)
  uint64_t right_lam = 0;  // every element's right origin (right_rep == kNone: the end)
  uint32_t rep = 0;
  uint32_t left_rep = kNone;
  uint32_t right_rep = kNone;
  uint32_t len = 1;
  uint32_t off = 0;   // arena offset of the first value (insert segments)
  uint8_t width = 0;  // bytes per value
  uint8_t flags = 0;  // kSegMove, kSegRemoved, kSegPinned

  Eid left() const { return {left_rep, left_lam}; }
  Eid right() const { return {right_rep, right_lam}; }
  Eid id(uint32_t k) const { return {rep, lam + k}; }
};
inline constexpr uint8_t kSegMove = 1;     // a move element (len 1)
inline constexpr uint8_t kSegRemoved = 2;  // insert elements whose entries are removed
inline constexpr uint8_t kSegPinned = 4;   // an entry some move names (len 1, never merged)

// A run of remove ops: ids (rep, lam + k) remove the entries (target_rep, target_lam + k * step).
struct RemoveRun {
  uint64_t lam = 0;
  uint64_t target_lam = 0;
  int64_t step = 0;
  uint32_t rep = 0;
  uint32_t target_rep = 0;
  uint32_t len = 1;
};

// Order-statistic B+ tree over segment numbers, each weighing its visible elements. Leaves
// are chained both ways; leaf 0 is always the first leaf (splits move the upper half into a new
// leaf on the right). Leaves are never empty once the tree is not.
class SlotTree {
 public:
  static constexpr int kLeafCap = 64;
  static constexpr int kFan = 32;

  SlotTree() { clear(); }
  void clear();

  // Grows the per-segment arrays (leaf, weight) by one segment, not yet in the tree.
  void add_slot() {
    leaf_of_.push_back(kNone);
    weight_.push_back(0);
  }
  void reserve(std::size_t n) {
    leaf_of_.reserve(n);
    weight_.reserve(n);
  }

  uint32_t visible() const { return node_vis(root_, root_is_leaf_); }
  uint32_t weight(uint32_t s) const { return weight_[s]; }
  void set_weight(uint32_t s, uint32_t w);
  // Inserts segment `s` (weight 0) right after `prev` (kNone: at the front).
  void insert_after(uint32_t prev, uint32_t s);
  // Appends segment `s` (weight 0) at the end (bulk loading).
  void push_back(uint32_t s);
  uint32_t first() const { return leaves_[0].n ? leaves_[0].slots[0] : kNone; }
  uint32_t next(uint32_t s) const;
  uint32_t prev(uint32_t s) const;
  // The segment holding visible element `pos` (< visible()), and that element's rank among the
  // segment's visible elements in *offset.
  uint32_t find_visible(std::size_t pos, uint32_t* offset) const;
  std::size_t visible_index(uint32_t s) const;  // visible elements before segment s
  template <typename F>
  void for_each(F&& f) const {
    for (uint32_t l = 0; l != kNone; l = leaves_[l].next)
      for (int i = 0; i < leaves_[l].n; ++i) f(leaves_[l].slots[i]);
  }
  std::size_t memory_bytes() const {
    return leaves_.capacity() * sizeof(Leaf) + inners_.capacity() * sizeof(Inner) +
           leaf_of_.capacity() * 4 + weight_.capacity() * 4;
  }

 private:
  struct Leaf {
    uint32_t parent = kNone;
    uint32_t next = kNone;
    uint32_t prev = kNone;
    uint32_t vis = 0;
    uint16_t n = 0;
    uint32_t slots[kLeafCap];
  };
  struct Inner {
    uint32_t parent = kNone;
    uint32_t vis = 0;
    uint16_t n = 0;
    bool leaf_kids = true;
    uint32_t kids[kFan];
  };
  uint32_t node_vis(uint32_t node, bool leaf) const {
    return leaf ? leaves_[node].vis : inners_[node].vis;
  }
  uint32_t& parent_of(uint32_t node, bool leaf) {
    return leaf ? leaves_[node].parent : inners_[node].parent;
  }
  void insert_in_leaf(uint32_t leaf, int at, uint32_t s);
  // Adds d (modulo 2^32) to the visible count of `leaf` and its ancestors.
  void add_vis(uint32_t leaf, uint32_t d);
  // Inserts `node` (a leaf if `leaf`) into the parent of `left` right after `left`.
  void insert_sibling(uint32_t left, uint32_t node, bool leaf);
  int leaf_offset(uint32_t leaf, uint32_t s) const {
    const Leaf& L = leaves_[leaf];
    for (int i = 0; i < L.n; ++i)
      if (L.slots[i] == s) return i;
    return -1;
  }

  Vec<Leaf> leaves_;
  Vec<Inner> inners_;
  Vec<uint32_t> leaf_of_;
  Vec<uint32_t> weight_;
  uint32_t root_ = 0;
  bool root_is_leaf_ = true;
  uint32_t last_leaf_ = 0;
};

// Per replica, the refs (a segment number, or kRemoveBit | remove run number) ordered by the
// first lamport of their id range; the ranges of one replica never overlap. Keys are not
// stored: `range(ref)` reads (first lamport, length) back from the state. Each replica's list
// is cut into chunks of at most kChunk refs, so an insert moves at most kChunk refs and a
// lookup is two binary searches.
class RunIndex {
 public:
  static constexpr std::size_t kChunk = 512;

  // The ref whose range holds `lam` in replica `rep`'s list, or kNone.
  template <typename Range>
  uint32_t find(uint32_t rep, uint64_t lam, const Range& range) const {
    if (rep >= tables_.size()) return kNone;
    std::size_t c, i;
    if (!last_at_most(tables_[rep], lam, range, &c, &i)) return kNone;
    uint32_t ref = tables_[rep][c][i];
    auto [start, n] = range(ref);
    return lam - start < n ? ref : kNone;
  }
  // Whether some ref of `rep` has an id in [lam, lam + n) (n >= 1).
  template <typename Range>
  bool overlaps(uint32_t rep, uint64_t lam, uint64_t n, const Range& range) const {
    if (rep >= tables_.size()) return false;
    std::size_t c, i;
    if (!last_at_most(tables_[rep], lam + n - 1, range, &c, &i)) return false;
    auto [start, len] = range(tables_[rep][c][i]);
    return start + len > lam;
  }
  // Adds `ref`, whose range overlaps no other of `rep`.
  template <typename Range>
  void insert(uint32_t rep, uint32_t ref, const Range& range) {
    if (rep >= tables_.size()) tables_.resize(rep + 1);
    Table& t = tables_[rep];
    if (t.empty()) t.emplace_back();
    uint64_t key = range(ref).first;
    std::size_t c = 0, i = 0;
    if (last_at_most(t, key, range, &c, &i))
      ++i;
    else
      c = 0, i = 0;
    Chunk& ch = t[c];
    ch.insert(ch.begin() + static_cast<std::ptrdiff_t>(i), ref);
    if (ch.size() > kChunk) {
      Chunk upper(ch.begin() + kChunk / 2, ch.end());
      ch.resize(kChunk / 2);
      ch.shrink_to_fit();
      t.insert(t.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(upper));
    }
  }
  std::size_t memory_bytes() const {
    std::size_t b = tables_.capacity() * sizeof(Table);
    for (const Table& t : tables_) {
      b += t.capacity() * sizeof(Chunk);
      for (const Chunk& c : t) b += c.capacity() * 4;
    }
    return b;
  }

 private:
  using Chunk = std::vector<uint32_t>;
  using Table = std::vector<Chunk>;
  // The last ref with first lamport <= lam: chunk *c, index *i; false if there is none.
  template <typename Range>
  static bool last_at_most(const Table& t, uint64_t lam, const Range& range, std::size_t* c,
                           std::size_t* i) {
    std::size_t lo = 0, hi = t.size();
    while (lo < hi) {
      std::size_t mid = (lo + hi) / 2;
      if (!t[mid].empty() && range(t[mid][0]).first <= lam)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == 0) return false;
    const Chunk& ch = t[lo - 1];
    std::size_t a = 0, b = ch.size();
    while (a < b) {
      std::size_t mid = (a + b) / 2;
      if (range(ch[mid]).first <= lam)
        a = mid + 1;
      else
        b = mid;
    }
    if (a == 0) return false;
    *c = lo - 1;
    *i = a - 1;
    return true;
  }
  std::vector<Table> tables_;
};

}  // namespace segue::playlist::detail

namespace segue::playlist {

struct Sequence::Impl {
  explicit Impl(ReplicaId l) : local(l) {}

  // An element or a remove op found by id: `ref` is a segment number (then `off` is the
  // element's offset in it) or kRemoveBit | remove run number; kNone if unknown.
  struct Loc {
    uint32_t ref = detail::kNone;
    uint32_t off = 0;
    bool found() const { return ref != detail::kNone; }
    bool is_remove() const { return found() && (ref & detail::kRemoveBit); }
  };

  ReplicaId local;
  // Replica table: ids are stored as (lamport, replica number).
  std::vector<ReplicaId> replicas;
  std::unordered_map<ReplicaId, uint32_t> replica_no;
  std::vector<uint64_t> replica_max;  // by replica number: the largest lamport of its ops

  detail::Vec<detail::Seg> segs;
  // Move segment -> its entry's segment; pinned entry segment -> its winning segment (absent:
  // the entry's own segment wins).
  detail::U32Map links;
  detail::Vec<char> arena;  // values of insert segments
  detail::Vec<detail::RemoveRun> removes;
  detail::SlotTree tree;
  detail::RunIndex index;
  uint32_t hint = detail::kNone;  // the segment last found by id (checked before the index)

  // ---- pending ops (dependencies unknown) ----
  std::unordered_map<OpId, std::vector<Op>, detail::OpIdHash> waiting;  // by missing dependency
  std::unordered_set<OpId, detail::OpIdHash> pending_ids;

  std::size_t element_count = 0, remove_count = 0;
  uint64_t max_lamport = 0;
  uint64_t digest_lo = 0, digest_hi = 0;

  // ---- ids ----
  uint32_t replica_number(ReplicaId r) {
    auto [it, inserted] = replica_no.try_emplace(r, static_cast<uint32_t>(replicas.size()));
    if (inserted) {
      replicas.push_back(r);
      replica_max.push_back(0);
    }
    return it->second;
  }
  // kNone-replica Eid for a replica never seen.
  detail::Eid eid(const OpId& id) const {
    auto it = replica_no.find(id.replica);
    return it == replica_no.end() ? detail::Eid{} : detail::Eid{it->second, id.lamport};
  }
  OpId op_id(const detail::Eid& e) const { return {e.lam, replicas[e.rep]}; }
  OpId elem_id(uint32_t s, uint32_t k) const { return op_id(segs[s].id(k)); }
  std::pair<uint64_t, uint64_t> range(uint32_t ref) const {
    if (ref & detail::kRemoveBit) {
      const detail::RemoveRun& r = removes[ref & ~detail::kRemoveBit];
      return {r.lam, r.len};
    }
    return {segs[ref].lam, segs[ref].len};
  }
  Loc locate(const detail::Eid& e) const;
  Loc locate(const OpId& id) const {
    detail::Eid e = eid(id);
    return e.none() ? Loc{} : locate(e);
  }
  // locate() that first tries (and then remembers) the last segment found: typing anchors
  // on the run it is extending.
  Loc locate_hinted(const detail::Eid& e);
  bool id_less(const detail::Eid& a, const detail::Eid& b) const {
    if (a.lam != b.lam) return a.lam < b.lam;
    return replicas[a.rep] < replicas[b.rep];
  }

  // ---- segments ----
  bool is_move(uint32_t s) const { return segs[s].flags & detail::kSegMove; }
  bool is_removed(uint32_t s) const { return segs[s].flags & detail::kSegRemoved; }
  // The entry (an insert segment, pinned) a move segment moves.
  uint32_t entry_of_move(uint32_t m) const { return links.get(m); }
  // The winning segment of a pinned entry segment.
  uint32_t winner(uint32_t e) const {
    uint32_t w = (segs[e].flags & detail::kSegPinned) ? links.get(e) : detail::kNone;
    return w == detail::kNone ? e : w;
  }
  std::string_view value(uint32_t s, uint32_t k) const {
    const detail::Seg& g = segs[s];
    return std::string_view(arena.data() + g.off + std::size_t{k} * g.width, g.width);
  }
  // The element right after element k of segment s in the list (any visibility), as an id.
  detail::Eid next_elem(uint32_t s, uint32_t k) const {
    if (k + 1 < segs[s].len) return segs[s].id(k + 1);
    uint32_t n = tree.next(s);
    return n == detail::kNone ? detail::Eid{} : segs[n].id(0);
  }
  Entry entry_at(uint32_t s, uint32_t k) const {
    if (is_move(s)) {
      uint32_t e = entry_of_move(s);
      return Entry{elem_id(e, 0), elem_id(s, 0), value(e, 0)};
    }
    OpId id = elem_id(s, k);
    return Entry{id, id, value(s, k)};
  }
  // The visible element at `pos`: (segment, offset).
  std::pair<uint32_t, uint32_t> visible_at(std::size_t pos) const {
    uint32_t k = 0;
    uint32_t s = tree.find_visible(pos, &k);
    return {s, k};
  }
  void add_digest(const OpId& id) {
    digest_lo += detail::hash_id(id.lamport, id.replica);
    digest_hi += detail::mix64(detail::hash_id(id.replica, id.lamport) ^ 0x5851f42d4c957f2dULL);
  }
  // Bookkeeping for n new op ids (rep, lam .. lam + n - 1).
  void count_ids(uint32_t rep, uint64_t lam, uint64_t n);

  // Appends a segment (not in the tree, weight 0) and indexes it.
  uint32_t new_segment(const detail::Seg& g);
  // Splits segment s before its element k (0 < k < len): s keeps the elements before, the new
  // segment (returned) the rest, right after s in the list.
  uint32_t split(uint32_t s, uint32_t k);
  // Makes element k of segment s a segment of its own (returned).
  uint32_t isolate(uint32_t s, uint32_t k);
  // Whether b starts where a ends: same kind and replica, consecutive lamports, b's first
  // element anchored on a's last, one right origin.
  bool continues(uint32_t a, uint32_t b) const;
  // Places segment x (new, len 1) by YATA and inserts it into the tree.
  void place(uint32_t x);
  uint32_t integrate_position(uint32_t x, uint32_t sl, uint32_t sr) const;
  // Inserts an element (an insert if !moved, else a move of entry segment `moved`).
  uint32_t add_element(uint32_t rep, uint64_t lam, const detail::Eid& left,
                       const detail::Eid& right, std::string_view value, uint32_t moved);
  // Marks the entry at element k of insert segment s removed (no-op if it is).
  void remove_entry(uint32_t s, uint32_t k);
  // Records a remove op (the entry removal is remove_entry's).
  void record_remove(uint32_t rep, uint64_t lam, const detail::Eid& target);
  // A move of the (pinned) entry segment e by move segment m: the larger id wins.
  void settle_move(uint32_t e, uint32_t m);

  // Applies one op whose dependencies are known; returns false if they are not (then
  // *missing is set) and an error for an invalid op.
  enum class Outcome { kApplied, kDuplicate, kMissing, kInvalid };
  Outcome try_apply(const Op& op, OpId* missing, std::string* why);
  Status apply(const Op& op);
  void wake(const OpId& id);
  std::size_t memory_bytes() const;
};

}  // namespace segue::playlist
