#!/bin/sh
# `make run`: serve a library on LISTEN with data in DATA. Without MUSIC, generate the demo
# library into DATA/demo-library. On the first run, create an admin account and say how to
# log in.
set -eu
SEGUE="$1"; DATA="$2"; LISTEN="$3"; MUSIC="${4:-}"
mkdir -p "$DATA"
if [ -z "$MUSIC" ]; then
  MUSIC="$DATA/demo-library"
  "$SEGUE" demo-library "$MUSIC" >/dev/null
fi
if [ ! -d "$MUSIC" ]; then
  echo "run: MUSIC=$MUSIC is not a folder" >&2
  exit 2
fi
if [ ! -f "$DATA/admin-password.txt" ]; then
  PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | cut -c1-16)"
  umask 077
  printf '%s\n' "$PASSWORD" > "$DATA/admin-password.txt"
  printf '%s\n' "$PASSWORD" | "$SEGUE" user add admin --admin --tier premium --data "$DATA" >/dev/null
  echo "First run: created the user 'admin' (premium) with password $PASSWORD"
  echo "  (also saved in $DATA/admin-password.txt)."
  echo "To log in from a Spotify Web API client, register it and use /authorize and /api/token:"
  echo "  $SEGUE client add MYAPP --redirect-uri http://127.0.0.1:8888/callback --public --data $DATA"
fi
echo "Scanning $MUSIC and serving on http://$LISTEN (Ctrl-C stops)"
echo "Open http://$LISTEN in a browser and log in as admin (password in $DATA/admin-password.txt)."
exec "$SEGUE" serve --data "$DATA" --listen "$LISTEN" --library "$MUSIC"
