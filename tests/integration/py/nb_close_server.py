#!/usr/bin/env python3
"""A non-blocking server that sends SIZE bytes and closes at once.

nb_close_server.py PORT SIZE: for each of 2 connections, sends what the
socket accepts without blocking, waits for writability, and when SIZE bytes
were accepted closes the socket with no wait for the peer. Prints how long
each close() took and the SHA-256 of what was sent.
"""
import hashlib
import os
import select
import socket
import sys
import time

port, size = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen()
for _ in range(2):
    conn, _ = ls.accept()
    conn.setblocking(False)
    data = os.urandom(size)
    sent = 0
    while sent < size:
        select.select([], [conn], [], 10)
        try:
            sent += conn.send(data[sent:])
        except BlockingIOError:
            pass
    start = time.monotonic()
    conn.close()
    took = (time.monotonic() - start) * 1000
    print(f"close took {took:.0f} ms sha256={hashlib.sha256(data).hexdigest()}", flush=True)
