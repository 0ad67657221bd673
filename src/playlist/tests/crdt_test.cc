// Unit tests of each rule of the sequence CRDT (docs/formats/playlist-crdt.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "playlist/crdt.h"
#include "playlist/tests/crdt_test_util.h"

namespace segue::playlist {
namespace {

using testing::joined;
using testing::snapshot_of;
using testing::values;
using V = std::vector<std::string>;

Op must(Result<Op> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return std::move(r).value();
}

void deliver(Sequence& to, const std::vector<Op>& ops) {
  for (const Op& op : ops) ASSERT_TRUE(to.apply(op).ok());
}

TEST(PlaylistCrdt, LocalInsertRemoveAndRead) {
  Sequence s(1);
  EXPECT_EQ(s.size(), 0u);
  must(s.insert(0, "b"));
  must(s.insert(0, "a"));
  must(s.insert(2, "d"));
  must(s.insert(2, "c"));
  EXPECT_EQ(values(s), (V{"a", "b", "c", "d"}));
  EXPECT_EQ(s.at(2).value, "c");
  EXPECT_EQ(s.position_of(s.at(3).id), 3u);
  Op rm = must(s.remove(1));
  EXPECT_EQ(values(s), (V{"a", "c", "d"}));
  EXPECT_EQ(s.position_of(rm.remove.entry), std::nullopt);
  EXPECT_EQ(s.op_count(), 5u);
  EXPECT_EQ(s.max_lamport(), 5u);
  EXPECT_TRUE(s.has(rm.id));
}

TEST(PlaylistCrdt, LocalOpsUseTheNextLamport) {
  Sequence a(1), b(2);
  Op x = must(a.insert(0, "x"));
  EXPECT_EQ(x.id, (OpId{1, 1}));
  for (int i = 0; i < 5; ++i) must(b.insert(0, "y"));
  Op y = must(b.insert(0, "z"));
  EXPECT_EQ(y.id, (OpId{6, 2}));
  // a has not seen b's earlier ops: y waits there, and a's clock follows only applied ops.
  ASSERT_TRUE(a.apply(y).ok());
  EXPECT_EQ(a.max_lamport(), 1u);
  EXPECT_EQ(a.pending(), 1u);
  ASSERT_TRUE(b.apply(x).ok());
  EXPECT_EQ(must(b.insert(0, "w")).id, (OpId{7, 2}));
}

TEST(PlaylistCrdt, RejectsBadPositionsAndValues) {
  Sequence s(1);
  EXPECT_FALSE(s.insert(1, "x").ok());
  EXPECT_FALSE(s.remove(0).ok());
  EXPECT_FALSE(s.move(0, 0).ok());
  EXPECT_FALSE(s.insert(0, std::string(256, 'x')).ok());
  EXPECT_TRUE(s.insert(0, std::string(255, 'x')).ok());
  Op bad;
  bad.id = {0, 9};
  EXPECT_FALSE(s.apply(bad).ok());
  Op self;
  self.id = {7, 9};
  self.insert.at.left = OpId{7, 9};
  EXPECT_FALSE(s.apply(self).ok());
  EXPECT_EQ(s.size(), 1u);
}

// The seed's example: A and B both insert at 0 concurrently: A at 0, B at 1 (A's id is
// smaller: same lamport, smaller replica), on both replicas, whatever the delivery order.
TEST(PlaylistCrdt, SeedExampleConcurrentInsertsAtZero) {
  Sequence a(1), b(2);
  Op x = must(a.insert(0, "A"));
  Op y = must(b.insert(0, "B"));
  ASSERT_TRUE(a.apply(y).ok());
  ASSERT_TRUE(b.apply(x).ok());
  EXPECT_EQ(values(a), (V{"A", "B"}));
  EXPECT_EQ(values(b), (V{"A", "B"}));
  EXPECT_EQ(a.digest(), b.digest());

  // With an existing list, and with the second replica's id smaller this time.
  Sequence c(4), d(3);
  Op base1 = must(c.insert(0, "x"));
  Op base2 = must(c.insert(1, "y"));
  deliver(d, {base1, base2});
  Op cc = must(c.insert(0, "C"));
  Op dd = must(d.insert(0, "D"));
  ASSERT_LT(dd.id, cc.id);
  ASSERT_TRUE(c.apply(dd).ok());
  ASSERT_TRUE(d.apply(cc).ok());
  EXPECT_EQ(values(c), (V{"D", "C", "x", "y"}));
  EXPECT_EQ(values(d), (V{"D", "C", "x", "y"}));
}

TEST(PlaylistCrdt, SameValueMayAppearTwice) {
  Sequence s(1);
  must(s.insert(0, "spotify:track:1"));
  must(s.insert(1, "spotify:track:1"));
  must(s.insert(1, "spotify:track:2"));
  EXPECT_EQ(values(s), (V{"spotify:track:1", "spotify:track:2", "spotify:track:1"}));
  EXPECT_NE(s.at(0).id, s.at(2).id);
  must(s.remove(2));
  EXPECT_EQ(values(s), (V{"spotify:track:1", "spotify:track:2"}));
}

TEST(PlaylistCrdt, ConcurrentInsertsIntoTheSameGapKeepBothSmallerIdFirst) {
  for (int order = 0; order < 2; ++order) {
    Sequence base(9);
    std::vector<Op> init;
    for (const char* v : {"a", "b", "c"}) init.push_back(must(base.insert(base.size(), v)));
    std::vector<Sequence> reps;
    for (ReplicaId r : {3, 1, 2}) {
      reps.emplace_back(r);
      deliver(reps.back(), init);
    }
    // Each replica inserts two items (a run) between a and b.
    std::vector<Op> ops;
    for (auto& s : reps) {
      Op o1 = must(s.insert(1, "r" + std::to_string(reps.size())));
      ops.push_back(o1);
      ops.push_back(must(s.insert(2, "second")));
    }
    if (order) std::reverse(ops.begin(), ops.end());
    for (auto& s : reps) deliver(s, ops);
    // Same lamports: replica 1 < 2 < 3. Each replica's run stays together.
    for (auto& s : reps) {
      auto e = s.entries();
      ASSERT_EQ(e.size(), 9u);
      EXPECT_EQ(e[1].id.replica, 1u);
      EXPECT_EQ(e[2].id.replica, 1u);
      EXPECT_EQ(e[3].id.replica, 2u);
      EXPECT_EQ(e[5].id.replica, 3u);
      EXPECT_EQ(e[6].value, "second");
      EXPECT_EQ(e[7].value, "b");
      EXPECT_EQ(s.digest(), reps[0].digest());
    }
  }
}

TEST(PlaylistCrdt, SequentialInsertsAtZeroEndNewestFirst) {
  Sequence s(1);
  std::vector<Op> ops;
  for (const char* v : {"1", "2", "3", "4"}) ops.push_back(must(s.insert(0, v)));
  EXPECT_EQ(values(s), (V{"4", "3", "2", "1"}));
  // Also at an inner position: each new one goes where the user put it.
  ops.push_back(must(s.insert(2, "x")));
  ops.push_back(must(s.insert(2, "y")));
  EXPECT_EQ(values(s), (V{"4", "3", "y", "x", "2", "1"}));
  // Typing forward keeps the order too.
  ops.push_back(must(s.insert(6, "p")));
  ops.push_back(must(s.insert(7, "q")));
  EXPECT_EQ(joined(s), "43yx21pq");
  // Another replica, ops in reverse: all pending until the first arrives, then the same list.
  Sequence t(2);
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) ASSERT_TRUE(t.apply(*it).ok());
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(snapshot_of(t), snapshot_of(s));
}

TEST(PlaylistCrdt, LocalMoveFollowsInsertBefore) {
  auto make = [] {
    Sequence s(1);
    for (const char* v : {"a", "b", "c", "d"}) must(s.insert(s.size(), v));
    return s;
  };
  {
    Sequence s = make();
    must(s.move(0, 2));
    EXPECT_EQ(joined(s), "bacd");
  }
  {
    Sequence s = make();
    must(s.move(3, 0));
    EXPECT_EQ(joined(s), "dabc");
  }
  {
    Sequence s = make();
    must(s.move(1, 4));
    EXPECT_EQ(joined(s), "acdb");
  }
  {
    Sequence s = make();
    must(s.move(1, 1));
    EXPECT_EQ(joined(s), "abcd");
    must(s.move(1, 2));
    EXPECT_EQ(joined(s), "abcd");
    Op m = must(s.move(2, 0));
    EXPECT_EQ(joined(s), "cabd");
    EXPECT_EQ(s.at(0).slot, m.id);
    EXPECT_EQ(s.position_of(m.move.entry), 0u);
  }
  {
    Sequence s = make();
    testing::move_range(s, 0, 2, 4);
    EXPECT_EQ(joined(s), "cdab");
    testing::move_range(s, 2, 2, 0);
    EXPECT_EQ(joined(s), "abcd");
    testing::move_range(s, 1, 2, 4);
    EXPECT_EQ(joined(s), "adbc");
  }
}

TEST(PlaylistCrdt, ConcurrentMovesOfOneEntryEndInOnePlace) {
  Sequence a(1), b(2), c(3);
  std::vector<Op> init;
  for (const char* v : {"a", "b", "c", "d", "e"}) init.push_back(must(a.insert(a.size(), v)));
  deliver(b, init);
  deliver(c, init);
  Op ma = must(a.move(2, 0));  // c to the front
  Op mb = must(b.move(2, 5));  // c to the end
  Op mc = must(c.move(2, 4));  // c before e
  ASSERT_LT(ma.id, mb.id);
  ASSERT_LT(mb.id, mc.id);  // same lamport, replica 3 largest: c's move wins
  deliver(a, {mc, mb});
  deliver(b, {ma, mc});
  deliver(c, {mb, ma});
  for (Sequence* s : {&a, &b, &c}) {
    EXPECT_EQ(joined(*s), "abdce");
    EXPECT_EQ(s->size(), 5u);
    EXPECT_EQ(s->digest(), a.digest());
  }
  // A later move (larger lamport) wins over all of them.
  Op later = must(b.move(3, 0));
  deliver(a, {later});
  EXPECT_EQ(joined(a), "cabde");
  EXPECT_EQ(joined(b), "cabde");
}

TEST(PlaylistCrdt, RemoveWinsOverConcurrentMove) {
  Sequence a(1), b(2);
  std::vector<Op> init;
  for (const char* v : {"a", "b", "c"}) init.push_back(must(a.insert(a.size(), v)));
  deliver(b, init);
  Op mv = must(a.move(1, 3));  // b to the end (larger lamport than the remove below? no matter)
  Op mv2 = must(a.move(2, 0));
  Op rm = must(b.remove(1));
  ASSERT_TRUE(a.apply(rm).ok());
  deliver(b, {mv2, mv});
  EXPECT_EQ(joined(a), "ac");
  EXPECT_EQ(joined(b), "ac");
  EXPECT_EQ(a.digest(), b.digest());
  // A move that arrives after the remove does not bring it back.
  Op late = must(a.insert(0, "z"));
  (void)late;
  EXPECT_EQ(b.position_of(rm.remove.entry), std::nullopt);
  // Concurrent removes of one entry: both count as ops, the entry is gone once.
  Sequence c(3);
  deliver(c, init);
  Op rm2 = must(c.remove(1));
  ASSERT_TRUE(b.apply(rm2).ok());
  EXPECT_EQ(joined(b), "ac");
  EXPECT_EQ(b.op_count(), 7u);
}

TEST(PlaylistCrdt, OutOfOrderDeliveryWaitsForDependencies) {
  Sequence a(1);
  std::vector<Op> ops;
  ops.push_back(must(a.insert(0, "a")));
  ops.push_back(must(a.insert(1, "b")));
  ops.push_back(must(a.insert(1, "c")));
  ops.push_back(must(a.move(0, 3)));
  ops.push_back(must(a.remove(0)));
  ops.push_back(must(a.insert(0, "d")));
  Sequence b(2);
  // Everything but the first: all waits.
  for (std::size_t i = ops.size(); i-- > 1;) ASSERT_TRUE(b.apply(ops[i]).ok());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.pending(), 5u);
  EXPECT_EQ(b.op_count(), 0u);
  EXPECT_FALSE(b.has(ops[1].id));
  // Duplicates while pending change nothing.
  ASSERT_TRUE(b.apply(ops[3]).ok());
  EXPECT_EQ(b.pending(), 5u);
  ASSERT_TRUE(b.apply(ops[0]).ok());
  EXPECT_EQ(b.pending(), 0u);
  EXPECT_EQ(b.op_count(), 6u);
  EXPECT_EQ(snapshot_of(b), snapshot_of(a));
  EXPECT_EQ(b.digest(), a.digest());
  EXPECT_EQ(b.max_lamport(), a.max_lamport());
}

TEST(PlaylistCrdt, ApplyingTwiceIsANoOp) {
  Sequence a(1), b(2);
  std::vector<Op> ops;
  for (int i = 0; i < 10; ++i) ops.push_back(must(a.insert(static_cast<std::size_t>(i / 2), std::to_string(i))));
  ops.push_back(must(a.remove(3)));
  ops.push_back(must(a.move(0, 7)));
  deliver(b, ops);
  std::string d = b.digest();
  deliver(b, ops);
  EXPECT_EQ(b.digest(), d);
  EXPECT_EQ(b.op_count(), ops.size());
  EXPECT_EQ(snapshot_of(a), snapshot_of(b));
}

TEST(PlaylistCrdt, AnchorNamingARemoveIsInvalid) {
  Sequence a(1);
  must(a.insert(0, "x"));
  Op rm = must(a.remove(0));
  Op bad;
  bad.id = {10, 2};
  bad.insert.at.left = rm.id;
  EXPECT_FALSE(a.apply(bad).ok());
  // Pending first, then dropped when the dependency turns out to be a remove.
  Sequence b(3);
  ASSERT_TRUE(b.apply(bad).ok());
  EXPECT_EQ(b.pending(), 1u);
  Sequence tmp(1);
  Op ins = must(tmp.insert(0, "x"));
  deliver(b, {ins, rm});
  EXPECT_EQ(b.pending(), 0u);
  EXPECT_FALSE(b.has(bad.id));
  EXPECT_EQ(b.digest(), a.digest());
}

TEST(PlaylistCrdt, DigestIsOrderIndependentAndDistinguishesSets) {
  Sequence a(1);
  std::vector<Op> ops;
  for (int i = 0; i < 50; ++i) ops.push_back(must(a.insert(0, "v")));
  Sequence b(2), c(3);
  deliver(b, ops);
  std::mt19937 rng(7);
  std::shuffle(ops.begin(), ops.end(), rng);
  deliver(c, ops);
  EXPECT_EQ(b.digest(), c.digest());
  EXPECT_EQ(b.digest().size(), 32u);
  must(c.remove(0));
  EXPECT_NE(b.digest(), c.digest());
  EXPECT_NE(Sequence(1).digest(), b.digest());
}

TEST(PlaylistCrdt, AnchorAtResolvesAgainstAnOlderState) {
  // A client that built its positions against an older list: resolve them there, apply the ids
  // to the current list.
  Sequence now(1);
  for (const char* v : {"a", "b", "c"}) must(now.insert(now.size(), v));
  std::string old_bytes = now.encode_snapshot();
  must(now.insert(0, "new"));
  auto old = Sequence::decode_snapshot(old_bytes, 7);
  ASSERT_TRUE(old.ok());
  Anchor at = old->anchor_at(2);  // between b and c in the old list
  Op op;
  op.id = {now.max_lamport() + 1, 7};
  op.insert.at = at;
  op.insert.value = "x";
  ASSERT_TRUE(now.apply(op).ok());
  EXPECT_EQ(joined(now), "newabxc");
  EXPECT_EQ(now.entry_id_at(3), op.id);
}

// A 10,000-entry playlist and 100 editors, each making a few edits on its own copy: the merge
// is complete and the same in two delivery orders (timing is measured in bench/crdt).
TEST(PlaylistCrdt, TenThousandEntriesHundredEditors) {
  Sequence base(1000);
  for (int i = 0; i < 10000; ++i) must(base.insert(static_cast<std::size_t>(i), "spotify:track:" + std::to_string(i % 997)));
  std::string snap = base.encode_snapshot();
  std::vector<Op> all;
  std::mt19937 rng(42);
  for (ReplicaId r = 1; r <= 100; ++r) {
    auto ed = Sequence::decode_snapshot(snap, r);
    ASSERT_TRUE(ed.ok());
    for (int k = 0; k < 10; ++k) {
      std::size_t n = ed->size();
      switch (rng() % 3) {
        case 0: all.push_back(must(ed->insert(rng() % (n + 1), "new"))); break;
        case 1: all.push_back(must(ed->remove(rng() % n))); break;
        case 2: all.push_back(must(ed->move(rng() % n, rng() % (n + 1)))); break;
      }
    }
  }
  auto x = Sequence::decode_snapshot(snap, 2000);
  auto y = Sequence::decode_snapshot(snap, 2001);
  ASSERT_TRUE(x.ok() && y.ok());
  deliver(*x, all);
  std::shuffle(all.begin(), all.end(), rng);
  deliver(*y, all);
  EXPECT_EQ(x->pending(), 0u);
  EXPECT_EQ(x->op_count(), 10000u + 1000u);
  EXPECT_EQ(x->digest(), y->digest());
  EXPECT_EQ(snapshot_of(*x), snapshot_of(*y));
  EXPECT_GT(x->size(), 9500u);
  EXPECT_LT(x->memory_bytes() / x->op_count(), 200u);
  for (std::size_t i = 0; i < x->size(); i += 997) EXPECT_EQ(x->position_of(x->at(i).id), i);
}

}  // namespace
}  // namespace segue::playlist
