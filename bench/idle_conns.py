#!/usr/bin/env python3
"""Memory per idle keep-alive connection.

Opens N keep-alive connections to HOST:PORT, sends one request on each (PATH, with optional
extra headers) and reads the whole response, then leaves them all open and idle. Measures the
resident set (VmRSS from /proc/PID/status, summed over --pids) before opening and once all N are
open and idle, checks that the server kept them open, closes them, and prints one line:

  MEM n=... alive=... before_kb=... after_kb=... per_conn_bytes=... closed_kb=...

usage: idle_conns.py --port P --path /x [--header 'Authorization: Bearer T'] --pids 1,2 [--n 10000]
"""
import argparse
import resource
import select
import socket
import sys
import time


def rss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def read_response(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response headers")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the response body")
        body += chunk
    return status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--pids", required=True, help="comma-separated server PIDs whose RSS is summed")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--settle", type=float, default=3.0, help="seconds to wait before measuring")
    args = ap.parse_args()
    pids = [int(p) for p in args.pids.split(",") if p]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.n + 100
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))

    request = f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
    for h in args.header:
        request += h + "\r\n"
    request = (request + "\r\n").encode()

    time.sleep(args.settle)
    before = rss_kb(pids)
    socks = []
    t0 = time.monotonic()
    for i in range(args.n):
        s = socket.create_connection((args.host, args.port), timeout=30)
        s.sendall(request)
        status = read_response(s)
        if status >= 400:
            print(f"request {i} got HTTP {status}", file=sys.stderr)
            sys.exit(1)
        socks.append(s)
    opened_s = time.monotonic() - t0
    time.sleep(args.settle)
    after = rss_kb(pids)
    # A connection the server closed would be readable (EOF) now.
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN)
    closed = len(poller.poll(0))
    alive = len(socks) - closed
    for s in socks:
        s.close()
    time.sleep(args.settle)
    closed_kb = rss_kb(pids)
    per_conn = (after - before) * 1024 / args.n
    print(f"MEM n={args.n} alive={alive} before_kb={before} after_kb={after} "
          f"per_conn_bytes={per_conn:.0f} closed_kb={closed_kb} open_s={opened_s:.1f}")


if __name__ == "__main__":
    main()
