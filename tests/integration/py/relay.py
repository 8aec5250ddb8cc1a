#!/usr/bin/env python3
"""A relay that knows nothing of TLS: it accepts one connection, connects to
a backend, and copies both ways 8 KiB at a time, waiting in select()."""
import select, socket, sys

lport, bport = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(1)
c, _ = ls.accept()
b = socket.create_connection(("127.0.0.1", bport))
peer = {c: b, b: c}
open_ = {c, b}
while open_:
    r, _, _ = select.select(list(open_), [], [], 20)
    if not r:
        sys.exit("relay: stalled 20 s in select")
    for s in r:
        data = s.recv(8192)
        if not data:
            open_.discard(s)
            try:
                peer[s].shutdown(socket.SHUT_WR)
            except OSError:
                pass
        else:
            peer[s].sendall(data)
