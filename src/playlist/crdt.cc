// The sequence CRDT: YATA integration over an order-statistic B+ tree of slots. The rules
// are stated in docs/formats/playlist-crdt.md.
#include <algorithm>
#include <cstdio>
#include <utility>

#include "playlist/crdt.h"
#include "playlist/crdt_impl.h"

namespace segue::playlist {
namespace detail {

// ---------------------------------------------------------------- SlotTree

void SlotTree::clear() {
  leaves_.assign(1, Leaf{});
  inners_.clear();
  leaf_of_.clear();
  vis_.clear();
  root_ = 0;
  root_is_leaf_ = true;
  last_leaf_ = 0;
}

void SlotTree::insert_after(uint32_t prev, uint32_t s) {
  if (prev == kNone) {
    insert_in_leaf(0, 0, s);
    return;
  }
  uint32_t leaf = leaf_of_[prev];
  insert_in_leaf(leaf, leaf_offset(leaf, prev) + 1, s);
}

void SlotTree::push_back(uint32_t s) { insert_in_leaf(last_leaf_, leaves_[last_leaf_].n, s); }

void SlotTree::add_vis(uint32_t leaf, uint32_t d) {
  leaves_[leaf].vis += d;
  for (uint32_t p = leaves_[leaf].parent; p != kNone; p = inners_[p].parent) inners_[p].vis += d;
}

void SlotTree::insert_in_leaf(uint32_t leaf, int at, uint32_t s) {
  if (leaves_[leaf].n == kLeafCap && at < kLeafCap && leaves_[leaf].next != kNone &&
      leaves_[leaves_[leaf].next].n + (kLeafCap - at) <= kLeafCap) {
    // The slots after the insert point fit in the next leaf: move them there instead of
    // splitting, so that leaves fill up (a split leaves two partial leaves behind).
    Leaf& L = leaves_[leaf];
    uint32_t nx = L.next;
    Leaf& N = leaves_[nx];
    int tail = L.n - at;
    std::memmove(N.slots + tail, N.slots, sizeof(uint32_t) * N.n);
    uint32_t moved_vis = 0;
    for (int i = 0; i < tail; ++i) {
      uint32_t x = L.slots[at + i];
      N.slots[i] = x;
      leaf_of_[x] = nx;
      moved_vis += vis_[x];
    }
    N.n = static_cast<uint16_t>(N.n + tail);
    L.n = static_cast<uint16_t>(at);
    if (moved_vis) {
      add_vis(leaf, 0u - moved_vis);
      add_vis(nx, moved_vis);
    }
  }
  if (leaves_[leaf].n == kLeafCap && at == kLeafCap && leaves_[leaf].next != kNone &&
      leaves_[leaves_[leaf].next].n < kLeafCap) {
    // After the last slot of a full leaf: the front of the next leaf is the same place.
    leaf = leaves_[leaf].next;
    at = 0;
  }
  if (leaves_[leaf].n == kLeafCap) {
    // Split at the insert point (clamped away from the edges): the slots after it move to a
    // new leaf on the right and the left leaf keeps filling as typing goes on at the cursor;
    // halving instead would leave every leaf behind the cursor half empty. Appending at the
    // very end keeps the full leaf full (sequential typing, bulk loads).
    int mid = at == kLeafCap ? kLeafCap : std::clamp(at, kLeafCap / 8, kLeafCap - kLeafCap / 8);
    uint32_t nl = static_cast<uint32_t>(leaves_.size());
    leaves_.emplace_back();
    Leaf& L = leaves_[leaf];
    Leaf& N = leaves_[nl];
    N.n = static_cast<uint16_t>(L.n - mid);
    uint32_t moved_vis = 0;
    for (int i = 0; i < N.n; ++i) {
      uint32_t x = L.slots[mid + i];
      N.slots[i] = x;
      leaf_of_[x] = nl;
      moved_vis += vis_[x];
    }
    L.n = static_cast<uint16_t>(mid);
    L.vis -= moved_vis;
    N.vis = moved_vis;
    N.next = L.next;
    L.next = nl;
    if (last_leaf_ == leaf) last_leaf_ = nl;
    insert_sibling(leaf, nl, true);
    if (at > mid || mid == kLeafCap) {
      leaf = nl;
      at -= mid;
    }
  }
  Leaf& L = leaves_[leaf];
  std::memmove(L.slots + at + 1, L.slots + at, sizeof(uint32_t) * static_cast<std::size_t>(L.n - at));
  L.slots[at] = s;
  ++L.n;
  leaf_of_[s] = leaf;
}

void SlotTree::insert_sibling(uint32_t left, uint32_t node, bool leaf) {
  if (root_is_leaf_ == leaf && root_ == left) {
    uint32_t r = static_cast<uint32_t>(inners_.size());
    inners_.emplace_back();
    Inner& R = inners_[r];
    R.leaf_kids = leaf;
    R.n = 2;
    R.kids[0] = left;
    R.kids[1] = node;
    R.vis = node_vis(left, leaf) + node_vis(node, leaf);
    parent_of(left, leaf) = r;
    parent_of(node, leaf) = r;
    root_ = r;
    root_is_leaf_ = false;
    return;
  }
  uint32_t p = parent_of(left, leaf);
  int i = 0;
  while (inners_[p].kids[i] != left) ++i;
  if (inners_[p].n < kFan) {
    Inner& P = inners_[p];
    std::memmove(P.kids + i + 2, P.kids + i + 1, sizeof(uint32_t) * static_cast<std::size_t>(P.n - i - 1));
    P.kids[i + 1] = node;
    ++P.n;
    parent_of(node, leaf) = p;
    return;  // the subtree's visible count is unchanged: `node` came out of `left`
  }
  // Split the full inner node, then insert `node` into the proper half.
  uint32_t np = static_cast<uint32_t>(inners_.size());
  inners_.emplace_back();
  Inner& P = inners_[p];
  Inner& N = inners_[np];
  N.leaf_kids = leaf;
  const int half = kFan / 2;
  N.n = static_cast<uint16_t>(P.n - half);
  for (int k = 0; k < N.n; ++k) {
    N.kids[k] = P.kids[half + k];
    parent_of(N.kids[k], leaf) = np;
  }
  P.n = static_cast<uint16_t>(half);
  Inner* T = &P;
  uint32_t tp = p;
  int at = i + 1;
  if (at > half) {
    T = &N;
    tp = np;
    at -= half;
  }
  std::memmove(T->kids + at + 1, T->kids + at, sizeof(uint32_t) * static_cast<std::size_t>(T->n - at));
  T->kids[at] = node;
  ++T->n;
  parent_of(node, leaf) = tp;
  uint32_t total = P.vis;
  P.vis = 0;
  for (int k = 0; k < P.n; ++k) P.vis += node_vis(P.kids[k], leaf);
  N.vis = total - P.vis;
  insert_sibling(p, np, false);
}

void SlotTree::set_visible(uint32_t s, bool v) {
  if ((vis_[s] != 0) == v) return;
  vis_[s] = v ? 1 : 0;
  add_vis(leaf_of_[s], v ? 1u : ~0u);  // +1 or -1 modulo 2^32
}

uint32_t SlotTree::next(uint32_t s) const {
  uint32_t leaf = leaf_of_[s];
  int i = leaf_offset(leaf, s);
  const Leaf& L = leaves_[leaf];
  if (i + 1 < L.n) return L.slots[i + 1];
  return L.next == kNone ? kNone : leaves_[L.next].slots[0];
}

uint32_t SlotTree::find_visible(std::size_t pos) const {
  uint32_t node = root_;
  bool leaf = root_is_leaf_;
  while (!leaf) {
    const Inner& I = inners_[node];
    int k = 0;
    for (;; ++k) {
      uint32_t v = node_vis(I.kids[k], I.leaf_kids);
      if (pos < v || k + 1 == I.n) break;
      pos -= v;
    }
    node = I.kids[k];
    leaf = I.leaf_kids;
  }
  const Leaf& L = leaves_[node];
  for (int i = 0; i < L.n; ++i) {
    if (!vis_[L.slots[i]]) continue;
    if (pos == 0) return L.slots[i];
    --pos;
  }
  return kNone;
}

std::size_t SlotTree::visible_index(uint32_t s) const {
  uint32_t leaf = leaf_of_[s];
  const Leaf& L = leaves_[leaf];
  std::size_t count = 0;
  for (int i = 0; i < L.n && L.slots[i] != s; ++i) count += vis_[L.slots[i]];
  uint32_t child = leaf;
  for (uint32_t p = L.parent; p != kNone; child = p, p = inners_[p].parent) {
    const Inner& I = inners_[p];
    for (int k = 0; I.kids[k] != child; ++k) count += node_vis(I.kids[k], I.leaf_kids);
  }
  return count;
}

namespace {

// A set of slot numbers for the integration scan: usually tiny.
class SmallSet {
 public:
  void insert(uint32_t x) {
    if (big_.empty() && small_.size() < 32) {
      small_.push_back(x);
      return;
    }
    if (big_.empty()) big_.insert(small_.begin(), small_.end());
    big_.insert(x);
  }
  bool contains(uint32_t x) const {
    if (!big_.empty()) return big_.count(x) != 0;
    return std::find(small_.begin(), small_.end(), x) != small_.end();
  }
  void clear() {
    small_.clear();
    big_.clear();
  }

 private:
  std::vector<uint32_t> small_;
  std::unordered_set<uint32_t> big_;
};

}  // namespace
}  // namespace detail

using detail::kNone;
using detail::kRemoveBit;

// ---------------------------------------------------------------- Impl

uint32_t Sequence::Impl::new_slot(const OpId& id, uint32_t left, uint32_t right, uint32_t entry,
                                  std::string_view value) {
  uint32_t s = static_cast<uint32_t>(s_lamport.size());
  s_lamport.push_back(id.lamport);
  s_replica.push_back(replica_number(id.replica));
  s_left.push_back(left);
  s_right.push_back(right);
  if (entry == kNone) {
    s_aux.push_back(s);
    s_value_off.push_back(0);
    s_value_len.push_back(0);
    set_value(s, value);
    s_flags.push_back(0);
  } else {
    s_aux.push_back(entry);
    s_value_off.push_back(0);
    s_value_len.push_back(0);
    s_flags.push_back(kFlagMove);
  }
  tree.add_slot();
  index.insert(id, s, [this](uint32_t r) { return ref_id(r); });
  max_lamport = std::max(max_lamport, id.lamport);
  add_digest(id);
  return s;
}

uint32_t Sequence::Impl::new_remove(const OpId& id, uint32_t entry) {
  uint32_t r = static_cast<uint32_t>(r_lamport.size());
  r_lamport.push_back(id.lamport);
  r_replica.push_back(replica_number(id.replica));
  r_entry.push_back(entry);
  index.insert(id, r | kRemoveBit, [this](uint32_t x) { return ref_id(x); });
  max_lamport = std::max(max_lamport, id.lamport);
  add_digest(id);
  return r;
}

// YATA (as in Yjs's Item.integrate), with ids ordered by (lamport, replica): scan the slots
// between the left and the right origin; a conflicting slot with the same left origin and a
// smaller id goes first; a slot whose left origin lies inside the scanned range belongs to an
// earlier conflicting slot and stays before us as long as that one does.
uint32_t Sequence::Impl::integrate_position(uint32_t s) const {
  const uint32_t L = s_left[s], R = s_right[s];
  uint32_t left = L;
  uint32_t o = L == kNone ? tree.first() : tree.next(L);
  if (o == R) return left;
  detail::SmallSet before, conflicting;
  while (o != kNone && o != R) {
    before.insert(o);
    conflicting.insert(o);
    uint32_t ol = s_left[o];
    if (ol == L) {
      if (slot_less(o, s)) {
        left = o;
        conflicting.clear();
      } else if (s_right[o] == R) {
        break;
      }
    } else if (ol != kNone && before.contains(ol)) {
      if (!conflicting.contains(ol)) {
        left = o;
        conflicting.clear();
      }
    } else {
      break;
    }
    o = tree.next(o);
  }
  return left;
}

Sequence::Impl::Outcome Sequence::Impl::try_apply(const Op& op, OpId* missing, std::string* why) {
  if (op.id.lamport == 0 || op.id.lamport > detail::kMaxLamport) {
    *why = "op lamport out of range";
    return Outcome::kInvalid;
  }
  if (find(op.id) != kNone) return Outcome::kDuplicate;
  // A dependency: kNone for "none", else its slot; sets `bad` for unknown or invalid ids.
  enum { kOk, kMiss, kBad } state = kOk;
  auto slot_dep = [&](const std::optional<OpId>& id) -> uint32_t {
    if (!id || state != kOk) return kNone;
    if (*id == op.id) {
      state = kBad;
      *why = "op depends on itself";
      return kNone;
    }
    uint32_t r = find(*id);
    if (r == kNone) {
      state = kMiss;
      *missing = *id;
      return kNone;
    }
    if (r & kRemoveBit) {
      state = kBad;
      *why = "an anchor names a remove op";
    }
    return r;
  };
  auto entry_dep = [&](const OpId& id) -> uint32_t {
    uint32_t r = slot_dep(std::optional<OpId>(id));
    if (state == kOk && is_move(r)) {
      state = kBad;
      *why = "the entry is not an insert op";
    }
    return r;
  };
  auto outcome = [&]() { return state == kMiss ? Outcome::kMissing : Outcome::kInvalid; };

  switch (op.kind) {
    case Op::Kind::kInsert: {
      if (op.insert.value.size() > detail::kMaxValue) {
        *why = "value longer than 255 bytes";
        return Outcome::kInvalid;
      }
      uint32_t l = slot_dep(op.insert.at.left);
      uint32_t r = slot_dep(op.insert.at.right);
      if (state != kOk) return outcome();
      uint32_t s = new_slot(op.id, l, r, kNone, op.insert.value);
      tree.insert_after(integrate_position(s), s);
      tree.set_visible(s, true);
      return Outcome::kApplied;
    }
    case Op::Kind::kMove: {
      uint32_t e = entry_dep(op.move.entry);
      uint32_t l = slot_dep(op.move.to.left);
      uint32_t r = slot_dep(op.move.to.right);
      if (state != kOk) return outcome();
      uint32_t s = new_slot(op.id, l, r, e, {});
      tree.insert_after(integrate_position(s), s);
      uint32_t old = s_aux[e];
      if (slot_less(old, s)) {
        s_aux.set(e, s);
        if (!(s_flags[e] & kFlagRemoved)) {
          tree.set_visible(old, false);
          tree.set_visible(s, true);
        }
      }
      return Outcome::kApplied;
    }
    case Op::Kind::kRemove: {
      uint32_t e = entry_dep(op.remove.entry);
      if (state != kOk) return outcome();
      new_remove(op.id, e);
      if (!(s_flags[e] & kFlagRemoved)) {
        s_flags[e] |= kFlagRemoved;
        tree.set_visible(s_aux[e], false);
      }
      return Outcome::kApplied;
    }
  }
  *why = "unknown op kind";
  return Outcome::kInvalid;
}

Status Sequence::Impl::apply(const Op& op) {
  OpId missing;
  std::string why;
  switch (try_apply(op, &missing, &why)) {
    case Outcome::kApplied:
      if (!waiting.empty()) wake(op.id);
      return Status::success();
    case Outcome::kDuplicate:
      return Status::success();
    case Outcome::kMissing:
      if (pending_ids.insert(op.id).second) waiting[missing].push_back(op);
      return Status::success();
    case Outcome::kInvalid:
      break;
  }
  return Error::invalid("playlist op: " + why);
}

void Sequence::Impl::wake(const OpId& id) {
  std::vector<OpId> known{id};
  while (!known.empty()) {
    OpId k = known.back();
    known.pop_back();
    auto it = waiting.find(k);
    if (it == waiting.end()) continue;
    std::vector<Op> ops = std::move(it->second);
    waiting.erase(it);
    for (Op& op : ops) {
      pending_ids.erase(op.id);
      OpId missing;
      std::string why;
      switch (try_apply(op, &missing, &why)) {
        case Outcome::kApplied:
          known.push_back(op.id);
          break;
        case Outcome::kMissing:
          pending_ids.insert(op.id);
          waiting[missing].push_back(std::move(op));
          break;
        case Outcome::kDuplicate:
        case Outcome::kInvalid:  // e.g. an anchor that turned out to be a remove: dropped
          break;
      }
    }
  }
}

std::size_t Sequence::Impl::memory_bytes() const {
  // Every allocation the state owns: arrays at their capacity, the tables (nodes estimated
  // at the key/value plus two pointers of allocator overhead) and the pending ops.
  std::size_t b = s_lamport.memory_bytes() + s_replica.memory_bytes() + s_aux.memory_bytes() +
                  s_left.memory_bytes() + s_right.memory_bytes() + s_value_off.capacity() * 4 +
                  s_value_len.capacity() + s_flags.capacity() + arena.capacity() +
                  r_lamport.memory_bytes() + r_replica.memory_bytes() + r_entry.capacity() * 4 +
                  tree.memory_bytes() + index.memory_bytes() + replicas.capacity() * 8;
  b += replica_no.bucket_count() * sizeof(void*) + replica_no.size() * 32;
  b += waiting.bucket_count() * sizeof(void*) + pending_ids.bucket_count() * sizeof(void*) +
       pending_ids.size() * 40;
  for (const auto& [id, ops] : waiting) {
    b += 48 + ops.capacity() * sizeof(Op);
    for (const Op& op : ops)
      if (op.insert.value.capacity() > 15) b += op.insert.value.capacity() + 1;
  }
  return b;
}

// ---------------------------------------------------------------- Sequence

Sequence::Sequence(ReplicaId local) : impl_(new Impl(local)) {}
Sequence::~Sequence() { delete impl_; }
Sequence::Sequence(Sequence&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
Sequence& Sequence::operator=(Sequence&& o) noexcept {
  if (this != &o) {
    delete impl_;
    impl_ = std::exchange(o.impl_, nullptr);
  }
  return *this;
}

Anchor Sequence::anchor_at(std::size_t position) const {
  Anchor a;
  uint32_t left = position == 0 ? kNone : impl_->tree.find_visible(position - 1);
  uint32_t right = left == kNone ? impl_->tree.first() : impl_->tree.next(left);
  if (left != kNone) a.left = impl_->slot_id(left);
  if (right != kNone) a.right = impl_->slot_id(right);
  return a;
}

Result<Op> Sequence::insert(std::size_t position, std::string_view value) {
  if (position > size()) return Error::invalid("insert position out of range");
  if (value.size() > detail::kMaxValue) return Error::invalid("value longer than 255 bytes");
  Op op;
  op.id = {impl_->max_lamport + 1, impl_->local};
  op.kind = Op::Kind::kInsert;
  op.insert.at = anchor_at(position);
  op.insert.value = std::string(value);
  SEGUE_TRY(impl_->apply(op));
  return op;
}

Result<Op> Sequence::remove(std::size_t position) {
  if (position >= size()) return Error::invalid("remove position out of range");
  Op op;
  op.id = {impl_->max_lamport + 1, impl_->local};
  op.kind = Op::Kind::kRemove;
  op.remove.entry = entry_id_at(position);
  SEGUE_TRY(impl_->apply(op));
  return op;
}

Result<Op> Sequence::move(std::size_t from, std::size_t before) {
  std::size_t n = size();
  if (from >= n || before > n) return Error::invalid("move position out of range");
  // Positions in the list without the moved entry.
  std::size_t t = before > from ? before - 1 : before;
  auto full = [from](std::size_t i) { return i < from ? i : i + 1; };
  const auto& tree = impl_->tree;
  uint32_t left = t == 0 ? kNone : tree.find_visible(full(t - 1));
  uint32_t right = left == kNone ? tree.first() : tree.next(left);
  Op op;
  op.id = {impl_->max_lamport + 1, impl_->local};
  op.kind = Op::Kind::kMove;
  op.move.entry = entry_id_at(from);
  if (left != kNone) op.move.to.left = impl_->slot_id(left);
  if (right != kNone) op.move.to.right = impl_->slot_id(right);
  SEGUE_TRY(impl_->apply(op));
  return op;
}

Status Sequence::apply(const Op& op) { return impl_->apply(op); }

std::size_t Sequence::size() const { return impl_->tree.visible(); }

Entry Sequence::at(std::size_t position) const {
  return impl_->entry_at_slot(impl_->tree.find_visible(position));
}

OpId Sequence::entry_id_at(std::size_t position) const {
  return impl_->slot_id(impl_->entry_of(impl_->tree.find_visible(position)));
}

std::optional<std::size_t> Sequence::position_of(const OpId& entry) const {
  uint32_t r = impl_->find(entry);
  if (r == kNone || (r & kRemoveBit) || impl_->is_move(r)) return std::nullopt;
  if (impl_->s_flags[r] & Impl::kFlagRemoved) return std::nullopt;
  return impl_->tree.visible_index(impl_->s_aux[r]);
}

std::vector<Entry> Sequence::entries() const {
  std::vector<Entry> out;
  out.reserve(size());
  impl_->tree.for_each([&](uint32_t s) {
    if (impl_->tree.is_visible(s)) out.push_back(impl_->entry_at_slot(s));
  });
  return out;
}

uint64_t Sequence::max_lamport() const { return impl_->max_lamport; }
std::size_t Sequence::op_count() const { return impl_->s_lamport.size() + impl_->r_lamport.size(); }
std::size_t Sequence::pending() const { return impl_->pending_ids.size(); }
bool Sequence::has(const OpId& id) const { return impl_->find(id) != kNone; }
std::size_t Sequence::memory_bytes() const { return impl_->memory_bytes(); }

std::string Sequence::digest() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(impl_->digest_hi),
                static_cast<unsigned long long>(impl_->digest_lo));
  return std::string(buf, 32);
}

}  // namespace segue::playlist
