#!/usr/bin/env python3
"""Binds a unix datagram socket at PATH (a log socket: /dev/log, or
journald's /run/systemd/journal/socket) and, with MODE read, appends each
datagram to OUT followed by a blank line, until killed; with MODE stall,
does not read until killed, so that its queue fills up, then writes what
its queue holds. Says "listening" once bound."""
import os
import signal
import socket
import sys
import time

path, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("listening", flush=True)
with open(out, "ab", buffering=0) as f:
    try:
        while True:
            if mode == "stall":
                time.sleep(60)
            else:
                f.write(s.recv(65536).rstrip(b"\0") + b"\n\n")
    finally:
        s.setblocking(False)
        try:
            while True:
                f.write(s.recv(65536).rstrip(b"\0") + b"\n\n")
        except BlockingIOError:
            pass
