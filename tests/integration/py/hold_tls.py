#!/usr/bin/env python3
# hold_tls.py PORT CA CERT KEY KIND N READY HOLD: N TLS connections to
# 127.0.0.1:PORT with a client certificate, one request each (KIND: http
# redis or line: "hi\n", answered by one line), then held open until HOLD (a fifo) reaches its end. Writes
# "LOCALPORT IN OUT" per connection to READY (the plaintext bytes the
# server read and wrote), then "ok".
import socket
import ssl
import sys

port, ca, cert, key, kind, n, ready, hold = sys.argv[1:9]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
conns, lines = [], []
for _ in range(int(n)):
    raw = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    if kind in ("redis", "line"):
        req = b"PING\r\n" if kind == "redis" else b"hi\n"
        s.sendall(req)
        got = b""
        while not got.endswith(b"\n"):
            got += s.recv(100)
    else:
        req = b"GET /f1024 HTTP/1.1\r\nHost: localhost\r\n\r\n"
        s.sendall(req)
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(4096)
        head, body = got.split(b"\r\n\r\n", 1)
        length = int([h.split(b":")[1] for h in head.split(b"\r\n")
                      if h.lower().startswith(b"content-length")][0])
        while len(body) < length:
            body += s.recv(4096)
        got = head + b"\r\n\r\n" + body
    conns.append(s)
    lines.append("%d %d %d" % (s.getsockname()[1], len(req), len(got)))
with open(ready, "w") as f:
    f.write("\n".join(lines) + "\nok\n")
open(hold).read()
