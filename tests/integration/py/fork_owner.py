#!/usr/bin/env python3
"""A server that forks with a TLS connection, and the client that checks it.

fork_owner.py server PORT MODE
    accepts one connection, writes a greeting, forks; the parent writes
    PARENT-SECRET-0..2, one every 0.5 s; the child (MODE):
      noexec      1 s later writes CHILD-SECRET-A, B itself;
      parentfirst 1 s later execs python3, which writes them;
      childfirst  at once execs sh, whose echo writes them (the parent
                  starts 1 s later);
      pending     no fork here: dup2s it to 7 and execs sh, which forks a
                  subshell before either uses the session handed over; the
                  subshell writes CHILD-SECRET-A 0.5 s later, sh at once
                  PARENT-SECRET-0, then 1 s later PARENT-SECRET-2.
    Each write's outcome is printed ("parent write 0 ok", "child write
    EPIPE", ...). The parent waits for the child, then closes.
fork_owner.py client PORT CA [1.2]
    a verifying TLS client (TLS 1.3, or 1.2 with AES-GCM) that reads to the
    end: prints each line received, then "end=close_notify", "end=eof" or
    "end=error: ..." (a record that does not decrypt says "bad record mac").
fork_owner.py nonces FILE
    FILE holds what the server sent (TLS 1.2, AES-GCM): prints
    "records=N repeated=M", M the application data records whose explicit
    nonce another record had; exits 1 if M > 0.
"""
import os, socket, ssl, sys, time


def server(port, mode):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    ls.settimeout(30)
    c, _ = ls.accept()
    c.sendall(b"GREETING-FROM-PARENT\n")
    if mode == "pending":
        os.dup2(c.fileno(), 7)
        os.execv("/bin/sh", ["sh", "-c", "(sleep 0.5; echo CHILD-SECRET-A >&7) & "
                             "echo PARENT-SECRET-0 >&7; sleep 1; echo PARENT-SECRET-2 >&7; wait"])
    pid = os.fork()
    if pid == 0:
        fd = c.fileno()
        os.set_inheritable(fd, True)
        if mode == "childfirst":
            os.execv("/bin/sh", ["sh", "-c", "echo CHILD-SECRET-A >&%d; sleep 2; "
                                 "echo CHILD-SECRET-B >&%d || echo child write failed" % (fd, fd)])
        time.sleep(1.0)
        if mode == "parentfirst":
            os.execv(sys.executable, [sys.executable, "-c",
                     "import os, time\n"
                     "for m in (b'CHILD-SECRET-A\\n', b'CHILD-SECRET-B\\n'):\n"
                     "    try:\n"
                     "        os.write(%d, m); print('child write ok', flush=True)\n"
                     "    except OSError as e:\n"
                     "        print('child write', os.strerror(e.errno), flush=True)\n"
                     "    time.sleep(1)\n" % fd])
        for m in (b"CHILD-SECRET-A\n", b"CHILD-SECRET-B\n"):
            try:
                c.send(m)
                print("child write ok", flush=True)
            except OSError as e:
                print("child write", os.strerror(e.errno), flush=True)
            time.sleep(1)
        os._exit(0)
    if mode == "childfirst":
        time.sleep(1.0)
    for i in range(3):
        try:
            c.send(b"PARENT-SECRET-%d\n" % i)
            print("parent write", i, "ok", flush=True)
        except OSError as e:
            print("parent write", i, os.strerror(e.errno), flush=True)
        time.sleep(0.5)
    os.waitpid(pid, 0)
    c.close()


def client(port, ca, v12):
    ctx = ssl.create_default_context(cafile=ca)
    if v12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE+AESGCM")
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                        server_hostname="localhost")
    buf = b""
    end = "eof"
    try:
        while True:
            d = s.recv(4096)
            if not d:
                end = "close_notify"
                break
            buf += d
    except ssl.SSLEOFError:
        end = "eof"
    except (ssl.SSLError, OSError) as e:
        end = "error: %s" % (getattr(e, "reason", None) or e)
    for line in buf.decode(errors="replace").splitlines():
        print(line)
    print("end=%s" % end, flush=True)


def nonces(path):
    data = open(path, "rb").read()
    i, seen, records, repeated = 0, set(), 0, 0
    while i + 5 <= len(data):
        length = (data[i + 3] << 8) | data[i + 4]
        if data[i] == 23 and length >= 8:
            records += 1
            n = data[i + 5:i + 13]
            if n in seen:
                repeated += 1
            seen.add(n)
        i += 5 + length
    print("records=%d repeated=%d" % (records, repeated))
    sys.exit(1 if repeated else 0)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "client":
        client(int(sys.argv[2]), sys.argv[3], len(sys.argv) > 4 and sys.argv[4] == "1.2")
    else:
        nonces(sys.argv[2])
