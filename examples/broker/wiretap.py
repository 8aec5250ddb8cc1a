#!/usr/bin/env python3
"""A tap on the wire: relays one TCP port to another and reports what
crossed it: TLS record types and sizes, and whether any of the given clear
text words appeared. It knows nothing of TLS beyond the record header."""
import socket, sys, threading

listen_port, to_port, name, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
words = [w.encode() for w in sys.argv[5:]]
KINDS = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}

def describe(buf):
    out, i = [], 0
    while i + 5 <= len(buf):
        kind, ver, n = buf[i], buf[i + 1:i + 3], int.from_bytes(buf[i + 3:i + 5], "big")
        if kind not in KINDS or ver[0] != 3:
            return ["not TLS: " + repr(bytes(buf[:32]))]
        out.append(f"{KINDS[kind]}({n})")
        i += 5 + n
    return out

def pump(src, dst, direction, seen):
    while True:
        try:
            d = src.recv(65536)
        except OSError:
            d = b""
        if not d:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return
        seen[direction] += d
        dst.sendall(d)

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen_port))
ls.listen(4)
while True:
    c, _ = ls.accept()
    u = socket.create_connection(("127.0.0.1", to_port))
    seen = {"->": bytearray(), "<-": bytearray()}
    ts = [threading.Thread(target=pump, args=(c, u, "->", seen)),
          threading.Thread(target=pump, args=(u, c, "<-", seen))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(log, "a") as f:
        for direction, buf in seen.items():
            recs = describe(buf)
            shown = " ".join(recs[:6]) + (f" ... ({len(recs)} records)" if len(recs) > 6 else "")
            f.write(f"  {name} {direction} {len(buf):6d} bytes: {shown}\n")
        leaked = [w.decode() for w in words if any(w in b for b in seen.values())]
        f.write(f"  {name}    clear text on the wire: {', '.join(leaked) if leaked else 'none'}\n")
    c.close()
    u.close()
