#!/usr/bin/env python3
"""A native TLS HTTP client that opens many connections: N GETs of the
files of DIR (in turn) from localhost:PORT, THREADS at a time, each on a
new connection, every body checked against the file by SHA-256.

https_load.py PORT DIR N THREADS CA
Prints "requests N ok N failed N" and the first errors; exits 1 unless
every request got its file intact.
"""
import hashlib
import http.client
import os
import ssl
import sys
import threading

port, d, n, threads, ca = sys.argv[1:6]
port, n, threads = int(port), int(n), int(threads)
names = sorted(os.listdir(d))
sums = {f: hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
        for f in names}
ctx = ssl.create_default_context(cafile=ca)
lock = threading.Lock()
state = {"next": 0, "ok": 0, "failed": 0, "errors": []}


def note(i, what):
    with lock:
        state["failed"] += 1
        if len(state["errors"]) < 5:
            state["errors"].append(f"request {i}: {what}")


def worker():
    while True:
        with lock:
            i = state["next"]
            if i >= n:
                return
            state["next"] += 1
        name = names[i % len(names)]
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
        try:
            conn.request("GET", "/" + name)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                note(i, f"{name}: status {r.status}")
            elif hashlib.sha256(body).hexdigest() != sums[name]:
                note(i, f"{name}: body differs ({len(body)} bytes)")
            else:
                with lock:
                    state["ok"] += 1
        except Exception as e:  # any failure is the test's finding
            note(i, f"{name}: {type(e).__name__}: {e}")
        finally:
            conn.close()


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(f"requests {n} ok {state['ok']} failed {state['failed']}")
for e in state["errors"]:
    print("  " + e)
sys.exit(0 if state["ok"] == n else 1)
