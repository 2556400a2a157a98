#!/usr/bin/env bash
# Stop local infrastructure cleanly (reverse start order). Data stays in $INFRA_DIR/data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ${INFRA_USE_DOCKER:-0} == 1 ]] && docker info >/dev/null 2>&1; then
  exec docker compose -f "$REPO_ROOT/docker-compose.yml" stop postgres mongo kafka
fi

infra_lock

for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do "${COMPONENTS[i]}_down"; done
info "all stopped"
