# Functions (sourced by other scripts) that start PostgreSQL and Redis from the system's packages
# in a throwaway directory on free loopback ports, and stop them again.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

postgres_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
    echo "PostgreSQL server binaries not found; install them with: sudo apt-get install postgresql" >&2
    return 1
  fi
  echo "$dir"
}

# start_postgres DIR PORT: initialises a cluster in DIR (trust auth, user postgres) and starts it.
start_postgres() {
  local dir="$1" port="$2" bin as_user=()
  bin="$(postgres_bin)" || return 1
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    # PostgreSQL refuses to run as root; the package's postgres user runs it, and must be able to
    # reach DIR through its (throwaway, mktemp-made) parent.
    chmod o+x "$(dirname "$dir")"
    chown -R postgres:postgres "$dir"
    as_user=(runuser -u postgres --)
  fi
  "${as_user[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  # TLS as RDS offers it (clients may still connect in the clear): a throwaway certificate
  # authority ($dir/tls/ca.pem) signs the server's certificate for 127.0.0.1 and localhost.
  make_tls_certificates "$dir/tls" || return 1
  [[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$dir/tls"
  "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key" \
    start >/dev/null || { cat "$dir/postgres.log" >&2; return 1; }
}

# make_tls_certificates DIR: ca.pem, and server.pem/server.key for 127.0.0.1 and localhost signed by it.
make_tls_certificates() {
  local dir="$1"
  command -v openssl >/dev/null || { echo "openssl not found; install it with: sudo apt-get install openssl" >&2; return 1; }
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wl-infra test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 || { echo "cannot make a test CA" >&2; return 1; }
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/san.ext" -out "$dir/server.pem" >/dev/null 2>&1 || { echo "cannot sign the test certificate" >&2; return 1; }
  chmod 600 "$dir/server.key" "$dir/ca.key"
}

stop_postgres() {
  local dir="$1" bin as_user=()
  [[ -d "$dir/data" ]] || return 0
  bin="$(postgres_bin)" || return 0
  [[ $(id -u) -eq 0 ]] && as_user=(runuser -u postgres --)
  "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# start_redis DIR PORT: starts a Redis server without persistence.
start_redis() {
  local dir="$1" port="$2"
  if ! command -v redis-server >/dev/null; then
    echo "redis-server not found; install it with: sudo apt-get install redis-server" >&2
    return 1
  fi
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "redis-server did not answer on port $port; see $dir/redis.log" >&2
  return 1
}

stop_redis() {
  local dir="$1"
  [[ -f "$dir/redis.pid" ]] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
}
