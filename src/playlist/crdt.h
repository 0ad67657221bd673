// The playlist sequence CRDT: an ordered list of entries (track URIs; the same track may appear
// twice) that several replicas edit concurrently and that converges once every replica has
// applied the same set of operations, in any order, with duplicates. No HTTP, no SQL.
//
// Rules (docs/formats/playlist-crdt.md has the full statement and the binary encoding):
//  - Every operation has an id (lamport, replica), totally ordered by lamport then replica.
//  - Insert places a new entry between two neighbours (left and right origin, YATA-style).
//    Concurrent inserts into the same gap keep both, the smaller id first: A and B both
//    inserting at 0 end as A at 0, B at 1 when A's id is smaller.
//  - Move gives an existing entry a new place (a fresh slot between two neighbours); the move
//    with the largest id wins, so concurrent moves of one entry end in one place.
//  - Remove deletes an entry wherever it is; a remove concurrent with a move removes it.
//  - Applying an operation twice is a no-op; an operation whose dependencies (origins, the
//    moved or removed entry) are unknown yet is kept pending and applied when they arrive.
//  - Positions resolve in O(log n).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace segue::playlist {

using ReplicaId = uint64_t;

struct OpId {
  uint64_t lamport = 0;
  ReplicaId replica = 0;
  friend auto operator<=>(const OpId&, const OpId&) = default;
};

// Where a new entry or slot goes: between `left` and `right` (nullopt: the start / the end),
// both slot ids as they were when the operation was made.
struct Anchor {
  std::optional<OpId> left;
  std::optional<OpId> right;
};

struct InsertOp {
  Anchor at;
  std::string value;  // the entry's payload, e.g. "spotify:track:..." (at most 255 bytes)
};
struct MoveOp {
  OpId entry;  // the id of the InsertOp that created the entry
  Anchor to;
};
struct RemoveOp {
  OpId entry;
};

struct Op {
  OpId id;
  enum class Kind : uint8_t { kInsert = 1, kMove = 2, kRemove = 3 } kind = Kind::kInsert;
  InsertOp insert;  // kInsert
  MoveOp move;      // kMove
  RemoveOp remove;  // kRemove
};

// One visible entry.
struct Entry {
  OpId id;          // the entry's identity (its insert op id)
  OpId slot;        // where it currently sits (the insert's id, or the winning move's id)
  std::string_view value;
};

class Sequence {
 public:
  explicit Sequence(ReplicaId local);
  ~Sequence();
  Sequence(Sequence&&) noexcept;
  Sequence& operator=(Sequence&&) noexcept;

  // ---- local edits: build an op with the next lamport clock, apply it, return it ----
  // Error::invalid for a position out of range or a value too long.
  Result<Op> insert(std::size_t position, std::string_view value);
  Result<Op> remove(std::size_t position);
  // Moves the entry at `from` so that it ends up before the entry now at `before`
  // (Spotify's insert_before semantics; before == size() moves it to the end).
  Result<Op> move(std::size_t from, std::size_t before);

  // ---- remote operations ----
  // Applies `op` (idempotent, any order). Error::invalid for a malformed op (e.g. a value too
  // long); an op whose dependencies are missing is buffered and counted in pending().
  Status apply(const Op& op);

  // ---- reading ----
  std::size_t size() const;                      // visible entries
  Entry at(std::size_t position) const;          // O(log n); position < size()
  std::optional<std::size_t> position_of(const OpId& entry) const;  // O(log n); nullopt if removed/unknown
  std::vector<Entry> entries() const;            // in order
  // Anchor for inserting at `position` of the current visible list (used by callers that
  // build ops against an older state: resolve positions there, apply the ids here).
  Anchor anchor_at(std::size_t position) const;
  OpId entry_id_at(std::size_t position) const;

  uint64_t max_lamport() const;        // the largest lamport seen (local clock follows it)
  std::size_t op_count() const;        // distinct ops applied
  std::size_t pending() const;         // ops waiting for dependencies
  // Order-independent digest of the set of applied ops: equal sets give equal digests.
  // A 128-bit value as 32 hex characters.
  std::string digest() const;
  bool has(const OpId& id) const;
  // Bytes held by the in-memory state (capacities of its arrays and tables), for measuring
  // the memory per entry.
  std::size_t memory_bytes() const;

  // ---- encoding (docs/formats/playlist-crdt.md) ----
  // All applied ops in a compact binary form, loadable by decode_snapshot into an equal
  // Sequence.
  std::string encode_snapshot() const;
  static Result<Sequence> decode_snapshot(std::string_view bytes, ReplicaId local);
  // The state as operations again (what a server that folded old ops into a snapshot sends a
  // client starting from nothing): every insert, move and remove applied, in (lamport,
  // replica) order, which is causal, so applying them in order never leaves one pending.
  // Applied to an empty Sequence they give an equal one (same digest, same entries); removed
  // entries' inserts carry an empty value (a snapshot keeps no values of removed entries).
  std::vector<Op> to_ops() const;

  struct Impl;

 private:
  Impl* impl_;
};

// Compact binary encoding of a batch of ops (an update), and back. Error::invalid (never a
// crash) for malformed or truncated bytes.
std::string encode_ops(const std::vector<Op>& ops);
Result<std::vector<Op>> decode_ops(std::string_view bytes);

}  // namespace segue::playlist
