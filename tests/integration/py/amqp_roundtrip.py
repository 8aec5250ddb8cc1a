#!/usr/bin/env python3
"""amqp_roundtrip.py PORT [--cafile CA]: with pika (Debian's python3-pika),
publishes messages of 1 B, 1 KiB, 64 KiB, 1 MiB and 16 MiB of random bytes
to an exclusive queue with publisher confirms, takes them back and compares
each by SHA-256. With --cafile it speaks TLS itself (pika.SSLOptions,
server_hostname localhost). Exit 0 when every message came back intact."""
import hashlib, os, ssl, sys, time
import pika

port = int(sys.argv[1])
cafile = sys.argv[sys.argv.index("--cafile") + 1] if "--cafile" in sys.argv else None
params = dict(host="127.0.0.1", port=port, socket_timeout=10, stack_timeout=20,
              blocked_connection_timeout=30, connection_attempts=1)
if cafile:
    ctx = ssl.create_default_context(cafile=cafile)
    params["ssl_options"] = pika.SSLOptions(ctx, "localhost")
sizes = [1, 1024, 65536, 1048576, 16777216]
t0 = time.monotonic()
conn = pika.BlockingConnection(pika.ConnectionParameters(**params))
ch = conn.channel()
ch.confirm_delivery()
q = ch.queue_declare("", exclusive=True).method.queue
sent = []
for n in sizes:
    body = os.urandom(n)
    ch.basic_publish("", q, body, mandatory=True)
    sent.append((n, hashlib.sha256(body).hexdigest()))
ok = True
for n, digest in sent:
    body = None
    for _ in range(100):
        m, _, body = ch.basic_get(q, auto_ack=True)
        if m:
            break
        conn.sleep(0.1)
    got = hashlib.sha256(body).hexdigest() if body is not None else "nothing"
    same = got == digest
    ok = ok and same
    print("%9d B: %s %s" % (n, "sha256 equal" if same else "DIFFERS", got[:16]))
conn.close()
print("%s in %.2f s" % ("all intact" if ok else "FAILED", time.monotonic() - t0))
sys.exit(0 if ok else 1)
