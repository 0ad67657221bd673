#!/usr/bin/env bash
# Recommendation accuracy on the HetRec 2011 Last.fm plays (../shared/data/listening/), each
# model next to popularity, item-kNN (cosine) and RP3beta in the same run, over three splits.
# usage: bench/recommend/run.sh BUILD_DIR   (knobs: BENCH_SEEDS, default "1 2 3")
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR}"
bin="$build/bench/segue_recommend_quality"
[ -x "$bin" ] || { echo "missing $bin (cmake --build $build --target segue_recommend_quality)" >&2; exit 2; }
data="$(cd "$(dirname "$0")/../.." && pwd)/../shared/data/listening/hetrec2011-lastfm-2k"
for seed in ${BENCH_SEEDS:-1 2 3}; do
  "$bin" "$data" --seed "$seed" | sed "s/^RESULT bench=recommend_quality /RESULT bench=recommend_quality seed=$seed /"
done
