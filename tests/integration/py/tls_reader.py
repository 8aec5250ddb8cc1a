#!/usr/bin/env python3
"""tls_reader.py PORT CA OUT MS: a TLS client that reads to the end into
OUT, 64 KiB at a time, MS ms apart, and tells close_notify from a bare
FIN (suppress_ragged_eofs off): prints "got N eof=close_notify" or
"got N eof=no close_notify: ..."."""
import socket
import ssl
import sys
import time

port, ca, out, pace = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]) / 1000
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                    server_hostname="localhost", suppress_ragged_eofs=False)
n, how = 0, "close_notify"
with open(out, "wb") as f:
    while True:
        if pace:
            time.sleep(pace)
        try:
            d = s.recv(65536)
        except (ssl.SSLError, OSError) as e:
            how = f"no close_notify: {e}"
            break
        if not d:
            break
        n += len(d)
        f.write(d)
print(f"got {n} eof={how}", flush=True)
