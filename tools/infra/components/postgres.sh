# shellcheck shell=bash
# PostgreSQL clusters, run with the Debian binaries as the `postgres` OS user (it refuses root).
# Two clusters use these helpers: `postgres` (inventory, TCP with password) and `ferretdb-pg`
# (FerretDB's private store, unix socket only; see ferretdb.sh).

pg_bindir() {
  if [[ -n ${POSTGRES_BIN:-} ]]; then echo "$POSTGRES_BIN"; return; fi
  local d
  d=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)
  [[ -n $d && -x $d/pg_ctl ]] && echo "$d"
}
PG_BIN=$(pg_bindir || true)

postgres_install() {
  [[ -n $PG_BIN ]] && return 0
  if ! PG_BIN=$(pg_bindir); then
    # Keep Debian's package from creating (and maybe starting) its own cluster on port 5432.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/50-order-system.conf
    apt_install postgresql
    PG_BIN=$(pg_bindir) || die "postgres: installed, but no /usr/lib/postgresql/*/bin/pg_ctl found"
  fi
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "postgres: OS user 'postgres' missing (it comes with the postgresql package)"
  fi
}

# Run a command as the cluster owner: `postgres` when we are root, else ourselves.
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_own() { if ((EUID == 0)); then chown postgres:postgres "$@"; fi; }

# pg_prepare NAME DATA SOCKDIR SOCKMODE: directories and log file writable by the cluster owner.
pg_prepare() {
  local name=$1 data=$2 sock=$3 mode=$4
  mkdir -p "$data" "$sock"
  touch "$LOG_DIR/$name.log"
  pg_own "$data" "$sock" "$LOG_DIR/$name.log"
  chmod 700 "$data"
  chmod "$mode" "$sock"
  as_pg test -w "$data" -a -w "$LOG_DIR/$name.log" ||
    die "$name: user postgres cannot reach $data. A parent folder is closed to other users (e.g. /root); chmod o+x it or set INFRA_DIR elsewhere."
  # A unix socket path is limited to 107 bytes.
  ((${#sock} < 90)) || die "$name: socket dir path too long (${#sock} chars): $sock. Set a shorter INFRA_DIR."
}

# pg_initdb NAME DATA USER AUTH_LOCAL [PASSWORD]: create the cluster once.
pg_initdb() {
  local name=$1 data=$2 user=$3 auth_local=$4 password=${5:-} pwfile args
  [[ -f $data/PG_VERSION ]] && return 0
  info "$name: initdb $data"
  args=(-D "$data" -U "$user" -E UTF8 --no-locale --auth-local="$auth_local" --auth-host=scram-sha-256)
  if [[ -n $password ]]; then
    pwfile=$(mktemp "$RUN_DIR/pw.XXXXXX")
    printf '%s\n' "$password" >"$pwfile"
    pg_own "$pwfile"
    args+=(--pwfile="$pwfile")
  fi
  as_pg "$PG_BIN/initdb" "${args[@]}" >>"$LOG_DIR/$name.log" 2>&1 || {
    rm -f "${pwfile:-}"
    die_with_log "$name: initdb failed" "$LOG_DIR/$name.log"
  }
  rm -f "${pwfile:-}"
  # Our settings live in infra.conf, rewritten on every start from the environment.
  echo "include_if_exists = 'infra.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

# pg_write_conf DATA SETTINGS...: (re)write DATA/infra.conf, one `key = value` per argument.
pg_write_conf() {
  local data=$1
  shift
  printf '# written by tools/infra/components/postgres.sh on every start\n' >"$data/infra.conf"
  printf '%s\n' "$@" >>"$data/infra.conf"
  pg_own "$data/infra.conf"
}

# pg_pid NAME DATA: live postmaster pid (from our pid file, else from postmaster.pid).
pg_pid() {
  local name=$1 data=$2 pid
  if pid=$(tracked_pid "$name" "$data"); then echo "$pid"; return 0; fi
  [[ -r $data/postmaster.pid ]] || return 1
  pid=$(head -n1 "$data/postmaster.pid")
  alive "$pid" "$data" || return 1
  echo "$pid" >"$(pid_file "$name")"
  echo "$pid"
}

# pg_start NAME DATA [background]: start with pg_ctl (it waits for the socket), record the postmaster
# pid. A background cluster runs under $BACKGROUND, which its backends inherit.
pg_start() {
  local name=$1 data=$2 log=$LOG_DIR/$1.log sched=()
  [[ ${3:-} == background ]] && sched=("${BACKGROUND[@]}")
  info "$name: starting"
  as_pg "${sched[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t "$INFRA_TIMEOUT" -s start 9>&- ||
    die_with_log "$name: pg_ctl start failed" "$log"
  pg_pid "$name" "$data" >/dev/null || die_with_log "$name: started but no live postmaster" "$log"
}

# pg_stop NAME DATA: fast shutdown (rolls back open transactions, checkpoints, exits).
pg_stop() {
  local name=$1 data=$2
  if ! pg_pid "$name" "$data" >/dev/null; then rm -f "$(pid_file "$name")"; return 0; fi
  info "$name: stopping (pg_ctl stop -m fast)"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 -s stop ||
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 30 -s stop || true
  rm -f "$(pid_file "$name")"
}

# ---- the inventory cluster --------------------------------------------------------------------
PG_DATA=$DATA_DIR/postgres
PG_SOCK=$RUN_DIR/postgres

# pg_sql DB: run SQL from stdin over TCP as the superuser, with its password, as a client would.
pg_sql() {
  PGPASSWORD=$POSTGRES_SUPERUSER_PASSWORD PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -w -q -A -t -v ON_ERROR_STOP=1 \
    -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$PG_SUPERUSER" -d "$1" "${@:2}"
}

# The roles inventory uses, each created once and given its generated password on every start:
# the migration role owns the database and its schema; the runtime role gets only the DML and
# EXECUTE that inventory's migrations grant it (no DDL, not a superuser).
postgres_roles() {
  pg_sql postgres -v mig="$POSTGRES_MIGRATION_USER" -v migpw="$POSTGRES_MIGRATION_PASSWORD" \
    -v app="$POSTGRES_RUNTIME_USER" -v apppw="$POSTGRES_RUNTIME_PASSWORD" -v db="$POSTGRES_DB" <<'SQL' >/dev/null ||
SELECT format('CREATE ROLE %I LOGIN', :'mig') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'mig') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"mig" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'migpw';
ALTER ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'apppw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'mig') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"mig";
SQL
    die_with_log "postgres: creating the inventory roles failed" "$LOG_DIR/postgres.log"
  pg_sql "$POSTGRES_DB" -v mig="$POSTGRES_MIGRATION_USER" <<<'ALTER SCHEMA public OWNER TO :"mig"' >/dev/null
}

postgres_ready() { pg_sql "$POSTGRES_DB" -c 'SELECT 1' </dev/null | grep -qx 1; }

postgres_up() {
  local pid
  if pid=$(pg_pid postgres "$PG_DATA"); then
    info "postgres: already running (pid $pid)"
  else
    require_free_port postgres "$POSTGRES_HOST" "$POSTGRES_PORT"
    pg_prepare postgres "$PG_DATA" "$PG_SOCK" 755
    pg_initdb postgres "$PG_DATA" "$PG_SUPERUSER" scram-sha-256 "$POSTGRES_SUPERUSER_PASSWORD"
    pg_write_conf "$PG_DATA" \
      "listen_addresses = '$POSTGRES_HOST'" \
      "port = $POSTGRES_PORT" \
      "unix_socket_directories = '$PG_SOCK'" \
      "unix_socket_permissions = 0777" \
      "password_encryption = scram-sha-256" \
      "max_connections = 200" \
      "shared_buffers = 512MB" \
      "effective_cache_size = 4GB" \
      "work_mem = 8MB" \
      "maintenance_work_mem = 256MB" \
      "wal_buffers = 16MB" \
      "fsync = on" \
      "synchronous_commit = on" \
      "full_page_writes = on" \
      "checkpoint_timeout = 15min" \
      "max_wal_size = 2GB" \
      "min_wal_size = 256MB" \
      "random_page_cost = 1.1" \
      "effective_io_concurrency = 200" \
      "max_worker_processes = 4" \
      "max_parallel_workers_per_gather = 1" \
      "max_parallel_workers = 2" \
      "log_min_duration_statement = 1000" \
      "log_timezone = 'UTC'" \
      "timezone = 'UTC'"
    pg_start postgres "$PG_DATA"
    pid=$(pg_pid postgres "$PG_DATA")
  fi
  wait_until postgres "$LOG_DIR/postgres.log" "$pid" pg_sql postgres -c 'SELECT 1'
  postgres_roles
  postgres_ready || die_with_log "postgres: SELECT 1 on $POSTGRES_DB failed" "$LOG_DIR/postgres.log"
}

postgres_down() { pg_stop postgres "$PG_DATA"; }

# status row: name port state pid detail
postgres_status() {
  local pid state=DOWN detail=-
  [[ -n $PG_BIN ]] || detail="not installed"
  if pid=$(pg_pid postgres "$PG_DATA"); then
    if postgres_ready 2>/dev/null; then
      state=UP
      detail="PostgreSQL $(pg_sql "$POSTGRES_DB" -c 'SHOW server_version' </dev/null | cut -d' ' -f1), db $POSTGRES_DB"
    else
      state=UNHEALTHY detail="SELECT 1 on $POSTGRES_DB failed"
    fi
  else
    pid=-
    port_open "$POSTGRES_HOST" "$POSTGRES_PORT" && state=PORT-BUSY detail="not ours: $(port_owner "$POSTGRES_PORT")"
  fi
  echo "postgres|$POSTGRES_PORT|$state|$pid|$detail"
}
