"""Shared by the recommendation benches' Python clients (api.py, continuation_api.py, serve.py):
a login through Segue's OAuth 2.0 authorization-code flow with PKCE (a public client, the web
player's flow), and the nearest-rank percentile the benches report."""
import base64
import hashlib
import json
import math
import os
import urllib.error
import urllib.parse
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def login(base, client_id, redirect, user, password, scope):
    """An access token for `user` with `scope` (space-separated)."""
    verifier = b64url(os.urandom(48))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    form = urllib.parse.urlencode({
        "client_id": client_id, "redirect_uri": redirect, "response_type": "code", "scope": scope,
        "state": "bench", "code_challenge": challenge, "code_challenge_method": "S256",
        "username": user, "password": password, "action": "allow"}).encode()
    try:
        r = _OPENER.open(urllib.request.Request(base + "/authorize", data=form), timeout=60)
        location, status = r.headers.get("Location", ""), r.status
    except urllib.error.HTTPError as e:
        location, status = e.headers.get("Location", ""), e.code
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code", [""])[0]
    if not code:
        raise RuntimeError("authorize for %s: HTTP %s, Location %r" % (user, status, location))
    form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                                   "client_id": client_id, "code_verifier": verifier}).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/api/token", data=form), timeout=60) as r:
        return json.load(r)["access_token"]


def percentile(xs, p):
    """The nearest-rank p-th percentile of xs (nan for none)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(math.ceil(p / 100.0 * len(xs))) - 1)] if xs else float("nan")
