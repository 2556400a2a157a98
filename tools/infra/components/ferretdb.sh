# shellcheck shell=bash
# FerretDB (MongoDB wire protocol), built from the Go module proxy.
# Backend (FERRETDB_HANDLER):
#   postgresql (default) - a private PostgreSQL cluster `ferretdb-pg`, unix socket only, separate
#                          from the inventory cluster, so stopping one never stops the other.
#   sqlite               - files under data/ferretdb; no PostgreSQL, but much slower (see README.md).

FERRETDB_BIN=$INFRA_CACHE/bin/ferretdb-$FERRETDB_VERSION
FERRETDB_DATA=$DATA_DIR/ferretdb
FERRETDB_LOG=$LOG_DIR/ferretdb.log
FERRETDB_MARKER="--state-dir=$FERRETDB_DATA"
FERRETDB_URI="mongodb://127.0.0.1:$MONGO_PORT/?retryWrites=false"
FDBPG_DATA=$DATA_DIR/ferretdb-pg
FDBPG_SOCK=$RUN_DIR/ferretdb-pg
FDBPG_PORT=5433 # names the socket file only; this cluster opens no TCP port

ferretdb_install() {
  [[ $FERRETDB_HANDLER == postgresql ]] && postgres_install
  [[ -x $FERRETDB_BIN ]] && return 0
  local go dir build
  go=$(command -v go || echo /usr/local/go/bin/go)
  [[ -x $go ]] || die "ferretdb: Go toolchain not found (need Go >= 1.22 on PATH or /usr/local/go)"
  # `go install ...@version` gives a binary that panics at start: the module zip lacks the
  # generated build/version/version.txt. Build from a copy of the module with that file added.
  local log=$LOG_DIR/ferretdb-build.log
  info "ferretdb: building $FERRETDB_VERSION with $("$go" version | cut -d' ' -f3), first time only (~1.5 min, log $log)"
  dir=$("$go" mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" 2>>"$log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || die_with_log "ferretdb: go mod download github.com/FerretDB/FerretDB@$FERRETDB_VERSION failed" "$log"
  build=$INFRA_CACHE/build/ferretdb-$FERRETDB_VERSION
  rm -rf "$build"
  mkdir -p "$(dirname "$build")" "$(dirname "$FERRETDB_BIN")"
  cp -r "$dir" "$build"
  chmod -R u+w "$build"
  echo "$FERRETDB_VERSION" >"$build/build/version/version.txt"
  (cd "$build" && GOFLAGS=-buildvcs=false "$go" build -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) >>"$log" 2>&1 ||
    die_with_log "ferretdb: go build failed" "$log"
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  rm -rf "$build"
}

# Readiness: a real wire-protocol round trip with the `mongodb` driver (ping, listDatabases).
# Without node or the driver (exit 3), fall back to FerretDB's /debug/readyz, which does not
# look at the backend, plus a query on the backend cluster.
mongo_ping() {
  command -v node >/dev/null || { echo "node not found"; return 3; }
  (cd "$REPO_ROOT" && node "$INFRA_HOME/mongo-ping.mjs" "$FERRETDB_URI" 2>&1)
}

ferretdb_ready() {
  port_open 127.0.0.1 "$MONGO_PORT" || return 1
  local rc=0
  mongo_ping || rc=$?
  ((rc == 3)) || return "$rc"
  ferretdb_fallback_ok
}

ferretdb_fallback_ok() {
  http_ok 127.0.0.1 "$FERRETDB_DEBUG_PORT" /debug/readyz || return 1
  [[ $FERRETDB_HANDLER != postgresql ]] || fdbpg_sql -c 'SELECT 1' >/dev/null 2>&1
}

http_ok() {
  local line
  # shellcheck disable=SC2016 # expanded by the inner bash
  line=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3 && head -n1 <&3' \
    _ "$1" "$2" "$3" 2>/dev/null) || return 1
  [[ $line == *" 200"* ]]
}

fdbpg_up() {
  local pid
  if pid=$(pg_pid ferretdb-pg "$FDBPG_DATA"); then
    info "ferretdb-pg: already running (pid $pid)"
  else
    pg_prepare ferretdb-pg "$FDBPG_DATA" "$FDBPG_SOCK" 700
    pg_initdb ferretdb-pg "$FDBPG_DATA" postgres trust
    pg_write_conf "$FDBPG_DATA" \
      "listen_addresses = ''" \
      "port = $FDBPG_PORT" \
      "unix_socket_directories = '$FDBPG_SOCK'" \
      "unix_socket_permissions = 0700" \
      "max_connections = 100" \
      "shared_buffers = 256MB" \
      "effective_cache_size = 2GB" \
      "work_mem = 8MB" \
      "fsync = on" \
      "synchronous_commit = on" \
      "max_wal_size = 1GB" \
      "random_page_cost = 1.1" \
      "timezone = 'UTC'"
    pg_start ferretdb-pg "$FDBPG_DATA" background
    pid=$(pg_pid ferretdb-pg "$FDBPG_DATA")
  fi
  wait_until ferretdb-pg "$LOG_DIR/ferretdb-pg.log" "$pid" fdbpg_sql -c 'SELECT 1'
  if [[ -z $(fdbpg_sql -c "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'") ]]; then
    fdbpg_sql -c 'CREATE DATABASE ferretdb' || die "ferretdb-pg: CREATE DATABASE ferretdb failed"
  fi
  fdbpg_sql -d ferretdb <"$INFRA_HOME/ferretdb-tuning.sql" || die "ferretdb-pg: ferretdb-tuning.sql failed"
}

fdbpg_sql() { as_pg "$PG_BIN/psql" -X -w -q -A -t -v ON_ERROR_STOP=1 -h "$FDBPG_SOCK" -p "$FDBPG_PORT" -U postgres -d postgres "$@"; }

ferretdb_up() {
  local pid backend
  [[ $FERRETDB_HANDLER == postgresql ]] && fdbpg_up
  if pid=$(tracked_pid ferretdb "$FERRETDB_MARKER"); then
    info "ferretdb: already running (pid $pid)"
  else
    require_free_port ferretdb 127.0.0.1 "$MONGO_PORT"
    require_free_port ferretdb-debug 127.0.0.1 "$FERRETDB_DEBUG_PORT"
    mkdir -p "$FERRETDB_DATA"
    case $FERRETDB_HANDLER in
      postgresql) backend=(--handler=postgresql "--postgresql-url=postgres://postgres@/ferretdb?host=$FDBPG_SOCK&port=$FDBPG_PORT") ;;
      sqlite) backend=(--handler=sqlite "--sqlite-url=file:$FERRETDB_DATA/") ;;
      *) die "ferretdb: FERRETDB_HANDLER must be postgresql or sqlite, not '$FERRETDB_HANDLER'" ;;
    esac
    info "ferretdb: starting $FERRETDB_VERSION ($FERRETDB_HANDLER backend)"
    pid=$(start_daemon ferretdb "$FERRETDB_LOG" "${BACKGROUND[@]}" "$FERRETDB_BIN" "${backend[@]}" \
      --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr="127.0.0.1:$FERRETDB_DEBUG_PORT" \
      --state-dir="$FERRETDB_DATA" --telemetry=disable --log-level="$FERRETDB_LOG_LEVEL")
  fi
  wait_until ferretdb "$FERRETDB_LOG" "$pid" ferretdb_ready
}

ferretdb_down() {
  local pid
  if pid=$(tracked_pid ferretdb "$FERRETDB_MARKER"); then
    info "ferretdb: stopping (SIGTERM)"
    stop_pid ferretdb "$pid" 20
    rm -f "$(pid_file ferretdb)"
  fi
  [[ -d $FDBPG_DATA ]] && pg_stop ferretdb-pg "$FDBPG_DATA"
  return 0
}

ferretdb_status() {
  local pid state=DOWN detail=- out
  if [[ $FERRETDB_HANDLER == postgresql ]]; then
    if pid=$(pg_pid ferretdb-pg "$FDBPG_DATA") && fdbpg_sql -c 'SELECT 1' >/dev/null 2>&1; then
      echo "ferretdb-pg|socket|UP|$pid|PostgreSQL $(fdbpg_sql -c 'SHOW server_version' | cut -d' ' -f1), private store of ferretdb"
    else
      echo "ferretdb-pg|socket|${pid:+UNHEALTHY}${pid:-DOWN}|${pid:--}|-"
    fi
  fi
  [[ -x $FERRETDB_BIN ]] || detail="not installed"
  if pid=$(tracked_pid ferretdb "$FERRETDB_MARKER"); then
    local rc=0
    out=$(mongo_ping) || rc=$?
    if ((rc == 0)); then
      state=UP detail="FerretDB $FERRETDB_VERSION, $out, $FERRETDB_HANDLER backend"
    elif ((rc == 3)) && ferretdb_fallback_ok; then
      state=UP detail="FerretDB $FERRETDB_VERSION, /debug/readyz ok ($out)"
    else
      state=UNHEALTHY detail=$out
    fi
  else
    pid=-
    port_open 127.0.0.1 "$MONGO_PORT" && state=PORT-BUSY detail="not ours: $(port_owner "$MONGO_PORT")"
  fi
  echo "ferretdb|$MONGO_PORT|$state|$pid|$detail"
}
