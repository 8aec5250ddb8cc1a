#!/usr/bin/env python3
"""Opens N native TLS connections to PORT and holds them, idle, until its
standard input closes. Prints "open N" once they all are."""
import asyncio
import ssl
import sys


async def main(port, n, ca):
    ctx = ssl.create_default_context(cafile=ca)
    gate = asyncio.Semaphore(200)
    conns = []

    async def one():
        async with gate:
            conns.append(await asyncio.open_connection("localhost", port, ssl=ctx))

    await asyncio.gather(*(one() for _ in range(n)))
    print(f"open {len(conns)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
