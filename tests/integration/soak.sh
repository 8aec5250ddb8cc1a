#!/usr/bin/env bash
# A long run: redis-server under attls takes SOAK_CONNS TLS connections
# (default 10,000; make soak: 100,000), each a full handshake, a PING and
# its answer, and a close, 64 at a time from hsload (bench/hsload.c,
# OpenSSL, not under attls), and twice 2,000 held open at once. Its
# resident memory and open descriptors after the first 1,000 connections
# (the first 2,000 held at once already behind them, so that the peak's
# allocations are in both figures) and at the end, all closed, must be the
# same within noise: RSS at most 10% or 8 MiB more, whichever is larger,
# descriptors no more. Then its CPU once the load stops: in the second
# after the first, at most 5% of a core (from /proc/PID/stat), after the
# load ends in order and after a client killed in the middle of a burst.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
TOTAL=${SOAK_CONNS:-10000}
make_pki
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
say "open files limit: $(ulimit -n); $TOTAL connections"
HSLOAD=$WORK/hsload
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$HSLOAD" "$TOP/bench/hsload.c" -lssl -lcrypto || exit 1
CLK_TCK=$(getconf CLK_TCK)
R=$(free_port)
server_policy "$WORK/r.ini" "$R"
# Handshakes queue behind 2,000 others on one core: more than 3 s.
sed -i 's/^handshake_timeout = .*/handshake_timeout = 30s/' "$WORK/r.ini"
# attls's lines (a killed client's handshakes) go to a file.
start_redis "$WORK/r.ini" "$R" 2>"$WORK/redis.err" || exit 1

# redis's allocator (jemalloc) gives freed pages back over seconds: asked
# to do it now (MEMORY PURGE), RSS is what is in use, not the allocator's
# recent past.
rss_kb() {
	timeout 10 redis-cli --tls --cacert "$PKI/ca.pem" -h 127.0.0.1 -p "$R" memory purge >/dev/null
	sleep 0.5
	awk '/^VmRSS:/ {print $2}' "/proc/$REDIS_PID/status"
}
fds() { ls "/proc/$REDIS_PID/fd" | wc -l; }
ticks() { awk '{print $14 + $15}' "/proc/$REDIS_PID/stat"; }
# Until the server holds no connection more than BASE descriptors (5 s at most).
settle() { # BASE
	local i
	for i in $(seq 50); do
		[ "$(fds)" -le "$1" ] && return
		sleep 0.1
	done
}
ERRORS=0
load() { # WHAT HSLOAD-ARGS...: runs hsload, counts its failures
	local what=$1 out done err
	shift
	out=$(timeout 900 "$HSLOAD" "$@" redis "$R")
	read -r _ done err _ <<<"$out"
	say "$what: ${done:-0} done, ${err:-?} failed"
	ERRORS=$((ERRORS + ${err:-1}))
	[ -n "$done" ] || ERRORS=$((ERRORS + 1))
}
base_fds=$(fds)
t0=$(date +%s)
load "2000 held at once" -H -c 2000 -t 120
load "the first 1000" -c 64 -n 1000 -t 120
settle "$base_fds"
rss1=$(rss_kb) fds1=$(fds)
say "after the first 1000: RSS $rss1 KiB, $fds1 descriptors"
load "$((TOTAL - 1000)) more" -c 64 -n $((TOTAL - 1000)) -t 900
load "2000 held at once" -H -c 2000 -t 120
settle "$fds1"
rss2=$(rss_kb) fds2=$(fds)
say "at the end: RSS $rss2 KiB, $fds2 descriptors ($(( $(date +%s) - t0 )) s)"
check "every connection answered" [ "$ERRORS" -eq 0 ]
limit=$((rss1 / 10 > 8192 ? rss1 + rss1 / 10 : rss1 + 8192))
check "RSS at the end within noise of the first 1000's ($rss2 <= $limit KiB)" [ "$rss2" -le "$limit" ]
check "descriptors at the end: as many as after the first 1000 ($fds2 = $fds1)" [ "$fds2" -eq "$fds1" ] ||
	ls -l "/proc/$REDIS_PID/fd" >&2

# CPU after the load: the second 1-2 s after it stopped.
idle_ticks() {
	local a b
	sleep 1
	a=$(ticks)
	sleep 1
	b=$(ticks)
	echo $((b - a))
}
max=$((CLK_TCK * 5 / 100))
t=$(idle_ticks)
check "CPU 1-2 s after the load: $t ticks of $CLK_TCK per second (at most $max)" [ "$t" -le "$max" ]
"$HSLOAD" -c 1000 -t 30 redis "$R" >/dev/null 2>&1 &
KILLED=$!
sleep 2
kill -KILL "$KILLED"
wait "$KILLED" 2>/dev/null
t=$(idle_ticks)
check "CPU 1-2 s after a client killed in a burst of 1000: $t ticks (at most $max)" [ "$t" -le "$max" ]
settle "$fds1"
check "no descriptor left by the killed burst ($(fds) = $fds1)" [ "$(fds)" -eq "$fds1" ] ||
	ls -l "/proc/$REDIS_PID/fd" >&2
stop "$REDIS_PID"
finish
