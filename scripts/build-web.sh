#!/bin/sh
# Builds the web player (web/ -> web/dist) when its sources are newer than the last build.
# The server serves web/dist at `/`.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/node-env.sh"
cd "$root/web"
stamp=dist/index.html
if [ -f "$stamp" ] && [ -z "$(find src index.html vite.config.ts tsconfig.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "== building the web player"
npm run build --silent
