#!/usr/bin/env python3
"""Connections from several threads at once for SECONDS, each a full TLS
round trip: prints how many saw each certificate serial, and how many
failed."""
import collections, socket, ssl, sys, threading, time

port, ca, secs, threads = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
end = time.time() + secs
ctx = ssl.create_default_context(cafile=ca)
seen = collections.Counter()
lock = threading.Lock()


def one():
    try:
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                             server_hostname="localhost") as s:
            s.sendall(b"x")
            ok = s.recv(1) == b"x"
            r = s.getpeercert()["serialNumber"] if ok else "echo-failed"
    except Exception as e:
        r = "failed:" + type(e).__name__
    with lock:
        seen[r] += 1


def worker():
    while time.time() < end:
        one()


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(" ".join("%s=%d" % kv for kv in sorted(seen.items())))
