#!/usr/bin/env python3
"""An echo server on one or more ports, a thread per connection, so that a
connection stays open while others are accepted. With --drop-to UID it
gives up root once it listens, as a daemon does."""
import argparse, os, socket, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("ports", type=int, nargs="+")
ap.add_argument("--drop-to", type=int)
ap.add_argument("--lifetime", type=float, default=90)
a = ap.parse_args()


def echo(c):
    with c:
        c.settimeout(30)
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    return
                c.sendall(d)
        except OSError:
            return


def serve(ls):
    while True:
        try:
            c, _ = ls.accept()
        except OSError:
            continue
        threading.Thread(target=echo, args=(c,), daemon=True).start()


for p in a.ports:
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", p))
    ls.listen(16)
    threading.Thread(target=serve, args=(ls,), daemon=True).start()
if a.drop_to is not None:
    os.setgroups([])
    os.setgid(a.drop_to)
    os.setuid(a.drop_to)
time.sleep(a.lifetime)
