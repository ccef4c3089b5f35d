#!/usr/bin/env bash
# One real scan on a fresh machine: start the fixture registries, build drydock,
# build the vulnerability DB from ../shared/vulndb, scan an Alpine image.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${DRYDOCK_SHARED:-$(cd .. && pwd)/shared}
echo "== fixture registries (first run builds the images: ~5 minutes)"
bash "$SHARED/fixtures/build-fixtures.sh" > /tmp/drydock-fixtures.log 2>&1 || { tail -30 /tmp/drydock-fixtures.log >&2; exit 1; }
echo "== cargo build --release"
cargo build --release --locked -q
export DRYDOCK_DB_DIR=${DRYDOCK_DB_DIR:-$PWD/target/demo-db}
echo "== drydock db import $SHARED/vulndb"
./target/release/drydock db import "$SHARED/vulndb" 2>/dev/null
echo "== drydock image --insecure 127.0.0.1:5055/fixtures/alpine:3.10.9"
./target/release/drydock image --insecure 127.0.0.1:5055/fixtures/alpine:3.10.9 "$@"
