#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A large policy as a big installation would have one: N sections in all,
most of them [traffic] descriptors (one port each, in and out, some with
address lists, user and job names, priorities, exemptions), sharing a few
[keyring] and [security] sections.
  gen_policy.py N PKI_DIR > policy.ini
PKI_DIR holds ca.pem, server.pem and server.key (tests/integration/lib.sh
make_pki)."""
import sys

n, pki = int(sys.argv[1]), sys.argv[2]
rings = max(1, min(20, n // 5000))
levels = max(1, min(10, n // 10000))
out = sys.stdout
out.write("[global]\ntrace = error\nhandshake_timeout = 10s\n\n")
for k in range(rings):
    out.write(f"[keyring ring{k}]\ncert = {pki}/server.pem\nkey = {pki}/server.key\n"
              f"ca = {pki}/ca.pem\n\n")
for s in range(levels):
    auth = ("none", "optional", "required")[s % 3]
    out.write(f"[security level{s}]\nprotocols = TLSv1.2, TLSv1.3\nclient_auth = {auth}\n\n")
for i in range(n - 1 - rings - levels):
    port = 1024 + i % 60000
    out.write(f"[traffic t{i}]\n")
    if i % 2:
        out.write(f"direction = outbound\nremote_port = {port}\nserver_name = h{i}.example\n")
        out.write(f"remote_addr = 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}, 2001:db8::{i % 65536:x}/128\n")
    else:
        out.write(f"direction = inbound\nlocal_port = {port}-{port + 3}\n")
    if i % 7 == 0:
        out.write(f"jobname = JOB{i % 97}*\n")
    if i % 11 == 0:
        out.write("user = root\n")
    if i % 13 == 0:
        out.write("enabled = no\n")
    out.write(f"keyring = ring{i % rings}\nsecurity = level{i % levels}\n"
              f"priority = {i % 1000}\n\n")
