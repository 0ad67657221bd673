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
  // Inserts `node` (a leaf if `leaf`) into the parent of `left` right after `left`.
  void insert_sibling(uint32_t left, uint32_t node, bool leaf);
  int leaf_offset(uint32_t leaf, uint32_t s) const {
    const Leaf& L = leaves_[leaf];
    for (int i = 0; i < L.n; ++i)
      if (L.slots[i] == s) return i;
    return -1;
  }

  std::vector<Leaf> leaves_;
  std::vector<Inner> inners_;
  std::vector<uint32_t> leaf_of_;
  std::vector<uint8_t> vis_;
  uint32_t root_ = 0;
  bool root_is_leaf_ = true;
  uint32_t last_leaf_ = 0;
};

// Open-addressing hash index OpId -> ref (a slot number, or kRemoveBit | remove number). The
// keys are not stored: they are read back from the state's arrays through `key_of`.
class IdIndex {
 public:
  template <typename KeyOf>
  uint32_t find(const OpId& id, const KeyOf& key_of) const {
    if (table_.empty()) return kNone;
    std::size_t mask = table_.size() - 1;
    for (std::size_t i = hash_id(id.lamport, id.replica) & mask;; i = (i + 1) & mask) {
      uint32_t r = table_[i];
      if (r == kNone) return kNone;
      if (key_of(r) == id) return r;
    }
  }
  template <typename KeyOf>
  void insert(const OpId& id, uint32_t ref, const KeyOf& key_of) {
    if ((count_ + 1) * 10 > table_.size() * 7) grow(key_of);
    place(id, ref);
    ++count_;
  }
  template <typename KeyOf>
  void reserve(std::size_t n, const KeyOf& key_of) {
    std::size_t size = table_.empty() ? 64 : table_.size();
    while (n * 10 > size * 7) size *= 2;
    if (size != table_.size()) grow(key_of, size);
  }
  std::size_t memory_bytes() const { return table_.capacity() * 4; }

 private:
  void place(const OpId& id, uint32_t ref) {
    std::size_t mask = table_.size() - 1;
    std::size_t i = hash_id(id.lamport, id.replica) & mask;
    while (table_[i] != kNone) i = (i + 1) & mask;
    table_[i] = ref;
  }
  template <typename KeyOf>
  void grow(const KeyOf& key_of, std::size_t size = 0) {
    std::vector<uint32_t> old;
    old.swap(table_);
    table_.assign(size ? size : old.empty() ? 64 : old.size() * 2, kNone);
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
  std::vector<uint64_t> s_lamport;
  std::vector<uint32_t> s_replica;
  std::vector<uint32_t> s_left;   // left origin slot (kNone: the start)
  std::vector<uint32_t> s_right;  // right origin slot (kNone: the end)
  // Insert slot: the entry's winning slot. Move slot: the entry (its insert slot).
  std::vector<uint32_t> s_aux;
  std::vector<uint32_t> s_value_off;  // insert slots: the value in `arena`
  std::vector<uint8_t> s_value_len;
  std::vector<uint8_t> s_flags;  // kFlagMove, kFlagRemoved (entry removed; insert slots)
  std::string arena;
  static constexpr uint8_t kFlagMove = 1;
  static constexpr uint8_t kFlagRemoved = 2;

  // ---- remove ops ----
  std::vector<uint64_t> r_lamport;
  std::vector<uint32_t> r_replica;
  std::vector<uint32_t> r_entry;  // the removed entry's insert slot

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
    return std::string_view(arena).substr(s_value_off[e], s_value_len[e]);
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
