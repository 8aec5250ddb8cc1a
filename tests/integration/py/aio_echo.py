#!/usr/bin/env python3
"""An asyncio echo server, and a client that checks what comes back.

server PORT [CERT KEY]: echoes every byte; with CERT and KEY, over native TLS.
client PORT SIZES... [--ca CA]: one connection per size (bytes), sends that
many random bytes, and checks the echo by SHA-256. With --ca, native TLS.
Prints one line per size and exits 1 on any mismatch.
"""
import asyncio
import hashlib
import os
import ssl
import sys


async def echo(reader, writer):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def serve(port, cert=None, key=None):
    ctx = None
    if cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(echo, "127.0.0.1", port, ssl=ctx)
    async with server:
        await server.serve_forever()


async def one(port, size, ctx):
    reader, writer = await asyncio.open_connection(
        "localhost", port, ssl=ctx, server_hostname="localhost" if ctx else None)
    payload = os.urandom(size)

    async def send():
        for i in range(0, size, 100000):
            writer.write(payload[i:i + 100000])
            await writer.drain()

    sender = asyncio.create_task(send())
    got = hashlib.sha256()
    n = 0
    while n < size:
        data = await reader.read(65536)
        if not data:
            break
        got.update(data)
        n += len(data)
    await sender
    writer.close()
    ok = n == size and got.digest() == hashlib.sha256(payload).digest()
    print(f"size={size} received={n} {'intact' if ok else 'CORRUPT'}")
    return ok


async def run_clients(port, sizes, ca):
    ctx = ssl.create_default_context(cafile=ca) if ca else None
    results = await asyncio.gather(*(one(port, s, ctx) for s in sizes))
    return all(results)


def main():
    if sys.argv[1] == "server":
        asyncio.run(serve(int(sys.argv[2]), *sys.argv[3:5]))
        return 0
    args = sys.argv[2:]
    ca = None
    if "--ca" in args:
        i = args.index("--ca")
        ca = args[i + 1]
        del args[i:i + 2]
    port = int(args[0])
    ok = asyncio.run(asyncio.wait_for(run_clients(port, [int(a) for a in args[1:]], ca), 60))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
