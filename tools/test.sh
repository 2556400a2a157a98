#!/usr/bin/env bash
# npm test: every check and test, against real servers.
# Starts the local infrastructure if it is not running (and leaves it running).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false

bash tools/infra/up.sh
npx nx run proto:check-generated --output-style=static
npx nx run-many -t lint typecheck build --output-style=static
npx nx run-many -t test --parallel=2 --output-style=static
