#!/usr/bin/env python3
"""What crosses the wire to a TLS client, and a client that talks first.

tls_wire.py relay LPORT BPORT OUT [--lifetime S]
    accepts connections on 127.0.0.1:LPORT, relays each both ways to
    127.0.0.1:BPORT (a thread per connection), and writes every byte the
    server sends to the client in OUT.N (N from 0, one file per connection).
tls_wire.py check FILE...
    each file must be whole TLS records and nothing else (content type
    20-23, version 3.1-3.4, length at most 2^14 + 256): prints one line per
    file and exits 1 if any is not.
tls_wire.py rawclient PORT CA PATH
    a verifying TLS client that sends a request and reads to the end: what
    a second thread of the server wrote before the worker's reply
    (RACE-N lines), and whether every record decrypted.
tls_wire.py client PORT CA PATH
    a verifying TLS client (server name localhost) that sends its request
    line and its headers as two records, the second right after the first
    (before the server has read anything), then prints the reply's body.
"""
import socket, ssl, sys, threading, time


def relay(lport, bport, out, lifetime):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(16)
    ls.settimeout(0.5)
    end = time.time() + lifetime

    def pump(src, dst, rec):
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                if rec:
                    rec.write(d)
                    rec.flush()
                dst.sendall(d)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    n = 0
    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        b = socket.create_connection(("127.0.0.1", bport), timeout=5)
        b.settimeout(None)
        rec = open("%s.%d" % (out, n), "wb")
        n += 1
        threading.Thread(target=pump, args=(c, b, None), daemon=True).start()
        threading.Thread(target=pump, args=(b, c, rec), daemon=True).start()


def check(files):
    bad = 0
    for f in files:
        data = open(f, "rb").read()
        i, records, why = 0, 0, ""
        while i < len(data):
            h = data[i:i + 5]
            if len(h) < 5:
                why = "a cut record header"
                break
            length = (h[3] << 8) | h[4]
            if h[0] not in (20, 21, 22, 23) or h[1] != 3 or h[2] not in (1, 2, 3, 4) or \
                    length > 16384 + 256:
                why = "not a TLS record at byte %d: %r" % (i, data[i:i + 24])
                break
            if i + 5 + length > len(data):
                why = "a cut record"
                break
            i += 5 + length
            records += 1
        print("%s: %d bytes, %d TLS records%s" % (f, len(data), records,
                                                  "; " + why if why else ", nothing else"))
        bad += bool(why)
    sys.exit(1 if bad else 0)


def client(port, ca, path):
    ctx = ssl.create_default_context(cafile=ca)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                        server_hostname="localhost")
    s.send(b"GET %s HTTP/1.0\r\n" % path.encode())
    s.send(b"Host: localhost\r\nX-Second-Record: yes\r\n\r\n")
    reply = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        reply += d
    print(reply.split(b"\r\n\r\n", 1)[-1].decode(errors="replace"), end="")


def rawclient(port, ca, path):
    """Sends a request, then reads every byte to the end: prints how many,
    how many RACE- lines came, in order or not, and whether the worker's
    reply came last; a TLS error (a record that does not decrypt) is
    printed as such."""
    ctx = ssl.create_default_context(cafile=ca)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                        server_hostname="localhost")
    s.sendall(b"GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" % path.encode())
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except ssl.SSLError as e:
        print("TLS error after %d bytes: %s" % (len(got), e))
        return
    head, _, reply = got.partition(b"HTTP/1.0 200 OK")
    lines = [l for l in head.split(b"\n") if l]
    nums = [int(l[5:]) for l in lines if l.startswith(b"RACE-")]
    ordered = nums == list(range(len(nums))) and len(nums) == len(lines)
    print("tls ok: %d bytes, %d RACE lines %s, worker reply %s" % (
        len(got), len(nums), "in order" if ordered else "OUT OF ORDER",
        "last" if b"worker" in reply and b"RACE-" not in reply else "MISSING"))


if sys.argv[1] == "relay":
    lt = float(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--lifetime" else 60
    relay(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], lt)
elif sys.argv[1] == "check":
    check(sys.argv[2:])
elif sys.argv[1] == "rawclient":
    rawclient(int(sys.argv[2]), sys.argv[3], sys.argv[4])
else:
    client(int(sys.argv[2]), sys.argv[3], sys.argv[4])
