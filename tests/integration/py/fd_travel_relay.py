#!/usr/bin/env python3
"""Two hops: a master reads each client's request line and hands the
connection to a relay process, which sends it on, unused, to a worker,
which reads the rest of the request and answers.

fd_travel_relay.py PORT COUNT: listens on 127.0.0.1:PORT, serves COUNT
connections; the relay and the worker are forked children."""
import os, socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
a, b = socket.socketpair()   # master -> relay
c, d = socket.socketpair()   # relay -> worker
if os.fork() == 0:  # relay
    a.close(); c.close()
    while True:
        msg, fds, _, _ = socket.recv_fds(b, 1024, 1)
        if not msg: break
        socket.send_fds(d, [msg], fds)
        os.close(fds[0])
    os._exit(0)
if os.fork() == 0:  # worker
    a.close(); b.close(); d.close()
    while True:
        msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
        if not msg: break
        s = socket.socket(fileno=fds[0])
        req = msg
        while b"\r\n\r\n" not in req:
            x = s.recv(4096)
            if not x: break
            req += x
        body = b"relayed worker %d got: %s\n" % (os.getpid(), req.split(b"\r\n")[0])
        s.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        s.close()
    os._exit(0)
b.close(); c.close(); d.close()
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(4)
for _ in range(count):
    x, _ = ls.accept()
    line = b""
    while not line.endswith(b"\n"):
        line += x.recv(1)
    socket.send_fds(a, [line], [x.fileno()])
    x.close()
a.close()
os.wait(); os.wait()
