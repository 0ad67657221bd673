#!/usr/bin/env python3
"""The acceptance measurement of issue 18 through the API (driven by bench/recommend/api.sh).

  api.py prepare HETREC_DIR OUT_DIR SEED
      From user_artists.train.tsv and artists.dat: OUT/catalog.csv (one track per artist with a
      listener: title "Theme <artist id>", album "Themes"), a seeded split hiding 20 % of the
      artists of every user with at least 5 (as src/recommend/evaluate.h split_per_user with
      min_items 5; Python's RNG, so not the same users' artists as segue_recommend_quality),
      OUT/listens.jsonl (the visible pairs as ListenBrainz lines, see LISTEN_DIVISOR) and
      OUT/split.json (what the other steps need).
  api.py baselines OUT_DIR
      Popularity (listeners per artist) and item-kNN (binary cosine, 200 neighbours per artist,
      a user's score the sum of the similarities of their artists) on the same split.
  api.py query OUT_DIR BASE_URL CLIENT_ID REDIRECT_URI PASSWORD [THREADS]
      Logs every user in (OAuth authorization code + PKCE, as a browser and a public client),
      asks GET /v1/me/recommendations?type=artist&limit=20, maps the artists back by name and
      scores them.

Recall@20 = hits / min(20, hidden), NDCG@20 with binary relevance, averaged over the users with
hidden artists; printed as `RESULT bench=recommend_api model=... recall20=... ndcg20=... users=...`.
Python 3 standard library only.
"""
import collections
import concurrent.futures
import json
import math
import os
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from oauth import login, percentile

K = 20
HIDE = 0.2
MIN_ITEMS = 5
# One imported listen per LISTEN_DIVISOR plays, rounded up: the per-user proportions of the
# play counts survive (to 20 plays), unlike a cap, which would tie most of a user's artists
# (the median pair has 259 plays). About 2.2 million listens for the visible pairs.
LISTEN_DIVISOR = 20
LISTEN_SPACING_S = 10  # a user's listens 10 s apart, ending an hour ago (recency factor > 0.97)


def normalize(name):
    """The scanner's artist key (catalog/scanner.h normalize_name): trimmed, ASCII-lowercased,
    runs of whitespace collapsed to one space."""
    s = "".join(c.lower() if c.isascii() else c for c in name.strip())
    return re.sub(r"[ \t\r\n\f\v]+", " ", s)


def user_name(uid):
    return "hetrec%s" % uid


# ----------------------------------------------------------------------------------------------
# prepare


def prepare(hetrec, out, seed):
    names = {}
    with open(os.path.join(hetrec, "artists.dat"), encoding="utf-8") as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 2:
                names[p[0]] = p[1]
    # Artists whose names the scanner would make one artist are one item here too (the first id
    # seen stands for them); items are numbered in order of first appearance, users likewise.
    canon_of_key, items, item_of = {}, [], {}
    users = collections.OrderedDict()  # uid -> OrderedDict(item -> weight)
    dropped = 0
    merged = set()
    with open(os.path.join(hetrec, "user_artists.train.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            u, a, w = line.split("\t")
            w = float(w)
            name = names.get(a, "")
            if not name.strip() or w <= 0:
                dropped += 1
                continue
            key = normalize(name)
            canon = canon_of_key.setdefault(key, a)
            if canon != a:
                merged.add(a)
            if canon not in item_of:
                item_of[canon] = len(items)
                items.append({"id": canon, "name": names[canon], "key": key})
            i = item_of[canon]
            pairs = users.setdefault(u, collections.OrderedDict())
            pairs[i] = pairs.get(i, 0.0) + w
    rng = random.Random(seed)
    split = []
    hidden_pairs = 0
    for u, pairs in users.items():
        order = list(pairs.keys())
        hide = 0
        if len(order) >= MIN_ITEMS:
            rng.shuffle(order)
            hide = int(math.floor(HIDE * len(order) + 0.5))
        hidden = sorted(order[:hide])
        train = {i: pairs[i] for i in order[hide:]}
        hidden_pairs += len(hidden)
        split.append({"user": user_name(u), "train": sorted(train.items()), "hidden": hidden})

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "catalog.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("title,artist,album\n")
        for it in items:
            f.write("%s,%s,%s\n" % (csv_field("Theme %s" % it["id"]), csv_field(it["name"]), "Themes"))
    end = int(time.time()) - 3600
    listens = 0
    with open(os.path.join(out, "listens.jsonl"), "w", encoding="utf-8") as f:
        for s in split:
            mine = []
            for i, w in s["train"]:
                mine += [i] * max(1, math.ceil(w / LISTEN_DIVISOR))
            rng.shuffle(mine)  # interleaved, so recency weighs every artist alike
            t = end - LISTEN_SPACING_S * len(mine)
            for i in mine:
                t += LISTEN_SPACING_S
                it = items[i]
                f.write(json.dumps({"listened_at": t, "user_name": s["user"],
                                    "track_metadata": {"artist_name": it["name"], "track_name": "Theme %s" % it["id"],
                                                       "release_name": "Themes"}}, ensure_ascii=False) + "\n")
            listens += len(mine)
    with open(os.path.join(out, "split.json"), "w", encoding="utf-8") as f:
        json.dump({"items": items, "users": split}, f)
    print("prepare: %d users, %d artists with listeners (%d HetRec names merged by the scanner's key), "
          "%d pairs (%d dropped), %d hidden pairs over %d users, %d listens (ceil(plays / %d))"
          % (len(split), len(items), len(merged),
             sum(len(s["train"]) + len(s["hidden"]) for s in split), dropped, hidden_pairs,
             sum(1 for s in split if s["hidden"]), listens, LISTEN_DIVISOR), file=sys.stderr)


def csv_field(s):
    if any(c in s for c in ',"\n\r') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


# ----------------------------------------------------------------------------------------------
# metrics


def accuracy(split, ranked_of):
    """ranked_of(user) -> list of item indexes, best first (at most K used)."""
    recall = ndcg = 0.0
    n = 0
    for s in split:
        hidden = set(s["hidden"])
        if not hidden:
            continue
        ranked = ranked_of(s["user"])[:K]
        hits = 0
        dcg = 0.0
        for r, i in enumerate(ranked):
            if i in hidden:
                hits += 1
                dcg += 1.0 / math.log2(r + 2)
        ideal = min(K, len(hidden))
        idcg = sum(1.0 / math.log2(r + 2) for r in range(ideal))
        recall += hits / ideal
        ndcg += dcg / idcg
        n += 1
    return recall / max(n, 1), ndcg / max(n, 1), n


def result(model, acc, extra=""):
    print("RESULT bench=recommend_api model=%s recall20=%.4f ndcg20=%.4f users=%d%s" % (model, acc[0], acc[1], acc[2], extra))
    sys.stdout.flush()


def load(out):
    with open(os.path.join(out, "split.json"), encoding="utf-8") as f:
        return json.load(f)


def top(scores, exclude, n_items):
    """The best K items by score (dict item -> score), skipping `exclude`; ties (and the items
    without a score, all 0) by item index, as evaluate.h top_k."""
    best = sorted(((-v, i) for i, v in scores.items() if i not in exclude), key=lambda x: x)[:K]
    ranked = [i for v, i in best if v < 0]
    if len(ranked) < K:
        chosen = set(ranked)
        for i in range(n_items):
            if len(ranked) >= K:
                break
            if i not in exclude and i not in chosen:
                ranked.append(i)
    return ranked


# ----------------------------------------------------------------------------------------------
# baselines


def baselines(out):
    d = load(out)
    n_items = len(d["items"])
    split = d["users"]
    train_of = {s["user"]: [i for i, _ in s["train"]] for s in split}

    t0 = time.monotonic()
    degree = collections.Counter(i for items in train_of.values() for i in items)
    pop_s = time.monotonic() - t0
    pop_rank = sorted(degree, key=lambda i: (-degree[i], i))

    def popularity(user):
        excl = set(train_of[user])
        return [i for i in pop_rank[:K + len(excl)] if i not in excl][:K]

    result("popularity", accuracy(split, popularity), " train_s=%.2f" % pop_s)

    t0 = time.monotonic()
    co = collections.defaultdict(collections.Counter)
    for items in train_of.values():
        for a in items:
            row = co[a]
            for b in items:
                if a != b:
                    row[b] += 1
    neighbours = {}
    for a, row in co.items():
        sims = [(c / math.sqrt(degree[a] * degree[b]), b) for b, c in row.items()]
        sims.sort(key=lambda x: (-x[0], x[1]))
        neighbours[a] = sims[:200]
    knn_s = time.monotonic() - t0

    def itemknn(user):
        scores = collections.defaultdict(float)
        for a in train_of[user]:
            for sim, b in neighbours.get(a, ()):
                scores[b] += sim
        return top(scores, set(train_of[user]), n_items)

    result("itemknn", accuracy(split, itemknn), " train_s=%.2f" % knn_s)


# ----------------------------------------------------------------------------------------------
# query


def recommendations(base, token):
    req = urllib.request.Request(base + "/v1/me/recommendations?type=artist&limit=%d" % K,
                                 headers={"Authorization": "Bearer " + token})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    ms = (time.monotonic() - t0) * 1000.0
    return status, body, ms


def query(out, base, client_id, redirect, password, threads):
    d = load(out)
    items = d["items"]
    split = d["users"]
    item_of_key = {it["key"]: i for i, it in enumerate(items)}
    train_of = {s["user"]: set(i for i, _ in s["train"]) for s in split}

    # The server loads the published model at start; wait until it answers from it.
    first = split[0]["user"]
    token = login(base, client_id, redirect, first, password, "user-top-read")
    for _ in range(120):
        status, body, _ms = recommendations(base, token)
        if status == 200 and json.loads(body).get("model_version"):
            break
        time.sleep(0.5)
    else:
        print("no model_version after 60 s: HTTP %s %s" % (status, body[:300]), file=sys.stderr)

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        tokens = dict(zip([s["user"] for s in split],
                          pool.map(lambda s: login(base, client_id, redirect, s["user"], password, "user-top-read"), split)))
    login_s = time.monotonic() - t0

    # Each user asked once; sequentially (one connection at a time), so the latencies are the
    # server's, not a queue's.
    ranked, latencies, errors, versions = {}, [], collections.Counter(), collections.Counter()
    unknown, own, short, returned = 0, 0, 0, 0
    unknown_names = []
    t0 = time.monotonic()
    for s in split:
        status, body, ms = recommendations(base, tokens[s["user"]])
        latencies.append(ms)
        if status != 200:
            errors["HTTP %d %s" % (status, body[:120].decode("utf-8", "replace"))] += 1
            ranked[s["user"]] = []
            continue
        o = json.loads(body)
        versions[o.get("model_version")] += 1
        got = []
        for entry in o.get("items", []):
            name = (entry.get("artist") or {}).get("name", "")
            i = item_of_key.get(normalize(name))
            returned += 1
            if i is None:
                unknown += 1
                if len(unknown_names) < 5:
                    unknown_names.append(name)
                continue
            if i in train_of[s["user"]]:
                own += 1
            got.append(i)
        if len(o.get("items", [])) < K:
            short += 1
        ranked[s["user"]] = got
    query_s = time.monotonic() - t0

    result("segue", accuracy(split, lambda u: ranked[u]))
    print("RESULT bench=recommend_api_latency requests=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f "
          "errors=%d logins_s=%.1f"
          % (len(latencies), percentile(latencies, 50), percentile(latencies, 90), percentile(latencies, 99),
             max(latencies), sum(errors.values()), login_s))
    sys.stdout.flush()
    print("api: %d users logged in in %.1f s (%d threads); %d requests in %.1f s; %d artists returned, %d not "
          "mapped back to a HetRec artist %s, %d already in the user's visible history, %d answers with fewer "
          "than %d; model versions %s" % (len(tokens), login_s, threads, len(latencies), query_s, returned, unknown,
                                           unknown_names, own, short, K, dict(versions)), file=sys.stderr)
    for e, n in errors.most_common(5):
        print("api: %d x %s" % (n, e), file=sys.stderr)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "prepare" and len(sys.argv) == 5:
        prepare(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "baselines" and len(sys.argv) == 3:
        baselines(sys.argv[2])
    elif cmd == "query" and len(sys.argv) in (7, 8):
        query(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6],
              int(sys.argv[7]) if len(sys.argv) == 8 else 4)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
