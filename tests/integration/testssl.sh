#!/usr/bin/env bash
# testssl.sh (Debian's) against servers under attls at the default
# security level, ECDSA and RSA keys: protocols, cipher categories, forward
# secrecy, vulnerabilities and each suite. Any protocol below TLS 1.2, any
# suite without forward secrecy or without AEAD, any finding above INFO
# fails; the suites must be exactly those the level defines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scanners.sh"
scan_servers || exit 1
for key in ecdsa rsa; do
	port=$EC_PORT
	[ $key = rsa ] && port=$RSA_PORT
	level_suites $key >"$WORK/level.$key"
	start=$(date +%s)
	timeout 240 testssl --quiet --color 0 --warnings off --protocols --std --fs --vulnerable \
		--each-cipher --add-ca "$PKI/ca.pem" --jsonfile "$WORK/testssl.$key.json" \
		"127.0.0.1:$port" >"$WORK/testssl.$key.txt" 2>&1
	say "$key: testssl.sh ran $(($(date +%s) - start)) s"
	python3 "$(dirname "$0")/py/scan_check.py" testssl "$WORK/testssl.$key.json" \
		"$WORK/level.$key" >"$WORK/verdict" 2>&1
	rc=$?
	judged "testssl.sh $key" <"$WORK/verdict"
	check "testssl.sh $key: its report was read and judged (exit $rc)" [ $rc = 0 ]
done
finish
