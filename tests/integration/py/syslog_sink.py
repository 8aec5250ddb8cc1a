#!/usr/bin/env python3
"""Receives syslog datagrams on PATH (for example /dev/log when this
machine runs no syslog) and appends each to OUT, until killed; removes
PATH at the end."""
import os
import signal
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    with open(out, "ab", buffering=0) as f:
        print("listening", flush=True)
        while True:
            f.write(s.recv(65536).rstrip(b"\0") + b"\n")
finally:
    os.unlink(path)
