#!/usr/bin/env bash
# Runs the whole test suite: starts the real fixture registries (and builds their
# images on first use), then `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DRYDOCK_SHARED=${DRYDOCK_SHARED:-$(cd .. && pwd)/shared}
[ -d "$DRYDOCK_SHARED/fixtures" ] || { echo "shared data not found at $DRYDOCK_SHARED (set DRYDOCK_SHARED)" >&2; exit 1; }
echo "== fixtures (registries on 127.0.0.1:5055-5059; log in /tmp/drydock-fixtures.log)"
RUN_SYFT=1 bash "$DRYDOCK_SHARED/fixtures/build-fixtures.sh" > /tmp/drydock-fixtures.log 2>&1 ||
  { tail -30 /tmp/drydock-fixtures.log >&2; exit 1; }
echo "== python: packaging + pyyaml (independent PEP 440 evaluator), prismacloud-api + jsonschema (API tests)"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
  packaging pyyaml prismacloud-api update_checker requests jsonschema rfc3339-validator
echo "== npm semver into target/npm-tools (the reference for npm range checks)"
mkdir -p target/npm-tools
(cd target/npm-tools && npm install --silent --no-audit --no-fund semver@7 > /dev/null)
echo "== cargo test"
cargo test --workspace --locked "$@"
