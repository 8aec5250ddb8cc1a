#!/usr/bin/env python3
"""A relay that knows nothing of TLS and records what the client sends: it
accepts connections one after another, connects each to a backend, copies
both ways, and appends every raw byte from the client to a file (to prove
what crossed the wire)."""
import select, socket, sys, time

lport, bport, out, lifetime = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(8)
end = time.time() + lifetime
with open(out, "ab") as rec:
    while time.time() < end:
        r, _, _ = select.select([ls], [], [], 1)
        if not r:
            continue
        c, _ = ls.accept()
        b = socket.create_connection(("127.0.0.1", bport))
        peer = {c: b, b: c}
        open_ = {c, b}
        while open_ and time.time() < end:
            r, _, _ = select.select(list(open_), [], [], 1)
            for s in r:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if s is c and data:
                    rec.write(data)
                    rec.flush()
                if not data:
                    open_.discard(s)
                    try:
                        peer[s].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                try:
                    peer[s].sendall(data)
                except OSError:
                    open_.discard(s)
        c.close()
        b.close()
