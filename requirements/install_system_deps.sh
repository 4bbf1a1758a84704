#!/usr/bin/env bash
# Install the Debian packages the pipeline needs (CP2K for DFT, Chromium for
# the report test). Idempotent: does nothing when they are already there.
# As root it runs apt-get; otherwise it prints the command to run.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "warning: not a Debian system; install ${missing[*]} yourself (or use the conda envs in envs/)" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "warning: missing system packages: ${missing[*]}" >&2
  echo "  run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  echo "  (CP2K steps and the report browser test are skipped until then)" >&2
  exit 0
fi
echo "installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
