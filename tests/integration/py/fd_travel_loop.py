#!/usr/bin/env python3
"""A master that reads each client's request line, then hands the connection
to a worker whose event loop (selectors: epoll) waits for the rest of the
request, non-blocking. The rest was already read and decrypted in the
master (curl sends its request in one record): the worker's loop must see
it as ready at once, though the kernel has nothing left to read.

fd_travel_loop.py PORT COUNT: listens on 127.0.0.1:PORT, serves COUNT
connections, prints one line per event. The worker is a forked child."""
import os, selectors, socket, sys

port, count = int(sys.argv[1]), int(sys.argv[2])
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    a.close()
    sel = selectors.DefaultSelector()
    while True:
        msg, fds, flags, _ = socket.recv_fds(b, 1024, 1)
        if not msg:
            break
        c = socket.socket(fileno=fds[0])
        c.setblocking(False)
        sel.register(c, selectors.EVENT_READ)
        req = msg
        while b"\r\n\r\n" not in req:
            if not sel.select(5):
                print("worker: the rest of the request never showed as ready", flush=True)
                break
            d = c.recv(4096)
            if not d:
                break
            req += d
        sel.unregister(c)
        if b"\r\n\r\n" in req:
            line = req.split(b"\r\n")[0].decode()
            body = ("loop worker got: %s\n" % line).encode()
            c.setblocking(True)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            print("worker served: %s (fds=%d flags=%d)" % (line, len(fds), flags), flush=True)
        c.close()
    os._exit(0)
b.close()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
print("master listening", flush=True)
for _ in range(count):
    c, _ = ls.accept()
    line = b""
    while not line.endswith(b"\n"):
        d = c.recv(1)
        if not d:
            break
        line += d
    socket.send_fds(a, [line or b"-"], [c.fileno()])
    c.close()
a.close()
os.waitpid(pid, 0)
print("master done", flush=True)
