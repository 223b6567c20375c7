#!/usr/bin/env bash
# Runs the whole application on this machine without Docker: PostgreSQL (three databases) and
# Redis from the system's packages in a throwaway directory, the three services, and nginx with
# services/gateway/nginx.conf serving frontend/dist and routing /api/*. Prints the URL; Ctrl-C
# stops everything it started.
#   scripts/run-local.sh            gateway on a free port (GATEWAY_PORT to choose one)
# WL_LOCAL_READY_FILE: when set, the URL is also written there once everything answers, and the
# working directory (logs/, redis/) to WL_LOCAL_READY_FILE.work (tests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/backing-services.sh"
source "$root/scripts/run-services.sh"

missing=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v redis-server >/dev/null || missing+=(redis-server)
postgres_bin >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "run-local: missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

work="$(mktemp -d)"
nginx_pid=""
cleanup() {
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null
  stop_services
  stop_redis "$work/redis"
  stop_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "run-local: building the services and the frontend" >&2
(cd "$root" && cargo build --quiet -p watchlist-user -p watchlist-movie -p watchlist-watchlist --bins)
if [[ ! -d "$root/frontend/node_modules" ]]; then
  (cd "$root/frontend" && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
(cd "$root/frontend" && npx --no-install vite build --logLevel warn)

pg_port="$(free_port)"; redis_port="$(free_port)"
start_postgres "$work/pg" "$pg_port"
start_redis "$work/redis" "$redis_port"
base="postgres://postgres@127.0.0.1:$pg_port"
create_databases "$base" users movies watchlist
secret="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
# The production limit (300 requests a minute per client), counted behind the gateway (1 hop).
RUST_LOG="${RUST_LOG:-info}" RATE_LIMIT_PER_MINUTE="${RATE_LIMIT_PER_MINUTE:-300}" TRUSTED_PROXY_HOPS=1 start_services "$root" "$work/logs" "$base" "redis://127.0.0.1:$redis_port" "$secret"

gateway_port="${GATEWAY_PORT:-$(free_port)}"
mkdir -p "$work/nginx"
sed -e "s|server user:8001;|server 127.0.0.1:$USER_PORT;|" \
    -e "s|server movie:8002;|server 127.0.0.1:$MOVIE_PORT;|" \
    -e "s|server watchlist:8003;|server 127.0.0.1:$WATCHLIST_PORT;|" \
    -e "s|listen 8080;|listen 127.0.0.1:$gateway_port;|" \
    -e "s|root /usr/share/nginx/html;|root $root/frontend/dist;|" \
    -e "s|include mime.types;|include /etc/nginx/mime.types;|" \
    -e "s|pid /tmp/nginx.pid;|pid $work/nginx/nginx.pid;|" \
    -e "s|/tmp/nginx-|$work/nginx/|g" \
    -e "s|access_log /dev/stdout;|access_log $work/logs/nginx-access.log;|" \
    "$root/services/gateway/nginx.conf" >"$work/nginx/nginx.conf"
if [[ $(id -u) -eq 0 ]]; then
  # nginx workers run as nobody when started by root; they must read the frontend.
  sed -i "s|^worker_processes auto;|user root;\nworker_processes 2;|" "$work/nginx/nginx.conf"
fi
"$nginx_bin" -t -q -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>&1 | grep -v "could not open error log" >&2 || true
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -g "daemon off;" 2>"$work/logs/nginx-error.log" &
nginx_pid=$!
url="http://127.0.0.1:$gateway_port"
wait_for_http "$url/api/health/watchlist" "the gateway" || { cat "$work/logs/nginx-error.log" >&2; exit 1; }

echo "run-local: the Movie Watchlist is at $url (logs in $work/logs); Ctrl-C stops it" >&2
# The working directory first (its logs/ and redis/ are what `wl-infra verify` and tests read).
[[ -n "${WL_LOCAL_READY_FILE:-}" ]] && echo "$work" >"$WL_LOCAL_READY_FILE.work"
[[ -n "${WL_LOCAL_READY_FILE:-}" ]] && echo "$url" >"$WL_LOCAL_READY_FILE"
echo "$url"
wait "$nginx_pid"
