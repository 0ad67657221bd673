#!/usr/bin/env python3
"""Writes a CSV (title,artist,album,genre,year) of N rows for `segue demo-library DIR --catalog`.

Rows come from the TidyTuesday Spotify songs catalog (../shared/data/catalog/..., tracks.csv.gz
with the genre of the first playlist each track is in); if that file is missing, or has fewer
than N usable rows, the rest is synthesised (deterministic names).

usage: make_catalog_csv.py OUT.csv [N] [CATALOG_DIR]
"""
import csv
import gzip
import os
import random
import sys

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "catalog",
                           "tidytuesday-2020-01-21-spotify-songs")


def real_rows(d):
    tracks = os.path.join(d, "tracks.csv.gz")
    if not os.path.exists(tracks):
        return []
    genre = {}
    members = os.path.join(d, "playlist_tracks.csv.gz")
    if os.path.exists(members):
        with gzip.open(members, "rt", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                genre.setdefault(r["track_id"], r["playlist_genre"])
    rows = []
    with gzip.open(tracks, "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            title, artist, album = r["track_name"], r["track_artist"], r["track_album_name"]
            if not title or title == "NA" or not artist or artist == "NA":
                continue
            year = (r.get("track_album_release_date") or "")[:4]
            rows.append((title, artist, album if album != "NA" else "", genre.get(r["track_id"], ""), year))
    return rows


def synth_rows(n, start):
    rnd = random.Random(42)
    words = ["Amber", "Night", "River", "Glass", "Echo", "Velvet", "Static", "Harbor", "Lantern", "Copper"]
    genres = ["pop", "rock", "rap", "edm", "latin", "r&b"]
    out = []
    for i in range(start, start + n):
        out.append((f"{rnd.choice(words)} {rnd.choice(words)} {i}", f"Artist {i % 997}",
                    f"Album {i % 2011}", rnd.choice(genres), str(1970 + i % 50)))
    return out


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    d = sys.argv[3] if len(sys.argv) > 3 else DEFAULT_DIR
    rows = real_rows(d)[:n]
    if len(rows) < n:
        rows += synth_rows(n - len(rows), len(rows))
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["title", "artist", "album", "genre", "year"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
