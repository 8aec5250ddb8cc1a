#!/usr/bin/env python3
"""A TCP socket that reaches a program without its accept or connect being
seen: a parent (without attls) gets the connection and hands it to a child
(under attls when its environment says so), which writes a secret to it.

fdpass.py parent MODE PORT OUT CHILD_ENV... -- :
  MODE out:     the parent connects to 127.0.0.1:PORT (a recorder there).
  MODE in:      the parent listens on 127.0.0.1:PORT, connects a client of
                its own to it, and records in OUT every byte that client
                receives.
  MODE inherit: as out, but the child inherits the fd across exec instead
                of receiving it through SCM_RIGHTS.
  CHILD_ENV: NAME=VALUE pairs added to the child's environment (LD_PRELOAD,
  ATTLS_CONFIG), ended by "--".
  The child's report goes to stdout; the parent waits for it, 20 s at most.

fdpass.py child FD scm|inherit: receives the socket on UNIX socket FD (or
  takes FD itself), sends the secret, prints "sent N" or "refused ERRNO".
"""
import os
import socket
import subprocess
import sys
import time

SECRET = b"SECRET-CLEAR-TEXT-" + b"x" * 64 + b"\n"


def child(fd, how):
    if how == "scm":
        u = socket.socket(fileno=fd)
        _, fds, _, _ = socket.recv_fds(u, 16, 1)
        s = socket.socket(fileno=fds[0])
    else:
        s = socket.socket(fileno=fd)
    try:
        n = s.send(SECRET)
        print(f"sent {n}", flush=True)
    except OSError as e:
        print(f"refused {e.errno} {os.strerror(e.errno)}", flush=True)
    time.sleep(0.5)
    s.close()


def parent(mode, port, out, env_pairs):
    env = dict(os.environ)
    for p in env_pairs:
        k, v = p.split("=", 1)
        env[k] = v
    peer = None
    if mode == "in":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(1)
        peer = socket.create_connection(("127.0.0.1", port), timeout=5)
        conn, _ = ls.accept()
        ls.close()
    else:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    me = os.path.abspath(__file__)
    if mode == "inherit":
        p = subprocess.Popen([sys.executable, me, "child", str(conn.fileno()), "inherit"],
                             env=env, pass_fds=[conn.fileno()])
    else:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        p = subprocess.Popen([sys.executable, me, "child", str(b.fileno()), "scm"],
                             env=env, pass_fds=[b.fileno()])
        b.close()
        socket.send_fds(a, [b"f"], [conn.fileno()])
        a.close()
    conn.close()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        print("child timed out", flush=True)
    if peer is not None:
        peer.settimeout(2)
        with open(out, "ab") as rec:
            try:
                while True:
                    data = peer.recv(65536)
                    if not data:
                        break
                    rec.write(data)
            except OSError:
                pass
        peer.close()


if sys.argv[1] == "child":
    child(int(sys.argv[2]), sys.argv[3])
else:
    mode, port, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    parent(mode, port, out, sys.argv[5:sys.argv.index("--")])
