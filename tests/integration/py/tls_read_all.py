#!/usr/bin/env python3
"""A native TLS client that sends a line and reads until the end, then
prints how many bytes came and whether they are the expected pattern."""
import socket, ssl, sys, time

port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                    server_hostname="localhost")
s.sendall(b"go\n")
time.sleep(0.5)  # let the server close while much is still in flight
got = bytearray()
while True:
    try:
        d = s.recv(65536)
    except ssl.SSLEOFError:
        print("EOF without close_notify")
        break
    if not d:
        break
    got += d
block = bytes(range(256)) * 256
expect = (block * (n // len(block) + 1))[:n]
ok = bytes(got) == expect
print(f"received {len(got)} of {n} {'intact' if ok else 'DAMAGED'}")
sys.exit(0 if ok else 1)
