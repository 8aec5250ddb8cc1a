# The cost of one epoll_wait under attls: 100 TLS connections with data
# waiting, alone in a set, against the same 100 with 10,000 idle TLS
# connections besides (the goal: within 10%).
# SPDX-License-Identifier: GPL-2.0-or-later

epoll_bench() {
	local prog=$WORK/epoll_idle port out ms=$((SECS * 400)) a m
	cc -O2 -o "$prog" "$BENCH/epoll_idle.c" || return 1
	port=$(free_port)
	in_out_policy "$WORK/epoll.ini" "$port" "$port"
	echo "== epoll_wait, 100 busy and 10,000 idle TLS connections"
	out=$(timeout 600 env ATTLS_CONFIG="$WORK/epoll.ini" LD_PRELOAD="$LIB" \
		"${SRV[@]}" "$prog" "$port" 100 10000 "$ms" "$ROUNDS") || {
		echo "epoll_idle failed: $out" >&2
		return 1
	}
	while read -r a m; do
		record epoll "100 busy TLS conns" "ns per epoll_wait" "$a"
		record epoll "100 busy + 10,000 idle" "ns per epoll_wait" "$m"
	done <<<"$out"
}
