#!/usr/bin/env bash
# Playlist continuation on the TidyTuesday Spotify playlists (../shared/data/catalog/): half of
# every playlist of 10+ tracks hidden, R-precision / Recall@20 / NDCG@20 of every model next to
# popularity and item-kNN in the same run, over three splits.
# usage: bench/recommend/continuation.sh BUILD_DIR   (knobs: BENCH_SEEDS, default "1 2 3")
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR}"
bin="$build/bench/segue_recommend_continuation"
[ -x "$bin" ] || { echo "missing $bin (cmake --build $build --target segue_recommend_continuation)" >&2; exit 2; }
data="$(cd "$(dirname "$0")/../.." && pwd)/../shared/data/catalog/tidytuesday-2020-01-21-spotify-songs"
for seed in ${BENCH_SEEDS:-1 2 3}; do
  "$bin" "$data" --seed "$seed" | sed "s/^RESULT bench=recommend_continuation /RESULT bench=recommend_continuation seed=$seed /"
done
