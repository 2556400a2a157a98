#!/usr/bin/env bash
# Start local infrastructure (PostgreSQL, Kafka, FerretDB) as plain processes on loopback.
# Installs what is missing (cached), starts what is down, leaves running ones alone, waits until
# each answers a real query, creates the Kafka topics and prints the status table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ${INFRA_USE_DOCKER:-0} == 1 ]] && docker info >/dev/null 2>&1; then
  info "INFRA_USE_DOCKER=1: using docker compose instead of local processes"
  docker compose -f "$REPO_ROOT/docker-compose.yml" up -d --wait postgres mongo kafka
  exec docker compose -f "$REPO_ROOT/docker-compose.yml" run --rm kafka-init # creates the topics
fi

infra_lock

for c in "${COMPONENTS[@]}"; do "${c}_install"; done
for c in "${COMPONENTS[@]}"; do "${c}_up"; done
kafka_ensure_topics
kafka_acls
info "ready after ${SECONDS}s"
"$INFRA_HOME/status.sh"
