#!/usr/bin/env python3
"""A clear-text program that uses the socket calls event loops use. Run
under attls with a policy that makes ports ECHO, HALF, RELAY and BAD TLS
(tls_peer.py serves the first three, BAD serves a certificate that fails).

syscalls.py ECHO HALF RELAY BAD RECORDS_LOG WORKDIR
Prints "ok NAME" or "FAIL NAME: why" per check; exits 1 on any FAIL.
"""
import ctypes
import errno
import fcntl
import hashlib
import os
import select
import socket
import sys
import termios
import threading
import time

ECHO, HALF, RELAY, BAD = (int(a) for a in sys.argv[1:5])
RECORDS, WORK = sys.argv[5], sys.argv[6]
failures = 0


def report(name, ok, why=""):
    global failures
    print(f"ok {name}" if ok else f"FAIL {name}: {why}", flush=True)
    failures += not ok


def connect(port):
    """A blocking socket, as a plain program makes one."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.settimeout(None)
    return s


def recv_exactly(s, n, flags=0):
    out = b""
    while len(out) < n:
        data = s.recv(n - len(out), flags)
        if not data:
            break
        out += data
    return out


def check(name):
    def wrap(fn):
        try:
            fn(name)
        except Exception as e:  # a check that raises has failed
            report(name, False, repr(e))
        return fn
    return wrap


@check("sendfile with an offset sends that slice and leaves the file position")
def _(name):
    data = os.urandom(1 << 20)
    path = os.path.join(WORK, "file.bin")
    with open(path, "wb") as f:
        f.write(data)
    s = connect(ECHO)
    fd = os.open(path, os.O_RDONLY)
    off, end = 1000, 1000 + 500000
    while off < end:
        off += os.sendfile(s.fileno(), fd, off, end - off)
    got = recv_exactly(s, 500000)
    pos = os.lseek(fd, 0, os.SEEK_CUR)
    report(name, got == data[1000:end] and pos == 0, f"same={got == data[1000:end]} pos={pos}")
    # No offset: from the file position, which moves.
    os.lseek(fd, 4096, os.SEEK_SET)
    sent = 0
    while sent < 100000:
        sent += os.sendfile(s.fileno(), fd, None, 100000 - sent)
    got = recv_exactly(s, 100000)
    pos = os.lseek(fd, 0, os.SEEK_CUR)
    report("sendfile without an offset moves the file position",
           got == data[4096:104096] and pos == 104096, f"pos={pos}")
    os.close(fd)
    s.close()


@check("copy_file_range to a TLS socket sends the slice, offsets right")
def _(name):
    data = os.urandom(300000)
    path = os.path.join(WORK, "cfr.bin")
    with open(path, "wb") as f:
        f.write(data)
    s = connect(ECHO)
    fd = os.open(path, os.O_RDONLY)
    done = 0
    while done < 200000:
        done += os.copy_file_range(fd, s.fileno(), 200000 - done, 50000 + done)
    got = recv_exactly(s, 200000)
    report(name, got == data[50000:250000] and os.lseek(fd, 0, os.SEEK_CUR) == 0)
    os.close(fd)
    s.close()


@check("splice from a pipe to a TLS socket, and from it to a pipe")
def _(name):
    data = os.urandom(200000)
    s = connect(ECHO)
    r, w = os.pipe()

    def feed():
        with os.fdopen(w, "wb") as f:
            f.write(data)

    t = threading.Thread(target=feed)
    t.start()
    sent = 0
    while sent < len(data):
        n = os.splice(r, s.fileno(), len(data) - sent)
        if n == 0:
            break
        sent += n
    t.join()
    os.close(r)
    r2, w2 = os.pipe()
    got = b""
    while len(got) < len(data):
        n = os.splice(s.fileno(), w2, min(65536, len(data) - len(got)))
        if n <= 0:
            break
        got += os.read(r2, n)
    report(name, sent == len(data) and got == data, f"sent={sent} got={len(got)}")
    os.close(r2)
    os.close(w2)
    s.close()


@check("MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT and FIONREAD")
def _(name):
    s = connect(ECHO)
    data = os.urandom(50000)
    s.sendall(data)
    peek = s.recv(100, socket.MSG_PEEK)
    avail = fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0")
    avail = int.from_bytes(avail, sys.byteorder)
    first = s.recv(len(peek))
    rest = s.recv(len(data) - len(first), socket.MSG_WAITALL)
    try:
        s.recv(10, socket.MSG_DONTWAIT)
        empty = False
    except BlockingIOError:
        empty = True
    ok = peek == first == data[:len(peek)] and first + rest == data and empty and \
        len(peek) <= avail <= 16384
    report(name, ok, f"peek={len(peek)} fionread={avail} rest={len(rest)} empty={empty}")
    s.close()


@check("recvmsg into several buffers")
def _(name):
    s = connect(ECHO)
    data = os.urandom(3000)
    s.sendall(data)
    time.sleep(0.2)
    bufs = [bytearray(1000) for _ in range(3)]
    got = b""
    while len(got) < 3000:
        n = s.recvmsg_into(bufs)[0]
        got += b"".join(bytes(b) for b in bufs)[:n]
    report(name, got == data)
    s.close()


class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]


@check("sendmmsg and recvmmsg")
def _(name):
    libc = ctypes.CDLL(None, use_errno=True)
    s = connect(ECHO)
    parts = [os.urandom(n) for n in (10, 2000, 30000)]
    bufs = [ctypes.create_string_buffer(p, len(p)) for p in parts]
    iovs = [iovec(ctypes.cast(b, ctypes.c_void_p), len(p)) for b, p in zip(bufs, parts)]
    vec = (mmsghdr * 3)()
    for i in range(3):
        vec[i].hdr.iov = ctypes.pointer(iovs[i])
        vec[i].hdr.iovlen = 1
    n = libc.sendmmsg(s.fileno(), vec, 3, 0)
    sent = n == 3 and [vec[i].len for i in range(3)] == [10, 2000, 30000]
    want = b"".join(parts)
    got = b""
    rbufs = [ctypes.create_string_buffer(16384) for _ in range(4)]
    riovs = [iovec(ctypes.cast(b, ctypes.c_void_p), 16384) for b in rbufs]
    rvec = (mmsghdr * 4)()
    for i in range(4):
        rvec[i].hdr.iov = ctypes.pointer(riovs[i])
        rvec[i].hdr.iovlen = 1
    while len(got) < len(want):
        m = libc.recvmmsg(s.fileno(), rvec, 4, 0x10000, None)  # MSG_WAITFORONE
        if m <= 0:
            break
        for i in range(m):
            got += rbufs[i].raw[:rvec[i].len]
    report(name, sent and got == want, f"sendmmsg={n} got={len(got)}")
    s.close()


@check("writev with 100 small iovecs goes out in few records, not 100")
def _(name):
    def lines():
        try:
            with open(RECORDS) as f:
                return f.read().split("\n")[:-1]
        except FileNotFoundError:
            return []

    before = len(lines())
    s = connect(RELAY)
    parts = [os.urandom(100) for _ in range(100)]
    s.sendmsg(parts)
    got = recv_exactly(s, 10000)
    s.close()
    # The relay writes its count when it sees the end: a loaded machine
    # may take a while (under AddressSanitizer, with other runs, more than
    # 10 s was seen).
    deadline = time.monotonic() + 30
    while len(lines()) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    records = int(lines()[-1].split()[-1]) if len(lines()) > before else -1
    # One for the data, and the handshake's Finished and close_notify.
    report(name, got == b"".join(parts) and 0 <= records <= 4, f"records={records}")


@check("TCP_CORK and MSG_MORE: held pieces go at uncork, or when the program waits")
def _(name):
    s = connect(ECHO)
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    for piece in (b"one ", b"two ", b"three "):
        s.send(piece)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
    s.setblocking(True)
    uncorked = recv_exactly(s, 14) == b"one two three "
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    s.send(b"held ", socket.MSG_MORE)
    s.send(b"back")
    # Still corked: waiting for the answer must send what was held.
    r, _, _ = select.select([s], [], [], 5)
    s.setblocking(True)
    waited = bool(r) and recv_exactly(s, 9) == b"held back"
    report(name, uncorked and waited, f"uncorked={uncorked} waited={waited}")
    s.close()


@check("shutdown(SHUT_WR) sends close_notify and reading goes on")
def _(name):
    s = connect(HALF)
    data = os.urandom(123456)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    answer = s.recv(1000).decode().split()
    end = s.recv(10)
    report(name, answer == [str(len(data)), hashlib.sha256(data).hexdigest()] and end == b"",
           f"answer={answer} end={end!r}")
    s.close()


@check("non-blocking connect: EINPROGRESS, then SO_ERROR 0 and data")
def _(name):
    s = socket.socket()
    s.setblocking(False)
    r = s.connect_ex(("127.0.0.1", ECHO))
    _, w, _ = select.select([], [s], [], 10)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    s.setblocking(True)
    s.sendall(b"ping")
    ok = r == errno.EINPROGRESS and w and err == 0 and recv_exactly(s, 4) == b"ping"
    report(name, ok, f"connect={r} writable={bool(w)} so_error={err}")
    s.close()


@check("non-blocking connect to a peer that fails verification: SO_ERROR says so")
def _(name):
    s = socket.socket()
    s.setblocking(False)
    r = s.connect_ex(("127.0.0.1", BAD))
    deadline = time.time() + 10
    err = 0
    while time.time() < deadline:
        _, w, _ = select.select([], [s], [], 1)
        if w:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            break
    ok = r == errno.EINPROGRESS and err != 0
    report(name, ok, f"connect={r} so_error={err}")
    s.close()


@check("backpressure: a peer that does not read makes send say EAGAIN; nothing lost")
def _(name):
    s = connect(HALF)
    s.setblocking(False)
    block = os.urandom(65536)
    h = hashlib.sha256()
    accepted = 0
    while accepted < 64 << 20:
        try:
            n = s.send(block)
        except BlockingIOError:
            break
        h.update(block[:n])
        accepted += n
    bounded = accepted < 16 << 20
    s.setblocking(True)
    s.shutdown(socket.SHUT_WR)
    answer = s.recv(1000).decode().split()
    ok = bounded and answer == [str(accepted), h.hexdigest()]
    report(name, ok, f"accepted={accepted} answer={answer}")
    s.close()


@check("bytes a write accepted are sent while the program waits only for input")
def _(name):
    s = connect(ECHO)
    s.setblocking(False)
    data = os.urandom(2 << 20)
    sent = 0
    got = b""
    deadline = time.time() + 20
    while len(got) < len(data) and time.time() < deadline:
        if sent < len(data):
            try:
                sent += s.send(data[sent:sent + 262144])
            except BlockingIOError:
                pass
        # Only input is waited for.
        r, _, _ = select.select([s], [], [], 1)
        if r:
            try:
                got += s.recv(1 << 20)
            except BlockingIOError:
                pass
    report(name, got == data, f"sent={sent} got={len(got)}")
    s.close()


@check("epoll: edge-triggered, one-shot, and one fd in two epoll sets")
def _(name):
    s = connect(ECHO)
    s.setblocking(False)
    et = select.epoll()
    one = select.epoll()
    et.register(s.fileno(), select.EPOLLIN | select.EPOLLET)
    one.register(s.fileno(), select.EPOLLIN | select.EPOLLONESHOT)
    s.send(b"x" * 50000)
    got = b""
    while len(got) < 50000:
        if not et.poll(5):
            break
        while True:  # edge-triggered: read until EAGAIN
            try:
                data = s.recv(7000)
            except BlockingIOError:
                break
            if not data:
                break
            got += data
    et_ok = got == b"x" * 50000
    quiet = et.poll(0.3) == []
    s.send(b"y")
    # Both sets see the new data; the one-shot set once, until re-armed.
    edge = et.poll(2)
    first = one.poll(2)
    second = one.poll(0.3)
    one.modify(s.fileno(), select.EPOLLIN | select.EPOLLONESHOT)
    third = one.poll(1)
    ok = et_ok and quiet and len(edge) == 1 and len(first) == 1 and second == [] and \
        len(third) == 1 and s.recv(10) == b"y"
    report(name, ok, f"et={et_ok} quiet={quiet} edge={len(edge)} "
           f"oneshot={len(first)},{len(second)},{len(third)}")
    et.close()
    one.close()
    s.close()


class epoll_event(ctypes.Structure):
    _pack_ = 1  # packed on x86-64, as the kernel has it
    _fields_ = [("events", ctypes.c_uint32), ("data", ctypes.c_uint64)]


class timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]


@check("epoll_pwait2: waits its timeout, then reports the program's data")
def _(name):
    libc = ctypes.CDLL(None, use_errno=True)
    s = connect(ECHO)
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLIN)
    evs = (epoll_event * 4)()
    start = time.monotonic()
    idle = libc.epoll_pwait2(ep.fileno(), evs, 4, ctypes.byref(timespec(0, 300000000)), None)
    waited = time.monotonic() - start
    s.send(b"z")
    n = libc.epoll_pwait2(ep.fileno(), evs, 4, ctypes.byref(timespec(5, 0)), None)
    ok = idle == 0 and waited >= 0.29 and n == 1 and evs[0].events & select.EPOLLIN and \
        evs[0].data & 0xffffffff == s.fileno() and s.recv(1) == b"z"
    report(name, ok, f"idle={idle} waited={waited:.2f} n={n} data={evs[0].data:#x}")
    ep.close()
    s.close()


@check("epoll in one thread, reads in another: each new message is reported")
def _(name):
    s = connect(ECHO)
    s.setblocking(False)
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLIN | select.EPOLLET)
    events = threading.Semaphore(0)
    stop_r, stop_w = os.pipe()
    ep.register(stop_r, select.EPOLLIN)

    def waiter():
        # No timeout: only the kernel or the shim can wake it.
        while True:
            fds = [fd for fd, _ in ep.poll(-1)]
            if stop_r in fds:
                return
            events.release()

    t = threading.Thread(target=waiter)
    t.start()
    rounds = 0
    for i in range(5):
        msg = f"round {i} ".encode() * 3000
        s.send(msg)
        got = b""
        while len(got) < len(msg):
            if not events.acquire(timeout=5):
                break
            while True:  # edge-triggered: read until EAGAIN
                try:
                    got += s.recv(1000)
                except BlockingIOError:
                    break
        rounds += got == msg
    os.write(stop_w, b"x")
    t.join()
    os.close(stop_r)
    os.close(stop_w)
    report(name, rounds == 5, f"rounds={rounds}")
    ep.close()
    s.close()


@check("threads: fds closed and reused by other threads keep their own data")
def _(name):
    bad = []

    def worker(tag):
        for i in range(30):
            s = connect(ECHO)
            msg = f"{tag}:{i}:".encode() * 200
            s.sendall(msg)
            if recv_exactly(s, len(msg)) != msg:
                bad.append((tag, i))
            s.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report(name, not bad, f"mixed up: {bad[:3]}")


@check("one session, two threads: one reads while the other writes")
def _(name):
    s = connect(ECHO)
    data = os.urandom(4 << 20)
    got = []

    def reader():
        got.append(recv_exactly(s, len(data)))

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    t.join()
    report(name, got and got[0] == data)
    s.close()


sys.exit(1 if failures else 0)
