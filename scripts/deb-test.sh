#!/bin/bash
# Installs the Debian package on this machine and runs it the way segue.service would, then
# removes and purges it: `make deb-test`, or scripts/deb-test.sh [dist/segue_VERSION_ARCH.deb]
# (default: the newest in dist/). Needs root (it installs into the real system: that is the
# point) and cleans up after itself, also when a step fails or it is interrupted.
#
# Steps: dpkg -i (apt-get -f install when dependencies are missing); files, owners and modes;
# the system user; the unit enabled; `systemd-analyze verify` and the unit's exposure score.
# Then the service's ExecStart, as the user `segue`, with the installed config: systemd is not
# PID 1 on the machines this runs on (containers), so the unit cannot be started with
# systemctl; the script applies what it can of the unit's sandbox by hand: a mount namespace
# with / read-only and only /var/lib/segue writable (ProtectSystem=strict, ReadWritePaths), a
# private /tmp and /var/tmp (PrivateTmp), no new privileges, no capabilities in any set
# (CapabilityBoundingSet=), memory that is never writable and executable (MemoryDenyWriteExecute,
# by prctl PR_SET_MDWE), UMask=0077; the system-call filter (@system-service) and the address
# families are checked with strace instead: every system call the server and its transcode and
# analysis worker processes make must be in @system-service, and every socket one of
# AF_UNIX, AF_INET, AF_INET6. The server scans a demo library in /srv (PrivateTmp would hide
# one in /tmp), makes an encoding of each track in its transcode worker processes and analyzes
# them in its analysis processes; a user is added with the CLI as `segue`; /healthz shows the
# tracks; the web player is served. Then: a reinstall keeps the data, `dpkg -r` keeps the data,
# config and user, `dpkg -P` removes them.
#
# Safe on a developer machine: it refuses to start when a `segue` package, user or
# /var/lib/segue exists that an earlier run of this script did not leave behind (purging would
# delete someone's data), and it listens on a port the kernel picks.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
marker=/var/tmp/segue-deb-test.installed
arch="$(dpkg --print-architecture)"

deb="${1:-}"
if [ -z "$deb" ]; then
  deb="$(ls -t "$root"/dist/segue_*_"$arch".deb 2>/dev/null | head -1 || true)"
  [ -n "$deb" ] || { echo "deb-test: no dist/segue_*_$arch.deb: run make deb first" >&2; exit 2; }
fi
[ -f "$deb" ] || { echo "deb-test: $deb is not a file" >&2; exit 2; }
deb="$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deb-test: needs root (installs the package)" >&2; exit 2; }
  exec sudo "$0" "$deb"
fi
for tool in dpkg apt-get systemd-analyze setpriv runuser unshare perl curl strace; do
  command -v "$tool" >/dev/null 2>&1 || { echo "deb-test: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done

fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
die() { echo "FAIL $*"; exit 1; }
installed() { dpkg-query -W -f='${db:Status-Status}' segue 2>/dev/null | grep -qv '^not-installed$'; }
stat_is() {  # stat_is PATH MODE OWNER:GROUP
  [ "$(stat -c '%a %U:%G' "$1" 2>/dev/null)" = "$2 $3" ] || { echo "     $1: $(stat -c '%a %U:%G' "$1" 2>&1), want $2 $3"; return 1; }
}

# dpkg, waiting up to 2 minutes for the lock when another apt or dpkg holds it.
dpkg() {
  local out status
  for _ in $(seq 1 120); do
    status=0; out="$(command dpkg "$@" 2>&1)" || status=$?
    if [ "$status" -ne 0 ] && printf '%s' "$out" | grep -q 'lock'; then sleep 1; continue; fi
    printf '%s\n' "$out"
    return "$status"
  done
  printf '%s\n' "$out"; return 1
}

# --- Refuse to touch an installation that is not ours; finish one an interrupted run left
# (the marker holds the folders it made).
if [ -f "$marker" ]; then
  echo "deb-test: purging what an interrupted run left behind"
  installed && dpkg -P segue >/dev/null
  while read -r dir; do
    case "$dir" in /srv/segue-deb-test-music.*|/tmp/segue-deb-test.*) rm -rf "$dir" ;; esac
  done <"$marker"
  rm -f "$marker"
fi
if installed || getent passwd segue >/dev/null || getent group segue >/dev/null || [ -e /var/lib/segue ]; then
  echo "deb-test: this machine already has a segue package, user, group or /var/lib/segue." >&2
  echo "  This test purges the package at the end, which deletes /var/lib/segue and the user;" >&2
  echo "  it will not do that to an installation it did not make (dpkg -P segue first if you mean it)." >&2
  exit 2
fi

work="$(mktemp -d /tmp/segue-deb-test.XXXXXX)"
library="$(mktemp -d /srv/segue-deb-test-music.XXXXXX)"
server_pid=""  # strace's; the service is its child (unshare, sh, setpriv and perl exec into it)
service_pid() { pgrep -P "$server_pid" | head -1; }
cleanup() {
  set +e
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    child="$(service_pid)"
    [ -n "$child" ] && kill -TERM "$child"
    sleep 2
    [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
    kill -KILL "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
  fi
  if [ -f "$marker" ]; then
    installed && dpkg -P segue >/dev/null 2>&1
    rm -f "$marker"
  fi
  rm -rf "$library" "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== installing $(basename "$deb")"
printf '%s\n' "$library" "$work" >"$marker"
if ! dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
  echo "   dpkg -i failed (missing dependencies?): apt-get -f install"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 -f install -y -qq >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "installing the package"; }
fi
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' segue)" = "ii " ] || { cat "$work/dpkg.log"; die "segue is not installed and configured"; }
ok "installed $(dpkg-query -W -f='${Version}' segue)"

echo "== files, owners, modes"
check "/usr/bin/segue 755 root:root" stat_is /usr/bin/segue 755 root:root
check "/usr/bin/segue is stripped, with a debug link" \
  sh -c '! readelf -S /usr/bin/segue | grep -q "\.debug_info" && readelf -S /usr/bin/segue | grep -q "\.gnu_debuglink"'
check "segue --version runs" sh -c '/usr/bin/segue --version | grep -q "^segue "'
check "web player in /usr/share/segue/web" test -f /usr/share/segue/web/index.html
check "/etc/segue/segue.toml 640 root:segue" stat_is /etc/segue/segue.toml 640 root:segue
check "/etc/segue/segue.toml is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" segue | grep -q "^ /etc/segue/segue.toml "'
check "unit in /lib/systemd/system" stat_is /lib/systemd/system/segue.service 644 root:root
check "/var/lib/segue 700 segue:segue" stat_is /var/lib/segue 700 segue:segue
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd segue)
check "system user segue (uid $uid < 1000, home $home, shell $shell)" \
  test "$uid" -lt 1000 -a "$home" = /var/lib/segue -a "$shell" = /usr/sbin/nologin
check "group segue" sh -c 'getent group segue >/dev/null'
check "unit enabled (multi-user.target.wants)" \
  test "$(readlink /etc/systemd/system/multi-user.target.wants/segue.service)" = /lib/systemd/system/segue.service
check "dpkg --verify: every file as packaged" sh -c '[ -z "$(dpkg --verify segue 2>&1)" ]'

echo "== the unit"
if systemd-analyze verify /lib/systemd/system/segue.service >"$work/verify.log" 2>&1 && [ ! -s "$work/verify.log" ]; then
  ok "systemd-analyze verify: no findings"
else
  cat "$work/verify.log"; bad "systemd-analyze verify"
fi
exposure="$(systemd-analyze security --offline=yes /lib/systemd/system/segue.service 2>/dev/null |
  sed -n 's/.*Overall exposure level for segue.service: \([0-9.]*\).*/\1/p')"
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
  ok "systemd-analyze security: exposure $exposure (0 best, 10 worst; at most 2.0 wanted)"
else
  bad "systemd-analyze security: exposure '${exposure:-?}' (at most 2.0 wanted)"
fi
unit_value() { sed -n "s/^$1=//p" /lib/systemd/system/segue.service | tail -1; }
exec_start="$(unit_value ExecStart)"
[ "$(unit_value User)" = segue ] || die "the unit does not run as segue"
if [ -d /run/systemd/system ]; then
  echo "   (systemd runs here, but the test runs the service by hand anyway, the same way everywhere)"
else
  echo "   PID 1 is $(ps -p 1 -o comm=), not systemd: the unit cannot be started with systemctl here;"
  echo "   its ExecStart runs below as segue, in the sandbox the script can build by hand."
fi

echo "== the service, as segue, in the sandbox"
runuser -u segue -- true 2>/dev/null || die "runuser as segue"
/usr/bin/segue demo-library "$library" >/dev/null
chmod 0755 "$library"
tracks="$(find "$library" -type f \( -name '*.mp3' -o -name '*.flac' -o -name '*.ogg' -o -name '*.opus' -o -name '*.m4a' -o -name '*.wav' \) | wc -l)"
[ "$tracks" -gt 0 ] || die "the demo library has no audio files"
# The unit's ExecStart, with what the unit sets by hand; the address and the library come from
# the environment (which wins over the config file), so the installed config stays as shipped.
# shellcheck disable=SC2016
sandbox='mount --bind /var/lib/segue /var/lib/segue &&
  mount -o bind,remount,ro / &&
  mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -t tmpfs -o mode=1777 tmpfs /var/tmp &&
  cd / && umask 0077 &&
  exec setpriv --reuid=segue --regid=segue --init-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- \
    perl -e "syscall(157, 65, 1, 0, 0, 0) == 0 or die qq(prctl(PR_SET_MDWE): \$!\n); exec @ARGV or die" -- "$@"'
# shellcheck disable=SC2086
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  SEGUE_LISTEN=127.0.0.1:0 SEGUE_LIBRARY="$library" SEGUE_TRANSCODE_AHEAD=opus:96 \
  strace -f -qq -o "$work/strace.log" \
  unshare --mount --propagation private -- sh -c "$sandbox" sandbox $exec_start \
  >"$work/server.log" 2>&1 &
server_pid=$!

url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's/^Segue is serving \(http:[^ ]*\).*/\1/p' "$work/server.log" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$url" ] || { cat "$work/server.log"; die "the service did not start"; }
ok "serving $url"

health() { curl -fsS --max-time 5 "$url/healthz"; }
metric() { curl -fsS --max-time 5 "$url/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'; }
seen=0
for _ in $(seq 1 600); do
  seen="$(health 2>/dev/null | sed -n 's/.*"tracks":\([0-9]*\).*/\1/p')"
  [ "${seen:-0}" -ge "$tracks" ] && break
  sleep 0.2
done
check "/healthz shows the $tracks tracks of the demo library (saw ${seen:-none})" test "${seen:-0}" -eq "$tracks"

printf 'deb-test-password\n' | runuser -u segue -- /usr/bin/segue user add alice --admin --config /etc/segue/segue.toml \
  >"$work/user.log" 2>&1 || { cat "$work/user.log"; bad "segue user add as segue"; }
check "segue user add as segue: alice is listed" \
  sh -c 'runuser -u segue -- /usr/bin/segue user list --config /etc/segue/segue.toml | grep -q "^alice "'

check "the web player is served at /" sh -c "curl -fsS --max-time 5 '$url/' | cmp -s - /usr/share/segue/web/index.html"

# The workers: one encoding per track (transcode_ahead), one analysis per file.
for _ in $(seq 1 900); do
  done_t="$(metric segue_transcode_completed)"; done_a="$(metric segue_analysis_files_analyzed)"
  [ "$done_t" -ge "$tracks" ] && [ "$done_a" -ge "$tracks" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
check "transcode workers made $tracks encodings (made $done_t, failed $(metric segue_transcode_failed_files))" \
  test "$done_t" -ge "$tracks" -a "$(metric segue_transcode_failed_files)" -eq 0
check "analysis workers analyzed $tracks files (analyzed $done_a, failed $(metric segue_analysis_files_failed))" \
  test "$done_a" -ge "$tracks" -a "$(metric segue_analysis_files_failed)" -eq 0
check "health is ready" sh -c "curl -fsS --max-time 5 '$url/healthz?ready=1' >/dev/null"

kill -TERM "$(service_pid)"
status=0; wait "$server_pid" || status=$?
server_pid=""
check "the service stopped on SIGTERM with status 0 (got $status)" test "$status" -eq 0
check "it logged that it stopped" grep -q "msg=stopped" "$work/server.log"
check "everything in /var/lib/segue is segue's and owner-only" \
  sh -c '[ -z "$(find /var/lib/segue \( ! -user segue -o -perm /077 \) -print -quit)" ]'
check "the stream-token key is in /var/lib/segue" stat_is /var/lib/segue/secret.key 600 segue:segue

# System calls and socket families of the processes that ran /usr/bin/segue (the server and
# its workers; strace -f also traced the sandbox's setup, left out here).
awk '
  function name(line,   m) {
    if (match(line, /^[0-9]+ +<\.\.\. [a-z0-9_]+ resumed>/)) { m = substr(line, RSTART, RLENGTH); sub(/^[0-9]+ +<\.\.\. /, "", m); sub(/ resumed>$/, "", m); return m }
    if (match(line, /^[0-9]+ +[a-z0-9_]+\(/)) { m = substr(line, RSTART, RLENGTH); sub(/^[0-9]+ +/, "", m); sub(/\($/, "", m); return m }
    return ""
  }
  {
    pid = $1; n = name($0)
    if (n == "execve" && $0 ~ /execve\("\/usr\/bin\/segue"/ && $0 ~ /= 0$/) segue[pid] = 1
    if (!(pid in segue) || n == "") next
    calls[n] = 1
    if (n ~ /^(clone|clone3|fork|vfork)$/ && match($0, /= [0-9]+$/)) segue[substr($0, RSTART + 2)] = 1
    if (n == "socket" && match($0, /socket\(AF_[A-Z0-9]+/)) fam[substr($0, RSTART + 7, RLENGTH - 7)] = 1
    # What MemoryDenyWriteExecute refuses: exec added by mprotect, memory mapped writable and executable.
    if ((n ~ /mprotect$/ && /PROT_EXEC/) || (n ~ /^mmap/ && /PROT_WRITE/ && /PROT_EXEC/)) print "wx " $0
  }
  END {
    for (c in calls) print "call " c
    for (f in fam) print "family " f
  }' "$work/strace.log" | sort >"$work/used.txt"
# What the unit's SystemCallFilter= lines allow: the first list allowed, the ~lists taken out.
filters="$(sed -n 's/^SystemCallFilter=//p' /lib/systemd/system/segue.service | tr '\n' '|')"
systemd-analyze syscall-filter 2>/dev/null | awk -v filters="$filters" '
  /^@/ { group = $1; next }
  /^    [^#]/ { member[group] = member[group] " " $1 }
  function expand(g, into,   n, parts, i) {
    if (g !~ /^@/) { into[g] = 1; return }
    n = split(member[g], parts, " ")
    for (i = 1; i <= n; i++) expand(parts[i], into)
  }
  END {
    n = split(filters, lines, "|")
    for (l = 1; l <= n; l++) {
      if (lines[l] == "") continue
      deny = substr(lines[l], 1, 1) == "~"
      m = split(deny ? substr(lines[l], 2) : lines[l], items, " ")
      for (i = 1; i <= m; i++) if (deny) expand(items[i], denied); else expand(items[i], allowed)
    }
    for (s in allowed) if (!(s in denied)) print s
  }' | sort >"$work/allowed.txt"
[ -s "$work/allowed.txt" ] || die "could not read the unit's system-call filter"
calls="$(grep -c '^call ' "$work/used.txt" || true)"
outside="$(sed -n 's/^call //p' "$work/used.txt" | comm -23 - "$work/allowed.txt" | tr '\n' ' ')"
check "all $calls system calls of the server and its workers pass SystemCallFilter= ($(echo "$filters" | tr '|' ' '))${outside:+ (not: $outside)}" test -z "$outside"
wx="$(grep -c '^wx ' "$work/used.txt" || true)"
check "no memory made writable and executable, no exec added by mprotect ($wx calls)" test "$wx" -eq 0
families="$(sed -n 's/^family //p' "$work/used.txt" | tr '\n' ' ')"
others="$(sed -n 's/^family //p' "$work/used.txt" | grep -vx 'AF_UNIX\|AF_INET\|AF_INET6' | tr '\n' ' ' || true)"
check "sockets only of RestrictAddressFamilies (used: ${families:-none})${others:+ (not: $others)}" test -z "$others"

echo "== reinstall, remove, purge"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "reinstalling"; }
check "a reinstall keeps the users" \
  sh -c 'runuser -u segue -- /usr/bin/segue user list --config /etc/segue/segue.toml | grep -q "^alice "'
dpkg -r segue >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -r"; }
check "dpkg -r: the binary and the unit are gone" test ! -e /usr/bin/segue -a ! -e /lib/systemd/system/segue.service
check "dpkg -r: the unit is masked" test "$(readlink /etc/systemd/system/segue.service)" = /dev/null
check "dpkg -r: data kept" test -f /var/lib/segue/segue.db -a -f /var/lib/segue/secret.key
check "dpkg -r: config and user kept" sh -c 'test -f /etc/segue/segue.toml && getent passwd segue >/dev/null'
dpkg -P segue >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -P"; }
check "dpkg -P: data, config and unit links gone" \
  test ! -e /var/lib/segue -a ! -e /etc/segue -a ! -L /etc/systemd/system/segue.service -a ! -L /etc/systemd/system/multi-user.target.wants/segue.service
check "dpkg -P: user and group gone" sh -c '! getent passwd segue >/dev/null && ! getent group segue >/dev/null'
check "dpkg -P: the package is gone" sh -c '! dpkg-query -W -f="\${db:Status-Status}" segue 2>/dev/null | grep -qv "^not-installed$"'
rm -f "$marker"

if [ "$fails" -ne 0 ]; then
  echo "deb-test: $fails check(s) failed; the server's log:"
  tail -30 "$work/server.log"
  exit 1
fi
echo "deb-test: all checks passed"
