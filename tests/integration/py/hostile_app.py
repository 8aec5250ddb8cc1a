#!/usr/bin/env python3
"""The clear-text program that runs under attls in hostile.sh.

server LOG SECRET PORT...: one process, a thread per listening port and
per connection; each
connection gets SECRET first, then its bytes echoed. One line per
connection in LOG: "PEERPORT eof", "PEERPORT error CALL ERRNO" or
"PEERPORT echoed N".
client PORT SECRET: connects, sends SECRET, reads until the end; prints
"error CALL ERRNO" or "got N bytes" (exit status 0 either way; 2 if no
error and no data).
"""
import errno
import socket
import sys
import threading


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def serve(ports, log, secret):
    lock = threading.Lock()
    out = open(log, "a")

    def note(line):
        with lock:
            out.write(line + "\n")
            out.flush()

    def one(c, peer):
        call, n = "send", 0
        try:
            c.sendall(secret)
            call = "recv"
            while True:
                d = c.recv(65536)
                if not d:
                    note(f"{peer} eof echoed {n}")
                    break
                call = "send"
                c.sendall(d)
                n += len(d)
                call = "recv"
        except OSError as e:
            note(f"{peer} error {call} {name(e)} echoed {n}")
        c.close()

    def listen(port):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(64)
        while True:
            c, addr = ls.accept()
            threading.Thread(target=one, args=(c, addr[1]), daemon=True).start()

    for p in ports[1:]:
        threading.Thread(target=listen, args=(p,), daemon=True).start()
    listen(ports[0])


def client(port, secret):
    s = socket.socket()
    s.settimeout(30)
    call, got = "connect", 0
    try:
        s.connect(("127.0.0.1", port))
        call = "send"
        s.sendall(secret)
        call = "recv"
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
    except OSError as e:
        print(f"error {call} {name(e)} got {got}")
        return 0
    print(f"got {got} bytes")
    return 0 if got else 2


if sys.argv[1] == "server":
    serve([int(p) for p in sys.argv[4:]], sys.argv[2], sys.argv[3].encode())
else:
    sys.exit(client(int(sys.argv[2]), sys.argv[3].encode()))
