#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and snapshot tests, and the end-to-end tests against
# one local AWS emulator started (and stopped) here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/localstack/install"
run_dir="$(mktemp -d)"
export WL_EMULATOR_RUN_DIR="$run_dir"
cleanup() { "$root/localstack/stop" || true; rm -rf "$run_dir"; }
trap cleanup EXIT
WL_TEST_AWS_ENDPOINT="$("$root/localstack/start" --free-port)"
export WL_TEST_AWS_ENDPOINT
echo "test.sh: emulator at $WL_TEST_AWS_ENDPOINT" >&2

echo "test.sh: cargo fmt --check" >&2
cargo fmt --all --check
echo "test.sh: cargo clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "test.sh: cargo test" >&2
cargo test --workspace
