#!/usr/bin/env python3
"""A TLS client that holds one connection open: it prints the server
certificate's serial and echoes a line, then, once GO exists, echoes
another line on the same connection and says whether it came back."""
import os, socket, ssl, sys, time

port, ca, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                    server_hostname="localhost")
print("serial %s" % s.getpeercert()["serialNumber"], flush=True)
s.sendall(b"first\n")
print("echo %s" % s.recv(100).decode().strip(), flush=True)
end = time.time() + 60
while not os.path.exists(go) and time.time() < end:
    time.sleep(0.05)
s.sendall(b"second\n")
print("echo %s" % s.recv(100).decode().strip(), flush=True)
print("serial %s" % s.getpeercert()["serialNumber"], flush=True)
s.close()
