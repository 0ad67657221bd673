#!/usr/bin/env python3
"""Edits an edge's nginx.conf rendered by deploy/render into a benchmark variant, in place.

usage: variant.py NGINX_CONF VARIANT   (VARIANT: names joined with "+", see bench/edge/run.sh)

Each edit checks that the part it changes is in the file, so a template change that would make
a variant silently measure the deployed configuration fails the run instead.
"""
import os
import re
import subprocess
import sys

# The commit whose edge_token.js the "oldjs" variant runs: the check as first shipped (a regular
# expression per part, the MAC compared character by character).
OLD_JS_COMMIT = "068fc92"


def sub(text, pattern, repl, what, count=1, flags=re.M):
    new, n = re.subn(pattern, repl, text, count=count, flags=flags)
    if n == 0:
        sys.exit(f"variant.py: {what}: pattern {pattern!r} not in the configuration")
    return new


def nolog(t):
    return sub(t, r"^(\s*)access_log\s+\S+/access\.log\s+segue_edge[^;]*;", r"\1access_log off;", "nolog")


def logbuf(t):
    return sub(t, r"^(\s*access_log\s+\S+/access\.log\s+segue_edge)[^;]*;", r"\1 buffer=64k flush=1s;", "logbuf")


def lognobuf(t):
    return sub(t, r"^(\s*access_log\s+\S+/access\.log\s+segue_edge)[^;]*;", r"\1;", "lognobuf")


def nojs(t):
    return sub(t, r"^[ \t]*if \(\$edge_denied\) \{\n.*?\n[ \t]*\}\n", "", "nojs", flags=re.M | re.S)


def noslice(t):
    t = sub(t, r"^\s*slice 1m;\n", "", "noslice")
    t = sub(t, r"proxy_cache_key \$uri\$slice_range;", "proxy_cache_key $uri;", "noslice")
    return sub(t, r"^\s*proxy_set_header Range \$slice_range;\n", "", "noslice")


def noofc(t):
    t = sub(t, r"^\s*open_file_cache\s[^;]*;\n", "", "noofc")
    return sub(t, r"^\s*open_file_cache_valid\s[^;]*;\n", "", "noofc")


def reuseport(t):
    return sub(t, r"^(\s*listen\s+[^;\s]+)\s*;", r"\1 reuseport;", "reuseport")


def noreuseport(t):
    return sub(t, r"^(\s*listen\s+[^;\s]+)\s+reuseport\s*;", r"\1;", "noreuseport")


def jsnop(t):
    # njs still runs on every request (VM clone, the call), but the check does nothing: what the
    # work inside edge_token.js costs is the difference to "full".
    if "js_import edge from edge_token.js;" not in t:
        sys.exit("variant.py: jsnop: edge_token.js is not imported")
    with open(os.path.join(os.path.dirname(CONF), "edge_token.js"), "w") as f:
        f.write("function denied(r) { return r.variables.arg_token ? '' : 'Missing stream token'; }\nexport default { denied };\n")
    return t


def cmod(t):
    # Rendered by run.sh with `deploy/render --token-check c`: only checks that it was.
    if not re.search(r"^\s*segue_edge_token on;$", t, re.M) or "js_import" in t:
        sys.exit("variant.py: cmod: the configuration does not check tokens with Segue's module")
    return t


def oldjs(t):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    js = subprocess.run(["git", "-C", repo, "show", f"{OLD_JS_COMMIT}:deploy/nginx/edge_token.js"],
                        check=True, capture_output=True, text=True).stdout
    with open(os.path.join(os.path.dirname(CONF), "edge_token.js"), "w") as f:
        f.write(js)
    return t


EDITS = {
    "full": lambda t: t,
    "nolog": nolog,
    "logbuf": logbuf,
    "lognobuf": lognobuf,
    "nojs": nojs,
    "noslice": noslice,
    "noofc": noofc,
    "reuseport": reuseport,
    "noreuseport": noreuseport,
    "jsnop": jsnop,
    "cmod": cmod,
    "oldjs": oldjs,
    "bare": lambda t: noslice(nojs(nolog(t))),
    # The configuration and the token check as they were before this tuning.
    "before": lambda t: oldjs(noreuseport(noofc(lognobuf(t)))),
}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    global CONF
    CONF = conf = sys.argv[1]
    variant = sys.argv[2]
    text = open(conf).read()
    for name in variant.split("+"):
        if name not in EDITS:
            sys.exit(f"variant.py: unknown variant {name!r} (known: {' '.join(EDITS)})")
        text = EDITS[name](text)
    with open(conf, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
