// The sequence CRDT: YATA integration over an order-statistic B+ tree of run-length segments.
// The rules are stated in docs/formats/playlist-crdt.md.
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
  weight_.clear();
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
      moved_vis += weight_[x];
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
      moved_vis += weight_[x];
    }
    L.n = static_cast<uint16_t>(mid);
    L.vis -= moved_vis;
    N.vis = moved_vis;
    N.next = L.next;
    N.prev = leaf;
    if (L.next != kNone) leaves_[L.next].prev = nl;
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

void SlotTree::set_weight(uint32_t s, uint32_t w) {
  if (weight_[s] == w) return;
  uint32_t d = w - weight_[s];  // modulo 2^32
  weight_[s] = w;
  add_vis(leaf_of_[s], d);
}

uint32_t SlotTree::next(uint32_t s) const {
  uint32_t leaf = leaf_of_[s];
  int i = leaf_offset(leaf, s);
  const Leaf& L = leaves_[leaf];
  if (i + 1 < L.n) return L.slots[i + 1];
  return L.next == kNone ? kNone : leaves_[L.next].slots[0];
}

uint32_t SlotTree::prev(uint32_t s) const {
  uint32_t leaf = leaf_of_[s];
  int i = leaf_offset(leaf, s);
  if (i > 0) return leaves_[leaf].slots[i - 1];
  uint32_t p = leaves_[leaf].prev;
  return p == kNone ? kNone : leaves_[p].slots[leaves_[p].n - 1];
}

uint32_t SlotTree::find_visible(std::size_t pos, uint32_t* offset) const {
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
    uint32_t w = weight_[L.slots[i]];
    if (pos < w) {
      *offset = static_cast<uint32_t>(pos);
      return L.slots[i];
    }
    pos -= w;
  }
  return kNone;
}

std::size_t SlotTree::visible_index(uint32_t s) const {
  uint32_t leaf = leaf_of_[s];
  const Leaf& L = leaves_[leaf];
  std::size_t count = 0;
  for (int i = 0; i < L.n && L.slots[i] != s; ++i) count += weight_[L.slots[i]];
  uint32_t child = leaf;
  for (uint32_t p = L.parent; p != kNone; child = p, p = inners_[p].parent) {
    const Inner& I = inners_[p];
    for (int k = 0; I.kids[k] != child; ++k) count += node_vis(I.kids[k], I.leaf_kids);
  }
  return count;
}

// A set of segment numbers for the integration scan: usually tiny.
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

}  // namespace detail

using detail::Eid;
using detail::kNone;
using detail::kRemoveBit;
using detail::Seg;

// ---------------------------------------------------------------- Impl

Sequence::Impl::Loc Sequence::Impl::locate(const Eid& e) const {
  if (e.rep >= replica_max.size() || e.lam == 0 || e.lam > replica_max[e.rep]) return {};
  uint32_t ref = index.find(e.rep, e.lam, [this](uint32_t r) { return range(r); });
  if (ref == kNone) return {};
  return {ref, static_cast<uint32_t>(e.lam - range(ref).first)};
}

Sequence::Impl::Loc Sequence::Impl::locate_hinted(const Eid& e) {
  if (hint != kNone) {
    const Seg& g = segs[hint];
    if (g.rep == e.rep && e.lam - g.lam < g.len) return {hint, static_cast<uint32_t>(e.lam - g.lam)};
  }
  Loc l = locate(e);
  if (l.found() && !l.is_remove()) hint = l.ref;
  return l;
}

void Sequence::Impl::count_ids(uint32_t rep, uint64_t lam, uint64_t n) {
  for (uint64_t k = 0; k < n; ++k) add_digest(OpId{lam + k, replicas[rep]});
  max_lamport = std::max(max_lamport, lam + n - 1);
  replica_max[rep] = std::max(replica_max[rep], lam + n - 1);
}

uint32_t Sequence::Impl::new_segment(const Seg& g) {
  uint32_t s = static_cast<uint32_t>(segs.size());
  segs.push_back(g);
  tree.add_slot();
  index.insert(g.rep, s, [this](uint32_t r) { return range(r); });
  return s;
}

uint32_t Sequence::Impl::split(uint32_t s, uint32_t k) {
  Seg t = segs[s];
  t.lam += k;
  t.len -= k;
  t.left_rep = t.rep;
  t.left_lam = t.lam - 1;
  t.off += k * t.width;
  uint32_t w = tree.weight(s);
  segs[s].len = k;
  uint32_t n = new_segment(t);
  tree.insert_after(s, n);
  if (w) {
    tree.set_weight(s, k);
    tree.set_weight(n, t.len);
  }
  return n;
}

uint32_t Sequence::Impl::isolate(uint32_t s, uint32_t k) {
  if (k + 1 < segs[s].len) split(s, k + 1);
  return k > 0 ? split(s, k) : s;
}

bool Sequence::Impl::continues(uint32_t a, uint32_t b) const {
  const Seg& x = segs[a];
  const Seg& y = segs[b];
  constexpr uint8_t kSingle = detail::kSegMove | detail::kSegPinned;
  return !(x.flags & kSingle) && !(y.flags & kSingle) && y.rep == x.rep && y.lam == x.lam + x.len &&
         y.left() == x.id(x.len - 1) && y.right() == x.right();
}

void Sequence::Impl::place(uint32_t x) {
  const Eid L = segs[x].left(), R = segs[x].right();
  // Cut the segments at the origins, so that the segments scanned lie wholly between them.
  if (!L.none()) {
    Loc l = locate_hinted(L);
    if (l.off + 1 < segs[l.ref].len) split(l.ref, l.off + 1);
  }
  uint32_t sr = kNone;
  if (!R.none()) {
    Loc r = locate_hinted(R);
    sr = r.off ? split(r.ref, r.off) : r.ref;
  }
  uint32_t sl = L.none() ? kNone : locate_hinted(L).ref;
  tree.insert_after(integrate_position(x, sl, sr), x);
}

// YATA (as in Yjs's Item.integrate), with ids ordered by (lamport, replica), over whole
// segments (a segment's elements after the first are anchored on their predecessor, so they
// follow it): scan the segments between the left and the right origin; a conflicting segment
// with the same left origin and a smaller id goes first; a segment whose left origin lies
// inside the scanned range belongs to an earlier conflicting one and stays before us as long
// as that one does.
uint32_t Sequence::Impl::integrate_position(uint32_t x, uint32_t sl, uint32_t sr) const {
  const Eid L = segs[x].left(), R = segs[x].right(), self = segs[x].id(0);
  uint32_t left = sl;
  uint32_t o = sl == kNone ? tree.first() : tree.next(sl);
  if (o == sr) return left;
  detail::SmallSet before, conflicting;
  while (o != kNone && o != sr) {
    before.insert(o);
    conflicting.insert(o);
    const Seg& g = segs[o];
    const Eid ol = g.left();
    if (ol == L) {
      if (id_less(g.id(0), self)) {
        left = o;
        conflicting.clear();
      } else if (g.right() == R) {
        break;
      }
    } else if (!ol.none()) {
      uint32_t os = locate(ol).ref;
      if (!before.contains(os)) break;
      if (!conflicting.contains(os)) {
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

uint32_t Sequence::Impl::add_element(uint32_t rep, uint64_t lam, const Eid& left, const Eid& right,
                                     std::string_view value, uint32_t moved) {
  ++element_count;
  count_ids(rep, lam, 1);
  if (moved == kNone && !left.none()) {
    // Typing: the element continues the segment that ends at its left origin, right before its
    // right origin; YATA puts it right there, so the segment just grows.
    Loc l = locate_hinted(left);
    Seg& g = segs[l.ref];
    if (l.off + 1 == g.len && !(g.flags & (detail::kSegMove | detail::kSegRemoved | detail::kSegPinned)) &&
        g.rep == rep && g.lam + g.len == lam && g.right() == right && g.width == value.size() &&
        (value.empty() || g.off + std::size_t{g.len} * g.width == arena.size()) && next_elem(l.ref, l.off) == right) {
      arena.append(value.data(), value.size());
      ++g.len;
      tree.set_weight(l.ref, g.len);
      return l.ref;
    }
  }
  Seg g;
  g.lam = lam;
  g.rep = rep;
  g.left_rep = left.rep;
  g.left_lam = left.lam;
  g.right_rep = right.rep;
  g.right_lam = right.lam;
  if (moved != kNone) {
    g.flags = detail::kSegMove;
  } else {
    g.width = static_cast<uint8_t>(value.size());
    g.off = static_cast<uint32_t>(arena.size());
    arena.append(value.data(), value.size());
  }
  uint32_t x = new_segment(g);
  if (moved != kNone) links.put(x, moved);
  place(x);
  if (moved == kNone) tree.set_weight(x, 1);
  return x;
}

void Sequence::Impl::settle_move(uint32_t e, uint32_t m) {
  uint32_t w = winner(e);
  if (!id_less(segs[w].id(0), segs[m].id(0))) return;
  links.put(e, m);
  if (!is_removed(e)) {
    tree.set_weight(w, 0);
    tree.set_weight(m, 1);
  }
}

void Sequence::Impl::remove_entry(uint32_t s, uint32_t k) {
  if (is_removed(s)) return;
  if (segs[s].flags & detail::kSegPinned) {
    segs[s].flags |= detail::kSegRemoved;
    tree.set_weight(winner(s), 0);
    return;
  }
  const uint32_t len = segs[s].len;
  // Backspace and delete key: the element joins a removed segment that continues its own
  // instead of making a segment of one more.
  if (len > 1 && k + 1 == len) {
    uint32_t t = tree.next(s);
    if (t != kNone && is_removed(t) && continues(s, t)) {
      Seg& a = segs[s];
      Seg& b = segs[t];
      --a.len;
      --b.lam;
      ++b.len;
      b.left_lam = b.lam - 1;
      b.off -= b.width;
      tree.set_weight(s, a.len);
      return;
    }
  }
  if (len > 1 && k == 0) {
    uint32_t p = tree.prev(s);
    if (p != kNone && is_removed(p) && continues(p, s)) {
      Seg& a = segs[p];
      Seg& b = segs[s];
      ++a.len;
      ++b.lam;
      --b.len;
      b.left_lam = b.lam - 1;
      b.off += b.width;
      tree.set_weight(s, b.len);
      return;
    }
  }
  uint32_t e = isolate(s, k);
  segs[e].flags |= detail::kSegRemoved;
  tree.set_weight(e, 0);
}

void Sequence::Impl::record_remove(uint32_t rep, uint64_t lam, const Eid& target) {
  ++remove_count;
  count_ids(rep, lam, 1);
  if (!removes.empty()) {
    detail::RemoveRun& r = removes.back();
    if (r.rep == rep && r.lam + r.len == lam && r.target_rep == target.rep) {
      if (r.len == 1) {
        r.step = static_cast<int64_t>(target.lam - r.target_lam);
        ++r.len;
        return;
      }
      if (target.lam == r.target_lam + static_cast<uint64_t>(r.step) * r.len) {
        ++r.len;
        return;
      }
    }
  }
  detail::RemoveRun r;
  r.lam = lam;
  r.rep = rep;
  r.target_lam = target.lam;
  r.target_rep = target.rep;
  uint32_t n = static_cast<uint32_t>(removes.size());
  removes.push_back(r);
  index.insert(rep, n | kRemoveBit, [this](uint32_t x) { return range(x); });
}

Sequence::Impl::Outcome Sequence::Impl::try_apply(const Op& op, OpId* missing, std::string* why) {
  if (op.id.lamport == 0 || op.id.lamport > detail::kMaxLamport) {
    *why = "op lamport out of range";
    return Outcome::kInvalid;
  }
  if (locate(op.id).found()) return Outcome::kDuplicate;
  // A dependency: its element, or not found for "none"; sets `state` for unknown or invalid
  // ids.
  enum { kOk, kMiss, kBad } state = kOk;
  auto dep = [&](const std::optional<OpId>& id) -> Loc {
    if (!id || state != kOk) return {};
    if (*id == op.id) {
      state = kBad;
      *why = "op depends on itself";
      return {};
    }
    Loc l = locate(*id);
    if (!l.found()) {
      state = kMiss;
      *missing = *id;
    } else if (l.is_remove()) {
      state = kBad;
      *why = "an anchor names a remove op";
    }
    return l;
  };
  auto entry_dep = [&](const OpId& id) -> Loc {
    Loc l = dep(std::optional<OpId>(id));
    if (state == kOk && is_move(l.ref)) {
      state = kBad;
      *why = "the entry is not an insert op";
    }
    return l;
  };
  auto outcome = [&]() { return state == kMiss ? Outcome::kMissing : Outcome::kInvalid; };
  auto eid_of = [&](const std::optional<OpId>& id) { return id ? eid(*id) : Eid{}; };

  switch (op.kind) {
    case Op::Kind::kInsert: {
      if (op.insert.value.size() > detail::kMaxValue) {
        *why = "value longer than 255 bytes";
        return Outcome::kInvalid;
      }
      dep(op.insert.at.left);
      dep(op.insert.at.right);
      if (state != kOk) return outcome();
      uint32_t rep = replica_number(op.id.replica);
      add_element(rep, op.id.lamport, eid_of(op.insert.at.left), eid_of(op.insert.at.right), op.insert.value, kNone);
      return Outcome::kApplied;
    }
    case Op::Kind::kMove: {
      Loc e = entry_dep(op.move.entry);
      dep(op.move.to.left);
      dep(op.move.to.right);
      if (state != kOk) return outcome();
      uint32_t rep = replica_number(op.id.replica);
      uint32_t es = isolate(e.ref, e.off);
      segs[es].flags |= detail::kSegPinned;
      uint32_t m = add_element(rep, op.id.lamport, eid_of(op.move.to.left), eid_of(op.move.to.right), {}, es);
      settle_move(es, m);
      return Outcome::kApplied;
    }
    case Op::Kind::kRemove: {
      Loc e = entry_dep(op.remove.entry);
      if (state != kOk) return outcome();
      uint32_t rep = replica_number(op.id.replica);
      record_remove(rep, op.id.lamport, segs[e.ref].id(e.off));
      remove_entry(e.ref, e.off);
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
  std::size_t b = segs.capacity() * sizeof(Seg) + links.memory_bytes() + arena.capacity() +
                  removes.capacity() * sizeof(detail::RemoveRun) + tree.memory_bytes() +
                  index.memory_bytes() + replicas.capacity() * 8 + replica_max.capacity() * 8;
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

namespace {

// The anchor of a new slot right after visible element `after` (none: the start), in the list
// `m` (after's own slot excluded by the caller when it moves).
Anchor anchor_after(const Sequence::Impl& m, std::optional<std::size_t> after) {
  Anchor a;
  if (!after) {
    uint32_t f = m.tree.first();
    if (f != kNone) a.right = m.elem_id(f, 0);
    return a;
  }
  auto [s, k] = m.visible_at(*after);
  a.left = m.elem_id(s, k);
  Eid r = m.next_elem(s, k);
  if (!r.none()) a.right = m.op_id(r);
  return a;
}

}  // namespace

Anchor Sequence::anchor_at(std::size_t position) const {
  position = std::min(position, size());
  return anchor_after(*impl_, position == 0 ? std::nullopt : std::optional<std::size_t>(position - 1));
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
  Op op;
  op.id = {impl_->max_lamport + 1, impl_->local};
  op.kind = Op::Kind::kMove;
  op.move.entry = entry_id_at(from);
  op.move.to = anchor_after(*impl_, t == 0 ? std::nullopt : std::optional<std::size_t>(full(t - 1)));
  SEGUE_TRY(impl_->apply(op));
  return op;
}

Status Sequence::apply(const Op& op) { return impl_->apply(op); }

std::size_t Sequence::size() const { return impl_->tree.visible(); }

Entry Sequence::at(std::size_t position) const {
  auto [s, k] = impl_->visible_at(position);
  return impl_->entry_at(s, k);
}

OpId Sequence::entry_id_at(std::size_t position) const { return at(position).id; }

std::optional<std::size_t> Sequence::position_of(const OpId& entry) const {
  const Impl& m = *impl_;
  Impl::Loc l = m.locate(entry);
  if (!l.found() || l.is_remove() || m.is_move(l.ref) || m.is_removed(l.ref)) return std::nullopt;
  uint32_t w = m.winner(l.ref);
  if (w != l.ref) return m.tree.visible_index(w);
  return m.tree.visible_index(l.ref) + l.off;
}

std::vector<Entry> Sequence::entries() const {
  const Impl& m = *impl_;
  std::vector<Entry> out;
  out.reserve(size());
  m.tree.for_each([&](uint32_t s) {
    uint32_t w = m.tree.weight(s);
    for (uint32_t k = 0; k < w; ++k) out.push_back(m.entry_at(s, k));
  });
  return out;
}

uint64_t Sequence::max_lamport() const { return impl_->max_lamport; }
std::size_t Sequence::op_count() const { return impl_->element_count + impl_->remove_count; }
std::size_t Sequence::pending() const { return impl_->pending_ids.size(); }
bool Sequence::has(const OpId& id) const { return impl_->locate(id).found(); }
std::size_t Sequence::memory_bytes() const { return impl_->memory_bytes(); }

std::string Sequence::digest() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(impl_->digest_hi),
                static_cast<unsigned long long>(impl_->digest_lo));
  return std::string(buf, 32);
}

}  // namespace segue::playlist
