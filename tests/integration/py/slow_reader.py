#!/usr/bin/env python3
"""A native TLS client that waits DELAY seconds before it reads to the end.

slow_reader.py PORT CA DELAY [PAUSE]: with PAUSE, it also sleeps PAUSE
seconds after each read of at most 64 KiB (a reader that keeps up slowly). Prints the byte count, the SHA-256 and how
the stream ended ("close_notify" or "no close_notify")."""
import hashlib
import socket
import ssl
import sys
import time

port, ca, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection(("127.0.0.1", port), timeout=60)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s = ctx.wrap_socket(raw, server_hostname="localhost")
time.sleep(delay)
h = hashlib.sha256()
n = 0
end = "close_notify"
while True:
    try:
        chunk = s.recv(65536)
    except ssl.SSLEOFError:
        end = "no close_notify"
        break
    if not chunk:
        break
    h.update(chunk)
    n += len(chunk)
    if pause:
        time.sleep(pause)
print(f"{n} bytes sha256={h.hexdigest()} {end}")
