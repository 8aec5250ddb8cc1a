#!/usr/bin/env bash
# The data calls behave as without attls: byte counts, errno values and
# restarts after signals. Small C programs (c/) run under attls against
# native TLS peers (py/contract_peer.py, python3's ssl module):
# - a 3 ms SA_RESTART interval timer during an 8 MiB blocking write and
#   during blocking reads: no EINTR, every byte once and in order;
# - SO_SNDTIMEO against a peer that does not read: EAGAIN after about the
#   time set, and the peer gets exactly the bytes the writes counted;
# - a handler without SA_RESTART during a blocking read: EINTR; with
#   SO_RCVTIMEO set, one with SA_RESTART too, as the kernel does;
# - one thread reading and one writing on one blocking fd, 8 MB each way;
# - shutdown(SHUT_WR) before the handshake: held until it is done;
# - a blocking write after a connect interrupted by a signal: the
#   handshake deadline bounds it, and the handshake does not spin.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
C=$TOP/tests/integration/c
PEER="python3 $TOP/tests/integration/py/contract_peer.py"
for p in restart_timer sndtimeo no_restart duplex shut_early connect_eintr; do
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/$p" "$C/$p.c" || exit 1
done
IN=$(free_port) OUT=$(free_port)
in_out_policy "$WORK/p.ini" "$IN" "$OUT" "handshake_timeout = 2s"
head -c 8388608 /dev/urandom >"$WORK/data"
SUM=$(sha256sum <"$WORK/data" | cut -d' ' -f1)
sum() { sha256sum <"$1" | cut -d' ' -f1; }

# 1. The SA_RESTART timer during an 8 MiB blocking write.
bg under "$WORK/p.ini" "$WORK/restart_timer" write "$IN" "$WORK/data" >"$WORK/w.out"
W=$BGPID
wait_port "$IN" || exit 1
peer=$(timeout 30 $PEER read-all "$IN" "$PKI/ca.pem" "$WORK/w.got" 1 2>>"$WORK/peers.log")
timeout 10 tail --pid="$W" -f /dev/null
say "write under the timer: $(cat "$WORK/w.out"); the reader: $peer"
check "SA_RESTART timer during an 8 MiB blocking write: no EINTR, the counts add up" \
	grep -q "^eintr=0 bytes=8388608 " "$WORK/w.out"
check "SA_RESTART timer during an 8 MiB blocking write: the timer fired" \
	grep -qv " ticks=0$" "$WORK/w.out"
check "SA_RESTART timer during an 8 MiB blocking write: the reader got every byte once (sha256)" \
	[ "$(sum "$WORK/w.got")" = "$SUM" ]

# The same timer during blocking reads, the peer sending in paced pieces.
bg under "$WORK/p.ini" "$WORK/restart_timer" read "$IN" "$WORK/r.got" >"$WORK/r.out"
W=$BGPID
wait_port "$IN" || exit 1
timeout 30 $PEER send-file "$IN" "$PKI/ca.pem" "$WORK/data" 2 >/dev/null 2>>"$WORK/peers.log"
timeout 10 tail --pid="$W" -f /dev/null
say "reads under the timer: $(cat "$WORK/r.out")"
check "SA_RESTART timer during blocking reads: no EINTR, every byte once (sha256)" \
	bash -c "grep -q '^eintr=0 bytes=8388608 ' '$WORK/r.out' && [ '$(sum "$WORK/r.got")' = '$SUM' ]"

# SO_SNDTIMEO against a peer that reads nothing for 3 s.
bg $PEER hold "$OUT" "$PKI/server.pem" "$PKI/server.key" 3 >"$WORK/hold.out" 2>>"$WORK/peers.log"
H=$BGPID
wait_port "$OUT" || exit 1
out=$(under "$WORK/p.ini" "$WORK/sndtimeo" "$OUT" 500)
timeout 20 tail --pid="$H" -f /dev/null
say "SO_SNDTIMEO 500 ms: $out; the peer: $(cat "$WORK/hold.out")"
check "SO_SNDTIMEO 500 ms: EAGAIN after 400 to 1500 ms" \
	bash -c "[[ '$out' =~ ^errno=EAGAIN\ last_ms=([0-9]+) ]] && \
		(( \${BASH_REMATCH[1]} >= 400 && \${BASH_REMATCH[1]} <= 1500 ))"
check "SO_SNDTIMEO 500 ms: the peer got exactly the bytes the writes counted, then close_notify" \
	grep -q "^got ${out##*bytes=} eof=clean$" "$WORK/hold.out"

# A handler without SA_RESTART during a blocking read: EINTR, as natively.
bg $PEER pong "$OUT" "$PKI/server.pem" "$PKI/server.key" >/dev/null 2>>"$WORK/peers.log"
wait_port "$OUT" || exit 1
out=$(under "$WORK/p.ini" "$WORK/no_restart" "$OUT")
say "no SA_RESTART: $(tr '\n' ' ' <<<"$out")"
check "a handler without SA_RESTART interrupts a blocking read: EINTR after about 300 ms" \
	bash -c "[[ '$out' =~ read=-1\ errno=EINTR\ after_ms=([0-9]+) ]] && \
		(( \${BASH_REMATCH[1]} >= 250 && \${BASH_REMATCH[1]} <= 1500 ))"
check "a handler without SA_RESTART: the connection works after the EINTR" \
	grep -q "then read 5: pong" <<<"$out"
# With SO_RCVTIMEO the kernel does not restart: EINTR even after SA_RESTART.
bg $PEER pong "$OUT" "$PKI/server.pem" "$PKI/server.key" >/dev/null 2>>"$WORK/peers.log"
wait_port "$OUT" || exit 1
out=$(under "$WORK/p.ini" "$WORK/no_restart" "$OUT" 5000)
say "SA_RESTART under SO_RCVTIMEO 5 s: $(tr '\n' ' ' <<<"$out")"
check "SO_RCVTIMEO and a handler with SA_RESTART: EINTR after about 300 ms, as the kernel says" \
	bash -c "[[ '$out' =~ read=-1\ errno=EINTR\ after_ms=([0-9]+) ]] && \
		(( \${BASH_REMATCH[1]} >= 250 && \${BASH_REMATCH[1]} <= 1500 ))"

# 3. Full duplex: one thread reads while another writes, 8 MiB each way.
# The reader starts while the writer is blocked on the peer, which sends
# all before it reads. Five connections: whether a read that waits for the
# writer's queue deadlocks depends on how much of it the kernel still
# takes at that moment.
head -c 8388608 /dev/urandom >"$WORK/data2"
ok=true
for round in 1 2 3 4 5; do
	bg $PEER duplex "$OUT" "$PKI/server.pem" "$PKI/server.key" "$WORK/data2" "$WORK/d.peer" \
		2>>"$WORK/peers.log" >"$WORK/d.out"
	D=$BGPID
	wait_port "$OUT" || exit 1
	out=$(timeout 20 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" "$WORK/duplex" "$OUT" \
		"$WORK/data" "$WORK/d.got")
	stop "$D"
	say "full duplex $round: ${out:-no answer in 20 s}; the peer: $(cat "$WORK/d.out")"
	if ! [ "$out" = 'wrote=8388608 read=8388608' ] ||
		! [ "$(sum "$WORK/d.got")" = "$(sum "$WORK/data2")" ] ||
		! [ "$(sum "$WORK/d.peer")" = "$SUM" ]; then
		ok=false
		break
	fi
done
check "full duplex on one blocking fd, five times: 8 MiB each way within 20 s, intact both ways (sha256)" $ok

# 4. shutdown(SHUT_WR) before the handshake, as ncat --recv-only does.
head -c 1048576 /dev/urandom >"$WORK/small"
bg under "$WORK/p.ini" "$WORK/shut_early" server "$IN" "$WORK/s.got" >"$WORK/s.out"
S=$BGPID
wait_port "$IN" || exit 1
peer=$(timeout 20 $PEER send-read "$IN" "$PKI/ca.pem" "$WORK/small" 2>>"$WORK/peers.log")
timeout 10 tail --pid="$S" -f /dev/null
say "server shuts its write side at once: $(cat "$WORK/s.out"); the client: $peer"
check "server shutdown(SHUT_WR) before the handshake: it reads all 1 MiB (sha256)" \
	bash -c "grep -q '^shutdown=0 read=1048576$' '$WORK/s.out' && \
		[ '$(sum "$WORK/s.got")' = '$(sum "$WORK/small")' ]"
check "server shutdown(SHUT_WR) before the handshake: the client sees close_notify" \
	[ "$peer" = "got 0 eof=clean" ]
bg $PEER greet "$OUT" "$PKI/server.pem" "$PKI/server.key" "$WORK/small" >"$WORK/g.out" 2>>"$WORK/peers.log"
G=$BGPID
wait_port "$OUT" || exit 1
out=$(under "$WORK/p.ini" "$WORK/shut_early" client "$OUT" "$WORK/c.got")
timeout 10 tail --pid="$G" -f /dev/null
say "client shuts its write side during a non-blocking connect: $out; the server: $(cat "$WORK/g.out")"
check "client shutdown(SHUT_WR) during connect: it reads all 1 MiB (sha256)" \
	bash -c "[ '$out' = 'shutdown=0 read=1048576' ] && [ '$(sum "$WORK/c.got")' = '$(sum "$WORK/small")' ]"
check "client shutdown(SHUT_WR) during connect: the server sees close_notify" \
	grep -q "^got 0 eof=clean$" "$WORK/g.out"

# 7. A connect interrupted by a signal: the next blocking write waits for
# the connection within the handshake deadline (2 s), not for ever.
bg $PEER syn-hold "$OUT" "$PKI/server.pem" "$PKI/server.key" 0 >"$WORK/syn.out" 2>>"$WORK/peers.log"
Y=$BGPID
timeout 10 bash -c "until grep -q 'queue full' '$WORK/syn.out'; do sleep 0.05; done"
t0=$(date +%s%N)
out=$(timeout 20 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" "$WORK/connect_eintr" "$OUT")
ms=$((($(date +%s%N) - t0) / 1000000))
stop "$Y"
say "connect interrupted, never accepted: ${out:-killed after 20 s} ($ms ms)"
check "a connect interrupted by a signal: the next write fails within the handshake deadline" \
	bash -c "[[ '$out' =~ ^connect=EINTR\ write=-1\ errno=.*after_ms=([0-9]+) ]] && \
		(( \${BASH_REMATCH[1]} >= 1500 && \${BASH_REMATCH[1]} <= 4000 ))"
# The queue frees after 1.5 s; the retransmitted SYN gets through at about
# 3 s (the connect's own retransmission); the handshake must then start
# with its first flight, not with reads that say EAGAIN.
sed -i 's/^handshake_timeout = 2s/handshake_timeout = 8s/' "$WORK/p.ini"
bg $PEER syn-hold "$OUT" "$PKI/server.pem" "$PKI/server.key" 1.5 >"$WORK/syn.out" 2>>"$WORK/peers.log"
Y=$BGPID
timeout 10 bash -c "until grep -q 'queue full' '$WORK/syn.out'; do sleep 0.05; done"
out=$(timeout 20 strace -f -qq -e trace=recvfrom,sendto,read,write -e signal=none -o "$WORK/st" \
	env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" "$WORK/connect_eintr" "$OUT")
timeout 10 tail --pid="$Y" -f /dev/null
spins=$(awk '/sendto\(3,/ {exit} /recvfrom\(3,.*EAGAIN/ {n++} END {print n+0}' "$WORK/st")
say "connect interrupted, accepted later: $(tr '\n' ' ' <<<"$out"); EAGAIN reads before the first flight: $spins"
check "a connect interrupted by a signal: the next write completes the handshake and the peer answers" \
	grep -q "^answer: pong" <<<"$out"
check "a connect interrupted by a signal: no read before the first handshake flight" [ "$spins" = 0 ]
finish
