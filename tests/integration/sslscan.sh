#!/usr/bin/env bash
# sslscan (Debian's) against servers under attls at the default security
# level, ECDSA and RSA keys: it must list TLS 1.2 and 1.3 enabled and every
# older protocol disabled, exactly the suites the level offers (as its
# definition in lib/tlsctx.c says, and as openssl s_client finds probing
# one suite at a time), the groups X25519, P-256, P-384 and P-521 in both
# versions, no renegotiation and no heartbleed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scanners.sh"
scan_servers || exit 1
for key in ecdsa rsa; do
	port=$EC_PORT
	[ $key = rsa ] && port=$RSA_PORT
	level_suites $key >"$WORK/level.$key"
	probe_suites "$port" | sort >"$WORK/probe.$key"
	check "$key: s_client's probe finds the suites the level defines ($(awk '{print $2}' "$WORK/probe.$key" | tr '\n' ' '))" \
		cmp -s "$WORK/level.$key" "$WORK/probe.$key"
	start=$(date +%s)
	timeout 240 sslscan --no-colour --xml="$WORK/sslscan.$key.xml" "127.0.0.1:$port" \
		>"$WORK/sslscan.$key.txt" 2>&1
	say "$key: sslscan ran $(($(date +%s) - start)) s"
	python3 "$(dirname "$0")/py/scan_check.py" sslscan "$WORK/sslscan.$key.xml" \
		"$WORK/level.$key" x25519,secp256r1,secp384r1,secp521r1 >"$WORK/verdict" 2>&1
	rc=$?
	judged "sslscan $key" <"$WORK/verdict"
	check "sslscan $key: its report was read and judged (exit $rc)" [ $rc = 0 ]
done
finish
