#!/usr/bin/env bash
# fork and TLS connections (c/fork_io.c under attls, native TLS peers from
# py/contract_peer.py and py/tls_reader.py, which tells close_notify from
# a bare FIN):
# - output queued when the program calls system(), popen() or fork() and
#   exec is the parent's: after close, the peer has every byte (sha256)
#   and close_notify, with a non-blocking and a blocking socket;
# - fork while another thread is blocked inside a TLS write: the child
#   makes a new TLS connection under the same policy and it works, and
#   the parent's write completes, with close_notify;
# - a child made by _Fork cannot write to the parent's TLS connection
#   (EPIPE) nor read from it (ENOTCONN), nothing of it reaches the peer,
#   and the parent goes on.
# FORK_IO_PRELOAD (tsan.sh) replaces the preload.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
C=$TOP/tests/integration/c
PEER="python3 $TOP/tests/integration/py/contract_peer.py"
READER="python3 $TOP/tests/integration/py/tls_reader.py"
PRELOAD=${FORK_IO_PRELOAD:-$LIB}
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/fork_io" "$C/fork_io.c" ||
	exit 1
IN=$(free_port) OUT=$(free_port)
in_out_policy "$WORK/p.ini" "$IN" "$OUT" "handshake_timeout = 5s"
run() { timeout 60 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$PRELOAD" "$WORK/fork_io" "$@"; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }
head -c 4194304 /dev/urandom >"$WORK/data"
SUM=$(sum "$WORK/data")
head -c 16777216 /dev/urandom >"$WORK/big"
BIGSUM=$(sum "$WORK/big")

# 1. system() and popen() with output queued, then close.
for nb in 1 0; do
	kind=$([ "$nb" = 1 ] && echo non-blocking || echo blocking)
	rm -f "$WORK/got"
	bg run system "$IN" "$WORK/big" "$nb" >"$WORK/s.out" 2>"$WORK/s.err"
	P=$BGPID
	wait_port "$IN" || exit 1
	peer=$(timeout 60 $READER "$IN" "$PKI/ca.pem" "$WORK/got" 2 2>>"$WORK/peers.log")
	timeout 30 tail --pid="$P" -f /dev/null
	say "system() then close ($kind): $(cat "$WORK/s.out"); the peer: $peer"
	check "system(), popen(), fork+exec then close ($kind): the peer got every byte (sha256)" \
		[ "$(sum "$WORK/got")" = "$BIGSUM" ]
	check "system(), popen(), fork+exec then close ($kind): the peer got close_notify" \
		grep -q "eof=close_notify$" <<<"$peer"
	check "system(), popen(), fork+exec ($kind): the next fd number is the one before" \
		grep -q "next_fd=same" "$WORK/s.out"
done

# 2. fork while another thread is blocked in a TLS write; the child connects.
bg $PEER pong "$OUT" "$PKI/server.pem" "$PKI/server.key" >"$WORK/pong.out" 2>>"$WORK/peers.log"
PONG=$BGPID
wait_port "$OUT" || exit 1
rm -f "$WORK/got"
bg run writer "$IN" "$WORK/data" "$OUT" >"$WORK/w.out" 2>"$WORK/w.err"
P=$BGPID
wait_port "$IN" || exit 1
peer=$(timeout 60 $READER "$IN" "$PKI/ca.pem" "$WORK/got" 5 2>>"$WORK/peers.log")
timeout 30 tail --pid="$P" -f /dev/null
timeout 10 tail --pid="$PONG" -f /dev/null
stop "$PONG"
say "fork during a blocked write: $(cat "$WORK/w.out"); the reader: $peer"
check "fork during a blocked write: the child's new TLS connection works" \
	grep -q "^child=0 " "$WORK/w.out"
check "fork during a blocked write: the parent's write completes" \
	grep -q " wrote=4194304 of 4194304 " "$WORK/w.out"
check "fork during a blocked write: the reader got every byte (sha256) and close_notify" \
	bash -c "[ '$(sum "$WORK/got")' = '$SUM' ] && grep -q eof=close_notify <<<'$peer'"

# 3. _Fork: the child cannot reach the parent's connection.
rm -f "$WORK/got"
bg run rawfork "$IN" >"$WORK/r.out" 2>"$WORK/r.err"
P=$BGPID
wait_port "$IN" || exit 1
peer=$(timeout 30 $READER "$IN" "$PKI/ca.pem" "$WORK/got" 0 2>>"$WORK/peers.log")
timeout 30 tail --pid="$P" -f /dev/null
say "_Fork: $(cat "$WORK/r.out"); the peer: $peer"
check "_Fork: the child's write and read on the parent's TLS fd fail (EPIPE, ENOTCONN)" \
	grep -q "^child=cut-off" "$WORK/r.out"
check "_Fork: the peer got the parent's bytes only, and close_notify" \
	bash -c "[ \"\$(cat '$WORK/got')\" = parent ] && grep -q eof=close_notify <<<'$peer'"
cat "$WORK"/*.err >&2 2>/dev/null
finish
