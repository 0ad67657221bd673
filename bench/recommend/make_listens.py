#!/usr/bin/env python3
"""Writes a synthetic ListenBrainz export (JSON lines) for the import benchmark.

usage: make_listens.py OUT N [USER]
Names are drawn from the demo library's artists and titles (`segue demo-library`) plus names no
catalog has, so about a fifth of the listens match; times increase; seeded, so the same N
gives the same file.
"""
import json
import random
import sys

out, n = sys.argv[1], int(sys.argv[2])
user = sys.argv[3] if len(sys.argv) > 3 else "bulk"
random.seed(1)
titles = ["Low Tide Letters", "Lanterns on the Pier", "The Ferryman's Waltz", "Prism Bloom", "Quiet Voltage",
          "Unknown Song A", "Unknown Song B"]
artists = ["Marlow Vance", "The Copper Lanterns", "Nadia Oré", "Someone Else"]
t = 1_500_000_000
with open(out, "w") as f:
    for i in range(n):
        t += random.randint(1, 400)
        f.write(json.dumps({"listened_at": t, "user_name": user,
                            "track_metadata": {"artist_name": random.choice(artists), "track_name": random.choice(titles),
                                               "release_name": "",
                                               "additional_info": {"duration_ms": 200000,
                                                                   "recording_msid": "6b3c0e3a-0000-4000-8000-%012d" % i}}})
                + "\n")
