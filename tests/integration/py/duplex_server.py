#!/usr/bin/env python3
"""A thread-per-connection server on blocking sockets. For each connection
one thread reads SIZE bytes into RECV_PREFIX.N while another writes the
file SEND on the same socket, both at once; then the socket is closed.
With --tls CERT KEY it runs TLS itself (Python's ssl), for the control."""
import socket, sys, threading

port, send_path, recv_prefix, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = None
if len(sys.argv) > 5 and sys.argv[5] == "--tls":
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[6], sys.argv[7])
data = open(send_path, "rb").read()


def reader(c, n, errs):
    try:
        got = 0
        with open("%s.%d" % (recv_prefix, n), "wb") as f:
            while got < size:
                b = c.recv(min(65536, size - got))
                if not b:
                    break
                f.write(b)
                got += len(b)
    except Exception as e:
        errs.append("read: %r" % e)


def writer(c, errs):
    try:
        c.sendall(data)
    except Exception as e:
        errs.append("write: %r" % e)


def serve(c, n):
    errs = []
    if ctx:
        try:
            c = ctx.wrap_socket(c, server_side=True)
        except Exception as e:
            print("conn %d: handshake: %r" % (n, e), flush=True)
            c.close()
            return
    r = threading.Thread(target=reader, args=(c, n, errs))
    w = threading.Thread(target=writer, args=(c, errs))
    r.start()
    w.start()
    r.join()
    w.join()
    print("conn %d: done %s" % (n, "; ".join(errs) or "ok"), flush=True)
    c.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
n = 0
while True:
    c, _ = ls.accept()
    n += 1
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
