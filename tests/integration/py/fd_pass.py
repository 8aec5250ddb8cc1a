#!/usr/bin/env python3
"""Sockets that reach a process without its accept or connect being seen.

parent PORT CMD...   (not under attls) accepts a connection on PORT from a
                     peer of its own, then runs CMD twice: once with the
                     accepted socket passed through SCM_RIGHTS on a unix
                     socket (CMD gets "recv N", N the unix socket), once
                     with it inherited (CMD gets "inherit N", N the
                     socket). Prints what the peer received.
child recv|inherit N (under attls) writes a secret on the socket and
                     prints how the write ended.
fakememfd           (under attls) sends itself a memfd named
                     "attls-handoff" (not sealed) and a pipe: prints what
                     it received.
fakecarrier         sends its own SOCK_SEQPACKET socket, with a message
                     waiting on it, and a pipe, and receives them.
sendtls PORT [gone]  (under attls) connects to PORT (TLS by the policy),
                     sends that fd through SCM_RIGHTS to a socketpair it
                     holds both ends of (gone: whose other end it closed
                     first), then writes on its own copy.
"""
import os, socket, subprocess, sys

mode = sys.argv[1]
if mode == "parent":
    port = int(sys.argv[2])
    cmd = sys.argv[3:]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    peer = socket.create_connection(("127.0.0.1", port), timeout=5)
    acc, _ = ls.accept()
    for how in ("recv", "inherit"):
        if how == "recv":
            a, b = socket.socketpair()
            p = subprocess.Popen(cmd + ["recv", str(b.fileno())], pass_fds=(b.fileno(),))
            socket.send_fds(a, [b"x"], [acc.fileno()])
        else:
            p = subprocess.Popen(cmd + ["inherit", str(acc.fileno())], pass_fds=(acc.fileno(),))
        p.wait(timeout=20)
    peer.settimeout(1)
    got = b""
    try:
        while True:
            d = peer.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        pass
    print("peer received %r" % got)
elif mode == "child":
    if sys.argv[2] == "recv":
        u = socket.socket(fileno=int(sys.argv[3]))
        _, fds, _, _ = socket.recv_fds(u, 16, 4)
        fd = fds[0]
    else:
        fd = int(sys.argv[3])
    try:
        n = os.write(fd, b"SECRET-%s" % sys.argv[2].encode())
        print("%s: wrote %d bytes" % (sys.argv[2], n))
    except OSError as e:
        print("%s: refused: %s" % (sys.argv[2], os.strerror(e.errno)))
elif mode == "fakememfd":
    # A memfd of the program's own, named as attls names its handoff but
    # not sealed, first in a message with a pipe: both reach the receiver
    # as they were sent.
    fake = os.memfd_create("attls-handoff", os.MFD_CLOEXEC)
    os.write(fake, b"the program's own bytes")
    r, w = os.pipe()
    a, b = socket.socketpair()
    socket.send_fds(a, [b"x"], [fake, r])
    _, fds, flags, _ = socket.recv_fds(b, 16, 4)
    names = [os.readlink("/proc/self/fd/%d" % f) for f in fds]
    body = os.pread(fds[0], 64, 0) if fds else b""
    print("received %d fds flags=%d first=%s bytes=%r" % (len(fds), flags, names[0] if names else "-",
                                                        body))
elif mode == "fakecarrier":
    # A SOCK_SEQPACKET socket of the program's own, first in a message,
    # with a message of its own waiting: it reaches the receiver as it was
    # sent, its message unread.
    c1, c2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c2.send(b"ATTLS-CARRIER but the program's")
    r, w = os.pipe()
    a, b = socket.socketpair()
    socket.send_fds(a, [b"x"], [c1.fileno(), r])
    _, fds, flags, _ = socket.recv_fds(b, 16, 4)
    got = socket.socket(fileno=fds[0]).recv(64) if fds else b""
    print("received %d fds flags=%d first=%r" % (len(fds), flags, got))
elif mode == "sendtls":
    s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
    a, b = socket.socketpair()
    if len(sys.argv) > 3:
        b.close()  # nobody holds the other end: nobody can take the session up
    try:
        socket.send_fds(a, [b"x"], [s.fileno()])
        print("sent fd %d" % s.fileno())
    except OSError as e:
        print("sendmsg: %s" % os.strerror(e.errno))
    try:
        s.send(b"after-handoff")
        print("after: sent")
    except OSError as e:
        print("after: %s" % os.strerror(e.errno))
