#!/bin/sh
# Installs what Segue needs to build, run and test on Debian 12. Idempotent: installs only
# what is missing, so it is cheap to call before every build.
set -eu

PACKAGES="cmake ninja-build g++ pkg-config ccache git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3 libtag1-dev libargon2-dev libtomlplusplus-dev
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev libswscale-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl
  wesnoth-1.16-music nginx-light wrk"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done
# Node.js may come from another source (e.g. NodeSource, whose nodejs bundles npm and
# conflicts with Debian's npm): only install Debian's when the commands are missing.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# Node packages for the integration and contract tests (lockfile committed).
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$root/tests/package.json" ]; then
  if [ ! -d "$root/tests/node_modules" ] || [ "$root/tests/package-lock.json" -nt "$root/tests/node_modules/.package-lock.json" ]; then
    (cd "$root/tests" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
