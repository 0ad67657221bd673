// Helpers shared by the sequence CRDT tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "playlist/crdt.h"

namespace segue::playlist::testing {

inline std::vector<std::string> values(const Sequence& s) {
  std::vector<std::string> out;
  for (const Entry& e : s.entries()) out.emplace_back(e.value);
  return out;
}

inline std::string joined(const Sequence& s) {
  std::string out;
  for (const Entry& e : s.entries()) out += e.value;
  return out;
}

// Entries as comparable tuples (identity, slot, value).
inline std::vector<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, std::string>> snapshot_of(const Sequence& s) {
  std::vector<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, std::string>> out;
  for (const Entry& e : s.entries())
    out.emplace_back(e.id.lamport, e.id.replica, e.slot.lamport, e.slot.replica, std::string(e.value));
  return out;
}

inline bool same_op(const Op& a, const Op& b) {
  if (a.id != b.id || a.kind != b.kind) return false;
  switch (a.kind) {
    case Op::Kind::kInsert:
      return a.insert.at.left == b.insert.at.left && a.insert.at.right == b.insert.at.right &&
             a.insert.value == b.insert.value;
    case Op::Kind::kMove:
      return a.move.entry == b.move.entry && a.move.to.left == b.move.to.left && a.move.to.right == b.move.to.right;
    case Op::Kind::kRemove:
      return a.remove.entry == b.remove.entry;
  }
  return false;
}

// Spotify's range move (range_start, range_length, insert_before) as single moves.
inline std::vector<Op> move_range(Sequence& s, std::size_t start, std::size_t length, std::size_t before) {
  std::vector<Op> ops;
  if (before >= start && before <= start + length) return ops;  // a no-op
  for (std::size_t i = 0; i < length; ++i) {
    Result<Op> r = before > start ? s.move(start, before) : s.move(start + i, before + i);
    EXPECT_TRUE(r.ok());
    if (r.ok()) ops.push_back(std::move(r).value());
  }
  return ops;
}

}  // namespace segue::playlist::testing
