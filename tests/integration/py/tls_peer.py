#!/usr/bin/env python3
"""Native TLS peers for syscalls.py, one thread per connection.

tls_peer.py CERT KEY ECHO HALF RELAY LOG
  ECHO:  echoes every byte.
  HALF:  waits a second (a peer that does not read yet), reads to the end
         of the client's data (its close_notify), then
         answers with the count and SHA-256 of what came, and closes.
  RELAY: plain TCP in front of ECHO that counts the TLS records each client
         sends, appending "records N" to LOG when the connection ends.
"""
import hashlib
import socket
import ssl
import struct
import sys
import threading
import time

cert, key, echo_port, half_port, relay_port, log = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)


def listener(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port)))
    ls.listen(64)
    return ls


def serve(ls, handler, tls=True):
    while True:
        c, _ = ls.accept()
        threading.Thread(target=guard, args=(handler, c, tls), daemon=True).start()


def guard(handler, c, tls):
    try:
        if tls:
            c = ctx.wrap_socket(c, server_side=True)
        handler(c)
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()


def echo(c):
    while data := c.recv(65536):
        c.sendall(data)


def half(c):
    time.sleep(1)
    h, n = hashlib.sha256(), 0
    while data := c.recv(65536):
        h.update(data)
        n += len(data)
    c.sendall(f"{n} {h.hexdigest()}\n".encode())


def relay(c):
    up = socket.create_connection(("127.0.0.1", int(echo_port)))
    records = 0

    def back():
        try:
            while data := up.recv(65536):
                c.sendall(data)
        except OSError:
            pass
        c.close()

    threading.Thread(target=back, daemon=True).start()
    buf = b""
    while data := c.recv(65536):
        up.sendall(data)
        buf += data
        while len(buf) >= 5:
            size = struct.unpack("!H", buf[3:5])[0]
            if len(buf) < 5 + size:
                break
            if buf[0] == 23:
                records += 1
            buf = buf[5 + size:]
    up.close()
    with open(log, "a") as f:
        f.write(f"records {records}\n")


for port, handler, tls in ((echo_port, echo, True), (half_port, half, True),
                           (relay_port, relay, False)):
    threading.Thread(target=serve, args=(listener(port), handler, tls), daemon=True).start()
threading.Event().wait()
