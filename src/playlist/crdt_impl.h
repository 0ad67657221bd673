// Internal to the sequence CRDT (crdt.cc, crdt_codec.cc): the state behind Sequence.
//
// Storage is struct-of-arrays indexed by a dense uint32 "slot" number. A slot is a place in
// the list made by an insert (it carries the entry) or by a move (it points at the entry it
// moves). Slots are never deleted; the list of all slots is kept in an order-statistic B+ tree
// whose leaves hold slot numbers and whose nodes count the visible slots below them. A slot is
// visible when its entry is not removed and the slot is the entry's winning slot.
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
inline constexpr uint32_t kRemoveBit = 0x80000000u;   // index refs: remove ops
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
  T& operator[](std::size_t i) { return v_[i]; }
  const T& operator[](std::size_t i) const { return v_[i]; }
  std::size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  std::size_t capacity() const { return v_.capacity(); }
  void reserve(std::size_t n) { v_.reserve(n); }
  void clear() { v_.clear(); }
  void shrink_to_fit() { v_.shrink_to_fit(); }
  template <typename... A>
  void assign(A&&... a) { v_.assign(std::forward<A>(a)...); }
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

// Lamport clocks as 16-bit differences from the first clock of their block of 64 (ids
// are appended in arrival order, so a block's clocks are close); a difference that does not
// fit is kept in a side table.
class Lamports {
 public:
  void push_back(uint64_t x) {
    std::size_t i = lo_.size();
    if (i % kBlock == 0) base_.push_back(x);
    int64_t d = static_cast<int64_t>(x - base_[i / kBlock]);
    if (d <= -kFar || d >= kFar) {
      big_.emplace(static_cast<uint32_t>(i), x);
      lo_.push_back(static_cast<int16_t>(-kFar));
    } else {
      lo_.push_back(static_cast<int16_t>(d));
    }
  }
  uint64_t operator[](std::size_t i) const {
    int16_t d = lo_[i];
    if (d == -kFar) return big_.at(static_cast<uint32_t>(i));
    return base_[i / kBlock] + static_cast<uint64_t>(static_cast<int64_t>(d));
  }
  std::size_t size() const { return lo_.size(); }
  bool empty() const { return lo_.empty(); }
  void reserve(std::size_t n) {
    lo_.reserve(n);
    base_.reserve((n + kBlock - 1) / kBlock);
  }
  std::size_t memory_bytes() const {
    return lo_.capacity() * 2 + base_.capacity() * 8 + big_.bucket_count() * sizeof(void*) +
           big_.size() * 32;
  }

 private:
  static constexpr std::size_t kBlock = 64;
  static constexpr int64_t kFar = 32768;
  Vec<int16_t> lo_;
  Vec<uint64_t> base_;
  std::unordered_map<uint32_t, uint64_t> big_;
};

// Replica numbers in 8 bits; the rare number >= 255 is kept in a side table.
class ReplicaNos {
 public:
  void push_back(uint32_t x) {
    if (x >= kBig) big_.emplace(static_cast<uint32_t>(lo_.size()), x);
    lo_.push_back(x >= kBig ? kBig : static_cast<uint8_t>(x));
  }
  uint32_t operator[](std::size_t i) const {
    uint8_t v = lo_[i];
    return v == kBig ? big_.at(static_cast<uint32_t>(i)) : v;
  }
  std::size_t size() const { return lo_.size(); }
  void reserve(std::size_t n) { lo_.reserve(n); }
  void shrink_to_fit() { lo_.shrink_to_fit(); }
  std::size_t memory_bytes() const {
    return lo_.capacity() + big_.bucket_count() * sizeof(void*) + big_.size() * 32;
  }

 private:
  static constexpr uint8_t kBig = 0xFF;
  Vec<uint8_t> lo_;
  std::unordered_map<uint32_t, uint32_t> big_;
};

// Open-addressing map uint32 -> uint32 (keys != kNone, no erase): the exceptions of the
// compact per-slot arrays below.
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
  // Sets an existing key; returns false if absent.
  bool update(uint32_t k, uint32_t v) {
    if (cells_.empty()) return false;
    std::size_t mask = cells_.size() - 1;
    for (std::size_t c = mix64(k) & mask; cells_[c].key != kNone; c = (c + 1) & mask)
      if (cells_[c].key == k) {
        cells_[c].value = v;
        return true;
      }
    return false;
  }
  void put(uint32_t k, uint32_t v) {
    if (update(k, v)) return;
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

// A per-slot uint32 that is usually its own index (an insert slot is its entry's winning
// slot until a move wins): only the exceptions are stored. An exception reset to the index
// stays in the table (cheap, rare).
class SelfOrMap {
 public:
  void push_back(uint32_t v) {
    uint32_t i = static_cast<uint32_t>(size_++);
    if (v != i) map_.put(i, v);
  }
  uint32_t operator[](std::size_t i) const {
    uint32_t v = map_.get(static_cast<uint32_t>(i));
    return v == kNone ? static_cast<uint32_t>(i) : v;
  }
  void set(std::size_t i, uint32_t v) {
    if (!map_.update(static_cast<uint32_t>(i), v) && v != i) map_.put(static_cast<uint32_t>(i), v);
  }
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return map_.memory_bytes(); }

 private:
  U32Map map_;
  std::size_t size_ = 0;
};

// A per-slot origin (an earlier slot, or kNone) as a 16-bit distance back from the slot
// (0: kNone); distances >= 0xFFFF are kept in a side table.
class Origins {
 public:
  void push_back(uint32_t v) {
    lo_.push_back(0);
    set(lo_.size() - 1, v);
  }
  uint32_t operator[](std::size_t i) const {
    uint16_t d = lo_[i];
    if (d == 0) return kNone;
    if (d == kFar) return map_.get(static_cast<uint32_t>(i));
    return static_cast<uint32_t>(i - d);
  }
  void set(std::size_t i, uint32_t v) {
    if (v == kNone) {
      lo_[i] = 0;
    } else if (v < i && i - v < kFar) {
      lo_[i] = static_cast<uint16_t>(i - v);
    } else {
      lo_[i] = kFar;
      map_.put(static_cast<uint32_t>(i), v);
    }
  }
  std::size_t size() const { return lo_.size(); }
  void reserve(std::size_t n) { lo_.reserve(n); }
  std::size_t memory_bytes() const { return lo_.capacity() * 2 + map_.memory_bytes(); }

 private:
  static constexpr uint16_t kFar = 0xFFFF;
  Vec<uint16_t> lo_;
  U32Map map_;
};

// Order-statistic B+ tree over slot numbers. Leaves are chained left to right; leaf 0 is
// always the first leaf (splits move the upper half into a new leaf on the right).
class SlotTree {
 public:
  static constexpr int kLeafCap = 64;
  static constexpr int kFan = 32;

  SlotTree() { clear(); }
  void clear();

  // Per-slot arrays that the tree maintains (indexed by slot): the leaf holding the slot and
  // whether it is visible. Grown by add_slot().
  void add_slot() {
    leaf_of_.push_back(kNone);
    vis_.push_back(0);
  }
  void reserve(std::size_t n) {
    leaf_of_.reserve(n);
    vis_.reserve(n);
  }

  uint32_t visible() const { return node_vis(root_, root_is_leaf_); }
  bool is_visible(uint32_t s) const { return vis_[s] != 0; }
  // Inserts slot `s` (invisible) right after `prev` (kNone: at the front).
  void insert_after(uint32_t prev, uint32_t s);
  // Appends slot `s` (invisible) at the end (bulk loading).
  void push_back(uint32_t s);
  void set_visible(uint32_t s, bool v);
  uint32_t first() const { return leaves_[0].n ? leaves_[0].slots[0] : kNone; }
  uint32_t next(uint32_t s) const;
  uint32_t find_visible(std::size_t pos) const;  // pos < visible()
  std::size_t visible_index(uint32_t s) const;   // visible slots before s
  template <typename F>
  void for_each(F&& f) const {
    for (uint32_t l = 0; l != kNone; l = leaves_[l].next)
      for (int i = 0; i < leaves_[l].n; ++i) f(leaves_[l].slots[i]);
  }
  std::size_t memory_bytes() const {
    return leaves_.capacity() * sizeof(Leaf) + inners_.capacity() * sizeof(Inner) +
           leaf_of_.capacity() * 4 + vis_.capacity();
  }

 private:
  struct Leaf {
    uint32_t parent = kNone;
    uint32_t next = kNone;
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
  Vec<uint8_t> vis_;
  uint32_t root_ = 0;
  bool root_is_leaf_ = true;
  uint32_t last_leaf_ = 0;
};

// Open-addressing hash index OpId -> ref (a slot number, or kRemoveBit | remove number). The
// keys are not stored: they are read back from the state's arrays through `key_of`. The
// table size is not a power of two (the hash is mapped by a multiply-shift) so that it grows
// by a quarter at 80 % load instead of doubling at 70 %: 1.25 to 1.6 cells per id.
class IdIndex {
 public:
  template <typename KeyOf>
  uint32_t find(const OpId& id, const KeyOf& key_of) const {
    if (table_.empty()) return kNone;
    for (std::size_t i = home(id);; i = i + 1 == table_.size() ? 0 : i + 1) {
      uint32_t r = table_[i];
      if (r == kNone) return kNone;
      if (key_of(r) == id) return r;
    }
  }
  template <typename KeyOf>
  void insert(const OpId& id, uint32_t ref, const KeyOf& key_of) {
    if ((count_ + 1) * 5 > table_.size() * 4) grow(key_of, table_.size() + table_.size() / 4 + 64);
    place(id, ref);
    ++count_;
  }
  template <typename KeyOf>
  void reserve(std::size_t n, const KeyOf& key_of) {
    std::size_t size = n + n / 4 + n / 8 + 64;
    if (size > table_.size()) grow(key_of, size);
  }
  std::size_t memory_bytes() const { return table_.capacity() * 4; }

 private:
  std::size_t home(const OpId& id) const {
    return static_cast<std::size_t>(
        (static_cast<unsigned __int128>(hash_id(id.lamport, id.replica)) * table_.size()) >> 64);
  }
  void place(const OpId& id, uint32_t ref) {
    std::size_t i = home(id);
    while (table_[i] != kNone) i = i + 1 == table_.size() ? 0 : i + 1;
    table_[i] = ref;
  }
  template <typename KeyOf>
  void grow(const KeyOf& key_of, std::size_t size) {
    std::vector<uint32_t> old;
    old.swap(table_);
    table_.assign(size, kNone);
    for (uint32_t r : old)
      if (r != kNone) place(key_of(r), r);
  }
  std::vector<uint32_t> table_;
  std::size_t count_ = 0;
};

}  // namespace segue::playlist::detail

namespace segue::playlist {

struct Sequence::Impl {
  explicit Impl(ReplicaId l) : local(l) {}

  ReplicaId local;
  // Replica table: ids are stored as (lamport, replica number).
  std::vector<ReplicaId> replicas;
  std::unordered_map<ReplicaId, uint32_t> replica_no;

  // ---- slots ----
  detail::Lamports s_lamport;
  detail::ReplicaNos s_replica;
  detail::Origins s_left;   // left origin slot (kNone: the start)
  detail::Origins s_right;  // right origin slot (kNone: the end)
  // Insert slot: the entry's winning slot. Move slot: the entry (its insert slot).
  detail::SelfOrMap s_aux;
  // Insert slots: the value, in `arena` at s_value_off, or (at most 4 bytes) in the
  // s_value_off cell itself.
  detail::Vec<uint32_t> s_value_off;
  detail::Vec<uint8_t> s_value_len;
  detail::Vec<uint8_t> s_flags;  // kFlagMove, kFlagRemoved (entry removed; insert slots)
  detail::Vec<char> arena;
  static constexpr std::size_t kInlineValue = 4;
  static constexpr uint8_t kFlagMove = 1;
  static constexpr uint8_t kFlagRemoved = 2;

  // ---- remove ops ----
  detail::Lamports r_lamport;
  detail::ReplicaNos r_replica;
  detail::Vec<uint32_t> r_entry;  // the removed entry's insert slot

  detail::SlotTree tree;
  detail::IdIndex index;

  // ---- pending ops (dependencies unknown) ----
  std::unordered_map<OpId, std::vector<Op>, detail::OpIdHash> waiting;  // by missing dependency
  std::unordered_set<OpId, detail::OpIdHash> pending_ids;

  uint64_t max_lamport = 0;
  uint64_t digest_lo = 0, digest_hi = 0;

  // ---- helpers ----
  uint32_t replica_number(ReplicaId r) {
    auto [it, inserted] = replica_no.try_emplace(r, static_cast<uint32_t>(replicas.size()));
    if (inserted) replicas.push_back(r);
    return it->second;
  }
  OpId slot_id(uint32_t s) const { return {s_lamport[s], replicas[s_replica[s]]}; }
  OpId remove_id(uint32_t r) const { return {r_lamport[r], replicas[r_replica[r]]}; }
  OpId ref_id(uint32_t ref) const {
    return (ref & detail::kRemoveBit) ? remove_id(ref & ~detail::kRemoveBit) : slot_id(ref);
  }
  uint32_t find(const OpId& id) const {
    return index.find(id, [this](uint32_t r) { return ref_id(r); });
  }
  bool is_move(uint32_t s) const { return s_flags[s] & kFlagMove; }
  uint32_t entry_of(uint32_t s) const { return is_move(s) ? s_aux[s] : s; }
  bool slot_less(uint32_t a, uint32_t b) const {
    if (s_lamport[a] != s_lamport[b]) return s_lamport[a] < s_lamport[b];
    return replicas[s_replica[a]] < replicas[s_replica[b]];
  }
  std::string_view value_of(uint32_t e) const {
    std::size_t n = s_value_len[e];
    if (n <= kInlineValue) return std::string_view(reinterpret_cast<const char*>(&s_value_off[e]), n);
    return std::string_view(arena.data() + s_value_off[e], n);
  }
  void set_value(uint32_t e, std::string_view v) {
    s_value_len[e] = static_cast<uint8_t>(v.size());
    if (v.size() <= kInlineValue) {
      uint32_t cell = 0;
      if (!v.empty()) std::memcpy(&cell, v.data(), v.size());
      s_value_off[e] = cell;
      return;
    }
    s_value_off[e] = static_cast<uint32_t>(arena.size());
    arena.append(v.data(), v.size());
  }
  Entry entry_at_slot(uint32_t s) const {
    uint32_t e = entry_of(s);
    return Entry{slot_id(e), slot_id(s), value_of(e)};
  }
  void add_digest(const OpId& id) {
    digest_lo += detail::hash_id(id.lamport, id.replica);
    digest_hi += detail::mix64(detail::hash_id(id.replica, id.lamport) ^ 0x5851f42d4c957f2dULL);
  }

  // Creates a slot (not yet placed in the tree, invisible). `entry` is kNone for inserts.
  uint32_t new_slot(const OpId& id, uint32_t left, uint32_t right, uint32_t entry,
                    std::string_view value);
  uint32_t new_remove(const OpId& id, uint32_t entry);
  // YATA integration: the slot after which `s` goes.
  uint32_t integrate_position(uint32_t s) const;
  // Makes the entry's winning slot visible or not after a change.
  void refresh_entry(uint32_t e, uint32_t old_winner);

  // Applies one op whose dependencies are known; returns false if they are not (then
  // *missing is set) and an error for an invalid op.
  enum class Outcome { kApplied, kDuplicate, kMissing, kInvalid };
  Outcome try_apply(const Op& op, OpId* missing, std::string* why);
  Status apply(const Op& op);
  void wake(const OpId& id);
  std::size_t memory_bytes() const;
};

}  // namespace segue::playlist
