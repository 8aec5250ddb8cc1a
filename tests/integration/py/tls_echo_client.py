#!/usr/bin/env python3
"""A native TLS client: sends N random bytes in large writes (16 KiB
records), reads the echo, and checks it is the same."""
import hashlib, os, socket, ssl, sys, threading

port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
data = os.urandom(n)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                    server_hostname="localhost")
def send():
    s.sendall(data)
threading.Thread(target=send, daemon=True).start()
got = bytearray()
while len(got) < n:
    d = s.recv(65536)
    if not d:
        break
    got += d
ok = hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
print(f"sent {n} received {len(got)} {'same' if ok else 'DIFFERENT'}")
sys.exit(0 if ok else 1)
