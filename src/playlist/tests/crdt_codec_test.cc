// Encodings of the sequence CRDT: round trips, compactness, and rejection of corrupted bytes.
#include <gtest/gtest.h>

#include <random>

#include "playlist/crdt.h"
#include "playlist/tests/crdt_test_util.h"

namespace segue::playlist {
namespace {

using testing::joined;
using testing::same_op;
using testing::snapshot_of;

// A history with every op kind, two replicas, a removed entry, moves and a long value.
std::vector<Op> sample_ops(Sequence& a) {
  std::vector<Op> ops;
  Sequence b(0xFFFFFFFFFFFFULL);
  for (int i = 0; i < 20; ++i) ops.push_back(*a.insert(static_cast<std::size_t>(i), "spotify:track:" + std::to_string(i)));
  for (const Op& op : ops) EXPECT_TRUE(b.apply(op).ok());
  ops.push_back(*b.insert(3, std::string(255, 'z')));
  ops.push_back(*b.insert(0, ""));
  ops.push_back(*a.remove(5));
  ops.push_back(*a.move(2, 9));
  ops.push_back(*b.move(7, 0));
  for (std::size_t i = 20; i < ops.size(); ++i) EXPECT_TRUE(a.apply(ops[i]).ok());
  ops.push_back(*a.remove(0));
  return ops;
}

TEST(PlaylistCrdtCodec, OpsRoundTrip) {
  Sequence a(3);
  std::vector<Op> ops = sample_ops(a);
  std::string bytes = encode_ops(ops);
  auto back = decode_ops(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) EXPECT_TRUE(same_op((*back)[i], ops[i])) << i;
  EXPECT_TRUE(decode_ops(encode_ops({})).ok());
  EXPECT_EQ(decode_ops(encode_ops({}))->size(), 0u);
}

TEST(PlaylistCrdtCodec, SnapshotRoundTrip) {
  Sequence a(3);
  sample_ops(a);
  std::string bytes = a.encode_snapshot();
  auto b = Sequence::decode_snapshot(bytes, 4);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(snapshot_of(*b), snapshot_of(a));
  EXPECT_EQ(b->digest(), a.digest());
  EXPECT_EQ(b->op_count(), a.op_count());
  EXPECT_EQ(b->max_lamport(), a.max_lamport());
  EXPECT_EQ(b->encode_snapshot(), bytes);
  // The empty sequence too.
  auto e = Sequence::decode_snapshot(Sequence(1).encode_snapshot(), 1);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size(), 0u);
  // Local edits after loading use the loaded clock.
  EXPECT_EQ(b->insert(0, "x")->id.lamport, a.max_lamport() + 1);
}

TEST(PlaylistCrdtCodec, TypingIsCompact) {
  Sequence s(12345);
  std::vector<Op> ops;
  std::string text = "The quick brown fox jumps over the lazy dog. ";
  for (int rep = 0; rep < 20; ++rep)
    for (char c : text) ops.push_back(*s.insert(s.size(), std::string(1, c)));
  for (int i = 0; i < 100; ++i) ops.push_back(*s.remove(s.size() - 1));  // backspace
  std::string snap = s.encode_snapshot();
  // 800 visible characters: the snapshot is the text plus a few dozen bytes.
  EXPECT_LT(snap.size(), s.size() + 64) << snap.size();
  std::string upd = encode_ops(ops);
  EXPECT_LT(upd.size(), ops.size() * 3 + 64) << upd.size();
  auto back = Sequence::decode_snapshot(snap, 1);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(joined(*back), joined(s));
}

TEST(PlaylistCrdtCodec, TruncatedAndCorruptedBytesAreRejected) {
  Sequence a(3);
  std::vector<Op> ops = sample_ops(a);
  std::string upd = encode_ops(ops);
  std::string snap = a.encode_snapshot();
  for (std::size_t n = 0; n < upd.size(); ++n) EXPECT_FALSE(decode_ops(upd.substr(0, n)).ok()) << n;
  for (std::size_t n = 0; n < snap.size(); ++n) EXPECT_FALSE(Sequence::decode_snapshot(snap.substr(0, n), 1).ok()) << n;
  EXPECT_FALSE(decode_ops(upd + "x").ok());
  EXPECT_FALSE(Sequence::decode_snapshot(snap + "x", 1).ok());
  EXPECT_FALSE(decode_ops("PLS\x01").ok());
  EXPECT_FALSE(Sequence::decode_snapshot(upd, 1).ok());
  // Huge counts in few bytes.
  EXPECT_FALSE(decode_ops(std::string("PLU\x01\x00\xff\xff\xff\xff\x0f", 10)).ok());
  EXPECT_FALSE(Sequence::decode_snapshot(std::string("PLS\x01\x00\xff\xff\xff\xff\x0f\x01", 11), 1).ok());
  // Random corruption never crashes; what decodes is usable.
  std::mt19937 rng(1);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string u = (i % 2) ? upd : snap;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) u[rng() % u.size()] ^= static_cast<char>(1 + rng() % 255);
    if (i % 2) {
      auto r = decode_ops(u);
      if (!r.ok()) continue;
      ++accepted;
      Sequence s(1);
      for (const Op& op : *r) (void)s.apply(op);
      (void)s.entries();
    } else {
      auto r = Sequence::decode_snapshot(u, 1);
      if (!r.ok()) continue;
      ++accepted;
      for (std::size_t p = 0; p < r->size(); ++p) (void)r->at(p);
      (void)r->encode_snapshot();
      (void)r->insert(0, "x");
      if (r->size() > 1) (void)r->move(0, r->size());
    }
  }
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace segue::playlist
