#!/usr/bin/env python3
"""The measuring half of bench/recommend/serve.sh: logs users in (OAuth 2.0 authorization code
with PKCE, the web player's flow) and times requests one at a time over one keep-alive connection
each, so the figures are the server's latency and not a queue's.

usage: serve.py BASE CLIENT_ID REDIRECT PASSWORD USERS_FILE SEEDS_FILE REQUESTS TRACKS
Prints `RESULT bench=recommend_serve endpoint=... n=... p50_ms=... p90_ms=... p99_ms=... max_ms=...`.
"""
import http.client
import json
import random
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
import time

from oauth import login, percentile

SCOPES = "user-top-read user-read-private user-library-read user-library-modify"


class Client:
    """One keep-alive connection; request() returns (status, Location, body, milliseconds)."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, r.getheader("Location", ""), data, (time.perf_counter() - t0) * 1000.0
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise


def report(endpoint, ms, tracks, extra=""):
    if not ms:
        print("RESULT bench=recommend_serve endpoint=%s n=0%s" % (endpoint, extra))
        return
    print("RESULT bench=recommend_serve endpoint=%s tracks=%d n=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f%s"
          % (endpoint, tracks, len(ms), percentile(ms, 50), percentile(ms, 90), percentile(ms, 99), max(ms),
             sum(ms) / len(ms), extra))


def main():
    base, client_id, redirect, password, users_file, seeds_file, requests, tracks = sys.argv[1:9]
    requests, tracks = int(requests), int(tracks)
    users = [u.strip() for u in open(users_file) if u.strip()]
    seeds = {"track": [], "artist": [], "genre": []}
    for line in open(seeds_file, encoding="utf-8"):
        kind, _, value = line.rstrip("\n").partition(" ")
        seeds[kind].append(value)
    t0 = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda u: login(base, client_id, redirect, u, password, SCOPES), users))
    print("== %d users logged in in %.1f s" % (len(tokens), time.monotonic() - t0), file=sys.stderr)
    rng = random.Random(1)
    c = Client(base)

    def get(path, token):
        st, _, body, ms = c.request("GET", path, headers={"Authorization": "Bearer " + token})
        if st != 200:
            raise RuntimeError("GET %s: HTTP %s %r" % (path, st, body[:300]))
        return body, ms

    # Warm-up: the first requests touch cold pages of the catalog and the model.
    for k in range(50):
        get("/v1/recommendations?seed_artists=%s&limit=20" % rng.choice(seeds["artist"]), tokens[k % len(tokens)])

    # GET /v1/recommendations: 1-5 seeds of random kinds, half with tunables.
    ms, pools = [], []
    for k in range(requests):
        n = rng.randint(1, 5)
        q = {"track": [], "artist": [], "genre": []}
        for _ in range(n):
            kind = rng.choices(["track", "artist", "genre"], [0.5, 0.35, 0.15])[0]
            q[kind].append(rng.choice(seeds[kind]))
        params = {"limit": "20"}
        for kind, ids in q.items():
            if ids:
                params["seed_%ss" % kind] = ",".join(ids)
        if k % 2:
            params["target_tempo"] = str(rng.randint(70, 170))
            params["min_energy"] = "%.2f" % rng.uniform(0, 0.5)
        body, t = get("/v1/recommendations?" + urllib.parse.urlencode(params), tokens[k % len(tokens)])
        got = json.loads(body)
        pools.append(len(got["tracks"]))
        ms.append(t)
    report("recommendations", ms, tracks, " mean_tracks=%.1f" % (sum(pools) / len(pools)))

    # GET /v1/me/recommendations?type=track (the user's own ranking).
    ms = []
    for k in range(min(requests, 4 * len(tokens))):
        _, t = get("/v1/me/recommendations?type=track&limit=20", tokens[k % len(tokens)])
        ms.append(t)
    report("me_recommendations_track", ms, tracks)

    # GET /v1/me/home: uncached on each user's first request, cached on the next three; then a
    # save drops the cached shelves and the next request builds them again.
    uncached, cached, unexpected = [], [], 0
    save_ids = [s for s in seeds["track"]]
    for rnd in range(2):
        for k, tok in enumerate(tokens):
            if rnd:
                st, _, body, _ = c.request("PUT", "/v1/me/tracks?ids=" + rng.choice(save_ids),
                                           headers={"Authorization": "Bearer " + tok, "Content-Length": "0"})
                if st not in (200, 204):
                    raise RuntimeError("save: HTTP %s %r" % (st, body[:200]))
                time.sleep(0.02)  # the LibraryChanged event reaches home through the bus
            for rep in range(4):
                body, t = get("/v1/me/home", tok)
                was_cached = json.loads(body).get("cached")
                if rep == 0 and not was_cached:
                    uncached.append(t)
                elif rep > 0 and was_cached:
                    cached.append(t)
                else:
                    unexpected += 1
    report("home_uncached", uncached, tracks)
    report("home_cached", cached, tracks, " unexpected=%d" % unexpected)


if __name__ == "__main__":
    main()
