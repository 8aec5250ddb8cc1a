#!/usr/bin/env python3
"""A server on PORT that reads a client's first TLS record (its
ClientHello) whole and closes the connection without a word, as some TLS
servers do when they speak none of the versions offered. With --say HEX
it writes those bytes first (a peer that began an answer, then closed).
Serves connections until LIFETIME seconds have passed."""
import argparse
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--say", default="")
ap.add_argument("--lifetime", type=float, default=30)
a = ap.parse_args()

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", a.port))
ls.listen(8)
ls.settimeout(1)
end = time.time() + a.lifetime


def read_exactly(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b


while time.time() < end:
    try:
        c, _ = ls.accept()
    except socket.timeout:
        continue
    c.settimeout(3)
    try:
        head = read_exactly(c, 5)
        if len(head) == 5:
            read_exactly(c, head[3] << 8 | head[4])
        if a.say:
            c.sendall(bytes.fromhex(a.say))
    except OSError:
        pass
    # Everything sent was read: the close is a FIN, not a reset.
    c.close()
