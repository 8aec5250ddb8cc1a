#!/usr/bin/env python3
"""A plain echo server for one connection."""
import socket, sys

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(1)
c, _ = ls.accept()
while True:
    d = c.recv(65536)
    if not d:
        break
    c.sendall(d)
c.shutdown(socket.SHUT_WR)
c.close()
