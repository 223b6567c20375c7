#!/usr/bin/env bash
# Load benchmark of the services on this machine: wrk against GET /api/movies/{id} (Redis cache
# hits) and POST /api/watchlist/{user_id} (two inter-service checks and an insert per request).
# Starts its own PostgreSQL and Redis, builds release binaries, prints wrk's figures.
#   bench/services_load.sh [seconds per run, default 15] [connections, default 32]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/backing-services.sh"
source "$root/scripts/run-services.sh"
duration="${1:-15}"; connections="${2:-32}"
command -v wrk >/dev/null || { echo "wrk not found; install it with: sudo apt-get install wrk" >&2; exit 1; }

work="$(mktemp -d)"
trap 'stop_services; stop_postgres "$work/pg"; stop_redis "$work/redis"; rm -rf "$work"' EXIT
pg_port="$(free_port)"; redis_port="$(free_port)"
start_postgres "$work/pg" "$pg_port"
start_redis "$work/redis" "$redis_port"
base="postgres://postgres@127.0.0.1:$pg_port"
create_databases "$base" users movies watchlist
(cd "$root" && cargo build --release --quiet -p watchlist-user -p watchlist-movie -p watchlist-watchlist --bins)
release_dir="$work/target-release"
mkdir -p "$release_dir/debug"
for binary in user-service movie-service watchlist-service; do
  cp "$(services_target_dir "$root")/release/$binary" "$release_dir/debug/"
done
CARGO_TARGET_DIR="$release_dir" RUST_LOG=error RATE_LIMIT_PER_MINUTE=1000000000 start_services "$root" "$work/logs" "$base" "redis://127.0.0.1:$redis_port" "bench-secret-bench-secret-bench-secret-01"

api() { curl -fsS -H 'content-type: application/json' "$@"; }
api -X POST "http://127.0.0.1:$USER_PORT/api/users" -d '{"username":"bench","email":"bench@example.com","password":"bench-password"}' >/dev/null
token="$(api -X POST "http://127.0.0.1:$USER_PORT/api/users/login" -d '{"username":"bench","password":"bench-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
movies=5000
python3 - "$MOVIE_PORT" "$token" "$movies" <<'PY'
import json, sys, urllib.request
port, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    body = json.dumps({"title": f"Movie {i}", "genre": "Drama", "year": 1950 + i % 70}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/movies", body, {"content-type": "application/json", "authorization": f"Bearer {token}"})
    urllib.request.urlopen(request).read()
PY
curl -fsS "http://127.0.0.1:$MOVIE_PORT/api/movies/1" -o /dev/null   # warm the cache

echo "== GET /api/movies/1 (cache hits): ${duration}s, $connections connections, 2 threads"
wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$MOVIE_PORT/api/movies/1" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"

cat >"$work/add.lua" <<LUA
counter = 0
request = function()
  counter = counter + 1
  local movie = (counter * 7919 + math.random(1, 1000000)) % $movies + 1
  return wrk.format("POST", "/api/watchlist/1", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token" }, '{"movie_id":' .. movie .. '}')
end
LUA
echo "== POST /api/watchlist/1 (user + movie checks, insert; 409 once a movie is on the list): ${duration}s, $connections connections"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$work/add.lua" "http://127.0.0.1:$WATCHLIST_PORT" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
echo "(non-2xx answers above are 409s for movies already on the list; both kinds do the full check path)"
