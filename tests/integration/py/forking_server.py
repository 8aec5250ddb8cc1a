#!/usr/bin/env python3
"""A forking server: the parent accepts and closes its copy of each
connection; a child answers. The answer tells whether the socket carries
close-on-exec after the program tried to clear it."""
import fcntl, os, socketserver, sys

class H(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        fd = self.request.fileno()
        fcntl.fcntl(fd, fcntl.F_SETFD, 0)  # clear close-on-exec
        cloexec = fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        # The kernel's own flag (O_CLOEXEC in fdinfo's octal flags).
        with open("/proc/self/fdinfo/%d" % fd) as f:
            kflags = [int(l.split()[1], 8) for l in f if l.startswith("flags:")][0]
        kernel = 1 if kflags & 0o2000000 else 0
        self.wfile.write(b"pid=%d cloexec=%d kernel=%d echo=%s" %
                         (os.getpid(), cloexec, kernel, line.strip()))

class S(socketserver.ForkingTCPServer):
    allow_reuse_address = True

S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
