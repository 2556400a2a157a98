# shellcheck shell=bash
# Shared configuration and helpers for tools/infra/*.sh. Source it; do not run it.
#
# Local infrastructure runs as plain processes on loopback:
#   postgres     inventory database            127.0.0.1:$POSTGRES_PORT
#   kafka        KRaft broker+controller       127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)
#   ferretdb-pg  private PostgreSQL for FerretDB, unix socket only (no TCP port)
#   ferretdb     MongoDB wire protocol          127.0.0.1:$MONGO_PORT (debug HTTP $FERRETDB_DEBUG_PORT)

INFRA_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$INFRA_HOME/../.." && pwd)

# ---- configuration (environment variables with defaults) --------------------------------------
# open_to_others DIR: every folder from / down to DIR lets other users through (o+x, shown as
# `t` when the sticky bit is set too, as on /tmp), as the `postgres` OS user, which runs the
# clusters, needs. libs/local-stack applies the same rule.
open_to_others() {
  local d=$1
  while [[ -n $d && $d != / ]]; do
    [[ ! -e $d || $(stat -c %A "$d") == *[xt] ]] || return 1
    d=$(dirname "$d")
  done
}
# Data lives in the checkout (git-ignored), unless the checkout is closed to other users
# (a clone under /root, say): then under /var/tmp, named after the checkout.
if [[ -z ${INFRA_DIR:-} ]]; then
  if ((EUID != 0)) || open_to_others "$REPO_ROOT"; then
    INFRA_DIR=$REPO_ROOT/.infra
  else
    INFRA_DIR=/var/tmp/order-system-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-8)
  fi
fi
: "${INFRA_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/order-system}"
: "${INFRA_TIMEOUT:=90}"            # seconds each component may take to answer after start

: "${POSTGRES_HOST:=127.0.0.1}"
: "${POSTGRES_PORT:=5432}"
: "${POSTGRES_DB:=ecommerce_inventory}"
# The cluster's superuser; its password, and every other credential, is generated under
# $INFRA_DIR/secrets on first start (components/secrets.sh).
PG_SUPERUSER=postgres

: "${KAFKA_VERSION:=4.4.0}"
: "${KAFKA_PORT:=9092}"
: "${KAFKA_CONTROLLER_PORT:=9093}"
: "${KAFKA_HEAP_OPTS:=-Xms256m -Xmx512m}"

: "${MONGO_PORT:=27017}"
: "${FERRETDB_VERSION:=v1.24.2}"
: "${FERRETDB_DEBUG_PORT:=8088}"
: "${FERRETDB_HANDLER:=postgresql}"  # postgresql (private cluster, fast) | sqlite (no PostgreSQL, slow)
: "${FERRETDB_LOG_LEVEL:=error}"
: "${BACKGROUND_SCHED:=batch}"      # batch | normal: how Kafka, FerretDB and its PostgreSQL are scheduled

mkdir -p "$INFRA_DIR" "$INFRA_CACHE"
INFRA_DIR=$(cd "$INFRA_DIR" && pwd)
INFRA_CACHE=$(cd "$INFRA_CACHE" && pwd)
export INFRA_DIR INFRA_CACHE
RUN_DIR=$INFRA_DIR/run
LOG_DIR=$INFRA_DIR/logs
DATA_DIR=$INFRA_DIR/data
mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR"
chmod 755 "$INFRA_DIR" "$RUN_DIR" "$LOG_DIR" "$DATA_DIR"

# ---- messages ---------------------------------------------------------------------------------
info() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# die_with_log MESSAGE LOGFILE: fail and show what the component said last.
die_with_log() {
  printf '[infra] ERROR: %s\n' "$1" >&2
  if [[ -s $2 ]]; then
    printf '[infra] ---- last lines of %s ----\n' "$2" >&2
    tail -n 40 "$2" >&2
    printf '[infra] ----\n' >&2
  fi
  exit 1
}

# The command prefix for the servers off the request path (Kafka, FerretDB and its PostgreSQL):
# SCHED_BATCH where chrt can set it. They keep their share of the CPU but do not preempt on
# wake-up, so a Kafka batch does not interrupt a CreateOrder (libs/launcher/src/command.ts).
[[ $BACKGROUND_SCHED == batch || $BACKGROUND_SCHED == normal ]] ||
  die "BACKGROUND_SCHED=\"$BACKGROUND_SCHED\": expected one of batch, normal"
BACKGROUND=()
if [[ $BACKGROUND_SCHED == batch ]] && chrt --batch 0 true 2>/dev/null; then BACKGROUND=(chrt --batch 0); fi

# ---- processes --------------------------------------------------------------------------------
pid_file() { echo "$RUN_DIR/$1.pid"; }

# alive PID MARKER: the process exists and its command line contains MARKER
# (guards against a recycled pid belonging to someone else).
alive() {
  [[ -n ${1:-} && -r /proc/$1/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# tracked_pid NAME MARKER: print the live pid recorded for NAME; drop a stale pid file.
tracked_pid() {
  local f pid
  f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  if alive "$pid" "$2"; then echo "$pid"; return 0; fi
  rm -f "$f"
  return 1
}

# stop_pid NAME PID GRACE: SIGTERM, wait up to GRACE seconds, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 grace=$3 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { info "$name stopped"; return 0; }
    sleep 0.1
  done
  info "$name did not stop within ${grace}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# ---- ports ------------------------------------------------------------------------------------
port_open() { timeout 2 bash -c ": </dev/tcp/$1/$2" 2>/dev/null; }

# port_owner PORT: describe the process listening on PORT, if ss can tell.
port_owner() {
  command -v ss >/dev/null || { echo "unknown process"; return; }
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n1 || true
}

# require_free_port NAME HOST PORT: fail clearly when something that is not ours holds the port.
require_free_port() {
  if port_open "$2" "$3"; then
    die "$1: port $2:$3 is already in use by something that is not ours ($(port_owner "$3")). Stop it or set another port."
  fi
}

# running PID: the process exists and has not exited (a zombie has). Unlike alive, it does not
# look for a marker: a daemon start_daemon has just forked may still be exec'ing setsid, then
# chrt, then itself, and until then its command line is this script's.
running() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# wait_until NAME LOG PID CMD...: run CMD until it succeeds, for at most INFRA_TIMEOUT s.
# Fails early when the process dies.
wait_until() {
  local name=$1 log=$2 pid=$3 deadline=$((SECONDS + INFRA_TIMEOUT))
  shift 3
  until "$@" >/dev/null 2>&1; do
    running "$pid" || die_with_log "$name exited during startup" "$log"
    ((SECONDS < deadline)) || die_with_log "$name did not answer within ${INFRA_TIMEOUT}s" "$log"
    sleep 0.5
  done
}

# start_daemon NAME LOG CMD...: run CMD detached (own session, survives this shell), record its pid.
# fd 9 (the lock) is closed so the daemon does not hold the lock for its whole life.
start_daemon() {
  local name=$1 log=$2
  shift 2
  printf '\n==== %s starting %s ====\n' "$(date -Is)" "$name" >>"$log"
  setsid "$@" >>"$log" 2>&1 </dev/null 9>&- &
  echo $! >"$(pid_file "$name")"
  echo $!
}

# infra_lock: one up/down at a time (fd 9; closed for every daemon we start).
infra_lock() {
  exec 9>"$RUN_DIR/.lock"
  flock -w 300 9 || die "another tools/infra up/down is running (lock $RUN_DIR/.lock)"
}

# ---- installs ---------------------------------------------------------------------------------
APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null || die "cannot install $*: no apt-get on this machine; install it by hand"
  ((EUID == 0)) || die "installing $* needs root (apt-get)"
  if [[ -z $APT_UPDATED ]]; then
    info "apt-get update"
    apt-get update -qq >&2
    APT_UPDATED=1
  fi
  info "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# shellcheck source=components/secrets.sh
source "$INFRA_HOME/components/secrets.sh"
[[ -s $SECRETS_ENV ]] && secrets_load
# shellcheck source=components/postgres.sh
source "$INFRA_HOME/components/postgres.sh"
# shellcheck source=components/kafka.sh
source "$INFRA_HOME/components/kafka.sh"
# shellcheck source=components/ferretdb.sh
source "$INFRA_HOME/components/ferretdb.sh"

# Components in start order; stop in reverse. Each has <name>_install/_start/_stop/_status.
# shellcheck disable=SC2034 # used by up.sh, down.sh, status.sh
COMPONENTS=(secrets postgres kafka ferretdb)
