// Binary encodings of the sequence CRDT: updates (a batch of ops) and snapshots (the whole
// state in list order, run-length coded). docs/formats/playlist-crdt.md has the byte layout.
// Decoding treats the bytes as untrusted: every count and length is bounded by the bytes
// left, every index is checked, and any inconsistency is Error::invalid.
#include <algorithm>
#include <unordered_map>

#include "playlist/crdt.h"
#include "playlist/crdt_impl.h"

namespace segue::playlist {
namespace {

using detail::Eid;
using detail::kMaxLamport;
using detail::kNone;
using detail::kRemoveBit;

constexpr char kOpsMagic[4] = {'P', 'L', 'U', 1};
constexpr char kSnapMagic[4] = {'P', 'L', 'S', 1};
constexpr uint64_t kMaxReplicas = 1u << 20;
constexpr uint64_t kMaxItems = 1u << 26;  // ops per update or snapshot

// Update tag bits.
constexpr uint64_t kTagKindMask = 3, kTagSameReplica = 4, kTagNextLamport = 8, kTagLeft = 16,
                   kTagLeftChain = 32, kTagRight = 64, kTagRightSame = 128;
// Remove tag bits (in place of the anchor bits): the entry is the previous remove's entry with
// lamport - 1 (backspace) or + 1 (delete key).
constexpr uint64_t kTagEntryBack = 16, kTagEntryFwd = 32;
// Snapshot run header bits.
constexpr uint64_t kRunMove = 1, kRunLeft = 2, kRunLeftPrev = 4, kRunRight = 8;

class Writer {
 public:
  void magic(const char (&m)[4]) { out_.append(m, 4); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void zigzag(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void bytes(std::string_view b) { out_.append(b); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view b)
      : p_(reinterpret_cast<const uint8_t*>(b.data())), e_(p_ + b.size()) {}
  bool bad() const { return bad_; }
  std::size_t left() const { return static_cast<std::size_t>(e_ - p_); }
  bool magic(const char (&m)[4]) {
    if (left() < 4 || std::memcmp(p_, m, 4) != 0) return fail();
    p_ += 4;
    return true;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == e_) return fail(), 0;
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) return fail(), 0;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail(), 0;
  }
  int64_t zigzag() {
    uint64_t u = varint();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }
  // A count that must not exceed `limit`.
  uint64_t count(uint64_t limit) {
    uint64_t n = varint();
    if (n > limit) return fail(), 0;
    return n;
  }
  std::string_view bytes(std::size_t n) {
    if (n > left()) return fail(), std::string_view();
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  // base + delta as a valid lamport (1..2^62).
  uint64_t lamport(uint64_t base, int64_t delta) {
    __int128 r = static_cast<__int128>(base) + delta;
    if (r < 1 || r > static_cast<__int128>(kMaxLamport)) return fail(), 1;
    return static_cast<uint64_t>(r);
  }
  bool fail() {
    bad_ = true;
    p_ = e_;
    return false;
  }

 private:
  const uint8_t* p_;
  const uint8_t* e_;
  bool bad_ = false;
};

Error malformed(const char* what) { return Error::invalid(std::string("playlist encoding: ") + what); }

// Replica table built while encoding.
struct ReplicaTable {
  std::vector<ReplicaId> ids;
  std::unordered_map<ReplicaId, uint32_t> no;
  uint32_t add(ReplicaId r) {
    auto [it, inserted] = no.try_emplace(r, static_cast<uint32_t>(ids.size()));
    if (inserted) ids.push_back(r);
    return it->second;
  }
};

Result<std::vector<ReplicaId>> read_replicas(Reader& in) {
  uint64_t n = in.count(std::min<uint64_t>(kMaxReplicas, in.left()));
  std::vector<ReplicaId> ids;
  ids.reserve(n);
  for (uint64_t i = 0; i < n && !in.bad(); ++i) ids.push_back(in.varint());
  if (in.bad()) return malformed("replica table");
  std::vector<ReplicaId> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    return malformed("duplicate replica in the table");
  return ids;
}

const Anchor* anchor_of(const Op& op) {
  if (op.kind == Op::Kind::kInsert) return &op.insert.at;
  if (op.kind == Op::Kind::kMove) return &op.move.to;
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- updates

std::string encode_ops(const std::vector<Op>& ops) {
  ReplicaTable reps;
  for (const Op& op : ops) {
    reps.add(op.id.replica);
    if (const Anchor* a = anchor_of(op)) {
      if (a->left) reps.add(a->left->replica);
      if (a->right) reps.add(a->right->replica);
    }
    if (op.kind == Op::Kind::kMove) reps.add(op.move.entry.replica);
    if (op.kind == Op::Kind::kRemove) reps.add(op.remove.entry.replica);
  }
  Writer w;
  w.magic(kOpsMagic);
  w.varint(reps.ids.size());
  for (ReplicaId r : reps.ids) w.varint(r);
  w.varint(ops.size());
  uint32_t prev_rep = kNone;
  uint64_t prev_lamport = 0;
  std::optional<OpId> prev_id, prev_right, prev_entry;
  for (const Op& op : ops) {
    auto ref = [&](const OpId& id) {
      w.varint(reps.no[id.replica]);
      w.zigzag(static_cast<int64_t>(id.lamport - op.id.lamport));
    };
    const Anchor* a = anchor_of(op);
    uint32_t rep = reps.no[op.id.replica];
    uint64_t tag = static_cast<uint64_t>(op.kind);
    if (rep == prev_rep) tag |= kTagSameReplica;
    if (op.id.lamport == prev_lamport + 1) tag |= kTagNextLamport;
    if (a && a->left) tag |= kTagLeft | (a->left == prev_id ? kTagLeftChain : 0);
    if (a && a->right) tag |= kTagRight | (prev_right && a->right == prev_right ? kTagRightSame : 0);
    if (op.kind == Op::Kind::kRemove && prev_entry && prev_entry->replica == op.remove.entry.replica) {
      if (op.remove.entry.lamport + 1 == prev_entry->lamport) tag |= kTagEntryBack;
      if (op.remove.entry.lamport == prev_entry->lamport + 1) tag |= kTagEntryFwd;
    }
    w.varint(tag);
    if (!(tag & kTagSameReplica)) w.varint(rep);
    if (!(tag & kTagNextLamport)) w.zigzag(static_cast<int64_t>(op.id.lamport - prev_lamport));
    if (a && (tag & kTagLeft) && !(tag & kTagLeftChain)) ref(*a->left);
    if (a && (tag & kTagRight) && !(tag & kTagRightSame)) ref(*a->right);
    if (op.kind == Op::Kind::kMove) ref(op.move.entry);
    if (op.kind == Op::Kind::kRemove && !(tag & (kTagEntryBack | kTagEntryFwd))) ref(op.remove.entry);
    if (op.kind == Op::Kind::kRemove) prev_entry = op.remove.entry;
    if (op.kind == Op::Kind::kInsert) {
      w.varint(op.insert.value.size());
      w.bytes(op.insert.value);
    }
    prev_rep = rep;
    prev_lamport = op.id.lamport;
    prev_id = op.id;
    prev_right = a ? a->right : std::nullopt;
  }
  return w.take();
}

Result<std::vector<Op>> decode_ops(std::string_view bytes) {
  Reader in(bytes);
  if (!in.magic(kOpsMagic)) return malformed("not a playlist update (magic/version)");
  SEGUE_ASSIGN_OR_RETURN(std::vector<ReplicaId> reps, read_replicas(in));
  uint64_t n = in.count(std::min<uint64_t>(kMaxItems, in.left()));  // >= 1 byte per op
  std::vector<Op> ops;
  ops.reserve(n);
  uint64_t prev_rep = kNone, prev_lamport = 0;
  std::optional<OpId> prev_id, prev_right, prev_entry;
  for (uint64_t i = 0; i < n && !in.bad(); ++i) {
    Op op;
    uint64_t tag = in.varint();
    uint64_t kind = tag & kTagKindMask;
    if (tag > 0xff || kind == 0) return malformed("bad op tag");
    op.kind = static_cast<Op::Kind>(kind);
    bool anchored = op.kind != Op::Kind::kRemove;
    if (!anchored && (tag & (kTagRight | kTagRightSame)))
      return malformed("remove with an anchor");
    uint64_t chained = anchored ? 0 : tag & (kTagEntryBack | kTagEntryFwd);
    if (chained == (kTagEntryBack | kTagEntryFwd) || (chained && !prev_entry))
      return malformed("bad entry chain");
    if (!anchored) tag &= ~(kTagEntryBack | kTagEntryFwd);
    if ((tag & kTagLeftChain) && (!(tag & kTagLeft) || !prev_id)) return malformed("bad left chain");
    if ((tag & kTagRightSame) && (!(tag & kTagRight) || !prev_right)) return malformed("bad right chain");
    uint64_t rep = (tag & kTagSameReplica) ? prev_rep : in.varint();
    if (rep >= reps.size()) return malformed("replica out of range");
    op.id.replica = reps[rep];
    op.id.lamport = (tag & kTagNextLamport) ? in.lamport(prev_lamport, 1) : in.lamport(prev_lamport, in.zigzag());
    auto ref = [&]() -> OpId {
      uint64_t r = in.varint();
      if (r >= reps.size()) return in.fail(), OpId{};
      uint64_t l = in.lamport(op.id.lamport, in.zigzag());
      return OpId{l, reps[r]};
    };
    Anchor a;
    if (tag & kTagLeft) a.left = (tag & kTagLeftChain) ? *prev_id : ref();
    if (tag & kTagRight) a.right = (tag & kTagRightSame) ? *prev_right : ref();
    switch (op.kind) {
      case Op::Kind::kInsert: {
        op.insert.at = a;
        uint64_t len = in.count(detail::kMaxValue);
        op.insert.value = std::string(in.bytes(len));
        break;
      }
      case Op::Kind::kMove:
        op.move.to = a;
        op.move.entry = ref();
        break;
      case Op::Kind::kRemove:
        if (chained)
          op.remove.entry = {in.lamport(prev_entry->lamport, chained == kTagEntryBack ? -1 : 1), prev_entry->replica};
        else
          op.remove.entry = ref();
        prev_entry = op.remove.entry;
        break;
    }
    if (in.bad()) break;
    prev_rep = rep;
    prev_lamport = op.id.lamport;
    prev_id = op.id;
    prev_right = anchored ? a.right : std::nullopt;
    ops.push_back(std::move(op));
  }
  if (in.bad()) return malformed("truncated or invalid op");
  if (in.left() != 0) return malformed("trailing bytes");
  return ops;
}

// ---------------------------------------------------------------- snapshots

std::string Sequence::encode_snapshot() const {
  const Impl& m = *impl_;
  Writer w;
  w.magic(kSnapMagic);
  w.varint(m.replicas.size());
  for (ReplicaId r : m.replicas) w.varint(r);

  // Segments in list order, joined into runs of chained inserts: same replica, consecutive
  // lamports, each one's left origin the previous element, all with the same right origin.
  // (In memory a run may be cut into several segments by removes, moves and values.)
  std::vector<uint32_t> order;
  order.reserve(m.segs.size());
  m.tree.for_each([&](uint32_t s) { order.push_back(s); });
  struct Run {
    uint32_t first;  // index in order
    uint64_t len;
  };
  std::vector<Run> runs;
  std::size_t nslots = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    uint32_t s = order[i];
    nslots += m.segs[s].len;
    if (!runs.empty() && !m.is_move(s)) {
      Run& run = runs.back();
      const detail::Seg& g = m.segs[s];
      const detail::Seg& first = m.segs[order[run.first]];
      const detail::Seg& prev = m.segs[order[i - 1]];
      if (!m.is_move(order[i - 1]) && g.rep == prev.rep && g.lam == prev.lam + prev.len &&
          g.left() == prev.id(prev.len - 1) && g.right() == first.right()) {
        run.len += g.len;
        continue;
      }
    }
    runs.push_back({static_cast<uint32_t>(i), m.segs[s].len});
  }
  w.varint(nslots);
  w.varint(runs.size());
  uint64_t prev_lamport = 0;
  for (const Run& run : runs) {
    const detail::Seg& g = m.segs[order[run.first]];
    uint64_t lam = g.lam;
    auto ref = [&](const Eid& t) {
      w.varint(t.rep);
      w.zigzag(static_cast<int64_t>(t.lam - lam));
    };
    const Eid left = g.left(), right = g.right();
    bool left_prev = false;
    if (!left.none() && run.first > 0) {
      const detail::Seg& p = m.segs[order[run.first - 1]];
      left_prev = p.id(p.len - 1) == left;
    }
    bool move = m.is_move(order[run.first]);
    uint64_t h = (move ? kRunMove : 0) | (!left.none() ? kRunLeft : 0) | (left_prev ? kRunLeftPrev : 0) |
                 (!right.none() ? kRunRight : 0) | ((run.len - 1) << 4);
    w.varint(h);
    w.varint(g.rep);
    w.zigzag(static_cast<int64_t>(lam - prev_lamport));
    prev_lamport = lam;
    if (!left.none() && !left_prev) ref(left);
    if (!right.none()) ref(right);
    if (move) ref(m.segs[m.entry_of_move(order[run.first])].id(0));
  }

  // Remove ops by (replica, lamport), in runs: consecutive lamports, one entry replica, entry
  // lamports stepping by a constant (backspace: -1, delete key: +1).
  struct Rem {
    uint32_t rep;
    uint64_t lam;
    Eid entry;
  };
  std::vector<Rem> rem;
  rem.reserve(m.remove_count);
  for (const detail::RemoveRun& r : m.removes)
    for (uint64_t k = 0; k < r.len; ++k)
      rem.push_back({r.rep, r.lam + k, Eid{r.target_rep, r.target_lam + static_cast<uint64_t>(r.step) * k}});
  std::sort(rem.begin(), rem.end(), [](const Rem& a, const Rem& b) {
    if (a.rep != b.rep) return a.rep < b.rep;
    return a.lam < b.lam;
  });
  struct RemRun {
    uint32_t first, len;
    int64_t step;
  };
  std::vector<RemRun> rruns;
  for (std::size_t i = 0; i < rem.size(); ++i) {
    if (!rruns.empty()) {
      RemRun& run = rruns.back();
      const Rem& r = rem[i];
      const Rem& p = rem[i - 1];
      int64_t step = static_cast<int64_t>(r.entry.lam - p.entry.lam);
      if (r.rep == p.rep && r.lam == p.lam + 1 && r.entry.rep == rem[run.first].entry.rep &&
          (run.len == 1 || step == run.step)) {
        run.step = step;
        ++run.len;
        continue;
      }
    }
    rruns.push_back({static_cast<uint32_t>(i), 1, 0});
  }
  w.varint(rem.size());
  w.varint(rruns.size());
  prev_lamport = 0;
  for (const RemRun& run : rruns) {
    const Rem& r = rem[run.first];
    w.varint(run.len);
    w.varint(r.rep);
    w.zigzag(static_cast<int64_t>(r.lam - prev_lamport));
    prev_lamport = r.lam;
    w.varint(r.entry.rep);
    w.zigzag(static_cast<int64_t>(r.entry.lam - r.lam));
    if (run.len > 1) w.zigzag(run.step);
  }

  // Values of the entries that are not removed, in list order of their insert slots: the
  // lengths run-length coded, then the bytes.
  std::vector<std::pair<uint32_t, uint64_t>> lens;  // (length, count)
  std::string blob;
  for (uint32_t s : order) {
    const detail::Seg& g = m.segs[s];
    if (g.flags & (detail::kSegMove | detail::kSegRemoved)) continue;
    if (!lens.empty() && lens.back().first == g.width)
      lens.back().second += g.len;
    else
      lens.emplace_back(g.width, g.len);
    blob.append(m.arena.data() + g.off, std::size_t{g.len} * g.width);
  }
  w.varint(lens.size());
  for (auto [len, count] : lens) {
    w.varint(len);
    w.varint(count);
  }
  w.bytes(blob);
  return w.take();
}

std::vector<Op> Sequence::to_ops() const {
  const Impl& m = *impl_;
  std::vector<Op> out;
  out.reserve(m.element_count + m.remove_count);
  auto opt_id = [&](const Eid& e) { return e.none() ? std::optional<OpId>() : std::optional<OpId>(m.op_id(e)); };
  m.tree.for_each([&](uint32_t s) {
    const detail::Seg& g = m.segs[s];
    for (uint32_t k = 0; k < g.len; ++k) {
      Op op;
      op.id = m.elem_id(s, k);
      Anchor at{opt_id(k == 0 ? g.left() : g.id(k - 1)), opt_id(g.right())};
      if (m.is_move(s)) {
        op.kind = Op::Kind::kMove;
        op.move.entry = m.elem_id(m.entry_of_move(s), 0);
        op.move.to = at;
      } else {
        op.kind = Op::Kind::kInsert;
        op.insert.at = at;
        if (!m.is_removed(s)) op.insert.value = std::string(m.value(s, k));
      }
      out.push_back(std::move(op));
    }
  });
  for (const detail::RemoveRun& r : m.removes)
    for (uint64_t k = 0; k < r.len; ++k) {
      Op op;
      op.id = {r.lam + k, m.replicas[r.rep]};
      op.kind = Op::Kind::kRemove;
      op.remove.entry = {r.target_lam + static_cast<uint64_t>(r.step * static_cast<int64_t>(k)), m.replicas[r.target_rep]};
      out.push_back(std::move(op));
    }
  std::sort(out.begin(), out.end(), [](const Op& a, const Op& b) { return a.id < b.id; });
  return out;
}

Result<Sequence> Sequence::decode_snapshot(std::string_view bytes, ReplicaId local) {
  Reader in(bytes);
  if (!in.magic(kSnapMagic)) return malformed("not a playlist snapshot (magic/version)");
  SEGUE_ASSIGN_OR_RETURN(std::vector<ReplicaId> reps, read_replicas(in));
  // Runs make many slots out of few bytes; bound the total by the input size.
  const uint64_t limit = std::min<uint64_t>(kMaxItems, 4096 + 256 * uint64_t{bytes.size()});
  uint64_t nslots = in.count(limit);
  uint64_t nruns = in.count(std::min<uint64_t>(nslots, in.left()));
  if (in.bad()) return malformed("slot count");

  Sequence seq(local);
  Impl& m = *seq.impl_;
  for (ReplicaId r : reps) m.replica_number(r);
  m.segs.reserve(nruns);
  m.tree.reserve(nruns);
  auto range = [&m](uint32_t r) { return m.range(r); };
  std::vector<std::pair<uint32_t, Eid>> moves;  // (move segment, entry)
  uint64_t prev_lamport = 0, total = 0;
  for (uint64_t i = 0; i < nruns; ++i) {
    uint64_t h = in.varint();
    uint64_t rep = in.varint();
    uint64_t lam = in.lamport(prev_lamport, in.zigzag());
    if (in.bad() || rep >= reps.size()) return malformed("slot run");
    prev_lamport = lam;
    uint64_t len = (h >> 4) + 1;
    bool move = h & kRunMove;
    if ((h >> 4) > nslots || total + len > nslots || (move && len != 1) ||
        ((h & kRunLeftPrev) && (!(h & kRunLeft) || m.segs.empty())) || lam + (len - 1) > kMaxLamport)
      return malformed("slot run header");
    auto ref = [&]() -> Eid {
      uint64_t r = in.varint();
      if (r >= reps.size()) return in.fail(), Eid{};
      return Eid{static_cast<uint32_t>(r), in.lamport(lam, in.zigzag())};
    };
    detail::Seg g;
    g.lam = lam;
    g.rep = static_cast<uint32_t>(rep);
    g.len = static_cast<uint32_t>(len);
    g.flags = move ? detail::kSegMove : 0;
    Eid left, right, entry;
    if (h & kRunLeftPrev) {
      const detail::Seg& p = m.segs.back();
      left = p.id(p.len - 1);
    } else if (h & kRunLeft) {
      left = ref();
    }
    if (h & kRunRight) right = ref();
    if (move) entry = ref();
    if (in.bad()) return malformed("slot run");
    g.left_rep = left.rep;
    g.left_lam = left.lam;
    g.right_rep = right.rep;
    g.right_lam = right.lam;
    if (m.index.overlaps(g.rep, lam, len, range)) return malformed("duplicate op id");
    uint32_t s = m.new_segment(g);
    m.tree.push_back(s);
    m.count_ids(g.rep, lam, len);
    m.element_count += len;
    if (move) moves.emplace_back(s, entry);
    total += len;
  }
  if (total != nslots) return malformed("slot count mismatch");
  // Origins must name slots now that every slot exists.
  for (uint32_t s = 0; s < m.segs.size(); ++s) {
    const detail::Seg& g = m.segs[s];
    for (const Eid& o : {g.left(), g.right()}) {
      if (o.none()) continue;
      if (!m.locate(o).found()) return malformed("unknown origin");
      if (o == g.id(0)) return malformed("slot is its own origin");
    }
  }
  // Moved entries get segments of their own, then the largest move of each wins.
  for (auto [s, entry] : moves) {
    Impl::Loc e = m.locate(entry);
    if (!e.found() || m.is_move(e.ref)) return malformed("move of an unknown entry");
    uint32_t es = m.isolate(e.ref, e.off);
    m.segs[es].flags |= detail::kSegPinned;
    m.links.put(s, es);
  }
  for (auto [s, entry] : moves) {
    uint32_t e = m.entry_of_move(s);
    if (m.id_less(m.segs[m.winner(e)].id(0), m.segs[s].id(0))) m.links.put(e, s);
  }

  // Removes.
  uint64_t nrem = in.count(limit);
  uint64_t nrruns = in.count(std::min<uint64_t>(nrem, in.left()));
  if (in.bad()) return malformed("remove count");
  prev_lamport = 0;
  total = 0;
  for (uint64_t i = 0; i < nrruns; ++i) {
    uint64_t len = in.varint();
    uint64_t rep = in.varint();
    uint64_t lam = in.lamport(prev_lamport, in.zigzag());
    uint64_t erep = in.varint();
    uint64_t elam = in.lamport(lam, in.zigzag());
    int64_t step = len > 1 ? in.zigzag() : 0;
    if (in.bad() || len == 0 || len > nrem - total || rep >= reps.size() || erep >= reps.size() ||
        lam + (len - 1) > kMaxLamport)
      return malformed("remove run");
    prev_lamport = lam;
    for (uint64_t k = 0; k < len; ++k) {
      __int128 el = static_cast<__int128>(elam) + static_cast<__int128>(step) * static_cast<__int128>(k);
      if (el < 1 || el > static_cast<__int128>(kMaxLamport)) return malformed("remove run entry");
      Impl::Loc e = m.locate(Eid{static_cast<uint32_t>(erep), static_cast<uint64_t>(el)});
      if (!e.found() || e.is_remove() || m.is_move(e.ref)) return malformed("remove of an unknown entry");
      if (m.index.overlaps(static_cast<uint32_t>(rep), lam + k, 1, range)) return malformed("duplicate op id");
      m.record_remove(static_cast<uint32_t>(rep), lam + k, m.segs[e.ref].id(e.off));
      m.remove_entry(e.ref, e.off);
    }
    total += len;
  }
  if (total != nrem) return malformed("remove count mismatch");

  // Values, then visibility.
  uint64_t npairs = in.count(in.left());
  std::vector<std::pair<uint64_t, uint64_t>> lens;
  uint64_t nvalues = 0, nbytes = 0;
  for (uint64_t i = 0; i < npairs && !in.bad(); ++i) {
    uint64_t len = in.count(detail::kMaxValue);
    uint64_t count = in.count(nslots);
    nvalues += count;
    nbytes += len * count;
    if (nvalues > nslots || nbytes > in.left() + 0u) in.fail();
    lens.emplace_back(len, count);
  }
  if (in.bad()) return malformed("value lengths");
  if (nbytes != in.left()) return malformed("value bytes");
  std::string_view blob = in.bytes(nbytes);
  m.arena.reserve(nbytes);
  std::size_t pair = 0, used = 0, off = 0;
  for (uint32_t s = m.tree.first(); s != kNone; s = m.tree.next(s)) {
    if (m.segs[s].flags & (detail::kSegMove | detail::kSegRemoved)) continue;
    while (pair < lens.size() && used == lens[pair].second) {
      ++pair;
      used = 0;
    }
    if (pair == lens.size()) return malformed("value count does not match the entries");
    // The segment's values must have one width: cut it where the width changes.
    uint64_t k = std::min<uint64_t>(m.segs[s].len, lens[pair].second - used);
    if (k < m.segs[s].len) m.split(s, static_cast<uint32_t>(k));
    detail::Seg& g = m.segs[s];
    std::size_t width = lens[pair].first;
    used += k;
    g.width = static_cast<uint8_t>(width);
    g.off = static_cast<uint32_t>(m.arena.size());
    m.arena.append(blob.data() + off, k * width);
    off += k * width;
    uint32_t win = m.winner(s);
    m.tree.set_weight(win, win == s ? g.len : 1);
  }
  while (pair < lens.size() && used == lens[pair].second) {
    ++pair;
    used = 0;
  }
  if (pair != lens.size()) return malformed("value count does not match the entries");
  return seq;
}

}  // namespace segue::playlist
