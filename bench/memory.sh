# Memory: the RSS of redis with 1,000 and 10,000 idle TLS connections,
# attls against redis's own TLS, per connection.
# SPDX-License-Identifier: GPL-2.0-or-later

rss_kib() {
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

memory_bench() {
	local MN MA n pid base fifo name port
	MN=$(free_port) MA=$(free_port)
	attls_policy "$WORK/mem.ini" cpu "$MA"
	redis_start mem_native "$MN" tls || return 1
	local native=$BGPID
	redis_start mem_attls "$MA" "$LIB" "$WORK/mem.ini" || return 1
	local shimmed=$BGPID
	for n in 1000 10000; do
		for spec in "redis TLS (OpenSSL)|$MN|$native" "attls|$MA|$shimmed"; do
			IFS='|' read -r name port pid <<<"$spec"
			echo "== memory, $n idle connections to $name"
			base=$(rss_kib "$pid")
			fifo=$WORK/hold.fifo
			rm -f "$fifo"
			mkfifo "$fifo"
			timeout 300 python3 "$BENCH/hold.py" "$port" "$n" "$PKI/ca.pem" <"$fifo" \
				>"$WORK/hold.out" 2>&1 &
			local holder=$!
			exec 9>"$fifo"
			for _ in $(seq 600); do
				grep -q "^open $n" "$WORK/hold.out" 2>/dev/null && break
				sleep 0.2
			done
			sleep 1
			if grep -q "^open $n" "$WORK/hold.out"; then
				record memory "$name" "KiB per idle conn, $n" \
					"$(awk -v a="$(rss_kib "$pid")" -v b="$base" -v n="$n" \
						'BEGIN {printf "%.1f", (a - b) / n}')"
			else
				echo "hold.py did not open $n connections: $(tail -3 "$WORK/hold.out")" >&2
			fi
			exec 9>&-
			wait "$holder" 2>/dev/null
			sleep 1
		done
	done
}
