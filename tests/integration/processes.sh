#!/usr/bin/env bash
# Process shapes: a forking server whose parent closes each accepted fd; a
# relay that reads 8 KiB at a time from 16 KiB records and waits in
# select(); a server that writes a lot and closes at once (nothing lost);
# on a TLS fd whose close-on-exec the program cleared, F_GETFD says it is
# clear while the kernel's flag stays set (only attls's exec hooks clear it,
# handing the session over: exec_handoff.sh).
source "$(dirname "$0")/lib.sh"
make_pki
PY=$(dirname "$0")/py
F=$(free_port) R=$(free_port) B=$(free_port) D=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic tls_in]
direction = inbound
local_port = $F, $R, $D
keyring = srv
EOF2

bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" python3 "$PY/forking_server.py" "$F"
wait_port "$F" || exit 1
for i in 1 2 3; do
	out=$(echo "hello$i" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$F" \
		-CAfile "$PKI/ca.pem" -verify_return_error 2>/dev/null)
	check "forking server, connection $i: the child answers over TLS" grep -q "echo=hello$i" <<<"$out"
done
check "a TLS fd whose close-on-exec the program cleared: F_GETFD says clear, the kernel's flag stays" \
	grep -q "cloexec=0 kernel=1" <<<"$out"

bg python3 "$PY/sink_server.py" "$B"
bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" python3 "$PY/relay.py" "$R" "$B"
wait_port "$B" && wait_port "$R" || exit 1
out=$(timeout 60 python3 "$PY/tls_send_client.py" "$R" "$PKI/ca.pem" 4000000)
check "select() relay, 8 KiB reads of 16 KiB records: 4 MB arrive intact ($out)" grep -q "got 4000000: same" <<<"$out"

bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" python3 "$PY/bulk_server.py" "$D" 33554432 2
wait_port "$D" || exit 1
for i in 1 2; do
	out=$(timeout 60 python3 "$PY/tls_read_all.py" "$D" "$PKI/ca.pem" 33554432)
	check "write 32 MiB and close at once, run $i: nothing lost ($out)" grep -q "received 33554432 of 33554432 intact" <<<"$out"
	check "run $i: the end came as close_notify" bash -c "! grep -q 'without close_notify' <<<'$out'"
done
finish
