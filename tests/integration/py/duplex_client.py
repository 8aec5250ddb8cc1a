#!/usr/bin/env python3
"""duplex_client.py PORT SEND RECV SIZE [--cafile CA] [--timeout S]: sends
the file SEND and, at the same time from a second thread, receives SIZE
bytes into RECV. With --cafile it speaks TLS itself (Python's ssl),
verifying the name localhost. OpenSSL does not allow two threads in one
connection at once, so each SSL call is made under a lock on a non-blocking
socket, and each thread waits for the socket outside it. Exit 0 when both
directions completed; an error when either makes no progress for S seconds."""
import select, socket, ssl, sys, threading, time

port, send_path, recv_path, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
args = sys.argv[5:]
cafile = args[args.index("--cafile") + 1] if "--cafile" in args else None
limit = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 20.0
data = open(send_path, "rb").read()
s = socket.create_connection(("127.0.0.1", port), timeout=limit)
if cafile:
    ctx = ssl.create_default_context(cafile=cafile)
    s = ctx.wrap_socket(s, server_hostname="localhost")
s.setblocking(False)
lock = threading.Lock()
errs, sent, got = [], [0], [0]
WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def call(fn, *a):
    """fn under the lock; None if it would block (after a short wait)."""
    with lock:
        try:
            return fn(*a)
        except WOULD_BLOCK:
            pass
    select.select([s], [s] if fn == s.send else [], [], 0.05)
    return None


def writer():
    last = time.monotonic()
    try:
        while sent[0] < len(data):
            n = call(s.send, data[sent[0]:sent[0] + 65536])
            if n:
                sent[0] += n
                last = time.monotonic()
            elif time.monotonic() - last > limit:
                raise TimeoutError("no progress for %g s" % limit)
    except Exception as e:
        errs.append("send after %d bytes: %r" % (sent[0], e))


def reader():
    last = time.monotonic()
    try:
        with open(recv_path, "wb") as f:
            while got[0] < size:
                b = call(s.recv, min(65536, size - got[0]))
                if b is None:
                    if time.monotonic() - last > limit:
                        raise TimeoutError("no progress for %g s" % limit)
                    continue
                if not b:
                    errs.append("end of stream after %d bytes" % got[0])
                    break
                f.write(b)
                got[0] += len(b)
                last = time.monotonic()
    except Exception as e:
        errs.append("recv after %d bytes: %r" % (got[0], e))


t0 = time.monotonic()
threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("sent %d, received %d in %.2f s%s" % (sent[0], got[0], time.monotonic() - t0,
      "".join("; " + e for e in errs)))
s.close()
sys.exit(1 if errs else 0)
