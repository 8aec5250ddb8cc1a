#!/usr/bin/env python3
"""Prints the CPU time (ms) that PIDs used over SECONDS: pids..., seconds."""
import os
import sys
import time


def ticks(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


pids, seconds = sys.argv[1:-1], float(sys.argv[-1])
before = ticks(pids)
time.sleep(seconds)
print((ticks(pids) - before) * 1000 // os.sysconf("SC_CLK_TCK"))
