#!/usr/bin/env python3
"""A pre-forked echo server: the master listens and forks N workers that
accept on the shared socket, as nginx and apache2's prefork do; the
master accepts nothing. Prints the workers' pids."""
import os, signal, socket, sys, time

port, n = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
kids = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        end = time.time() + 90
        ls.settimeout(1)
        while time.time() < end:
            try:
                c, _ = ls.accept()
            except OSError:
                continue
            with c:
                c.settimeout(10)
                try:
                    d = c.recv(4096)
                    if d:
                        c.sendall(d)
                except OSError:
                    pass
        os._exit(0)
    kids.append(pid)
print(" ".join(map(str, kids)), flush=True)
signal.signal(signal.SIGTERM, lambda *a: [os.kill(k, signal.SIGTERM) for k in kids] and os._exit(0))
for k in kids:
    os.waitpid(k, 0)
