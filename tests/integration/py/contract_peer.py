#!/usr/bin/env python3
"""Native TLS peers for data_contract.sh, one connection each.

contract_peer.py MODE ARGS...
  read-all PORT CA OUT MS       client: reads to the end into OUT, 64 KiB
                                at a time, MS ms apart
  send-file PORT CA FILE MS     client: sends FILE in 64 KiB pieces, MS ms
                                apart, then close_notify
  send-read PORT CA FILE        client: sends FILE, then reads to the end
  hold PORT CERT KEY SECONDS    server: reads nothing for SECONDS, then to
                                the end
  pong PORT CERT KEY            server: answers a line with "pong", then
                                reads to the end
  duplex PORT CERT KEY FILE OUT server with 64 KiB socket buffers:
                                sends all of FILE (blocking: it reads
                                nothing meanwhile), then reads to the end
                                into OUT
  greet PORT CERT KEY FILE      server: sends FILE, then reads to the end
  syn-hold PORT CERT KEY SECS   server whose accept queue is full: SYNs are
                                dropped for SECS (0: for ever), then "pong"
Each prints "got N eof=clean" (close_notify) or "eof=unclean: ..." when
it reads to the end, and exits 0.
"""
import socket
import ssl
import sys
import time

mode, port = sys.argv[1], int(sys.argv[2])


def client(ca):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def server(cert, key, backlog=1, bufs=0):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    if bufs:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufs)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufs)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(backlog)
    return ctx, ls


def accept(ctx, ls):
    c, _ = ls.accept()
    c.settimeout(30)
    return ctx.wrap_socket(c, server_side=True)


def read_end(s, out=None, pace=0):
    n, how = 0, "clean"
    while True:
        if pace:
            time.sleep(pace)
        try:
            d = s.recv(65536 if pace else 1 << 20)
        except (ssl.SSLError, OSError) as e:
            how = f"unclean: {e}"
            break
        if not d:
            break
        n += len(d)
        if out:
            out.write(d)
    print(f"got {n} eof={how}", flush=True)
    return how == "clean"


def close(s, clean):
    try:
        if clean:
            s.unwrap()
    except (ssl.SSLError, OSError):
        pass
    s.close()


if mode == "read-all":
    s = client(sys.argv[3])
    with open(sys.argv[4], "wb") as f:
        close(s, read_end(s, f, int(sys.argv[5]) / 1000))
elif mode == "send-file":
    s = client(sys.argv[3])
    data, pace = open(sys.argv[4], "rb").read(), int(sys.argv[5]) / 1000
    for i in range(0, len(data), 65536):
        s.sendall(data[i:i + 65536])
        time.sleep(pace)
    s.unwrap()
    s.close()
    print(f"sent {len(data)}", flush=True)
elif mode == "send-read":
    s = client(sys.argv[3])
    s.sendall(open(sys.argv[4], "rb").read())
    close(s, read_end(s))
elif mode == "hold":
    s = accept(*server(sys.argv[3], sys.argv[4]))
    time.sleep(float(sys.argv[5]))
    close(s, read_end(s))
elif mode == "pong":
    s = accept(*server(sys.argv[3], sys.argv[4]))
    line = b""
    while not line.endswith(b"\n"):
        d = s.recv(1024)
        if not d:
            break
        line += d
    s.sendall(b"pong\n")
    close(s, read_end(s))
elif mode == "duplex":
    s = accept(*server(sys.argv[3], sys.argv[4], bufs=65536))
    s.sendall(open(sys.argv[5], "rb").read())
    with open(sys.argv[6], "wb") as f:
        close(s, read_end(s, f))
elif mode == "greet":
    s = accept(*server(sys.argv[3], sys.argv[4]))
    s.sendall(open(sys.argv[5], "rb").read())
    close(s, read_end(s))
elif mode == "syn-hold":
    ctx, ls = server(sys.argv[3], sys.argv[4], backlog=0)
    filler = socket.create_connection(("127.0.0.1", port))
    print("queue full", flush=True)
    hold = float(sys.argv[5])
    time.sleep(hold if hold > 0 else 3600)
    first, _ = ls.accept()  # the filler's
    first.close()
    filler.close()
    s = accept(ctx, ls)
    line = b""
    while not line.endswith(b"\n"):
        d = s.recv(1024)
        if not d:
            break
        line += d
    s.sendall(b"pong\n")
    close(s, read_end(s))
else:
    sys.exit(f"unknown mode {mode}")
