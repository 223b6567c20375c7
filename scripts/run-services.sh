# Functions (sourced by other scripts) that start the three services from built binaries against
# given PostgreSQL and Redis servers, each on a free loopback port, and stop them.
# Needs: free_port (backing-services.sh), PG_URL_BASE (postgres://user@host:port), REDIS_URL.

services_target_dir() {
  local root="$1"
  echo "${CARGO_TARGET_DIR:-$root/target}"
}

# create_databases PG_URL_BASE NAME...: creates the databases that do not exist yet.
create_databases() {
  local base="$1"; shift
  for name in "$@"; do
    psql "$base/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
      || psql "$base/postgres" -qc "CREATE DATABASE \"$name\"" >/dev/null
  done
}

wait_for_http() {
  local url="$1" name="$2"
  for _ in $(seq 1 100); do
    curl -fsS "$url" -o /dev/null 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$name did not become healthy at $url" >&2
  return 1
}

# start_services ROOT LOG_DIR PG_URL_BASE REDIS_URL JWT_SECRET: sets USER_PORT, MOVIE_PORT,
# WATCHLIST_PORT and SERVICE_PIDS.
start_services() {
  local root="$1" logs="$2" base="$3" redis="$4" secret="$5" bin
  bin="$(services_target_dir "$root")/debug"
  mkdir -p "$logs"
  USER_PORT="$(free_port)"; MOVIE_PORT="$(free_port)"; WATCHLIST_PORT="$(free_port)"
  local common=(JWT_SECRET="$secret" BIND_HOST=127.0.0.1 RATE_LIMIT_PER_MINUTE="${RATE_LIMIT_PER_MINUTE:-100000}" RUST_LOG="${RUST_LOG:-warn}")
  env "${common[@]}" PORT="$USER_PORT" DATABASE_URL="$base/${DB_PREFIX:-}users" "$bin/user-service" >"$logs/user.log" 2>&1 &
  SERVICE_PIDS="$!"
  env "${common[@]}" PORT="$MOVIE_PORT" DATABASE_URL="$base/${DB_PREFIX:-}movies" REDIS_URL="$redis" "$bin/movie-service" >"$logs/movie.log" 2>&1 &
  SERVICE_PIDS="$SERVICE_PIDS $!"
  env "${common[@]}" PORT="$WATCHLIST_PORT" DATABASE_URL="$base/${DB_PREFIX:-}watchlist" \
    USER_SERVICE_URL="http://127.0.0.1:$USER_PORT" MOVIE_SERVICE_URL="http://127.0.0.1:$MOVIE_PORT" \
    "$bin/watchlist-service" >"$logs/watchlist.log" 2>&1 &
  SERVICE_PIDS="$SERVICE_PIDS $!"
  wait_for_http "http://127.0.0.1:$USER_PORT/health" "the user service" || { cat "$logs/user.log" >&2; return 1; }
  wait_for_http "http://127.0.0.1:$MOVIE_PORT/health" "the movie service" || { cat "$logs/movie.log" >&2; return 1; }
  wait_for_http "http://127.0.0.1:$WATCHLIST_PORT/health" "the watchlist service" || { cat "$logs/watchlist.log" >&2; return 1; }
}

stop_services() {
  # shellcheck disable=SC2086
  [[ -n "${SERVICE_PIDS:-}" ]] && kill $SERVICE_PIDS 2>/dev/null && wait $SERVICE_PIDS 2>/dev/null
  SERVICE_PIDS=""
}
