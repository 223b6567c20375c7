#!/usr/bin/env bash
# The demo: starts the local AWS emulator (installing it on first use), then runs
# validate -> plan -> apply -> plan (no changes) for stacks/dev.toml against it (building the
# frontend first if frontend/dist is missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stack="${1:-stacks/dev.toml}"

endpoint="$("$root/localstack/start")"
export AWS_ENDPOINT_URL="$endpoint"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
cargo build --quiet --bin wl-infra
# stacks/dev.toml syncs the built frontend (frontend/dist) to its bucket.
if [ ! -f "$root/frontend/dist/index.html" ]; then
  command -v npm >/dev/null || { echo "demo.sh: npm is needed to build the frontend (apt-get install npm)" >&2; exit 1; }
  echo "demo.sh: building the frontend into frontend/dist" >&2
  (cd "$root/frontend" && npm install --no-save --silent && npx vite build --logLevel warn)
fi
wl() { cargo run --quiet --bin wl-infra -- "$@"; }

step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }
step wl-infra validate --stack "$stack"
wl validate --stack "$stack"
step wl-infra plan --stack "$stack"
wl plan --stack "$stack"
step wl-infra apply --stack "$stack" --yes
wl apply --stack "$stack" --yes
step wl-infra plan --stack "$stack" --detailed-exitcode
wl plan --stack "$stack" --detailed-exitcode
cat >&2 <<MSG

The emulator keeps running at $endpoint. Next:
  AWS_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \\
    cargo run -q -- destroy --stack $stack --yes   # remove everything the stack owns
  localstack/stop                                 # stop the emulator
MSG
