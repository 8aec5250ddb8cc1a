#!/usr/bin/env python3
"""A plain server that, for each connection, reads one line, writes N
bytes of a known pattern and closes at once."""
import socket, sys

port, n, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
block = bytes(range(256)) * 256
for _ in range(conns):
    c, _ = ls.accept()
    c.recv(100)
    left = n
    while left:
        k = min(left, len(block))
        c.sendall(block[:k])
        left -= k
    c.close()
