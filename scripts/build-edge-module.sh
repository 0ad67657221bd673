#!/usr/bin/env bash
# Builds Segue's nginx module for caching edges (deploy/nginx/module: the edge-token check in C)
# against the installed nginx, the way Debian's nginx-dev intends: nginx's configure with the
# installed binary's flags (/usr/share/nginx/src/conf_flags, --with-compat) and
# --add-dynamic-module, then `make -f objs/Makefile modules`. scripts/setup.sh installs nginx-dev.
#
#   scripts/build-edge-module.sh [BUILD_DIR]     (default: build)
#
# Result: BUILD_DIR/nginx-module/ngx_http_segue_edge_token_module.so (its path is printed).
# Cached: nothing is rebuilt while the module's sources, this script and the installed nginx
# are unchanged (then it only prints the path). deploy/render edge --token-check c (or auto)
# loads it from there; deploy/render's header says how to install it elsewhere.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
src="$root/deploy/nginx/module"
ngx_src=/usr/share/nginx/src
out="$build/nginx-module"
so="$out/ngx_http_segue_edge_token_module.so"

die() { echo "build-edge-module: $*" >&2; exit 2; }
command -v nginx >/dev/null || die "nginx is not installed (scripts/setup.sh installs it)"
[ -f "$ngx_src/conf_flags" ] && [ -x "$ngx_src/configure" ] ||
  die "nginx's module build files are missing ($ngx_src; Debian package nginx-dev, scripts/setup.sh installs it)"

# What the module is built from: its sources, this script, the nginx it is built for.
stamp="$( {
  nginx -v 2>&1
  dpkg-query -W -f='${Version}\n' nginx-dev 2>/dev/null || true
  cat "$ngx_src/conf_flags" "$src/config" "$src"/*.c "${BASH_SOURCE[0]}"
} | sha256sum | cut -d' ' -f1)"
mkdir -p "$out"
# One build at a time per build dir (tests and scripts/cluster.sh may ask at once).
exec 9>"$out/.lock"
flock 9
if [ -f "$so" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$so"
  exit 0
fi

rm -rf "$out/nginx" "$out/stamp" "$so"
cp -a "$ngx_src" "$out/nginx"
# shellcheck disable=SC1091
. "$out/nginx/conf_flags"  # NGX_CONF_FLAGS=( ... ): the installed nginx's configure options
(
  cd "$out/nginx"
  # The module is compiled with nginx's warnings as errors (-Werror).
  ./configure "${NGX_CONF_FLAGS[@]}" \
    --with-cc-opt='-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -D_FORTIFY_SOURCE=2' \
    --with-ld-opt='-Wl,-z,relro -Wl,-z,now -fPIC' \
    --add-dynamic-module="$src" >"$out/configure.log" 2>&1 ||
    { tail -20 "$out/configure.log" >&2; die "nginx's configure failed (full log: $out/configure.log)"; }
  make -j1 -f objs/Makefile modules >"$out/make.log" 2>&1 ||
    { grep -E 'error|warning' "$out/make.log" >&2 || tail -20 "$out/make.log" >&2; die "make modules failed (full log: $out/make.log)"; }
)
cp "$out/nginx/objs/ngx_http_segue_edge_token_module.so" "$so.tmp"
mv -f "$so.tmp" "$so"
echo "$stamp" >"$out/stamp"
echo "$so"
