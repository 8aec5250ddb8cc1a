#!/usr/bin/env python3
"""Reads what an outside scanner reported about a server under attls and
judges it. One line per check on stdout, "ok<TAB>what" or "FAIL<TAB>what";
exit status 1 when any check fails.

sslscan XML SUITES GROUPS: sslscan's --xml report. SUITES: a file of
  "VERSION NAME" lines (OpenSSL names), exactly the suites that must be
  accepted; GROUPS: the key exchange groups (sslscan's names, comma
  separated) that must be accepted in TLS 1.2 and in TLS 1.3.
testssl JSON SUITES: testssl.sh's --jsonfile report (flat).
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

failed = False


def check(ok, what):
    global failed
    failed |= not ok
    print(f"{'ok' if ok else 'FAIL'}\t{what}")


def suites(path):
    return {tuple(line.split()) for line in open(path) if line.strip()}


def fmt(pairs):
    return " ".join(sorted(f"{v}:{n}" for v, n in pairs)) or "none"


def sslscan(xml, suites_file, groups):
    t = ET.parse(xml).getroot().find("ssltest")
    on = {f"{p.get('type')}{p.get('version')}": p.get("enabled") == "1"
          for p in t.findall("protocol")}
    for p in ("ssl2", "ssl3", "tls1.0", "tls1.1"):
        check(on.get(p) is False, f"{p} disabled")
    for p in ("tls1.2", "tls1.3"):
        check(on.get(p) is True, f"{p} enabled")
    got = {(c.get("sslversion"), c.get("cipher")) for c in t.findall("cipher")}
    want = suites(suites_file)
    check(got == want, f"accepted suites: {fmt(got)}"
          + ("" if got == want else f" (want {fmt(want)})"))
    want_groups = set(groups.split(","))
    for v in ("TLSv1.2", "TLSv1.3"):
        g = {x.get("name").split(" ")[0] for x in t.findall("group") if x.get("sslversion") == v}
        check(g == want_groups, f"{v} groups: {' '.join(sorted(g)) or 'none'}"
              + ("" if g == want_groups else f" (want {' '.join(sorted(want_groups))})"))
    r = t.find("renegotiation")
    check(r is not None and r.get("supported") == "0",
          f"no renegotiation (supported={r.get('supported') if r is not None else '?'})")
    hb = [h.get("vulnerable") for h in t.findall("heartbleed")]
    check(hb and all(v == "0" for v in hb), "not vulnerable to heartbleed")


AEAD = {"AESGCM", "ChaCha20", "AESCCM", "AESCCM8"}


def testssl(path, suites_file):
    findings = json.load(open(path))
    by_id = {f["id"]: f for f in findings}
    for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        f = by_id.get(p, {}).get("finding", "missing")
        check(f.startswith("not offered"), f"{p}: {f}")
    for p in ("TLS1_2", "TLS1_3"):
        f = by_id.get(p, {}).get("finding", "missing")
        check(f.startswith("offered"), f"{p}: {f}")
    for i, f in by_id.items():
        if i.startswith("cipherlist_") and i != "cipherlist_STRONG":
            check(f["finding"].startswith("not offered"), f"{i}: {f['finding']}")
    got = set()
    for i, f in by_id.items():
        if not i.startswith("cipher_x"):
            continue
        # "x1301 TLS_AES_128_GCM_SHA256 ECDH 253 AESGCM 128 TLS_AES_..."
        m = re.match(r"x\S+\s+(\S+)\s+(\S+)(?:\s+\d+)?\s+(\S+)\s+(\d+)", f["finding"])
        if not m:
            check(False, f"{i}: cannot read {f['finding']!r}")
            continue
        name, kx, enc = m.group(1), m.group(2), m.group(3)
        version = "TLSv1.3" if name.startswith("TLS_") else "TLSv1.2"
        got.add((version, name))
        check(kx in ("ECDH", "DH") and enc in AEAD,
              f"{name}: forward secret ({kx}) and AEAD ({enc})")
    want = suites(suites_file)
    check(got == want, f"suites offered: {fmt(got)}"
          + ("" if got == want else f" (want {fmt(want)})"))
    for f in findings:
        if f["severity"] not in ("OK", "INFO"):
            check(False, f"{f['id']}: {f['severity']}: {f['finding']}")
    check(True, f"{len(findings)} findings, none above INFO"
          if not failed else f"{len(findings)} findings read")


if sys.argv[1] == "sslscan":
    sslscan(*sys.argv[2:5])
else:
    testssl(*sys.argv[2:4])
sys.exit(1 if failed else 0)
