#!/usr/bin/env bash
# The demo: starts the local AWS emulator (installing it on first use), then runs
# validate -> plan -> apply -> plan (no changes) for stacks/dev.toml against it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stack="${1:-stacks/dev.toml}"

endpoint="$("$root/localstack/start")"
export AWS_ENDPOINT_URL="$endpoint"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
cargo build --quiet --bin wl-infra
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
