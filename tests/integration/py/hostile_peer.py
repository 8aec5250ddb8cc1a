#!/usr/bin/env python3
"""Hostile TLS peers, for a program under attls. Every byte the peer
receives is appended to RECORD, so that the test can prove no clear text of
the program's reached the wire.

client PORT MODE RECORD [--ca CA]: connects to a TLS server under attls.
server PORT MODE RECORD --cert CERT --key KEY: accepts one connection from
a TLS client under attls (then exits).

MODE is one of
  clear       speaks clear text (an HTTP request or response)
  random      sends 4 KiB of random bytes
  truncated   sends the first half of its first TLS flight, then FIN
  oversized   completes the handshake, then sends an application data
              record longer than 2^14 + 2048 bytes
  rst-hs      (client) sends its first flight, waits for the answer, then
              resets (SO_LINGER 0); (server) sends half its first flight,
              then resets
  rst-record  completes the handshake, sends half of a record, then resets
  slowloris   sends its first flight one byte per second
  good        (client) a well-behaved TLS client: checks its echo
The handshake is made with Python's ssl (OpenSSL) over memory buffers, so
that the raw bytes stay in this program's hands.
Prints one line: what the peer saw (e.g. "dropped after 2.0s").
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("side", choices=("client", "server"))
ap.add_argument("port", type=int)
ap.add_argument("mode")
ap.add_argument("record")
ap.add_argument("--ca")
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--limit", type=float, default=15)
a = ap.parse_args()
rec = open(a.record, "ab")
start = time.monotonic()


def recv(s, n=65536):
    d = s.recv(n)
    rec.write(d)
    rec.flush()
    return d


def drain(s):
    """Reads until the other side ends the connection; says how it ended."""
    s.settimeout(max(0.1, a.limit - (time.monotonic() - start)))
    try:
        while recv(s):
            pass
        how = "closed"
    except ConnectionResetError:
        how = "reset"
    except socket.timeout:
        return "still open"
    return f"{how} after {time.monotonic() - start:.1f}s"


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def tls_obj():
    if a.side == "client":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(a.ca)
        side = dict(server_side=False, server_hostname="localhost")
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        side = dict(server_side=True)
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    return ctx.wrap_bio(inb, outb, **side), inb, outb


def first_flight(s, tls, inb, outb):
    """The first flight this side sends, without sending it."""
    if a.side == "server":
        s.settimeout(a.limit)
        while True:
            d = recv(s)
            if not d:
                sys.exit("peer closed before its ClientHello")
            inb.write(d)
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                pass
            out = outb.read()
            if out:
                return out
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outb.read()


def handshake(s, tls, inb, outb):
    s.settimeout(a.limit)
    while True:
        try:
            tls.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        out = outb.read()
        if out:
            s.sendall(out)
        if done:
            return
        d = recv(s)
        if not d:
            sys.exit("peer closed during the handshake")
        inb.write(d)


def app_record(tls, outb, n=1000):
    tls.write(os.urandom(n))
    return outb.read()


def good(s):
    """A well-behaved client: its bytes come back after the greeting."""
    ctx = ssl.create_default_context(cafile=a.ca)
    t = ctx.wrap_socket(s, server_hostname="localhost")
    nonce = os.urandom(8).hex().encode()
    t.sendall(nonce)
    got = b""
    while nonce not in got:
        d = t.recv(65536)
        if not d:
            return "closed before the echo"
        got += d
    return "echoed"


def run(s):
    m = a.mode
    if m == "good":
        return good(s)
    if m == "clear":
        if a.side == "client":
            s.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        else:
            s.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        return drain(s)
    if m == "random":
        s.sendall(os.urandom(4096))
        return drain(s)
    tls, inb, outb = tls_obj()
    if m == "truncated":
        flight = first_flight(s, tls, inb, outb)
        s.sendall(flight[:len(flight) // 2])
        s.shutdown(socket.SHUT_WR)
        return drain(s)
    if m == "slowloris":
        flight = first_flight(s, tls, inb, outb)
        try:
            for b in flight:
                s.sendall(bytes([b]))
                # A second's pause, watching for the other side's end.
                s.settimeout(1)
                try:
                    if not recv(s):
                        return f"closed after {time.monotonic() - start:.1f}s"
                except socket.timeout:
                    pass
                if time.monotonic() - start > a.limit:
                    return "still open"
        except (BrokenPipeError, ConnectionResetError):
            return f"reset after {time.monotonic() - start:.1f}s"
        return drain(s)
    if m == "rst-hs":
        flight = first_flight(s, tls, inb, outb)
        if a.side == "client":
            s.sendall(flight)
            s.settimeout(a.limit)
            recv(s)
        else:
            # A server's whole flight would complete a TLS 1.3 client's
            # handshake: half of it keeps the reset inside the handshake.
            s.sendall(flight[:len(flight) // 2])
            time.sleep(0.3)
        reset(s)
        return "reset sent"
    handshake(s, tls, inb, outb)
    if m == "oversized":
        body = os.urandom(2**14 + 2048 + 1)
        s.sendall(b"\x17\x03\x03" + struct.pack(">H", len(body)) + body)
        return drain(s)
    if m == "rst-record":
        r = app_record(tls, outb)
        s.sendall(r[:len(r) // 2])
        time.sleep(0.3)
        reset(s)
        return "reset sent"
    sys.exit(f"unknown mode {m}")


if a.side == "client":
    sock = socket.create_connection(("127.0.0.1", a.port), timeout=a.limit)
    print(run(sock))
else:
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(1)
    ls.settimeout(a.limit)
    c, _ = ls.accept()
    print(run(c))
