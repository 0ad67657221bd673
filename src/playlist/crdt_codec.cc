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

  // Slots in list order, cut into runs of chained inserts: same replica, consecutive
  // lamports, each one's left origin the previous slot, all with the same right origin.
  std::vector<uint32_t> order;
  order.reserve(m.s_lamport.size());
  m.tree.for_each([&](uint32_t s) { order.push_back(s); });
  std::vector<std::pair<uint32_t, uint32_t>> runs;  // (index in order, length)
  for (std::size_t i = 0; i < order.size(); ++i) {
    uint32_t s = order[i];
    if (!runs.empty() && !m.is_move(s)) {
      auto& [start, len] = runs.back();
      uint32_t first = order[start], prev = order[i - 1];
      if (!m.is_move(prev) && m.s_replica[s] == m.s_replica[prev] &&
          m.s_lamport[s] == m.s_lamport[prev] + 1 && m.s_left[s] == prev &&
          m.s_right[s] == m.s_right[first]) {
        ++len;
        continue;
      }
    }
    runs.emplace_back(static_cast<uint32_t>(i), 1);
  }
  w.varint(order.size());
  w.varint(runs.size());
  uint64_t prev_lamport = 0;
  for (auto [start, len] : runs) {
    uint32_t s = order[start];
    uint64_t lam = m.s_lamport[s];
    auto ref = [&](uint32_t t) {
      w.varint(m.s_replica[t]);
      w.zigzag(static_cast<int64_t>(m.s_lamport[t] - lam));
    };
    uint32_t left = m.s_left[s], right = m.s_right[s];
    bool left_prev = left != kNone && start > 0 && order[start - 1] == left;
    uint64_t h = (m.is_move(s) ? kRunMove : 0) | (left != kNone ? kRunLeft : 0) |
                 (left_prev ? kRunLeftPrev : 0) | (right != kNone ? kRunRight : 0) |
                 (static_cast<uint64_t>(len - 1) << 4);
    w.varint(h);
    w.varint(m.s_replica[s]);
    w.zigzag(static_cast<int64_t>(lam - prev_lamport));
    prev_lamport = lam;
    if (left != kNone && !left_prev) ref(left);
    if (right != kNone) ref(right);
    if (m.is_move(s)) ref(m.s_aux[s]);
  }

  // Remove ops by (replica, lamport), in runs: consecutive lamports, one entry replica, entry
  // lamports stepping by a constant (backspace: -1, delete key: +1).
  std::vector<uint32_t> rem(m.r_lamport.size());
  for (uint32_t i = 0; i < rem.size(); ++i) rem[i] = i;
  std::sort(rem.begin(), rem.end(), [&](uint32_t a, uint32_t b) {
    if (m.r_replica[a] != m.r_replica[b]) return m.r_replica[a] < m.r_replica[b];
    return m.r_lamport[a] < m.r_lamport[b];
  });
  struct RemRun {
    uint32_t first, len;
    int64_t step;
  };
  std::vector<RemRun> rruns;
  for (std::size_t i = 0; i < rem.size(); ++i) {
    uint32_t r = rem[i];
    if (!rruns.empty()) {
      RemRun& run = rruns.back();
      uint32_t p = rem[i - 1];
      uint32_t e = m.r_entry[r], pe = m.r_entry[p];
      int64_t step = static_cast<int64_t>(m.s_lamport[e] - m.s_lamport[pe]);
      if (m.r_replica[r] == m.r_replica[p] && m.r_lamport[r] == m.r_lamport[p] + 1 &&
          m.s_replica[e] == m.s_replica[m.r_entry[rem[run.first]]] && (run.len == 1 || step == run.step)) {
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
    uint32_t r = rem[run.first];
    uint32_t e = m.r_entry[r];
    w.varint(run.len);
    w.varint(m.r_replica[r]);
    w.zigzag(static_cast<int64_t>(m.r_lamport[r] - prev_lamport));
    prev_lamport = m.r_lamport[r];
    w.varint(m.s_replica[e]);
    w.zigzag(static_cast<int64_t>(m.s_lamport[e] - m.r_lamport[r]));
    if (run.len > 1) w.zigzag(run.step);
  }

  // Values of the entries that are not removed, in list order of their insert slots: the
  // lengths run-length coded, then the bytes.
  std::vector<std::pair<uint32_t, uint64_t>> lens;  // (length, count)
  std::string blob;
  for (uint32_t s : order) {
    if (m.is_move(s) || (m.s_flags[s] & Impl::kFlagRemoved)) continue;
    std::string_view v = m.value_of(s);
    if (!lens.empty() && lens.back().first == v.size())
      ++lens.back().second;
    else
      lens.emplace_back(static_cast<uint32_t>(v.size()), 1);
    blob.append(v);
  }
  w.varint(lens.size());
  for (auto [len, count] : lens) {
    w.varint(len);
    w.varint(count);
  }
  w.bytes(blob);
  return w.take();
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
  m.tree.reserve(nslots);
  m.s_left.reserve(nslots);
  m.s_right.reserve(nslots);
  m.s_value_off.reserve(nslots);
  m.s_replica.reserve(nslots);
  m.s_lamport.reserve(nslots);
  m.s_value_len.reserve(nslots);
  m.s_flags.reserve(nslots);
  m.index.reserve(nslots, [&m](uint32_t r) { return m.ref_id(r); });
  struct Pending {
    uint32_t slot;
    std::optional<OpId> left, right, entry;
    bool left_prev;
  };
  std::vector<Pending> firsts;
  firsts.reserve(nruns);
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
        ((h & kRunLeftPrev) && (!(h & kRunLeft) || m.s_lamport.empty())) ||
        lam + (len - 1) > kMaxLamport)
      return malformed("slot run header");
    auto ref = [&]() -> OpId {
      uint64_t r = in.varint();
      if (r >= reps.size()) return in.fail(), OpId{};
      return OpId{in.lamport(lam, in.zigzag()), reps[r]};
    };
    Pending p{static_cast<uint32_t>(m.s_lamport.size()), {}, {}, {}, (h & kRunLeftPrev) != 0};
    if ((h & kRunLeft) && !(h & kRunLeftPrev)) p.left = ref();
    if (h & kRunRight) p.right = ref();
    if (move) p.entry = ref();
    if (in.bad()) return malformed("slot run");
    for (uint64_t k = 0; k < len; ++k) {
      OpId id{lam + k, reps[rep]};
      if (m.find(id) != kNone) return malformed("duplicate op id");
      uint32_t s = m.new_slot(id, k == 0 ? kNone : static_cast<uint32_t>(m.s_lamport.size() - 1), kNone,
                              move ? 0 : kNone, {});
      m.tree.push_back(s);
    }
    total += len;
    firsts.push_back(p);
  }
  if (total != nslots) return malformed("slot count mismatch");
  // Resolve origins and moved entries now that every slot exists.
  auto slot_of = [&](const std::optional<OpId>& id) -> uint32_t {
    if (!id) return kNone;
    uint32_t r = m.find(*id);
    return r == kNone ? kNone - 1 : r;
  };
  for (std::size_t i = 0; i < firsts.size(); ++i) {
    const Pending& p = firsts[i];
    uint32_t s = p.slot;
    uint32_t end = i + 1 < firsts.size() ? firsts[i + 1].slot : static_cast<uint32_t>(m.s_lamport.size());
    uint32_t left = p.left_prev ? s - 1 : slot_of(p.left);
    uint32_t right = slot_of(p.right);
    if (left == kNone - 1 || right == kNone - 1) return malformed("unknown origin");
    if (left == s || right == s) return malformed("slot is its own origin");
    m.s_left.set(s, left);
    for (uint32_t t = s; t < end; ++t) m.s_right.set(t, right);
    if (p.entry) {
      uint32_t e = slot_of(p.entry);
      if (e == kNone - 1 || m.is_move(e)) return malformed("move of an unknown entry");
      m.s_aux.set(s, e);
    }
  }
  for (uint32_t s = 0; s < m.s_lamport.size(); ++s) {
    if (!m.is_move(s)) continue;
    uint32_t e = m.s_aux[s];
    if (m.slot_less(m.s_aux[e], s)) m.s_aux.set(e, s);
  }

  // Removes.
  uint64_t nrem = in.count(limit);
  uint64_t nrruns = in.count(std::min<uint64_t>(nrem, in.left()));
  if (in.bad()) return malformed("remove count");
  m.index.reserve(nslots + nrem, [&m](uint32_t r) { return m.ref_id(r); });
  m.r_lamport.reserve(nrem);
  m.r_replica.reserve(nrem);
  m.r_entry.reserve(nrem);
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
      OpId id{lam + k, reps[rep]};
      uint32_t e = m.find(OpId{static_cast<uint64_t>(el), reps[erep]});
      if (e == kNone || (e & kRemoveBit) || m.is_move(e)) return malformed("remove of an unknown entry");
      if (m.find(id) != kNone) return malformed("duplicate op id");
      m.new_remove(id, e);
      m.s_flags[e] |= Impl::kFlagRemoved;
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
  bool short_values = false;
  m.tree.for_each([&](uint32_t s) {
    if (short_values || m.is_move(s) || (m.s_flags[s] & Impl::kFlagRemoved)) return;
    while (pair < lens.size() && used == lens[pair].second) {
      ++pair;
      used = 0;
    }
    if (pair == lens.size()) {
      short_values = true;
      return;
    }
    std::size_t len = lens[pair].first;
    ++used;
    m.set_value(s, blob.substr(off, len));
    off += len;
    m.tree.set_visible(m.s_aux[s], true);
  });
  if (short_values || nvalues != static_cast<uint64_t>(m.tree.visible()))
    return malformed("value count does not match the entries");
  return seq;
}

}  // namespace segue::playlist
