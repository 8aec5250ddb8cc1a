#!/usr/bin/env bash
# attls check refuses what a policy could weaken by a number or a name:
# cipher suites without encryption or authentication (named, or reached
# through a keyword wolfSSL expands), and a duration that would overflow.
source "$(dirname "$0")/lib.sh"
make_pki

# with_ciphers LIST: a policy, one server descriptor whose security has LIST.
with_ciphers() {
	policy "$WORK/c.ini" <<EOF2
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[security s]
ciphers = $1
[traffic t]
direction = inbound
local_port = 1
keyring = k
security = s
EOF2
	"$ATTLS" check "$WORK/c.ini" >"$WORK/check.out" 2>&1
}
for c in TLS13-SHA256-SHA256 TLS13-SHA384-SHA384 ECDHE-ECDSA-NULL-SHA ADH-AES128-SHA \
	ECDHE-PSK-AES128-GCM-SHA256 "TLS13-AES128-GCM-SHA256:ECDHE-ECDSA-NULL-SHA"; do
	with_ciphers "$c"
	rc=$?
	check "ciphers = $c: attls check exits 1 ($rc)" [ $rc -eq 1 ]
	bad=${c#*:}
	# The wolfSSL inside has no such suite compiled in: the name is unknown.
	check "ciphers = $c: the error is at its line and names $bad" \
		grep -q "c.ini:5: ciphers: .*$bad" "$WORK/check.out"
done
for kw in eNULL NULL "TLS13-AES128-GCM-SHA256:eNULL"; do
	with_ciphers "$kw"
	rc=$?
	check "ciphers = $kw: refused ($rc)" [ $rc -eq 1 ]
	check "ciphers = $kw: the error says no encryption" \
		grep -q "c.ini:5: ciphers: \"[e]*NULL\" asks for suites without encryption" "$WORK/check.out"
done
# wolfSSL's defaults: the suites it makes per session hold no weak one.
for kw in ALL DEFAULT HIGH; do
	with_ciphers "$kw"
	rc=$?
	check "ciphers = $kw (wolfSSL's defaults, AEAD only): passes ($rc)" [ $rc -eq 0 ]
done
with_ciphers "TLS13-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"
rc=$?
check "AEAD suites with certificates pass ($rc)" [ $rc -eq 0 ]
# Lists that could never make a handshake, or that lose a name silently.
with_ciphers ":"
check "ciphers = : names no suite: refused" grep -q 'c.ini:5: ciphers: ":" names no cipher suite' "$WORK/check.out"
with_ciphers "FOO:TLS13-AES128-GCM-SHA256"
check "ciphers = FOO:...: the unknown name is an error, not dropped" \
	grep -q 'c.ini:5: ciphers: "FOO" is no cipher suite this wolfSSL knows' "$WORK/check.out"
with_ciphers "TLS13-AES128-GCM-SHA256:!aNULL"
check "ciphers with an operator (!aNULL): refused, with what to do instead" \
	grep -q 'c.ini:5: ciphers: "!aNULL": this wolfSSL takes no operators' "$WORK/check.out"
sed -i 's/^\[security s\]$/[security s]\nprotocols = TLSv1.3/' "$WORK/c.ini"
sed -i 's/^ciphers = .*/ciphers = ECDHE-ECDSA-AES128-GCM-SHA256/' "$WORK/c.ini"
"$ATTLS" check "$WORK/c.ini" >"$WORK/check.out" 2>&1
check "TLS 1.2 suites only at a TLS 1.3 level: refused" \
	grep -q 'c.ini:6: ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" leaves no suite' "$WORK/check.out"

# 18446744073709552 s is 2^64 + 384 ms.
printf '[global]\nhandshake_timeout = 18446744073709552\n' >"$WORK/t.ini"
"$ATTLS" check "$WORK/t.ini" >"$WORK/check.out" 2>&1
rc=$?
check "an overflowing handshake_timeout: attls check exits 1 ($rc)" [ $rc -eq 1 ]
check "an overflowing handshake_timeout: the error is at its line" \
	grep -q 't.ini:2: handshake_timeout: "18446744073709552"' "$WORK/check.out"
printf '[global]\nhandshake_timeout = 60m\n[traffic t]\nlocal_port = 1\nenabled = no\n' >"$WORK/t.ini"
check "handshake_timeout = 60m passes" bash -c '"$0" check "$1" >/dev/null 2>&1' "$ATTLS" "$WORK/t.ini"

# A server whose policy names a NULL suite takes no connection at all.
S=$(free_port)
with_ciphers "ECDHE-ECDSA-NULL-SHA"
sed -i "s/^local_port = 1$/local_port = $S/" "$WORK/c.ini"
bg env ATTLS_CONFIG="$WORK/c.ini" LD_PRELOAD="$LIB" python3 -m http.server --bind 127.0.0.1 "$S"
wait_port "$S" || exit 1
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$S" -cipher 'ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0' \
	-tls1_2 </dev/null 2>&1)
check "a NULL suite in the policy: the server hands out no session" \
	bash -c "! grep -q 'Cipher is ECDHE-ECDSA-NULL-SHA' <<<\"\$1\"" x "$out"
stop "$BGPID"
finish
