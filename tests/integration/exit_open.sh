#!/usr/bin/env bash
# A program that writes and ends with exit() or a return from main, its
# TLS socket still open: the peer must get every byte, then close_notify,
# as natively it gets every byte, then FIN (a TLS 1.3 server's unread
# session tickets would otherwise make the kernel reset the connection
# and destroy what the peer had not read yet).
source "$(dirname "$0")/lib.sh"
make_pki
PEER="python3 $TOP/tests/integration/py/contract_peer.py"
P=$(free_port)
client_policy "$WORK/p.ini" "$P"
head -c 1M /dev/urandom >"$WORK/data"
gcc -O1 -Wall -Werror -o "$WORK/exit_open" "$TOP/tests/integration/c/exit_open.c" || exit 1
for how in exit return; do
	bg $PEER hold "$P" "$PKI/server.pem" "$PKI/server.key" 1 >"$WORK/peer.out" 2>>"$WORK/peer.err"
	wait_port "$P" || exit 1
	under "$WORK/p.ini" "$WORK/exit_open" "$P" "$WORK/data" "$how" >/dev/null
	timeout 20 tail --pid="$BGPID" -f /dev/null
	check "ends with $how, the socket open: the peer got all 1048576 bytes, then close_notify ($(cat "$WORK/peer.out"))" \
		grep -q "^got 1048576 eof=clean" "$WORK/peer.out"
done
finish
