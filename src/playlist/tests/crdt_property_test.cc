// Property tests: random interleavings of 3-5 replicas doing inserts, removes, moves and
// range moves, exchanging ops in random orders with duplicates and delays. Every replica ends
// with the same entries and digest, and a fresh replica applying all ops in yet another order
// (with duplicates) agrees. Seeded: the run is the same every time.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>

#include "playlist/crdt.h"
#include "playlist/tests/crdt_test_util.h"

namespace segue::playlist {
namespace {

using testing::snapshot_of;

struct Sim {
  std::mt19937_64 rng;
  std::vector<Sequence> reps;
  std::vector<std::vector<Op>> inbox;  // undelivered ops per replica (any order)
  std::vector<Op> log;

  Sim(uint64_t seed, int n) : rng(seed) {
    for (int i = 0; i < n; ++i) {
      reps.emplace_back(static_cast<ReplicaId>(10 + rng() % 1000 * 8 + static_cast<uint64_t>(i)));
      inbox.emplace_back();
    }
  }
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng() % n); }

  void broadcast(std::size_t from, const Op& op) {
    log.push_back(op);
    for (std::size_t r = 0; r < reps.size(); ++r)
      if (r != from) inbox[r].push_back(op);
  }

  void local_edit(std::size_t r) {
    Sequence& s = reps[r];
    std::size_t n = s.size();
    int what = static_cast<int>(pick(10));
    std::vector<Op> ops;
    if (n == 0 || what < 4) {
      // Inserts: a value from a small set (duplicates are common), sometimes a typed run.
      std::size_t pos = pick(n + 1);
      int count = pick(4) == 0 ? 1 + static_cast<int>(pick(4)) : 1;
      bool at_same = pick(2) == 0;
      for (int k = 0; k < count; ++k) {
        Result<Op> op = s.insert(at_same ? pos : pos + static_cast<std::size_t>(k), "t" + std::to_string(pick(6)));
        ASSERT_TRUE(op.ok());
        ops.push_back(std::move(op).value());
      }
    } else if (what < 6) {
      Result<Op> op = s.remove(pick(n));
      ASSERT_TRUE(op.ok());
      ops.push_back(std::move(op).value());
    } else if (what < 9) {
      Result<Op> op = s.move(pick(n), pick(n + 1));
      ASSERT_TRUE(op.ok());
      ops.push_back(std::move(op).value());
    } else {
      std::size_t start = pick(n);
      std::size_t len = 1 + pick(std::min<std::size_t>(4, n - start));
      ops = testing::move_range(s, start, len, pick(n + 1));
    }
    for (const Op& op : ops) broadcast(r, op);
  }

  // Delivers one random op from r's inbox; sometimes keeps it there (a duplicate later).
  void deliver_one(std::size_t r) {
    auto& box = inbox[r];
    if (box.empty()) return;
    std::size_t i = pick(box.size());
    ASSERT_TRUE(reps[r].apply(box[i]).ok());
    if (pick(8) != 0) {
      box[i] = std::move(box.back());
      box.pop_back();
    }
  }

  void run(int steps) {
    for (int step = 0; step < steps; ++step) {
      std::size_t r = pick(reps.size());
      if (pick(3) == 0)
        local_edit(r);
      else
        for (int k = static_cast<int>(pick(4)); k >= 0; --k) deliver_one(r);
    }
    for (std::size_t r = 0; r < reps.size(); ++r)
      while (!inbox[r].empty()) deliver_one(r);
  }
};

void check_converged(Sim& sim, uint64_t seed) {
  const Sequence& first = sim.reps[0];
  for (const Sequence& s : sim.reps) {
    ASSERT_EQ(s.pending(), 0u) << "seed " << seed;
    ASSERT_EQ(s.op_count(), sim.log.size()) << "seed " << seed;
    ASSERT_EQ(snapshot_of(s), snapshot_of(first)) << "seed " << seed;
    ASSERT_EQ(s.digest(), first.digest()) << "seed " << seed;
    ASSERT_EQ(s.max_lamport(), first.max_lamport()) << "seed " << seed;
  }
  // A fresh replica: all ops shuffled, some twice.
  std::vector<Op> ops = sim.log;
  for (std::size_t i = 0; i < sim.log.size() / 4; ++i) ops.push_back(sim.log[sim.pick(sim.log.size())]);
  std::shuffle(ops.begin(), ops.end(), sim.rng);
  Sequence fresh(99);
  for (const Op& op : ops) ASSERT_TRUE(fresh.apply(op).ok());
  ASSERT_EQ(fresh.pending(), 0u) << "seed " << seed;
  ASSERT_EQ(snapshot_of(fresh), snapshot_of(first)) << "seed " << seed;
  ASSERT_EQ(fresh.digest(), first.digest()) << "seed " << seed;
  // Positions agree with the entry list.
  auto entries = fresh.entries();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    ASSERT_EQ(fresh.position_of(entries[i].id), i);
    ASSERT_EQ(fresh.at(i).slot, entries[i].slot);
  }
  // The update encoding of the whole log and the snapshot of the state load into equal
  // sequences.
  auto decoded = decode_ops(encode_ops(ops));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->size(), ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) ASSERT_TRUE(testing::same_op((*decoded)[i], ops[i])) << i;
  auto loaded = Sequence::decode_snapshot(first.encode_snapshot(), 5);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(snapshot_of(*loaded), snapshot_of(first)) << "seed " << seed;
  ASSERT_EQ(loaded->digest(), first.digest());
  ASSERT_EQ(loaded->op_count(), first.op_count());
  ASSERT_EQ(loaded->max_lamport(), first.max_lamport());
}

TEST(PlaylistCrdtProperty, RandomInterleavingsConverge) {
  int total_ops = 0;
  for (uint64_t seed = 1; seed <= 2500; ++seed) {
    Sim sim(seed, 3 + static_cast<int>(seed % 3));
    sim.run(40 + static_cast<int>(seed % 80));
    ASSERT_NO_FATAL_FAILURE(check_converged(sim, seed));
    total_ops += static_cast<int>(sim.log.size());
  }
  EXPECT_GT(total_ops, 20000);
}

// After convergence, the snapshot keeps enough to integrate further concurrent ops exactly
// like the replica it was taken from.
TEST(PlaylistCrdtProperty, SnapshotThenMoreConcurrentOps) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Sim sim(seed * 7919, 3);
    sim.run(60);
    std::string snap = sim.reps[0].encode_snapshot();
    std::size_t before = sim.log.size();
    sim.run(60);
    auto loaded = Sequence::decode_snapshot(snap, 77);
    ASSERT_TRUE(loaded.ok());
    std::vector<Op> later(sim.log.begin() + static_cast<long>(before), sim.log.end());
    std::shuffle(later.begin(), later.end(), sim.rng);
    for (const Op& op : later) ASSERT_TRUE(loaded->apply(op).ok());
    ASSERT_EQ(loaded->pending(), 0u) << seed;
    ASSERT_EQ(snapshot_of(*loaded), snapshot_of(sim.reps[1])) << seed;
    ASSERT_EQ(loaded->digest(), sim.reps[1].digest()) << seed;
  }
}

// The state as operations (what the playlist service sends after folding old ops into a
// snapshot): in order they rebuild an equal sequence with nothing pending, also from a loaded
// snapshot, and further concurrent ops integrate exactly as on the original replicas.
TEST(PlaylistCrdtProperty, StateAsOpsRebuildsTheState) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    Sim sim(seed * 104729, 3 + static_cast<int>(seed % 3));
    sim.run(60);
    const Sequence& base = sim.reps[0];
    std::vector<Op> ops = base.to_ops();
    ASSERT_EQ(ops.size(), base.op_count()) << seed;
    Sequence rebuilt(61);
    for (const Op& op : ops) {
      ASSERT_TRUE(rebuilt.apply(op).ok()) << seed;
      ASSERT_EQ(rebuilt.pending(), 0u) << seed << ": not in causal order";
    }
    ASSERT_EQ(snapshot_of(rebuilt), snapshot_of(base)) << seed;
    ASSERT_EQ(rebuilt.digest(), base.digest()) << seed;
    ASSERT_EQ(rebuilt.max_lamport(), base.max_lamport()) << seed;
    auto loaded = Sequence::decode_snapshot(base.encode_snapshot(), 62);
    ASSERT_TRUE(loaded.ok());
    Sequence from_snapshot(63);
    for (const Op& op : loaded->to_ops()) ASSERT_TRUE(from_snapshot.apply(op).ok());
    ASSERT_EQ(from_snapshot.digest(), base.digest()) << seed;
    ASSERT_EQ(snapshot_of(from_snapshot), snapshot_of(base)) << seed;
    // More concurrent work, then the rest of the log on top of the rebuilt state.
    std::size_t before = sim.log.size();
    sim.run(60);
    std::vector<Op> later(sim.log.begin() + static_cast<long>(before), sim.log.end());
    std::shuffle(later.begin(), later.end(), sim.rng);
    for (const Op& op : later) ASSERT_TRUE(rebuilt.apply(op).ok());
    // Ops rep0 had pending at the cut are in the log before `before`: deliver them too.
    for (std::size_t k = 0; k < before; ++k) ASSERT_TRUE(rebuilt.apply(sim.log[k]).ok());
    ASSERT_EQ(rebuilt.pending(), 0u) << seed;
    ASSERT_EQ(snapshot_of(rebuilt), snapshot_of(sim.reps[1])) << seed;
    ASSERT_EQ(rebuilt.digest(), sim.reps[1].digest()) << seed;
  }
}

}  // namespace
}  // namespace segue::playlist
