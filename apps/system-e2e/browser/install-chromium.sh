#!/usr/bin/env bash
# The browser the console's tests drive: Debian's chromium-headless-shell, installed with apt
# when it is missing (idempotent; a fresh CI machine gets it on its first run). Playwright's own
# browser download is not used. Prints the binary's path.
set -euo pipefail
bin=${CHROMIUM_PATH:-/usr/bin/chromium-headless-shell}
if [[ ! -x $bin ]]; then
  command -v apt-get >/dev/null || { echo "no $bin and no apt-get: install chromium-headless-shell by hand" >&2; exit 1; }
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  echo "installing chromium-headless-shell (apt)" >&2
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium-headless-shell >&2
  [[ -x $bin ]] || { echo "apt installed chromium-headless-shell, but $bin is not there" >&2; exit 1; }
fi
echo "$bin"
