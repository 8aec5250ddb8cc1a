# Memory: redis with 1,000 and 10,000 idle TLS connections, attls against
# redis's own TLS, per connection: the growth of its RSS, and of its
# Private_Dirty (/proc/PID/smaps_rollup: the heap and what else it wrote).
# Each figure from a fresh server that has served one TLS connection
# before (one-time set-up is not counted as per-connection memory).
# SPDX-License-Identifier: GPL-2.0-or-later

rss_kib() {
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

dirty_kib() {
	awk '/^Private_Dirty:/ {print $2}' "/proc/$1/smaps_rollup"
}

per_conn() { # BEFORE AFTER N
	awk -v a="$2" -v b="$1" -v n="$3" 'BEGIN {printf "%.1f", (a - b) / n}'
}

memory_bench() {
	local n pid port rss dirty rss2 dirty2 fifo name mode holder
	attls_policy "$WORK/mem.ini" cpu 0
	for n in 1000 10000; do
		for mode in native attls; do
			port=$(free_port)
			if [ "$mode" = native ]; then
				name="redis TLS (OpenSSL)"
				redis_start "mem_$n$mode" "$port" tls || return 1
			else
				name=attls
				attls_policy "$WORK/mem.ini" cpu "$port"
				redis_start "mem_$n$mode" "$port" "$LIB" "$WORK/mem.ini" || return 1
			fi
			pid=$BGPID
			echo "== memory, $n idle connections to $name"
			if [ "$(timeout 10 redis-cli --tls --cacert "$PKI/ca.pem" -h 127.0.0.1 \
				-p "$port" ping)" != PONG ]; then
				echo "redis ($name) does not answer PING over TLS" >&2
				return 1
			fi
			sleep 0.5
			rss=$(rss_kib "$pid") dirty=$(dirty_kib "$pid")
			fifo=$WORK/hold.fifo
			rm -f "$fifo"
			mkfifo "$fifo"
			timeout 300 python3 "$BENCH/hold.py" "$port" "$n" "$PKI/ca.pem" <"$fifo" \
				>"$WORK/hold.out" 2>&1 &
			holder=$!
			exec 9>"$fifo"
			for _ in $(seq 600); do
				grep -q "^open $n" "$WORK/hold.out" 2>/dev/null && break
				sleep 0.2
			done
			sleep 1
			rss2=$(rss_kib "$pid") dirty2=$(dirty_kib "$pid")
			# The server must hold them all (the check's own connection
			# comes after the reading).
			if grep -q "^open $n" "$WORK/hold.out" &&
				[ "$(timeout 10 redis-cli -h 127.0.0.1 --tls --cacert "$PKI/ca.pem" \
					-p "$port" info clients |
					awk -F: '/^connected_clients:/ {print $2 + 0}')" -gt "$n" ]; then
				record memory "$name" "KiB per idle conn, $n" "$(per_conn "$rss" "$rss2" "$n")"
				record memory "$name" "Private_Dirty KiB per idle conn, $n" \
					"$(per_conn "$dirty" "$dirty2" "$n")"
			else
				echo "hold.py did not open $n connections: $(tail -3 "$WORK/hold.out")" >&2
			fi
			exec 9>&-
			wait "$holder" 2>/dev/null
			stop "$pid"
		done
	done
}
