#!/usr/bin/env bash
# Status table of local infrastructure. Each UP is a real query, not just a live pid.
# Usage: status.sh [--check]   (--check: exit 1 unless everything is UP)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rows=()
for c in "${COMPONENTS[@]}"; do
  while IFS= read -r row; do rows+=("$row"); done < <("${c}_status")
done

down=0
printf '%-12s %-7s %-10s %-8s %s\n' COMPONENT PORT STATE PID DETAIL
for row in "${rows[@]}"; do
  IFS='|' read -r name port state pid detail <<<"$row"
  printf '%-12s %-7s %-10s %-8s %s\n' "$name" "$port" "$state" "$pid" "$detail"
  [[ $state == UP ]] || down=$((down + 1))
done
printf 'infra dir: %s   logs: %s\n' "$INFRA_DIR" "$LOG_DIR"

if [[ ${1:-} == --check ]] && ((down > 0)); then
  echo "$down component(s) not UP" >&2
  exit 1
fi
exit 0
