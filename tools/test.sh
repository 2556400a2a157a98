#!/usr/bin/env bash
# npm test: every check and test, against real servers.
# Starts the local infrastructure if it is not running (and leaves it running).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false
log=$(mktemp)
trap 'rm -f "$log"' EXIT

bash tools/infra/up.sh
npx nx run proto:check-generated --output-style=static
npx nx run-many -t lint typecheck build --output-style=static
# The deployments' generated credentials and certificates (git-ignored), which the checks below read.
npm run -s deploy:secrets
# The gateway's Dockerfile steps replayed without an engine; the built app must start and answer.
node tools/deploy-check/dockerfile-dryrun.mjs gateway
# The kind overlay applied to a throwaway kube-apiserver (its first run builds it: minutes).
node tools/k8s-server-check/src/server-check.mjs
npx nx run-many -t test --parallel=2 --output-style=static 2>&1 | tee "$log"
# The web console in a real browser (Debian's chromium-headless-shell, installed if missing).
npx nx run system-e2e:browser --output-style=static 2>&1 | tee -a "$log"

# The crash test kills shared infrastructure (Kafka, FerretDB), so it runs alone, last.
npx nx run system-e2e:crash --output-style=static 2>&1 | tee -a "$log"

# One closing line for the whole run, summed over every project's vitest summary.
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /^ +Tests +/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  END { printf "tests: %d passed, %d failed\n", p, f }'
