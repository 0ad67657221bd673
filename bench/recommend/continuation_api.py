#!/usr/bin/env python3
"""Playlist continuation through the API (driven by bench/recommend/continuation_api.sh).

  continuation_api.py prepare DATA_DIR SPLIT_TSV OUT_DIR
      From tracks.csv.gz: OUT/catalog.csv for `segue demo-library --catalog` (one track per
      row: title "<spotify id> <name>", the artist, album and release year; no genre: the
      dataset's genres are the playlists' own labels and would leak the answer). From the split
      that segue_recommend_continuation --dump-split wrote (the same seeded split as its own
      figures): OUT/playlists/<n>.json, each playlist's visible half as a playlist file for
      POST /v1/me/playlists/import (artist, title and album; the server matches them), and
      OUT/users (one owner per playlist, "pl<n>").
  continuation_api.py create OUT_DIR BASE_URL CLIENT_ID REDIRECT_URI PASSWORD [THREADS]
      Logs every owner in (OAuth authorization code + PKCE), imports their playlist as a public
      playlist, counts the entries that did not match (fails over 1 %), keeps OUT/tokens.json
      and OUT/created.json.
  continuation_api.py query OUT_DIR BASE_URL [THREADS]
      For every playlist with a hidden half (R tracks), its owner asks
      GET /v1/playlists/{id}/recommendations?limit=max(20, R) (R <= 50, the endpoint's
      maximum); the tracks are mapped back by the Spotify id in their names. R-precision (hits in
      the top R / R), Recall@20 (hits / min(20, R)) and NDCG@20 as segue_recommend_continuation
      computes them, and the request latency.

Prints `RESULT bench=recommend_continuation_api model=server rprec=... recall20=... ndcg20=...
playlists=...`. Python 3 standard library only.
"""
import concurrent.futures
import csv
import gzip
import json
import math
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from oauth import login, percentile

K = 20
MAX_LIMIT = 50
SCOPES = "playlist-read-private playlist-modify-public playlist-modify-private user-top-read"


def csv_field(s):
    if any(c in s for c in ',"\n\r') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def clean(s):
    """One line, as the catalog CSV reader wants it."""
    return " ".join((s or "").split())


def prepare(data, split_tsv, out):
    os.makedirs(os.path.join(out, "playlists"), exist_ok=True)
    tracks = {}
    with gzip.open(os.path.join(data, "tracks.csv.gz"), "rt", encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            if len(row) < 19 or row[0] in tracks:
                continue
            sid, name, artist, album, date = row[0], clean(row[1]), clean(row[2]), clean(row[5]), row[6]
            if name in ("", "NA"):
                name = "untitled"
            if artist in ("", "NA"):
                artist = "Unknown Artist"
            if album in ("", "NA"):
                album = name
            year = date[:4] if len(date) >= 4 and date[:4].isdigit() else ""
            tracks[sid] = {"title": "%s %s" % (sid, name), "artist": artist, "album": album, "year": year}
    with open(os.path.join(out, "catalog.csv"), "w", encoding="utf-8") as f:
        f.write("title,artist,album,year\n")
        for t in tracks.values():
            f.write(",".join(csv_field(t[k]) for k in ("title", "artist", "album", "year")) + "\n")
    split = []
    with open(split_tsv, encoding="utf-8") as f:
        for n, line in enumerate(f):
            pid, visible, hidden = (line.rstrip("\n").split("\t") + ["", ""])[:3]
            visible = [t for t in visible.split(",") if t]
            hidden = [t for t in hidden.split(",") if t]
            user = "pl%d" % n
            body = {"name": "playlist %s" % pid,
                    "tracks": [{"title": tracks[t]["title"], "artist": tracks[t]["artist"], "album": tracks[t]["album"]}
                               for t in visible]}
            with open(os.path.join(out, "playlists", "%d.json" % n), "w", encoding="utf-8") as pf:
                json.dump(body, pf)
            split.append({"n": n, "playlist": pid, "user": user, "visible": visible, "hidden": hidden})
    with open(os.path.join(out, "split.json"), "w", encoding="utf-8") as f:
        json.dump(split, f)
    with open(os.path.join(out, "users"), "w", encoding="utf-8") as f:
        for s in split:
            f.write(s["user"] + "\n")
    print("== %d tracks, %d playlists (%d with a hidden half, %d hidden tracks)" % (
        len(tracks), len(split), sum(1 for s in split if s["hidden"]), sum(len(s["hidden"]) for s in split)),
        file=sys.stderr)


def call(base, path, token, data=None, content_type=None):
    headers = {"Authorization": "Bearer " + token}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data is not None else "GET")
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            body, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    return status, body, (time.monotonic() - t0) * 1000.0


def load_split(out):
    with open(os.path.join(out, "split.json"), encoding="utf-8") as f:
        return json.load(f)


def create(out, base, client_id, redirect, password, threads):
    split = load_split(out)

    def one(s):
        token = login(base, client_id, redirect, s["user"], password, SCOPES)
        with open(os.path.join(out, "playlists", "%d.json" % s["n"]), "rb") as f:
            body = f.read()
        q = urllib.parse.urlencode({"public": "true", "format": "json"})
        status, resp, _ = call(base, "/v1/me/playlists/import?" + q, token, body, "application/json")
        if status != 201 and status != 200:
            raise RuntimeError("import for %s: HTTP %d %s" % (s["user"], status, resp[:300]))
        r = json.loads(resp)
        return s["n"], token, r["playlist"]["id"], r["imported"], r["entries"]

    t0 = time.monotonic()
    tokens, created = {}, {}
    unmatched = 0
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        for n, token, pid, imported, entries in ex.map(one, split):
            tokens[str(n)] = token
            created[str(n)] = pid
            unmatched += entries - imported
    with open(os.path.join(out, "tokens.json"), "w") as f:
        json.dump(tokens, f)
    with open(os.path.join(out, "created.json"), "w") as f:
        json.dump(created, f)
    print("== %d playlists imported through the API in %.1f s (%d entries unmatched)" % (
        len(created), time.monotonic() - t0, unmatched), file=sys.stderr)
    print("RESULT bench=recommend_continuation_api_import playlists=%d unmatched=%d" % (len(created), unmatched))
    if unmatched * 100 > sum(len(s["visible"]) for s in split):
        raise SystemExit("more than 1 % of the visible tracks did not match the catalog")


def query(out, base, threads):
    split = [s for s in load_split(out) if s["hidden"]]
    with open(os.path.join(out, "tokens.json")) as f:
        tokens = json.load(f)
    with open(os.path.join(out, "created.json")) as f:
        created = json.load(f)

    def one(s):
        r = len(s["hidden"])
        limit = min(MAX_LIMIT, max(K, r))
        status, body, ms = call(base, "/v1/playlists/%s/recommendations?limit=%d" % (created[str(s["n"])], limit),
                                tokens[str(s["n"])])
        if status != 200:
            raise RuntimeError("recommendations for %s: HTTP %d %s" % (s["user"], status, body[:300]))
        ranked = [t["name"].split(" ", 1)[0] for t in json.loads(body)["tracks"]]
        return s, ranked, ms

    rprec = recall = ndcg = 0.0
    latencies, n, short = [], 0, 0
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        for s, ranked, ms in ex.map(one, split):
            hidden, r = set(s["hidden"]), len(s["hidden"])
            visible = set(s["visible"])
            if any(t in visible for t in ranked):
                raise RuntimeError("the recommendations of %s hold a track of the playlist" % s["user"])
            short += len(ranked) < min(MAX_LIMIT, max(K, r))
            hits_r = sum(1 for t in ranked[:r] if t in hidden)
            hits_k, dcg = 0, 0.0
            for i, t in enumerate(ranked[:K]):
                if t in hidden:
                    hits_k += 1
                    dcg += 1.0 / math.log2(i + 2)
            idcg = sum(1.0 / math.log2(i + 2) for i in range(min(K, r)))
            rprec += hits_r / r
            recall += hits_k / min(K, r)
            ndcg += dcg / idcg
            latencies.append(ms)
            n += 1
    wall = time.monotonic() - t0
    print("RESULT bench=recommend_continuation_api model=server rprec=%.4f recall20=%.4f ndcg20=%.4f playlists=%d"
          % (rprec / n, recall / n, ndcg / n, n))
    print("RESULT bench=recommend_continuation_api_latency p50_ms=%.1f p95_ms=%.1f max_ms=%.1f requests=%d "
          "threads=%d wall_s=%.1f short_answers=%d" % (percentile(latencies, 50), percentile(latencies, 95),
                                                       max(latencies), n, threads, wall, short))
    sys.stdout.flush()


def main():
    a = sys.argv[1:]
    if a and a[0] == "prepare" and len(a) == 4:
        prepare(a[1], a[2], a[3])
    elif a and a[0] == "create" and len(a) in (6, 7):
        create(a[1], a[2], a[3], a[4], a[5], int(a[6]) if len(a) == 7 else 4)
    elif a and a[0] == "query" and len(a) in (3, 4):
        query(a[1], a[2], int(a[3]) if len(a) == 4 else 2)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
