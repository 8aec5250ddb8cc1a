#!/usr/bin/env python3
"""A native TLS client: sends an 8-byte length and N random bytes in large
writes (16 KiB records), then checks the count and SHA-256 that come back."""
import hashlib, os, socket, ssl, struct, sys

port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
data = os.urandom(n)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                    server_hostname="localhost")
s.sendall(struct.pack("!Q", n) + data)
reply = b""
while not reply.endswith(b"\n"):
    d = s.recv(1024)
    if not d:
        break
    reply += d
expect = b"%d %s\n" % (n, hashlib.sha256(data).hexdigest().encode())
ok = reply == expect
print(f"sent {n}, the backend got {reply.split(b' ')[0].decode() or 'nothing'}: {'same' if ok else 'DIFFERENT'}")
sys.exit(0 if ok else 1)
