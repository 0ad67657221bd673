// The run-length layout of the sequence CRDT: typed runs stay one segment in memory and are
// split on demand (an insert, a remove or a move inside a run), and none of that shows in the
// list, the ids or the encodings.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "playlist/crdt.h"
#include "playlist/tests/crdt_test_util.h"

namespace segue::playlist {
namespace {

using testing::joined;
using testing::snapshot_of;

Op must(Result<Op> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Op{};
}

void type(Sequence& s, std::size_t pos, std::string_view text, std::vector<Op>* out = nullptr) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    Op op = must(s.insert(pos + i, text.substr(i, 1)));
    if (out) out->push_back(op);
  }
}

void expect_positions_consistent(const Sequence& s) {
  std::vector<Entry> entries = s.entries();
  ASSERT_EQ(entries.size(), s.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(s.position_of(entries[i].id), i);
    EXPECT_EQ(s.at(i).id, entries[i].id);
    EXPECT_EQ(s.at(i).value, entries[i].value);
  }
}

// Two replicas: typing, a concurrent run, backspaces, delete-key removes, a 3-byte value, a
// 2-byte value, moves in and out of runs; every op delivered to both.
Sequence mixed_edits() {
  Sequence a(1), b(2);
  std::vector<Op> from_a, from_b;
  type(a, 0, "hello world", &from_a);
  for (const Op& op : from_a) EXPECT_TRUE(b.apply(op).ok());
  from_a.clear();
  for (char c : std::string("big ")) from_b.push_back(must(b.insert(6, std::string(1, c))));
  from_b.push_back(must(b.insert(0, "XYZ")));
  from_a.push_back(must(a.remove(10)));
  from_a.push_back(must(a.remove(9)));
  type(a, a.size(), "ry!", &from_a);
  from_a.push_back(must(a.remove(2)));
  from_a.push_back(must(a.remove(2)));
  from_a.push_back(must(a.move(0, 5)));
  from_b.push_back(must(b.move(3, 1)));
  from_b.push_back(must(b.remove(b.size() - 1)));
  for (const Op& op : from_b) EXPECT_TRUE(a.apply(op).ok());
  for (const Op& op : from_a) EXPECT_TRUE(b.apply(op).ok());
  from_a.push_back(must(a.move(4, 0)));
  from_a.push_back(must(a.insert(3, "\xc3\xa9")));
  return a;
}

// mixed_edits() encoded by the per-element layout this one replaced (commit d4f6480): old
// snapshots load, and the same edits encode to the same bytes.
const std::string kOldSnapshot("\x50\x4c\x53\x01\x02\x01\x02\x17\x0f\x09\x00\x28\x01\x07\x01\x09\x08\x01\x07\x00\x1d\x0f\x01\x02\x00\x1f\x00\x1b\x10\x00\x1f\x0e\x00\x28\x00\x23\x32\x00\x23\x00\x01\x0e\x01\x18\x01\x01\x0a\x01\x01\x00\x0f\x01\x01\x0a\x01\x01\x00\x0d\x01\x01\x0a\x01\x01\x00\x0b\x00\x09\x02\x00\x09\x00\x01\x0f\x00\x18\x00\x15\x00\x23\x12\x00\x15\x00\x01\x2e\x00\x0c\x00\x07\x12\x00\x07\x00\x01\x05\x03\x02\x00\x18\x00\x01\x01\x02\x00\x0a\x00\x1b\x02\x01\x01\x02\x00\x0d\x04\x03\x01\x01\x02\x02\x01\x01\x0c\x58\x59\x5a\x68\x65\xc3\xa9\x6f\x20\x20\x67\x69\x62\x77\x6f\x72\x72\x79\x21", 141);

TEST(PlaylistCrdtRuns, SnapshotsOfTheEarlierLayoutLoadAndEncodeTheSame) {
  auto old = Sequence::decode_snapshot(kOldSnapshot, 5);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(joined(*old), " XYZe\xc3\xa9o gibwhorry!");
  EXPECT_EQ(old->op_count(), 28u);
  EXPECT_EQ(old->encode_snapshot(), kOldSnapshot);
  Sequence now = mixed_edits();
  EXPECT_EQ(now.encode_snapshot(), kOldSnapshot);
  EXPECT_EQ(now.digest(), old->digest());
  EXPECT_EQ(snapshot_of(now), snapshot_of(*old));
  expect_positions_consistent(*old);
}

TEST(PlaylistCrdtRuns, InsertInsideATypedRunSplitsIt) {
  Sequence s(1);
  type(s, 0, "abcdef");
  must(s.insert(3, "X"));
  must(s.insert(0, "Y"));
  must(s.insert(s.size(), "Z"));
  EXPECT_EQ(joined(s), "YabcXdefZ");
  expect_positions_consistent(s);
  // A concurrent insert into the same gap, anchored on the split run, lands by the id rule.
  Sequence t(2);
  std::vector<Op> ops;
  type(t, 0, "abcdef", &ops);
  Sequence u(3);
  for (const Op& op : ops) ASSERT_TRUE(u.apply(op).ok());
  Op x = must(t.insert(3, "1"));
  Op y = must(u.insert(3, "2"));
  ASSERT_TRUE(t.apply(y).ok());
  ASSERT_TRUE(u.apply(x).ok());
  EXPECT_EQ(joined(t), "abc12def");
  EXPECT_EQ(snapshot_of(t), snapshot_of(u));
}

TEST(PlaylistCrdtRuns, RemovesInsideARunKeepTheRestAddressable) {
  Sequence s(1);
  type(s, 0, "0123456789");
  OpId five = s.entry_id_at(5);
  must(s.remove(3));  // delete key twice at 3
  must(s.remove(3));
  must(s.remove(7));  // backspace twice from 7
  must(s.remove(6));
  EXPECT_EQ(joined(s), "012567");
  EXPECT_EQ(s.position_of(five), 3u);
  EXPECT_FALSE(s.position_of(OpId{4, 1}).has_value());  // the removed '3'
  expect_positions_consistent(s);
  // Typing where the removed characters were continues after them.
  type(s, 3, "ab");
  EXPECT_EQ(joined(s), "012ab567");
  auto back = Sequence::decode_snapshot(s.encode_snapshot(), 2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(snapshot_of(*back), snapshot_of(s));
  EXPECT_EQ(back->encode_snapshot(), s.encode_snapshot());
}

TEST(PlaylistCrdtRuns, MovingPartOfARunLeavesTheRestInPlace) {
  Sequence s(1);
  type(s, 0, "abcdef");
  OpId c = s.entry_id_at(2);
  must(s.move(2, 6));  // c to the end
  EXPECT_EQ(joined(s), "abdefc");
  must(s.move(0, 3));  // a before e
  EXPECT_EQ(joined(s), "bdaefc");
  must(s.remove(s.size() - 1));
  EXPECT_EQ(joined(s), "bdaef");
  EXPECT_FALSE(s.position_of(c).has_value());
  type(s, 2, "xy");
  EXPECT_EQ(joined(s), "bdxyaef");
  expect_positions_consistent(s);
  auto back = Sequence::decode_snapshot(s.encode_snapshot(), 2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(snapshot_of(*back), snapshot_of(s));
  expect_positions_consistent(*back);
}

TEST(PlaylistCrdtRuns, RunsOfTrackUrisAndOfMixedWidths) {
  Sequence s(1);
  for (int i = 0; i < 50; ++i) must(s.insert(s.size(), "spotify:track:" + std::to_string(1000000 + i)));
  must(s.insert(10, "x"));
  must(s.insert(s.size(), "\xc3\xa9"));
  must(s.insert(s.size(), "y"));
  must(s.remove(30));
  EXPECT_EQ(s.size(), 52u);
  EXPECT_EQ(s.at(9).value, "spotify:track:1000009");
  EXPECT_EQ(s.at(10).value, "x");
  EXPECT_EQ(s.at(11).value, "spotify:track:1000010");
  EXPECT_EQ(s.at(30).value, "spotify:track:1000030");  // 1000029 was removed
  EXPECT_EQ(s.at(51).value, "y");
  auto back = Sequence::decode_snapshot(s.encode_snapshot(), 2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(snapshot_of(*back), snapshot_of(s));
}

// Typing with a backspace every ten keys or so: two segments (a run and its removed tail) of
// ~66 bytes per ten ops, under 20 bytes per op (the per-element layout took ~26 on pure typing).
TEST(PlaylistCrdtRuns, TypingTakesAFewBytesPerOp) {
  Sequence s(1);
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    if (s.size() > 0 && rng() % 10 == 0) {
      must(s.remove(s.size() - 1));
    } else {
      must(s.insert(s.size(), std::string(1, static_cast<char>('a' + rng() % 26))));
    }
  }
  EXPECT_LT(s.memory_bytes() / s.op_count(), 20u) << s.memory_bytes();
  auto back = Sequence::decode_snapshot(s.encode_snapshot(), 2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(joined(*back), joined(s));
  EXPECT_LT(back->memory_bytes() / back->op_count(), 20u) << back->memory_bytes();
}

// Random typing runs, backspace and delete-key runs, moves and values of several widths on
// 2-4 replicas with random delivery (duplicates included): every replica, a fresh replica
// applying the shuffled log and a reloaded snapshot agree, and positions match the list.
TEST(PlaylistCrdtRuns, LongRunsConvergeUnderRandomDelivery) {
  const char* kValues[] = {"a", "b", "cc", "ddd", "\xc3\xa9", "spotify:track:4uLU6hMCjMI75M1A2tKUQC"};
  for (uint64_t seed = 0; seed < 60; ++seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::size_t nrep = 2 + pick(3);
    bool mixed = pick(2) == 0;
    std::vector<Sequence> reps;
    for (std::size_t i = 0; i < nrep; ++i) reps.emplace_back(100 + i * 7 + pick(5) * 1000);
    std::vector<std::vector<Op>> inbox(nrep);
    std::vector<Op> log;
    for (int step = 0; step < 600; ++step) {
      std::size_t r = pick(nrep);
      Sequence& s = reps[r];
      if (pick(3) == 0) {
        std::vector<Op> ops;
        std::size_t n = s.size();
        std::size_t what = pick(12);
        auto value = [&]() { return std::string(kValues[mixed ? pick(6) : pick(2)]); };
        if (n == 0 || what < 5) {
          std::size_t pos = pick(n + 1);
          std::size_t count = 1 + pick(pick(2) ? 20 : 3);
          for (std::size_t k = 0; k < count; ++k) ops.push_back(must(s.insert(pos + k, value())));
        } else if (what < 7) {
          std::size_t pos = pick(n);
          std::size_t count = 1 + pick(std::min<std::size_t>(8, pos + 1));
          for (std::size_t k = 0; k < count; ++k) ops.push_back(must(s.remove(pos - k)));
        } else if (what < 9) {
          std::size_t pos = pick(n);
          std::size_t count = 1 + pick(std::min<std::size_t>(8, n - pos));
          for (std::size_t k = 0; k < count; ++k) ops.push_back(must(s.remove(pos)));
        } else {
          ops.push_back(must(s.move(pick(n), pick(n + 1))));
        }
        for (const Op& op : ops) {
          log.push_back(op);
          for (std::size_t q = 0; q < nrep; ++q)
            if (q != r) inbox[q].push_back(op);
        }
      } else {
        for (std::size_t k = pick(6) + 1; k > 0 && !inbox[r].empty(); --k) {
          std::size_t i = pick(inbox[r].size());
          ASSERT_TRUE(s.apply(inbox[r][i]).ok());
          if (pick(6) != 0) {
            inbox[r][i] = std::move(inbox[r].back());
            inbox[r].pop_back();
          }
        }
      }
    }
    for (std::size_t r = 0; r < nrep; ++r)
      for (const Op& op : inbox[r]) ASSERT_TRUE(reps[r].apply(op).ok());
    for (const Sequence& s : reps) {
      ASSERT_EQ(s.pending(), 0u) << "seed " << seed;
      ASSERT_EQ(snapshot_of(s), snapshot_of(reps[0])) << "seed " << seed;
      ASSERT_EQ(s.digest(), reps[0].digest()) << "seed " << seed;
      expect_positions_consistent(s);
    }
    std::shuffle(log.begin(), log.end(), rng);
    Sequence fresh(5);
    for (const Op& op : log) ASSERT_TRUE(fresh.apply(op).ok());
    ASSERT_EQ(fresh.pending(), 0u) << "seed " << seed;
    ASSERT_EQ(snapshot_of(fresh), snapshot_of(reps[0])) << "seed " << seed;
    std::string snap = reps[0].encode_snapshot();
    auto loaded = Sequence::decode_snapshot(snap, 9);
    ASSERT_TRUE(loaded.ok()) << "seed " << seed;
    ASSERT_EQ(snapshot_of(*loaded), snapshot_of(reps[0])) << "seed " << seed;
    ASSERT_EQ(loaded->encode_snapshot(), snap) << "seed " << seed;
    ASSERT_EQ(loaded->digest(), reps[0].digest()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace segue::playlist
