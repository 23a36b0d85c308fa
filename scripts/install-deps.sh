#!/usr/bin/env bash
# install-deps.sh — installs the Debian packages brandpulse needs to build and test, when missing.
# Safe to run again: it only calls apt-get when something is missing. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  gcc make pkg-config
  librdkafka-dev libpcre2-dev libjansson-dev libyaml-dev libcurl4-openssl-dev
  libmicrohttpd-dev libexpat1-dev libssl-dev
  python3 python3-aiosmtpd curl
)
# extra packages a feature's tests need can be listed in scripts/deps-extra.txt (one per line)
here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$here/deps-extra.txt" ]; then
  while read -r p; do
    case "$p" in ''|'#'*) ;; *) PACKAGES+=("$p") ;; esac
  done < "$here/deps-extra.txt"
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
