#!/usr/bin/env python3
"""The inetd pattern inside one server: it accepts, forks, and the child
puts the connection on fds 0 and 1 and execs a program (its environment
as it is); the parent closes its copy. MODE fresh: the parent closes at
once, before any byte; live: the parent first reads a line and answers
it, and closes its copy once the child has exec'd."""
import os, socket, sys, time

port, mode, prog = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
while True:
    c, _ = s.accept()
    if mode == "live":
        line = b""
        while not line.endswith(b"\n"):
            b = c.recv(1)
            if not b:
                break
            line += b
        c.sendall(b"parent:" + line)
    if os.fork() == 0:
        s.close()
        os.dup2(c.fileno(), 0)
        os.dup2(c.fileno(), 1)
        c.close()
        os.execv(prog[0], prog)
    if mode == "live":
        time.sleep(0.5)
    c.close()
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
