#!/usr/bin/env bash
# Descriptors: a TLS connection costs the program no file of attls's (no
# open, no close but its own: random numbers come from getrandom()), and
# a server that runs out of descriptors sees what it would see without
# attls (accept's EMFILE), while attls says what it could not open and
# why (ATTLS046W, strerror's text), never "out of memory".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
HSLOAD=$WORK/hsload
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$HSLOAD" "$TOP/bench/hsload.c" -lssl -lcrypto || exit 1

# 1. redis-server under attls, traced while 100 TLS connections come and
# go one after the other: the files opened are those redis opens by itself
# when idle (its cron reads /proc), and each connection costs one close,
# redis's own.
R=$(free_port)
server_policy "$WORK/r.ini" "$R"
start_redis "$WORK/r.ini" "$R" || exit 1
"$HSLOAD" -c 1 -n 5 -t 30 redis "$R" >/dev/null # the first connection's one-time setup
trace_for() { # SECONDS: openat, open and close of redis, all threads
	timeout -s INT "$1" strace -f -qq -e trace=open,openat,close -p "$REDIS_PID" -o "$WORK/strace.$2" &
	TRACER=$!
	sleep 1
}
trace_for 2.5 idle
wait "$TRACER"
trace_for 30 load
out=$("$HSLOAD" -c 1 -n 100 -t 30 redis "$R")
sleep 0.5 # redis reads the last client's end and closes it
kill -INT "$TRACER" 2>/dev/null
wait "$TRACER"
say "100 connections: $out"
check "100 TLS connections answered" grep -q '^[0-9]* 100 0 ' <<<"$out"
opens=$(grep -cE '(open|openat)\(' "$WORK/strace.load")
closes=$(grep -cE 'close\([0-9]+\) *= 0' "$WORK/strace.load")
paths=$(grep -oE '(open|openat)\([^"]*"[^"]*"' "$WORK/strace.load" | sed 's/.*"\(.*\)"/\1/' | sort -u)
idle_paths=$(grep -oE '(open|openat)\([^"]*"[^"]*"' "$WORK/strace.idle" | sed 's/.*"\(.*\)"/\1/' | sort -u)
say "under load: $opens opens ($(tr '\n' ' ' <<<"$paths")), $closes closes; idle: $(tr '\n' ' ' <<<"$idle_paths")"
check "no file opened under load that redis does not open when idle" \
	[ -z "$(comm -23 <(echo "$paths") <(echo "$idle_paths") | grep .)" ]
check "no /dev/urandom or /dev/random" bash -c "! grep -q '/dev/u\?random' '$WORK/strace.load'"
check "one close per connection and per file redis opened ($closes = 100 + $opens)" \
	[ "$closes" -eq $((100 + opens)) ]
stop "$REDIS_PID"

# 2. nginx (one worker) with 48 descriptors and 60 clients that connect
# and hold their connections for 2 s without a byte: the worker's accept4
# fails with EMFILE, as it does for nginx without attls (where the
# connections are plain HTTP, and under attls waiting for their TLS
# handshake); once they are gone it serves again.
make_files
N=$(free_port)
server_policy "$WORK/n.ini" "$N"
hold_60() {
	timeout 20 python3 -c 'import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for i in range(60)]
time.sleep(2)' "$N"
}
run_limited() { # NAME PRELOAD...: nginx with 48 fds and 60 silent clients, then a check
	local d=$WORK/nginx.$1 name=$1 pid
	nginx_conf "$d" "$N" 1
	sed -i 's/worker_connections 20000/worker_connections 1000/' "$d/nginx.conf"
	shift
	(ulimit -n 48 && exec env "$@" nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" \
		>"$d/stderr.log" 2>&1) &
	pid=$!
	PIDS+=("$pid")
	wait_port "$N" || return 1
	hold_60
	if [ "$name" = plain ]; then
		for _ in $(seq 10); do
			timeout 10 curl -sf -o /dev/null "http://127.0.0.1:$N/f1024" && echo ok
		done | grep -c ok | sed 's/^/0 /; s/$/ 0/' >"$d/after.out"
	else
		"$HSLOAD" -c 2 -n 10 -t 15 http "$N" >"$d/after.out" 2>/dev/null
	fi
	stop "$pid"
}
run_limited plain "NOTHING=1"
run_limited attls ATTLS_CONFIG="$WORK/n.ini" LD_PRELOAD="$LIB"
say "without attls: $(grep -c 'accept4() failed (24: Too many open files)' "$WORK/nginx.plain/error.log") accept4 EMFILE; under attls: $(grep -c 'accept4() failed (24: Too many open files)' "$WORK/nginx.attls/error.log")"
check "without attls, nginx's accept4 fails with EMFILE" \
	grep -q 'accept4() failed (24: Too many open files)' "$WORK/nginx.plain/error.log"
check "without attls, nginx serves again after it ran out (10 requests)" \
	grep -q '^0 10 0' "$WORK/nginx.plain/after.out"
check "under attls, nginx's accept4 fails with EMFILE, the same" \
	grep -q 'accept4() failed (24: Too many open files)' "$WORK/nginx.attls/error.log"
check "under attls, nginx serves again after it ran out (10 full handshakes)" \
	grep -q '^[0-9]* 10 0 ' "$WORK/nginx.attls/after.out"
check "nginx under attls: no attls line says out of memory" \
	bash -c "! grep -qi 'out of memory' '$WORK/nginx.attls/stderr.log'"

# 3. A poll server (c/fd_limit_server.c) with 32 descriptors and 40 TLS
# clients that hold their connections: its accept says EMFILE in the
# kernel's words; then it closes a connection whose peer is still there,
# at the limit: attls cannot dup it to end it in the background, says so
# with the reason, and ends it within the close (bounded: 3 s).
gcc -O1 -Wall -Wextra -Werror -o "$WORK/fd_limit_server" "$TOP/tests/integration/c/fd_limit_server.c" ||
	exit 1
F=$(free_port)
server_policy "$WORK/f.ini" "$F"
bg env ATTLS_CONFIG="$WORK/f.ini" LD_PRELOAD="$LIB" timeout 40 "$WORK/fd_limit_server" "$F" 32 1 \
	>"$WORK/fls.out" 2>"$WORK/fls.err"
SRV=$BGPID
wait_port "$F" || exit 1
timeout 40 "$HSLOAD" -H -w 6 -c 40 -t 4 redis "$F" >"$WORK/fls.hsload" 2>/dev/null
timeout 30 tail --pid="$SRV" -f /dev/null
say "server: $(tr '\n' ' ' <<<"$(cat "$WORK/fls.out")")"
say "attls: $(grep -o 'ATTLS0.*' "$WORK/fls.err" | sed 's/conn=[^ ]* //' | sort | uniq -c | head -3)"
check "the server's accept says: Too many open files" \
	grep -q '^accept: Too many open files after [0-9]* connections' "$WORK/fls.out"
check "attls names what it could not open and why (ATTLS046W ... Too many open files)" \
	grep -q "ATTLS046W no descriptor for attls's own use .*rule=in_$F: close: .*(Too many open files)" \
	"$WORK/fls.err"
check "that close ended within 3.5 s" \
	awk '/^close took/ {ok = $3 <= 3500} END {exit !ok}' "$WORK/fls.out"
check "attls never says out of memory" bash -c "! grep -qi 'out of memory' '$WORK/fls.err'"

# 4. The same server with every descriptor but one taken, then one TLS
# connection accepted into the last and added to an epoll instance: attls
# has no fd for that instance's wake-up eventfd, so the epoll_ctl fails
# (the fd is not watched unseen) with the kernel's EMFILE, and says why.
E=$(free_port)
server_policy "$WORK/e.ini" "$E"
bg env ATTLS_CONFIG="$WORK/e.ini" LD_PRELOAD="$LIB" timeout 20 "$WORK/fd_limit_server" "$E" 64 0 epoll \
	>"$WORK/fle.out" 2>"$WORK/fle.err"
SRV=$BGPID
wait_port "$E" || exit 1
timeout 10 "$HSLOAD" -c 1 -n 1 -t 3 redis "$E" >/dev/null 2>&1
timeout 20 tail --pid="$SRV" -f /dev/null
say "server: $(tr '\n' ' ' <<<"$(cat "$WORK/fle.out")"); attls: $(grep -o 'ATTLS0.*' "$WORK/fle.err" | head -1)"
check "epoll_ctl of the TLS fd fails: Too many open files" \
	grep -q '^epoll_ctl: Too many open files' "$WORK/fle.out"
check "attls says why (ATTLS046W ... eventfd ... Too many open files)" \
	grep -q "ATTLS046W no descriptor for attls's own use.*epoll_ctl(.*no eventfd.*(Too many open files)" \
	"$WORK/fle.err"
finish
