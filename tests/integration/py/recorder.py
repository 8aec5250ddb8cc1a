#!/usr/bin/env python3
"""A peer that records every raw byte it receives, to prove what crossed
the wire. Plain by default; with --tls CERT KEY it is a TLS server too (the
recording is of the raw bytes, before any decryption)."""
import argparse, socket, ssl, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("out")
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--lifetime", type=float, default=30)
a = ap.parse_args()

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", a.port))
ls.listen(8)
ls.settimeout(1)
ctx = None
if a.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*a.tls)
end = time.time() + a.lifetime
with open(a.out, "ab") as rec:
    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        c.settimeout(3)
        inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(inb, outb, server_side=True) if ctx else None
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                rec.write(data)
                rec.flush()
                if tls:
                    inb.write(data)
                    try:
                        tls.do_handshake()
                        while tls.read(65536):
                            pass  # b'': close_notify came; nothing more to read
                    except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                        pass
                    except ssl.SSLError:
                        pass
                    pending = outb.read()
                    if pending:
                        c.sendall(pending)
        except (OSError, socket.timeout):
            pass
        c.close()
