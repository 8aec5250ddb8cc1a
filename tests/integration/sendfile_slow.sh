#!/usr/bin/env bash
# sendfile to a reader that keeps up slowly: a blocking sendfile on a TLS
# socket must go on to the end of the file, as natively, never return 0
# before it (Python's socket.sendfile() and others take 0 for the end of
# the file and cut it short). The same server without attls, sending in
# clear text, is the control. Then splice from a pipe under a timer that
# interrupts it: what a call took from the pipe must go out.
source "$(dirname "$0")/lib.sh"
make_pki
PY=$TOP/tests/integration/py
P=$(free_port) Q=$(free_port) R=$(free_port)
policy "$WORK/s.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic t]
direction = inbound
local_port = $P, $R
keyring = k
EOF2
head -c 8M /dev/urandom >"$WORK/file"
want=$(sha256sum <"$WORK/file" | cut -c1-64)
gcc -O1 -Wall -Werror -o "$WORK/sendfile_server" "$TOP/tests/integration/c/sendfile_server.c" || exit 1
gcc -O1 -Wall -Werror -pthread -o "$WORK/splice_timer" "$TOP/tests/integration/c/splice_timer.c" || exit 1

# Control: clear text, the reader reads 64 KiB every 2 ms.
timeout 60 "$WORK/sendfile_server" "$Q" "$WORK/file" >"$WORK/plain.out" 2>&1 &
PIDS+=($!)
wait_port "$Q" || exit 1
got=$(timeout 60 python3 -c '
import hashlib, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
h, n = hashlib.sha256(), 0
while d := s.recv(65536):
    h.update(d); n += len(d); time.sleep(0.002)
print(n, h.hexdigest())' "$Q")
wait
check "without attls: $(cat "$WORK/plain.out")" grep -q "^sent 8388608 of 8388608" "$WORK/plain.out"
check "without attls: the reader got it all" [ "$got" = "8388608 $want" ]

timeout 60 env ATTLS_CONFIG="$WORK/s.ini" LD_PRELOAD="$LIB" "$WORK/sendfile_server" "$P" "$WORK/file" \
	>"$WORK/tls.out" 2>&1 &
PIDS+=($!)
wait_port "$P" || exit 1
got=$(timeout 60 python3 "$PY/slow_reader.py" "$P" "$PKI/ca.pem" 0 0.002)
wait
check "under attls: $(cat "$WORK/tls.out")" grep -q "^sent 8388608 of 8388608" "$WORK/tls.out"
check "under attls: the TLS reader got it all, then close_notify" \
	[ "$got" = "8388608 bytes sha256=$want close_notify" ]

timeout 60 env ATTLS_CONFIG="$WORK/s.ini" LD_PRELOAD="$LIB" "$WORK/splice_timer" "$R" "$WORK/file" \
	>"$WORK/splice.out" 2>&1 &
PIDS+=($!)
wait_port "$R" || exit 1
got=$(timeout 60 python3 "$PY/slow_reader.py" "$R" "$PKI/ca.pem" 0 0.001)
wait
check "splice from a pipe under a 2 ms timer (no SA_RESTART): $(cat "$WORK/splice.out")" \
	grep -q "^spliced 8388608 " "$WORK/splice.out"
check "splice under the timer: the TLS reader got every byte, in order, then close_notify" \
	[ "$got" = "8388608 bytes sha256=$want close_notify" ]
# The pipe fills between two questions of how much it holds: a chunk is
# never more than attls asked (it once read what the second answer said
# into a buffer sized by the first, and the program crashed).
FIONREAD_LIB=$TOP/build/libfionreadfault.so
if [ -f "$FIONREAD_LIB" ]; then
	R2=$(free_port)
	sed "s/\b$R\b/$R2/" "$WORK/s.ini" >"$WORK/s2.ini"
	timeout 60 env ATTLS_CONFIG="$WORK/s2.ini" LD_PRELOAD="$LIB:$FIONREAD_LIB" \
		"$WORK/splice_timer" "$R2" "$WORK/file" >"$WORK/splice2.out" 2>&1 &
	PIDS+=($!)
	wait_port "$R2" || exit 1
	got=$(timeout 60 python3 "$PY/slow_reader.py" "$R2" "$PKI/ca.pem" 0 0.001)
	wait
	check "splice from a pipe that fills between two FIONREADs: $(head -c 200 "$WORK/splice2.out")" \
		grep -q "^spliced 8388608 " "$WORK/splice2.out"
	check "... the TLS reader got every byte, in order, then close_notify" \
		[ "$got" = "8388608 bytes sha256=$want close_notify" ]
else
	fail "build/libfionreadfault.so is missing (make integration builds it)"
fi
finish
