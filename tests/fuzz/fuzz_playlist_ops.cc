// The playlist CRDT's decoders of untrusted bytes: an update (decode_ops, then applying the
// ops to a sequence) and a snapshot (decode_snapshot, then reading and editing it). The first
// input byte picks which; the rest is the encoding.
#include <cstdint>
#include <string_view>

#include "playlist/crdt.h"

using segue::playlist::Sequence;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto ops = segue::playlist::decode_ops(bytes);
    if (!ops.ok()) return 0;
    // What decodes re-encodes to something that decodes to the same number of ops.
    auto again = segue::playlist::decode_ops(segue::playlist::encode_ops(*ops));
    if (!again.ok() || again->size() != ops->size()) __builtin_trap();
    Sequence s(1);
    for (const auto& op : *ops) (void)s.apply(op);
    for (std::size_t i = 0; i < s.size(); ++i)
      if (s.position_of(s.at(i).id) != i) __builtin_trap();
    auto loaded = Sequence::decode_snapshot(s.encode_snapshot(), 2);
    if (!loaded.ok() || loaded->digest() != s.digest() || loaded->size() != s.size()) __builtin_trap();
  } else {
    auto s = Sequence::decode_snapshot(bytes, 1);
    if (!s.ok()) return 0;
    (void)s->entries();
    (void)s->encode_snapshot();
    if (s->size() > 0) {
      (void)s->move(0, s->size());
      (void)s->remove(s->size() - 1);
    }
    (void)s->insert(0, "x");
  }
  return 0;
}
