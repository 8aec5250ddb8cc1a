#!/usr/bin/env bash
# A connect from a linked library's constructor, which may run before
# attls's own: the engine's calls reach the kernel through lib/'s io table
# (lib/sysio.h), never the hooks, so no deadlock and no crash; the policy
# is loaded on that first connect and the connection gets TLS: the
# recorder sees a handshake and none of the clear text.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
make_pki
R=$(free_port)
cc -shared -fPIC -o "$WORK/libctor.so" "$TOP/tests/integration/c/ctor_lib.c" || exit 1
cc -o "$WORK/ctor_main" "$TOP/tests/integration/c/ctor_main.c" -L"$WORK" -lctor \
	-Wl,-rpath,"$WORK" || exit 1
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $R
server_name = localhost
keyring = k
EOF2
bg python3 "$PY/recorder.py" "$R" "$WORK/rec" --tls "$PKI/server.pem" "$PKI/server.key"
wait_port "$R" || exit 1
for i in 1; do
	CTOR_PORT=$R timeout 20 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" "$WORK/ctor_main" \
		>"$WORK/out$i" 2>"$WORK/err$i"
	rc=$?
	check "run $i: the program ends, no deadlock, no crash (exit $rc)" [ $rc -eq 0 ]
	check "run $i: the constructor's connect and send succeeded ($(cat "$WORK/out$i"))" \
		grep -q "^ctor_result=0$" "$WORK/out$i"
done
sleep 0.5
check "the recorder saw a TLS handshake" bash -c "head -c 3 '$WORK/rec' | od -An -tx1 | grep -q '16 03 0[13]'"
check "none of the constructor's clear text reached the wire" bash -c "! grep -q CTOR-SECRET '$WORK/rec'"
finish
