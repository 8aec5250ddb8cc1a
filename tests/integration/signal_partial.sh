#!/usr/bin/env bash
# A signal whose handler has SA_RESTART, after a blocking call has moved
# some bytes: the kernel returns the partial count (it restarts only a
# call that moved nothing). The same program against a clear-text peer is
# the control; under attls against a native TLS peer it must answer alike.
source "$(dirname "$0")/lib.sh"
make_pki
P=$(free_port) Q=$(free_port)
client_policy "$WORK/p.ini" "$P"
gcc -O1 -Wall -Werror -o "$WORK/partial_restart" "$TOP/tests/integration/c/partial_restart.c" || exit 1
# peer PORT [CERT KEY]: sends 64 KiB, then waits 3 s, then ends.
peer() {
	timeout 20 python3 -c '
import socket, ssl, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(1)
c, _ = ls.accept()
if len(sys.argv) > 2:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    c = ctx.wrap_socket(c, server_side=True)
c.sendall(b"x" * 65536); time.sleep(3); c.close()' "$@"
}
peer "$Q" &
PIDS+=($!)
wait_port "$Q" || exit 1
native=$(timeout 20 "$WORK/partial_restart" "$Q")
peer "$P" "$PKI/server.pem" "$PKI/server.key" &
PIDS+=($!)
wait_port "$P" || exit 1
tls=$(under "$WORK/p.ini" "$WORK/partial_restart" "$P")
check "without attls: recv(MSG_WAITALL) returns the 64 KiB at the SA_RESTART signal ($native)" \
	bash -c "grep -q '^recv=65536 after_ms=[23][0-9][0-9]$' <<<'$native'"
check "under attls: the same ($tls)" bash -c "grep -q '^recv=65536 after_ms=[23][0-9][0-9]$' <<<'$tls'"
finish
