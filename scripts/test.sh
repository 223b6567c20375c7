#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and snapshot tests, and the end-to-end tests against
# one local AWS emulator started (and stopped) here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

source "$root/scripts/backing-services.sh"

# The test command leaves the tree as it found it: what it changes in git's view fails the run.
tree_before="$(git -C "$root" status --porcelain --untracked-files=all 2>/dev/null || true)"

"$root/localstack/install"
echo "test.sh: the emulator's own tests (localstack/tests)" >&2
"$root/localstack/.venv/bin/python" -m pytest -q -p no:cacheprovider "$root/localstack/tests"
run_dir="$(mktemp -d)"
export WL_EMULATOR_RUN_DIR="$run_dir/emulator"
cleanup() {
  "$root/localstack/stop" || true
  stop_postgres "$run_dir/postgres"
  stop_redis "$run_dir/redis"
  rm -rf "$run_dir"
}
trap cleanup EXIT
WL_TEST_AWS_ENDPOINT="$(WL_EMULATOR_PROFILE=fast "$root/localstack/start" --free-port)"
export WL_TEST_AWS_ENDPOINT
echo "test.sh: emulator at $WL_TEST_AWS_ENDPOINT" >&2

pg_port="$(free_port)"
start_postgres "$run_dir/postgres" "$pg_port"
export WL_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export WL_TEST_DATABASE_CA="$run_dir/postgres/tls/ca.pem"
export WL_TEST_POSTGRES_DIR="$run_dir/postgres"
echo "test.sh: PostgreSQL at 127.0.0.1:$pg_port" >&2
redis_port="$(free_port)"
start_redis "$run_dir/redis" "$redis_port"
export WL_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
echo "test.sh: Redis at 127.0.0.1:$redis_port" >&2

echo "test.sh: cargo fmt --check" >&2
cargo fmt --all --check
echo "test.sh: cargo clippy" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "test.sh: cargo test" >&2
cargo test --workspace

echo "test.sh: schemathesis against the services' OpenAPI documents" >&2
cargo build --workspace --bins --quiet
bash "$root/scripts/fuzz-services.sh"

echo "test.sh: frontend build and checks" >&2
# `npm install --no-save` installs the locked versions without touching the lock. (`npm ci` refuses
# this lock: npm 11 leaves other platforms' optional packages out of it, then reports them missing.)
(cd "$root/frontend" && npm install --no-save --no-audit --no-fund --loglevel=error && npx --no-install vite build --logLevel warn)
(cd "$root/frontend" && node --test tests/dist.test.mjs)

echo "test.sh: browser test of the local run (headless Chromium)" >&2
ready="$run_dir/local-url"
WL_LOCAL_READY_FILE="$ready" bash "$root/scripts/run-local.sh" >"$run_dir/run-local.log" 2>&1 &
local_pid=$!
for _ in $(seq 1 300); do
  [[ -s "$ready" ]] && break
  kill -0 "$local_pid" 2>/dev/null || { cat "$run_dir/run-local.log" >&2; echo "test.sh: run-local.sh failed" >&2; exit 1; }
  sleep 1
done
[[ -s "$ready" ]] || { cat "$run_dir/run-local.log" >&2; echo "test.sh: run-local.sh did not become ready" >&2; exit 1; }
browser_status=0
(cd "$root/frontend" && BASE_URL="$(cat "$ready")" node --test tests/browser.test.mjs) || browser_status=$?

# The deployment guide's verification steps, as `wl-infra verify` runs them, against the local run:
# every check passes; with Redis stopped the cached read fails and every other check still passes.
echo "test.sh: wl-infra verify against the local run" >&2
verify_status=0
local_url="$(cat "$ready")"
local_work="$(cat "$ready.work")"
wl_infra="${CARGO_TARGET_DIR:-$root/target}/debug/wl-infra"
"$wl_infra" verify --base-url "$local_url" --logs-dir "$local_work/logs" >&2 || verify_status=$?
if ((verify_status == 0)); then
  stop_redis "$local_work/redis"
  degraded_status=0
  degraded="$("$wl_infra" verify --base-url "$local_url" --logs-dir "$local_work/logs")" || degraded_status=$?
  echo "$degraded" >&2
  if ((degraded_status != 3)) || ! grep -q "FAIL  movie read from the cache" <<<"$degraded" || (($(grep -c "FAIL" <<<"$degraded") != 1)); then
    echo "test.sh: with Redis stopped, verify should fail the cached read alone (exit 3)" >&2
    verify_status=1
  fi
fi
kill -TERM "$local_pid" 2>/dev/null || true
wait "$local_pid" 2>/dev/null || true
((browser_status == 0)) || exit "$browser_status"
((verify_status == 0)) || exit "$verify_status"

tree_after="$(git -C "$root" status --porcelain --untracked-files=all 2>/dev/null || true)"
if [[ "$tree_after" != "$tree_before" ]]; then
  echo "test.sh: the test run changed the tree (keep tool output out of it, or in .gitignore):" >&2
  diff <(echo "$tree_before") <(echo "$tree_after") >&2 || true
  exit 1
fi
