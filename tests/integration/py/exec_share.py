#!/usr/bin/env python3
"""A server that hands its accepted connection to a program it starts.

exec_share.py popen PORT
    writes a greeting, then subprocess.Popen(sh -c "echo CHILD-OUTPUT;
    exec cat", stdin=conn, stdout=conn, close_fds=True): the child closes
    every fd above 2 (close_range) before its exec; the parent closes its
    copy and waits. Prints "child exit N".
exec_share.py dupexec PORT
    dup2(conn, 7), then execs sh -c "echo FIRST >&7; echo SECOND >&7;
    sleep 0.3; echo THIRD >&7": dash dups 7 onto 1 for each echo and puts
    1 back.
"""
import os, socket, subprocess, sys

mode, port = sys.argv[1], int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
ls.settimeout(20)
c, _ = ls.accept()
if mode == "popen":
    c.sendall(b"HELLO-FROM-PARENT\n")
    p = subprocess.Popen(["/bin/sh", "-c", "echo CHILD-OUTPUT; exec cat"], stdin=c, stdout=c,
                         close_fds=True)
    c.close()
    print("child exit", p.wait(), flush=True)
else:
    os.dup2(c.fileno(), 7)
    os.execv("/bin/sh", ["sh", "-c", "echo FIRST >&7; echo SECOND >&7; sleep 0.3; echo THIRD >&7"])
