#!/usr/bin/env bash
# One event-loop server (python3 asyncio, on epoll) under attls holds 1,000
# TLS connections at once, all of which exchange data; no fd is left behind.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
PY=$TOP/tests/integration/py
make_pki
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
say "open files limit: $(ulimit -n)"
P=$(free_port)
server_policy "$WORK/p.ini" "$P"
# One Python thread completes all 1,000 client handshakes in turn, and each
# server deadline runs from its accept: on a busy machine the last ones
# take longer than the 3 s the other tests allow.
sed -i 's/^handshake_timeout = .*/handshake_timeout = 30s/' "$WORK/p.ini"
bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" python3 "$PY/aio_echo.py" server "$P"
SERVER=$BGPID
wait_port "$P" || exit 1
# One connection first: the epoll set then holds the shim's own wake-up fd.
timeout 30 python3 "$PY/aio_echo.py" client "$P" 100 --ca "$PKI/ca.pem" >/dev/null
before=$(ls "/proc/$SERVER/fd" | wc -l)
out=$(timeout 150 python3 "$PY/many_clients.py" "$P" 1000 4096 "$PKI/ca.pem")
say "$out"
check "1000 TLS connections open at once, every echo intact" \
	grep -q "^1000 connections open at once, 1000 echoed intact, 0 errors" <<<"$out"
for _ in $(seq 50); do
	after=$(ls "/proc/$SERVER/fd" | wc -l)
	[ "$after" -le "$before" ] && break
	sleep 0.1
done
say "server fds: $before before, $after after"
check "no fd left behind in the server" [ "$after" -le "$before" ]
check "the server is still alive and serves" \
	timeout 60 python3 "$PY/aio_echo.py" client "$P" 1 65536 --ca "$PKI/ca.pem"
finish
