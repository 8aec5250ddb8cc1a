#!/usr/bin/env python3
"""A plain backend for one connection: reads an 8-byte length, then that
many bytes, and answers with their count and SHA-256."""
import hashlib, socket, struct, sys

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(1)
c, _ = ls.accept()
hdr = b""
while len(hdr) < 8:
    hdr += c.recv(8 - len(hdr))
n = struct.unpack("!Q", hdr)[0]
h, got = hashlib.sha256(), 0
while got < n:
    d = c.recv(min(65536, n - got))
    if not d:
        break
    h.update(d)
    got += len(d)
c.sendall(b"%d %s\n" % (got, h.hexdigest().encode()))
c.close()
