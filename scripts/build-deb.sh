#!/bin/sh
# Builds dist/segue_<version>_<arch>.deb from an already built BUILD dir (`make deb` builds the
# `segue` target and the web player first). Usage: scripts/build-deb.sh BUILD [OUT_DIR]
#
# Contents: /usr/bin/segue (stripped; its debug symbols go beside the package as
# segue_<version>_<arch>.debug), the web player in /usr/share/segue/web, the config
# /etc/segue/segue.toml (a conffile), the unit /lib/systemd/system/segue.service and the
# maintainer scripts from packaging/deb/. The version is CMake's project version plus the
# number of commits and the commit (0.1.0+812.g7e83f04, ".dirty" with uncommitted changes).
# File dates are the commit's (SOURCE_DATE_EPOCH), owners root, so the same commit and build
# give the same package.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:?usage: build-deb.sh BUILD [OUT_DIR]}"
OUT="${2:-$root/dist}"
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
case "$OUT" in /*) ;; *) OUT="$root/$OUT" ;; esac
pkg="$root/packaging/deb"
bin="$BUILD/src/app/segue"
web="$root/web/dist"

[ -x "$bin" ] || { echo "build-deb: $bin is missing: build the segue target first" >&2; exit 1; }
[ -f "$web/index.html" ] || { echo "build-deb: $web is missing: run scripts/build-web.sh first" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps objcopy strip; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build-deb: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

# Version: project(segue VERSION x.y.z) + commits + commit.
base="$(sed -n 's/^project(segue VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
[ -n "$base" ] || { echo "build-deb: no project version in CMakeLists.txt" >&2; exit 1; }
version="$base"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  version="$base+$(git -C "$root" rev-list --count HEAD).g$(git -C "$root" rev-parse --short=7 HEAD)"
  [ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ] || version="$version.dirty"
  SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct)}"
fi
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(date +%s)}"
export SOURCE_DATE_EPOCH
arch="$(dpkg --print-architecture)"
name="segue_${version}_${arch}"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
tree="$stage/root"
mkdir -p "$tree/DEBIAN" "$tree/usr/bin" "$tree/usr/share/segue" "$tree/usr/share/doc/segue" \
  "$tree/etc/segue" "$tree/lib/systemd/system" "$OUT"

# The binary, stripped, with a link to its symbols kept beside the package.
objcopy --only-keep-debug --compress-debug-sections=zlib "$bin" "$stage/segue.debug"
strip --strip-unneeded --remove-section=.comment -o "$tree/usr/bin/segue" "$bin"
objcopy --add-gnu-debuglink="$stage/segue.debug" "$tree/usr/bin/segue"
chmod 0755 "$tree/usr/bin/segue"

cp -R "$web" "$tree/usr/share/segue/web"
install -m 0640 "$pkg/segue.toml" "$tree/etc/segue/segue.toml"
install -m 0644 "$pkg/segue.service" "$tree/lib/systemd/system/segue.service"
install -m 0644 "$root/README.md" "$tree/usr/share/doc/segue/README.md"
[ -f "$root/docs/deploy.md" ] && install -m 0644 "$root/docs/deploy.md" "$tree/usr/share/doc/segue/deploy.md"
for s in postinst prerm postrm; do install -m 0755 "$pkg/$s" "$tree/DEBIAN/$s"; done
install -m 0644 "$pkg/conffiles" "$tree/DEBIAN/conffiles"

# Runtime libraries: dpkg-shlibdeps reads the binary's NEEDED entries and the shlibs/symbols
# files of the installed -dev packages' libraries (it wants a debian/control to run in).
mkdir -p "$stage/shlibs/debian"
printf 'Source: segue\n\nPackage: segue\nArchitecture: any\n' > "$stage/shlibs/debian/control"
shlibs="$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$tree/usr/bin/segue" 2>"$stage/shlibdeps.err")" || {
  cat "$stage/shlibdeps.err" >&2
  exit 1
}
depends="$(printf '%s\n' "$shlibs" | sed -n 's/^shlibs:Depends=//p')"
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
depends="$depends, adduser, tzdata"

find "$tree" -type d -exec chmod 0755 {} +
find "$tree/usr/share" -type f -exec chmod 0644 {} +
size="$(du -sk --exclude=DEBIAN "$tree" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" \
  -e "s/@DEPENDS@/$depends/" "$pkg/control.in" > "$tree/DEBIAN/control"
chmod 0644 "$tree/DEBIAN/control"
(cd "$tree" && find . \( -path ./DEBIAN -o -path ./etc \) -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$tree/DEBIAN/md5sums"
chmod 0644 "$tree/DEBIAN/md5sums"
find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

rm -f "$OUT/$name.deb" "$OUT/$name.debug"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$OUT/$name.deb" >/dev/null
cp "$stage/segue.debug" "$OUT/$name.debug"
echo "$OUT/$name.deb"
