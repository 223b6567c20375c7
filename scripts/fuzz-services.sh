#!/usr/bin/env bash
# Fuzzes the three running services against their own OpenAPI documents with schemathesis:
# fails on any 5xx or any response that breaks the documented schema.
# Needs WL_TEST_DATABASE_URL and WL_TEST_REDIS_URL (scripts/test.sh sets them) and built binaries.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/backing-services.sh"
source "$root/scripts/run-services.sh"
: "${WL_TEST_DATABASE_URL:?set WL_TEST_DATABASE_URL (scripts/test.sh does)}"
: "${WL_TEST_REDIS_URL:?set WL_TEST_REDIS_URL (scripts/test.sh does)}"
examples="${FUZZ_MAX_EXAMPLES:-40}"

venv="$root/services/fuzz/.venv"
stamp="$venv/.installed-$(sha256sum "$root/services/fuzz/requirements.txt" | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "fuzz-services: installing schemathesis into $venv (first use only)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/services/fuzz/requirements.txt"
  touch "$stamp"
fi

base="${WL_TEST_DATABASE_URL%/*}"
export DB_PREFIX="fuzz_$$_"
create_databases "$base" "${DB_PREFIX}users" "${DB_PREFIX}movies" "${DB_PREFIX}watchlist"
logs="$(mktemp -d)"
trap 'stop_services; rm -rf "$logs"' EXIT
secret="fuzz-secret-fuzz-secret-fuzz-secret-0123"
start_services "$root" "$logs" "$base" "$WL_TEST_REDIS_URL" "$secret"

# A real user and movie, so authenticated operations get past authentication.
curl -fsS -X POST "http://127.0.0.1:$USER_PORT/api/users" -H 'content-type: application/json' \
  -d '{"username":"fuzzer","email":"fuzzer@example.com","password":"fuzzer-password"}' -o /dev/null
token="$(curl -fsS -X POST "http://127.0.0.1:$USER_PORT/api/users/login" -H 'content-type: application/json' \
  -d '{"username":"fuzzer","password":"fuzzer-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"

status=0
# schemathesis keeps its cache (.schemathesis/) in the working directory: run it outside the tree.
mkdir -p "$logs/schemathesis" && cd "$logs/schemathesis"
for port in "$USER_PORT" "$MOVIE_PORT" "$WATCHLIST_PORT"; do
  echo "fuzz-services: schemathesis against 127.0.0.1:$port" >&2
  "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance \
    --max-examples "$examples" --header "Authorization: Bearer $token" \
    --seed 20261122 --no-color --suppress-health-check all || status=1
done
if ((status)); then
  echo "fuzz-services: failures above; service logs:" >&2
  tail -n 50 "$logs"/*.log >&2
fi
exit $status
