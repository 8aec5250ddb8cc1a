#!/usr/bin/env python3
"""N native TLS clients held open at once against an echo server.

many_clients.py PORT N SIZE CA: opens N connections, waits until every
handshake is done, then each sends SIZE random bytes and checks the echo.
Prints a summary; exits 1 unless every connection got its bytes back.
"""
import asyncio
import os
import ssl
import sys


async def main(port, n, size, ca):
    ctx = ssl.create_default_context(cafile=ca)
    opened = asyncio.Event()
    count = 0
    intact = 0

    async def one(i):
        nonlocal count, intact
        reader, writer = await asyncio.open_connection("localhost", port, ssl=ctx)
        count += 1
        if count == n:
            opened.set()
        await opened.wait()
        payload = os.urandom(size)
        writer.write(payload)
        await writer.drain()
        got = await reader.readexactly(size)
        intact += got == payload
        writer.close()
        await writer.wait_closed()

    results = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    print(f"{count} connections open at once, {intact} echoed intact, {len(errors)} errors")
    for e in errors[:3]:
        print("error:", repr(e))
    return intact == n


port, n, size, ca = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.exit(0 if asyncio.run(asyncio.wait_for(main(port, n, size, ca), 120)) else 1)
