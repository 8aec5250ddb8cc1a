#!/usr/bin/env python3
"""Connects to PORT and sends PREFIX (hex, may be empty), then stalls.
Prints how many seconds passed until the server dropped the connection,
or "still open" after LIMIT seconds."""
import socket
import sys
import time

port, prefix, limit = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=limit)
s.sendall(prefix)
start = time.monotonic()
try:
    while s.recv(65536):
        pass
    print(f"dropped after {time.monotonic() - start:.1f}s")
except ConnectionResetError:
    print(f"dropped after {time.monotonic() - start:.1f}s")
except socket.timeout:
    print("still open")
